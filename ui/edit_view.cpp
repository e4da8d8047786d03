#include "edit_view.h"

#include "class_picker.h"
#include "engine.h"
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
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <opencv2/imgproc.hpp>

#include <cmath>

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
    auto* toolRow = new QHBoxLayout;
    auto* tools = new QButtonGroup(this);
    for (MaskCanvas::Tool tool : {MaskCanvas::MaskBrush, MaskCanvas::Eraser, MaskCanvas::Rectangle, MaskCanvas::ColourBrush}) {
        auto* button = new QToolButton;
        button->setText(MaskCanvas::toolName(tool));
        button->setToolTip(MaskCanvas::toolToolTip(tool));
        button->setCheckable(true);
        button->setChecked(tool == m_canvas->tool());
        tools->addButton(button, int(tool));
        toolRow->addWidget(button);
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
    brushForm->addRow(tr("Size"), m_brushSize);
    brushForm->addRow(tr("Hardness"), m_hardness);
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
    m_factor = new QComboBox;
    for (int f : {2, 4, 8}) m_factor->addItem(QString("%1×").arg(f), f);
    m_factor->setCurrentIndex(1);
    m_factor->setToolTip(tr("Super-resolution factor; it must divide the model's image size"));
    m_sigma = new QDoubleSpinBox;
    m_sigma->setRange(0.01, 80);
    m_sigma->setDecimals(3);
    m_sigma->setValue(0.2);
    m_sigma->setToolTip(tr("The noise level of the input, in the model's [-1, 1] scale"));
    m_noiseSigma = new QDoubleSpinBox;
    m_noiseSigma->setRange(0.01, 2);
    m_noiseSigma->setDecimals(2);
    m_noiseSigma->setValue(0.2);
    auto* addNoiseButton = new QPushButton(tr("Add noise"));
    addNoiseButton->setToolTip(tr("Make a noisy input to try denoising on (undoable)"));
    auto* noiseRow = new QHBoxLayout;
    noiseRow->addWidget(m_noiseSigma, 1);
    noiseRow->addWidget(addNoiseButton);
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
    opForm->addRow(tr("Input noise σ"), m_sigma);
    opForm->addRow(tr("Try with noise σ"), noiseRow);
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
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(controls->sizeHint().width() + 20);

    auto* canvasPane = new QWidget;
    auto* canvasLayout = new QVBoxLayout(canvasPane);
    canvasLayout->setContentsMargins(0, 0, 0, 0);
    canvasLayout->addWidget(m_canvas, 1);
    canvasLayout->addWidget(m_pixel);

    auto* splitter = new QSplitter;
    splitter->addWidget(scroll);
    splitter->addWidget(canvasPane);
    splitter->addWidget(m_preview);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 2);
    splitter->setSizes({360, 520, 420});
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
    connect(m_operation, &QComboBox::currentIndexChanged, this, &EditView::updateControls);
    connect(addNoiseButton, &QPushButton::clicked, this, &EditView::addNoise);
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
    m_class->setClasses(model, false);
    if (!model.consistency) m_live->setChecked(false);
    updateControls();
}

void EditView::openImage(const QImage& image, const QVariantMap& settings) {
    m_document->setImage(image);
    if (settings.contains("seed")) m_seed->setValue(int(settings.value("seed").toString().toLongLong()));
    if (settings.contains("class")) {
        m_class->setLabel(settings.value("class").toInt());
    }
    m_preview->clear();
    m_previewImage = QImage();
    m_applyPreview->setEnabled(false);
    updateControls();
}

bool EditView::openImageFile(const QString& path, QString* error) {
    if (!m_document->loadImageFile(path, error)) return false;
    m_preview->clear();
    m_previewImage = QImage();
    updateControls();
    return true;
}

void EditView::setOperation(Operation operation) { m_operation->setCurrentIndex(m_operation->findData(int(operation))); }

void EditView::setLive(bool live) {
    m_live->setChecked(live);
    if (live) requestLivePreview();
}

void EditView::updateControls() {
    const auto operation = Operation(m_operation->currentData().toInt());
    m_factor->setEnabled(operation == SuperResolve);
    m_sigma->setEnabled(operation == Denoise);
    m_sigmas->setEnabled(operation != Denoise);
    m_live->setEnabled(operation == Inpaint && m_model.consistency);
    m_applyPreview->setEnabled(!m_previewImage.isNull());
    cm::EditParams params;
    QString reason;
    const bool ready = m_document->hasImage() && (operation == Denoise || buildRequest(params, &reason));
    m_apply->setEnabled(m_document->hasImage() && !m_model.path.isEmpty());
    if (!m_document->hasImage())
        m_hint->setText(tr("Open, paste or drop an image, or send one from the gallery."));
    else if (!ready && !reason.isEmpty())
        m_hint->setText(reason);
    else
        m_hint->setText(QString());
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
    const int size = m_model.imageSize;
    const auto operation = Operation(m_operation->currentData().toInt());
    const int factor = m_factor->currentData().toInt();
    const bool lowResolutionInput = operation == SuperResolve && image.width() == size / factor && image.height() == size / factor;
    if (!lowResolutionInput && (image.width() != size || image.height() != size))
        return fail(tr("The image is %1 × %2 but the model works on %3 × %3: use “Fit image to model”.")
                        .arg(image.width())
                        .arg(image.height())
                        .arg(size));
    switch (operation) {
    case Inpaint: params.task = cm::EditTask::Inpaint; break;
    case Colorize: params.task = cm::EditTask::Colorize; break;
    case SuperResolve: params.task = cm::EditTask::SuperResolution; break;
    case Stroke: params.task = cm::EditTask::Stroke; break;
    case Denoise: return fail(QString());
    }
    if (operation == Colorize && m_model.channels != 3)
        return fail(tr("Colorization needs an RGB model; %1 is greyscale.").arg(m_model.name));
    if (operation == SuperResolve && size % factor != 0)
        return fail(tr("The factor %1 does not divide the model's size %2.").arg(factor).arg(size));
    if (operation == Inpaint) {
        const cv::Mat mask = qImageTo8U(m_document->mask(), 1);
        const int filled = cv::countNonZero(mask);
        if (filled == 0) return fail(tr("Paint the region to fill with the mask brush first."));
        params.masks = {mask};
    }
    cv::Mat input;
    if (operation == Colorize) {
        // Rec. 601 luminance, the direction the colour operator keeps (Qt's own grey weights differ).
        if (image.format() == QImage::Format_Grayscale8)
            input = qImageToMat(image, 1);
        else
            cv::cvtColor(qImageToMat(image, 3), input, cv::COLOR_RGB2GRAY);
    } else if (operation == SuperResolve) {
        const cv::Mat full = qImageToMat(image, m_model.channels);
        if (lowResolutionInput) {
            input = full;
        } else {
            // A full-size image is reduced to its patch means: the low-resolution input the operator keeps.
            cv::resize(full, input, cv::Size(size / factor, size / factor), 0, 0, cv::INTER_AREA);
        }
        params.factor = factor;
    } else {
        input = qImageToMat(image, m_model.channels);
    }
    params.images = {input};
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
        m_applyPreview->setEnabled(true);
        ++m_liveUpdates;
        emit previewUpdated();
    } else if (result.job == m_applyJob || result.job == m_denoiseJob) {
        QImage image = result.images.front();
        if (m_runningOperation == Inpaint) image = compositeKept(m_applySource, image, m_applyMask);
        m_document->applyResult(image, operationLabel(m_runningOperation));
        m_preview->setComparison(m_applySource.size() == image.size() ? m_applySource
                                                                       : m_applySource.scaled(image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation),
                                 image);
        emit applied(operationLabel(m_runningOperation), result.seconds);
    }
}

void EditView::applyPreview() {
    if (m_previewImage.isNull()) return;
    m_document->applyResult(m_previewImage, tr("Live inpaint"));
}

void EditView::fitToModel() {
    if (!m_document->hasImage() || m_model.imageSize <= 0) return;
    const QImage image = m_document->image();
    const int side = std::min(image.width(), image.height());
    const QImage square = image.copy((image.width() - side) / 2, (image.height() - side) / 2, side, side);
    const int size = m_model.imageSize;
    // Area averaging when shrinking (no aliasing); smooth interpolation when enlarging.
    const cv::Mat mat = qImageToMat(square, m_model.channels);
    cv::Mat resized;
    cv::resize(mat, resized, cv::Size(size, size), 0, 0, side > size ? cv::INTER_AREA : cv::INTER_CUBIC);
    m_document->applyResult(matToQImage(resized), tr("Fit to model"));
}

void EditView::addNoise() {
    if (!m_document->hasImage()) return;
    const int channels = m_document->image().format() == QImage::Format_Grayscale8 ? 1 : 3;
    const std::vector<cv::Mat> noisy =
        cm::addNoise({qImageToMat(m_document->image(), channels)}, m_noiseSigma->value(), quint64(m_seed->value()));
    m_document->applyResult(matToQImage(noisy.front()), tr("Add noise"));
    m_sigma->setValue(m_noiseSigma->value());
    setOperation(Denoise);
}
