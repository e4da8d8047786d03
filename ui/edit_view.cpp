#include "edit_view.h"

#include "class_picker.h"
#include "engine.h"
#include "remembered_splitter.h"
#include "image_convert.h"
#include "image_inspector.h"
#include "mask_canvas.h"
#include "mask_document.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QColorDialog>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QFileInfo>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include "core/edit_input.h"
#include "core/error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace {

// Painting events are coalesced for this long before a preview starts; while one runs, newer strokes
// only mark the preview stale, and the newest state is sent when it returns (a newer request supersedes
// the ones in between, and the GUI never waits).
constexpr int kLiveCoalesceMs = 30;
// Previews use every kLivePreviewStride-th level of the default 20-level schedule (5 evaluations instead
// of 20); "Apply" runs the full schedule.
constexpr int kLivePreviewStride = 5;

QImage compositeKept(const QImage& original, const QImage& result, const QImage& mask) {
    // The engine keeps unmasked pixels exactly; compositing makes the 8-bit image bit-identical there too.
    QImage out = result.convertToFormat(original.format());
    const int bytes = original.format() == QImage::Format_Grayscale8 ? 1 : 3;
    for (int y = 0; y < out.height(); ++y) {
        const uchar* m = mask.constScanLine(y);
        const uchar* src = original.constScanLine(y);
        uchar* dst = out.scanLine(y);
        for (int x = 0; x < out.width(); ++x)
            if (m[x] == 0) std::copy(src + x * bytes, src + (x + 1) * bytes, dst + x * bytes);
    }
    return out;
}

} // namespace

EditView::EditView(Engine* engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    m_canvas = new MaskCanvas;
    m_document = m_canvas->document();
    m_preview = new ImageInspector;
    m_preview->setToolTip(tr("Live preview (before | after): click “Apply preview” to keep it"));

    // Tools
    auto* toolBox = new QGroupBox(tr("Tools"));
    auto* toolLayout = new QVBoxLayout(toolBox);
    auto* toolRow = new QGridLayout; // two by two: the column stays narrow at 1024 px
    auto* tools = new QButtonGroup(this);
    for (MaskCanvas::Tool tool : {MaskCanvas::MaskBrush, MaskCanvas::Eraser, MaskCanvas::Rectangle, MaskCanvas::ColourBrush}) {
        auto* button = new QToolButton;
        button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        button->setText(MaskCanvas::toolName(tool));
        button->setToolTip(MaskCanvas::toolToolTip(tool));
        button->setCheckable(true);
        button->setChecked(tool == m_canvas->tool());
        tools->addButton(button, int(tool));
        toolRow->addWidget(button, int(tools->buttons().size() - 1) / 2, int(tools->buttons().size() - 1) % 2);
    }
    connect(tools, &QButtonGroup::idClicked, this, [this](int id) { m_canvas->setTool(MaskCanvas::Tool(id)); });
    toolLayout->addLayout(toolRow);
    auto* brushForm = new QFormLayout;
    m_brushSize = new QSlider(Qt::Horizontal);
    m_brushSize->setRange(MaskCanvas::kMinBrushSize, MaskCanvas::kMaxBrushSize / 4);
    m_brushSize->setValue(QSettings().value("edit/brushSize", 4).toInt());
    m_brushSize->setToolTip(tr("Brush diameter in image pixels ([ and ])"));
    m_hardness = new QSlider(Qt::Horizontal);
    m_hardness->setRange(0, 100);
    m_hardness->setValue(QSettings().value("edit/brushHardness", 100).toInt());
    m_hardness->setToolTip(tr("100: a hard edge; lower values fade the brush towards its rim"));
    m_colour = new QPushButton(tr("Colour…"));
    m_colour->setToolTip(tr("The colour of the colour brush (stroke-guided editing)"));
    // Each slider shows its value beside it.
    auto withValue = [this](QSlider* slider, auto text) {
        auto* row = new QHBoxLayout;
        auto* value = new QLabel;
        value->setMinimumWidth(value->fontMetrics().horizontalAdvance(QStringLiteral("100 %")));
        const auto show = [value, text](int v) { value->setText(text(v)); };
        show(slider->value());
        connect(slider, &QSlider::valueChanged, value, show);
        row->addWidget(slider, 1);
        row->addWidget(value);
        return row;
    };
    brushForm->addRow(tr("Size"), withValue(m_brushSize, [](int v) { return tr("%1 px").arg(v); }));
    brushForm->addRow(tr("Hardness"), withValue(m_hardness, [](int v) { return tr("%1 %").arg(v); }));
    brushForm->addRow(tr("Stroke colour"), m_colour);
    toolLayout->addLayout(brushForm);
    auto* maskRow = new QHBoxLayout;
    auto* invert = new QPushButton(tr("Invert mask"));
    auto* clear = new QPushButton(tr("Clear mask"));
    auto* showMask = new QCheckBox(tr("Show mask"));
    showMask->setChecked(true);
    maskRow->addWidget(invert);
    maskRow->addWidget(clear);
    toolLayout->addLayout(maskRow);
    toolLayout->addWidget(showMask);

    // Operation
    auto* opBox = new QGroupBox(tr("Operation"));
    auto* opForm = new QFormLayout(opBox);
    m_operation = new QComboBox;
    for (Operation op : {Inpaint, Colorize, SuperResolve, Stroke, Denoise}) m_operation->addItem(operationLabel(op), int(op));
    m_operation->setCurrentIndex(std::max(0, m_operation->findData(QSettings().value("edit/operation", int(Inpaint)))));
    m_factor = new QComboBox;
    m_factor->setObjectName("factor");
    for (int f : {2, 4, 8}) m_factor->addItem(QString("%1×").arg(f), f);
    m_factor->setCurrentIndex(1);
    m_factor->setToolTip(tr("Super-resolution factor; it must divide the model's image size"));
    m_sigma = new QDoubleSpinBox;
    m_sigma->setRange(0.01, 80);
    m_sigma->setDecimals(3);
    m_sigma->setValue(0.2);
    m_sigma->setToolTip(tr("Denoise: the noise level of the image, in the model's [-1, 1] scale. "
                           "“Add noise” adds noise of this level first, to try it on a clean image."));
    // One control for the level: the one denoising removes, and the one "Add noise" adds to try it.
    m_addNoise = new QPushButton(tr("Add noise"));
    m_addNoise->setToolTip(tr("Add Gaussian noise of this σ to the image, to try denoising on it (undoable)"));
    auto* noiseRow = new QHBoxLayout;
    noiseRow->addWidget(m_sigma, 1);
    noiseRow->addWidget(m_addNoise);
    m_sigmas = new QLineEdit;
    m_sigmas->setPlaceholderText(tr("default"));
    m_sigmas->setToolTip(tr("Decreasing noise levels, comma-separated; empty: the task's default schedule"));
    m_seed = new QSpinBox;
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setToolTip(tr("The same seed gives the same result"));
    m_class = new ClassPicker;
    m_live = new QCheckBox(tr("Live inpainting"));
    m_live->setToolTip(tr("With a consistency model, the fill updates while you paint the mask"));
    m_apply = new QPushButton(tr("Apply"));
    m_apply->setToolTip(tr("Run the operation on the image (Ctrl+E)"));
    m_apply->setShortcut(QKeySequence(tr("Ctrl+E")));
    m_apply->setMinimumHeight(34);
    m_applyPreview = new QPushButton(tr("Apply preview"));
    m_applyPreview->setEnabled(false);
    opForm->addRow(tr("Task"), m_operation);
    opForm->addRow(tr("Factor"), m_factor);
    opForm->addRow(tr("Noise σ"), noiseRow);
    opForm->addRow(tr("Schedule σ"), m_sigmas);
    opForm->addRow(tr("Seed"), m_seed);
    opForm->addRow(tr("Class"), m_class);
    opForm->addRow(m_live);
    opForm->addRow(m_apply);
    opForm->addRow(m_applyPreview);
    auto* fit = new QPushButton(tr("Fit image to model"));
    fit->setToolTip(tr("Centre-crop to a square and resize to the model's size (undoable)"));
    opForm->addRow(fit);

    m_hint = new QLabel;
    m_hint->setWordWrap(true);
    m_pixel = new QLabel;

    auto* controls = new QWidget;
    auto* controlsLayout = new QVBoxLayout(controls);
    controlsLayout->addWidget(toolBox);
    controlsLayout->addWidget(opBox);
    controlsLayout->addWidget(m_hint);
    controlsLayout->addStretch(1);
    auto* scroll = new QScrollArea;
    scroll->setWidget(controls);
    scroll->setWidgetResizable(true);
    // The controls may get narrower than they would like (a horizontal scroll bar then), so that at
    // 1024 x 700 the canvas keeps most of the width.
    scroll->setMinimumWidth(std::min(controls->sizeHint().width() + 20, 280));

    auto* canvasPane = new QWidget;
    auto* canvasLayout = new QVBoxLayout(canvasPane);
    canvasLayout->setContentsMargins(0, 0, 0, 0);
    canvasLayout->addWidget(m_canvas, 1);
    canvasLayout->addWidget(m_pixel);

    auto* splitter = new QSplitter;
    splitter->addWidget(scroll);
    splitter->addWidget(canvasPane);
    splitter->addWidget(m_preview);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 2);
    splitter->setSizes({controls->sizeHint().width() + 20, 560, 380});
    rememberSplitterSizes(splitter, "edit/splitter");
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(splitter);

    m_canvas->setBrushSize(m_brushSize->value());
    m_canvas->setBrushHardness(m_hardness->value() / 100.0);
    connect(m_brushSize, &QSlider::valueChanged, this, [this](int v) {
        m_canvas->setBrushSize(v);
        QSettings().setValue("edit/brushSize", v);
    });
    connect(m_canvas, &MaskCanvas::brushSizeChanged, m_brushSize, &QSlider::setValue);
    connect(m_hardness, &QSlider::valueChanged, this, [this](int v) {
        m_canvas->setBrushHardness(v / 100.0);
        QSettings().setValue("edit/brushHardness", v);
    });
    connect(m_colour, &QPushButton::clicked, this, [this] {
        const QColor colour = QColorDialog::getColor(m_canvas->brushColour(), this, tr("Stroke colour"));
        if (colour.isValid()) m_canvas->setBrushColour(colour);
    });
    connect(invert, &QPushButton::clicked, m_document, &MaskDocument::invertMask);
    connect(clear, &QPushButton::clicked, m_document, &MaskDocument::clearMask);
    connect(showMask, &QCheckBox::toggled, m_canvas, &MaskCanvas::setMaskVisible);
    connect(m_canvas, &MaskCanvas::maskVisibleChanged, showMask, &QCheckBox::setChecked);
    connect(m_canvas, &MaskCanvas::maskEditing, this, [this] { m_canvas->setMaskVisible(true); });
    m_canvas->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_canvas, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        if (!m_document->hasImage()) return;
        QMenu menu(this);
        menu.addAction(tr("Save result…"), this, &EditView::saveRequested);
        menu.addAction(tr("Copy result"), this, &EditView::copyRequested);
        menu.exec(m_canvas->mapToGlobal(at));
    });
    connect(m_live, &QCheckBox::toggled, this, [this](bool on) {
        if (!on) m_canvas->setPreview(QImage());
    });
    connect(m_operation, &QComboBox::currentIndexChanged, this, [this] {
        if (operation() != Inpaint) m_canvas->setPreview(QImage());
    });
    connect(m_operation, &QComboBox::currentIndexChanged, this, &EditView::updateControls);
    connect(m_operation, &QComboBox::currentIndexChanged, this,
            [this] { QSettings().setValue("edit/operation", m_operation->currentData()); });
    connect(m_addNoise, &QPushButton::clicked, this, &EditView::addNoise);
    connect(m_apply, &QPushButton::clicked, this, &EditView::apply);
    connect(m_applyPreview, &QPushButton::clicked, this, &EditView::applyPreview);
    connect(fit, &QPushButton::clicked, this, &EditView::fitToModel);
    connect(m_live, &QCheckBox::toggled, this, &EditView::setLive);
    connect(m_canvas, &MaskCanvas::hoveredPixel, this, [this](QPoint at, QColor value) {
        if (at.x() < 0) {
            m_pixel->clear();
            return;
        }
        m_pixel->setText(m_document->image().format() == QImage::Format_Grayscale8
                             ? tr("x %1, y %2: %3").arg(at.x()).arg(at.y()).arg(qGray(value.rgb()))
                             : tr("x %1, y %2: R %3 G %4 B %5").arg(at.x()).arg(at.y()).arg(value.red()).arg(value.green()).arg(value.blue()));
    });
    m_liveDebounce.setSingleShot(true);
    m_liveDebounce.setInterval(kLiveCoalesceMs);
    connect(&m_liveDebounce, &QTimer::timeout, this, &EditView::requestLivePreview);
    auto markStale = [this] {
        if (!m_live->isChecked()) return;
        m_liveStale = true;
        if (m_liveJob == 0 && !m_liveDebounce.isActive()) m_liveDebounce.start();
    };
    connect(m_canvas, &MaskCanvas::maskEditing, this, markStale);
    connect(m_document, &MaskDocument::maskChanged, this, markStale);
    auto liveEnded = [this](int job) {
        if (job != m_liveJob) return;
        m_liveJob = 0;
        // Strokes arrived while this preview ran: they have coalesced already, so start the next at once.
        if (m_liveStale) requestLivePreview();
    };
    connect(m_engine, &Engine::finished, this, [liveEnded](const JobResult& result) { liveEnded(result.job); });
    connect(m_engine, &Engine::failed, this, [liveEnded](int job, JobKind, const QString&) { liveEnded(job); });
    connect(m_engine, &Engine::cancelled, this, [liveEnded](int job, JobKind) { liveEnded(job); });
    connect(m_document, &MaskDocument::imageChanged, this, &EditView::updateControls);
    connect(m_document, &MaskDocument::imageChanged, this, &EditView::showWhatTheModelSees);
    connect(m_document, &MaskDocument::maskChanged, this, &EditView::updateControls);
    connect(m_engine, &Engine::finished, this, &EditView::onFinished);
    connect(m_engine, &Engine::failed, this, [this](int job, JobKind, const QString& message) {
        if (job == m_applyJob || job == m_denoiseJob || job == m_lastLiveJob) emit errorOccurred(message);
    });
    updateControls();
}

QString EditView::operationLabel(Operation operation) const {
    switch (operation) {
    case Inpaint: return tr("Inpaint");
    case Colorize: return tr("Colorize");
    case SuperResolve: return tr("Super-resolve");
    case Stroke: return tr("Stroke-guided edit");
    case Denoise: return tr("Denoise");
    }
    return {};
}

void EditView::setModel(const ModelInfo& model) {
    m_model = model;
    m_canvas->setReferenceSize(model.imageSize);
    m_class->setClasses(model, false);
    if (!model.consistency) m_live->setChecked(false);
    updateControls();
    showWhatTheModelSees(); // an image opened before the model (from the command line)
}

QImage EditView::resultImage() const { return m_document->image(); }

QVariantMap EditView::resultSettings() const {
    QVariantMap settings = m_sourceSettings;
    for (auto it = m_editSettings.begin(); it != m_editSettings.end(); ++it) settings[it.key()] = it.value();
    if (!m_editSettings.isEmpty()) settings["editedFrom"] = m_sourceSettings;
    return settings;
}

void EditView::openImage(const QImage& image, const QVariantMap& settings) {
    m_document->setImage(image);
    m_sourceSettings = settings;
    m_editSettings.clear();
    if (settings.contains("seed")) m_seed->setValue(int(settings.value("seed").toString().toLongLong()));
    if (settings.contains("class")) {
        m_class->setLabel(settings.value("class").toInt());
    }
    m_preview->clear();
    m_previewImage = QImage();
    showWhatTheModelSees();
    m_applyPreview->setEnabled(false);
    updateControls();
}

bool EditView::openImageFile(const QString& path, QString* error) {
    if (!m_document->loadImageFile(path, error)) return false;
    m_sourceSettings = {{"source", QFileInfo(path).fileName()}};
    m_editSettings.clear();
    m_preview->clear();
    m_previewImage = QImage();
    showWhatTheModelSees();
    updateControls();
    return true;
}

EditView::Operation EditView::operation() const { return Operation(m_operation->currentData().toInt()); }

void EditView::setOperation(Operation operation) { m_operation->setCurrentIndex(m_operation->findData(int(operation))); }

void EditView::setLive(bool live) {
    m_live->setChecked(live);
    if (live) requestLivePreview();
}

void EditView::updateControls() {
    const auto operation = Operation(m_operation->currentData().toInt());
    m_factor->setEnabled(operation == SuperResolve);
    m_sigma->setEnabled(operation == Denoise);
    m_addNoise->setEnabled(operation == Denoise && m_document->hasImage());
    m_sigmas->setEnabled(operation != Denoise);
    // Shown only where it exists (it was disabled but still checked on the other tasks).
    m_live->setVisible(operation == Inpaint);
    m_live->setEnabled(m_model.consistency);
    m_applyPreview->setEnabled(!m_previewImage.isNull());
    cm::EditParams params;
    QString reason;
    const bool ready = m_document->hasImage() && (operation == Denoise || buildRequest(params, &reason));
    m_apply->setEnabled(m_document->hasImage() && !m_model.path.isEmpty());
    if (!m_document->hasImage())
        m_hint->setText(tr("Open, paste or drop an image, or send one from the gallery."));
    else if (!ready && !reason.isEmpty())
        m_hint->setText(reason);
    else if (operation == Colorize && !m_document->image().isGrayscale())
        m_hint->setText(tr("This image has colours: colorizing keeps only its grey levels and replaces them."));
    else
        m_hint->setText(QString());
    // "The image is 64 × 64 but the model works on 28 × 28" goes once the image fits (and the like; the
    // hint under the form then names what is still missing, if anything).
    if (!m_requestError.isEmpty() && (ready || reason != m_requestError))
        emit errorResolved(std::exchange(m_requestError, QString()));
}

bool EditView::buildRequest(cm::EditParams& params, QString* error) const {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (m_model.path.isEmpty()) return fail(tr("Load a model first."));
    if (!m_model.consistency) return fail(tr("Zero-shot editing needs a consistency model; %1 is a denoiser.").arg(m_model.name));
    if (!m_document->hasImage()) return fail(tr("Open an image first."));
    const QImage image = m_document->image();
    const auto operation = Operation(m_operation->currentData().toInt());
    const int factor = m_factor->currentData().toInt();
    switch (operation) {
    case Inpaint: params.task = cm::EditTask::Inpaint; break;
    case Colorize: params.task = cm::EditTask::Colorize; break;
    case SuperResolve: params.task = cm::EditTask::SuperResolution; break;
    case Stroke: params.task = cm::EditTask::Stroke; break;
    case Denoise: return fail(QString());
    }
    params.factor = factor;
    if (operation == Inpaint) {
        const cv::Mat mask = qImageTo8U(m_document->mask(), 1);
        if (cv::countNonZero(mask) == 0) return fail(tr("Paint the region to fill with the mask brush first."));
        params.masks = {mask};
    }
    try {
        // The engine's one rule for edit inputs (size, channels, luminance for colorize, patch means).
        const int channels = image.format() == QImage::Format_Grayscale8 ? 1 : 3;
        cm::NetworkConfig network;
        network.imageSize = m_model.imageSize;
        network.channels = m_model.channels;
        params.images = {cm::prepareEditInput(params.task, qImageTo8U(image, channels), network, factor, false,
                                              tr("the image").toStdString())
                             .image};
    } catch (const cm::Error& e) {
        if (e.kind() == cm::ErrorKind::Shape)
            return fail(tr("The image is %1 × %2 but the model works on %3 × %3: use “Fit image to model”.")
                            .arg(image.width())
                            .arg(image.height())
                            .arg(m_model.imageSize));
        return fail(QString::fromStdString(e.what()));
    }
    const QStringList parts = m_sigmas->text().split(',', Qt::SkipEmptyParts);
    for (const QString& part : parts) {
        bool ok = false;
        const double sigma = part.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(sigma)) return fail(tr("Schedule σ: “%1” is not a number").arg(part.trimmed()));
        params.sigmas.push_back(sigma);
    }
    params.seed = quint64(m_seed->value());
    params.conditioning = cm::Conditioning::ofClass(m_class->label());
    return true;
}

void EditView::apply() {
    const auto operation = Operation(m_operation->currentData().toInt());
    m_applySource = m_document->image();
    m_applyMask = m_document->mask();
    m_runningOperation = operation;
    if (operation == Denoise) {
        if (m_model.path.isEmpty() || !m_document->hasImage()) {
            emit errorOccurred(tr("Load a model and an image first."));
            return;
        }
        m_denoiseJob = m_engine->denoise({m_document->image()}, m_sigma->value(), 0, quint64(m_seed->value()),
                                         cm::Conditioning::ofClass(m_class->label()));
        return;
    }
    cm::EditParams params;
    QString error;
    if (!buildRequest(params, &error)) {
        m_requestError = error;
        emit errorOccurred(error);
        return;
    }
    m_applyJob = m_engine->edit(params, false);
}


void EditView::requestLivePreview() {
    if (!m_live->isChecked() || Operation(m_operation->currentData().toInt()) != Inpaint) return;
    cm::EditParams params;
    QString error;
    m_liveStale = false;
    if (!buildRequest(params, &error)) return; // e.g. an empty mask while painting starts: nothing to show
    if (params.sigmas.empty())
        for (int i = 0; i < m_model.inpaintSigmas.size(); i += kLivePreviewStride)
            params.sigmas.push_back(m_model.inpaintSigmas[i]);
    m_liveJob = m_engine->edit(params, true);
    m_lastLiveJob = m_liveJob;
    m_liveInputs[m_liveJob] = {m_document->image(), m_document->mask()};
}

void EditView::onFinished(const JobResult& result) {
    if (result.images.isEmpty()) return;
    if (result.live) {
        // Previews finish in request order; each is shown with the image and mask it was computed from,
        // even when a newer request has already been sent.
        const auto inputs = m_liveInputs.find(result.job);
        if (inputs == m_liveInputs.end()) return;
        const auto [source, mask] = inputs->second;
        m_liveInputs.erase(m_liveInputs.begin(), std::next(inputs));
        m_previewImage = compositeKept(source, result.images.front(), mask);
        m_preview->setComparison(source, m_previewImage);
        // On the canvas being painted too, while its image is the one the preview was made from.
        if (source == m_document->image()) m_canvas->setPreview(m_previewImage);
        m_applyPreview->setEnabled(true);
        ++m_liveUpdates;
        emit previewUpdated();
    } else if (result.job == m_applyJob || result.job == m_denoiseJob) {
        QImage image = result.images.front();
        if (m_runningOperation == Inpaint) image = compositeKept(m_applySource, image, m_applyMask);
        m_document->applyResult(image, operationLabel(m_runningOperation));
        m_editSettings = result.settings;
        m_editSettings["task"] = operationLabel(m_runningOperation);
        m_canvas->setMaskVisible(false); // the result, not the mask over it; painting shows it again
        m_preview->setComparison(m_applySource.size() == image.size() ? m_applySource
                                                                       : m_applySource.scaled(image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation),
                                 image);
        emit applied(operationLabel(m_runningOperation), result.seconds);
    }
}

void EditView::applyPreview() {
    if (m_previewImage.isNull()) return;
    m_document->applyResult(m_previewImage, tr("Live inpaint"));
    m_canvas->setMaskVisible(false);
}

QImage EditView::fittedToModel(const QImage& image) const {
    if (image.isNull() || m_model.imageSize <= 0) return {};
    return matToQImage(cm::fitSquare(qImageTo8U(image, m_model.channels), m_model.imageSize));
}

void EditView::fitToModel() {
    if (!m_document->hasImage() || m_model.imageSize <= 0) return;
    m_document->applyResult(fittedToModel(m_document->image()), tr("Fit to model"));
}

void EditView::showWhatTheModelSees() {
    // An image of another size than the model's: the inspector shows what "Fit image to model" makes of
    // it (the centre square at the model's size), the input the operations will work on.
    const QImage image = m_document->image();
    const int size = m_model.imageSize;
    if (image.isNull() || size <= 0 || (image.width() == size && image.height() == size)) return;
    m_preview->setImage(fittedToModel(image));
    m_preview->setToolTip(tr("What the model will see after “Fit image to model”: the centre square at %1 × %1")
                              .arg(size));
}

void EditView::addNoise() {
    if (!m_document->hasImage()) return;
    const int channels = m_document->image().format() == QImage::Format_Grayscale8 ? 1 : 3;
    const std::vector<cv::Mat> noisy =
        cm::addNoise({qImageToMat(m_document->image(), channels)}, m_sigma->value(), quint64(m_seed->value()));
    m_document->applyResult(matToQImage(noisy.front()), tr("Add noise"));
}
