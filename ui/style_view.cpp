#include "style_view.h"

#include "engine.h"
#include "image_convert.h"
#include "mask_document.h"
#include "pixel_image.h"
#include "recent_files.h"
#include "sample_gallery.h"

#include "core/model_locator.h"
#include "core/style/stylize.h"
#include "core/style_world.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMimeData>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>
#include <utility>

namespace {

constexpr int kSwatchIcon = 40; // a 32-pixel swatch a little enlarged

bool isModelFile(const QString& path) { return path.endsWith(".safetensors", Qt::CaseInsensitive); }

} // namespace

StyleView::StyleView(Engine* engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    setAcceptDrops(true);
    const std::string appDir = QCoreApplication::applicationDirPath().toStdString();
    for (const std::string& path : cm::scanBundledModels(appDir).styleModels) m_bundled << QString::fromStdString(path);
    for (const std::string& path : cm::bundledSwatchFiles(appDir)) m_swatchFiles << QString::fromStdString(path);

    // The style model.
    m_picker = new QComboBox;
    m_picker->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->setMinimumContentsLength(12);
    m_picker->setToolTip(tr("The style model: a prompt base with DEADiff's style and content extractors"));
    auto* openModel = new QPushButton(tr("Open…"));
    openModel->setToolTip(tr("Open a style model file (.safetensors, trained by cmstudio-cli train-style --stage "
                             "extractors)"));
    auto* pickerRow = new QHBoxLayout;
    pickerRow->addWidget(m_picker, 1);
    pickerRow->addWidget(openModel);
    m_modelInfo = new QLabel(tr("No style model loaded: pick one or open a style model file."));
    m_modelInfo->setWordWrap(true);

    // The reference.
    auto* openReference = new QPushButton(tr("Open reference…"));
    openReference->setToolTip(tr("The image whose style the results take (or drop one here); it is fitted to the "
                                 "model's size"));
    m_useSelected = new QPushButton(tr("Use selected sample"));
    m_useSelected->setToolTip(tr("The sample selected in the Generate tab's gallery"));
    auto* referenceRow = new QHBoxLayout;
    referenceRow->addWidget(openReference);
    referenceRow->addWidget(m_useSelected);
    // Two rows of four: the controls stay narrow enough for the images at 1024 x 700.
    auto* swatchRow = new QGridLayout;
    swatchRow->setSpacing(2);
    for (int i = 0; i < m_swatchFiles.size(); ++i) {
        auto* button = new QToolButton;
        const QImage swatch(m_swatchFiles[i]);
        button->setIcon(QIcon(QPixmap::fromImage(swatch.scaled(kSwatchIcon, kSwatchIcon, Qt::KeepAspectRatio,
                                                               Qt::FastTransformation))));
        button->setIconSize(QSize(kSwatchIcon, kSwatchIcon));
        button->setToolTip(tr("Bundled style swatch: %1").arg(QFileInfo(m_swatchFiles[i]).completeBaseName()));
        button->setAutoRaise(true);
        connect(button, &QToolButton::clicked, this, [this, i] { useSwatch(i); });
        swatchRow->addWidget(button, i / 4, i % 4);
        m_swatchButtons << button;
    }
    swatchRow->setColumnStretch(4, 1);
    m_referenceInfo = new QLabel(tr("Open, drop or pick a reference image."));
    m_referenceInfo->setWordWrap(true);

    // The prompts: any of the garments, checked.
    m_promptList = new QListWidget;
    m_promptList->setToolTip(tr("The garments to generate; each gets its own images, from the same seeds"));
    m_promptList->setFlow(QListView::LeftToRight);
    m_promptList->setWrapping(true);
    m_promptList->setResizeMode(QListView::Adjust);
    m_promptList->setUniformItemSizes(true);
    for (const std::string& prompt : cm::garmentPrompts()) {
        auto* item = new QListWidgetItem(QString::fromStdString(prompt), m_promptList);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    // Five rows of garments (two columns at the controls' width), no scroll bar.
    m_promptList->setFixedHeight(5 * std::max(m_promptList->sizeHintForRow(0), m_promptList->fontMetrics().height() + 4) +
                                 2 * m_promptList->frameWidth() + 6);
    setPrompts(QSettings().value("style/prompts", QStringList{"dress"}).toStringList());
    connect(m_promptList, &QListWidget::itemChanged, this, [this] {
        QSettings().setValue("style/prompts", prompts());
        updateControls();
    });

    // The sampling.
    m_count = new QSpinBox;
    m_count->setRange(1, 16);
    m_count->setValue(QSettings().value("style/count", 4).toInt());
    m_count->setToolTip(tr("Images of each prompt"));
    m_seed = new QSpinBox;
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(QSettings().value("style/seed", 0).toInt());
    m_seed->setToolTip(tr("Image j of every prompt starts from the noise of seed + j: the same seed, reference and "
                          "prompt give the same image"));
    auto* randomise = new QToolButton;
    randomise->setText(tr("Randomise"));
    randomise->setToolTip(tr("Draw a new random seed"));
    connect(randomise, &QToolButton::clicked, this,
            [this] { m_seed->setValue(int(QRandomGenerator::global()->bounded(1 << 30))); });
    auto* seedRow = new QHBoxLayout;
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(randomise);
    m_steps = new QSpinBox;
    m_steps->setRange(1, 1000);
    m_steps->setValue(18);
    m_steps->setToolTip(tr("A one-step (consistency) style model: evaluations per image, 1 by default. A denoiser: "
                           "Heun points, 2 N - 1 evaluations"));
    m_useContent = new QCheckBox(tr("Also take the reference's content"));
    m_useContent->setToolTip(tr("Off: DEADiff's style mode, the content tokens left out, so the prompt alone decides "
                                "the garment. On: both token sets of the reference"));
    auto* form = new QFormLayout;
    form->addRow(tr("Style model"), pickerRow);
    form->addRow(m_modelInfo);
    form->addRow(tr("Reference"), referenceRow);
    if (!m_swatchButtons.isEmpty()) form->addRow(tr("Swatches"), swatchRow);
    form->addRow(m_referenceInfo);
    form->addRow(tr("Prompts"), m_promptList);
    form->addRow(tr("Images each"), m_count);
    form->addRow(tr("Seed"), seedRow);
    form->addRow(tr("Steps"), m_steps);
    form->addRow(m_useContent);

    m_generate = new QPushButton(tr("Generate"));
    m_generate->setToolTip(tr("The checked garments in the reference's style"));
    m_generate->setMinimumHeight(34);
    m_previous = new QToolButton;
    m_previous->setText(tr("◀ Previous run"));
    m_previous->setToolTip(tr("Show the run before this one (every run of this session is kept)"));
    m_next = new QToolButton;
    m_next->setText(tr("Next run ▶"));
    m_next->setToolTip(tr("Show the run after this one"));
    auto* historyRow = new QHBoxLayout;
    historyRow->addWidget(m_previous);
    historyRow->addStretch(1);
    historyRow->addWidget(m_next);

    auto* controls = new QWidget;
    auto* controlsLayout = new QVBoxLayout(controls);
    controlsLayout->addLayout(form);
    controlsLayout->addWidget(m_generate);
    controlsLayout->addLayout(historyRow);
    controlsLayout->addStretch(1);
    auto* controlsScroll = new QScrollArea;
    controlsScroll->setWidget(controls);
    controlsScroll->setWidgetResizable(true);
    controlsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // As wide as the controls need and no wider: the rest of the window is the images'.
    controlsScroll->setFixedWidth(std::max(300, controls->minimumSizeHint().width() +
                                                    controlsScroll->verticalScrollBar()->sizeHint().width() +
                                                    2 * controlsScroll->frameWidth()));

    // Reference and results side by side.
    m_heading = new QLabel(tr("The reference and the results appear here: pick a reference and prompts, then "
                              "Generate."));
    m_heading->setWordWrap(true);
    QFont bold = m_heading->font();
    bold.setBold(true);
    m_heading->setFont(bold);
    // The reference above the results, beside its caption: the results get the whole width (one row of
    // `Images each` per prompt).
    auto* referencePicture = new QHBoxLayout;
    m_referenceImage = new PixelImage;
    m_referenceImage->setFixedSize(128, 128);
    m_referenceCaption = new QLabel;
    m_referenceCaption->setWordWrap(true);
    m_referenceCaption->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_referenceCaption->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    referencePicture->addWidget(m_referenceImage);
    referencePicture->addWidget(m_referenceCaption, 1);
    m_results = new SampleGallery;
    m_results->setRefineOffered(false);
    auto* resultsSide = new QWidget;
    auto* resultsLayout = new QVBoxLayout(resultsSide);
    resultsLayout->addLayout(referencePicture);
    resultsLayout->addWidget(m_heading);
    resultsLayout->addWidget(m_results, 1);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(controlsScroll);
    layout->addWidget(resultsSide, 1);

    connect(m_picker, qOverload<int>(&QComboBox::activated), this, [this](int index) {
        const QString path = m_picker->itemData(index).toString();
        if (!path.isEmpty() && path != m_model.path) loadStyleModel(path);
    });
    connect(openModel, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open style model"),
                                                          QSettings().value("folders/models").toString(),
                                                          tr("Style models (*.safetensors)"));
        if (path.isEmpty()) return;
        QSettings().setValue("folders/models", QFileInfo(path).absolutePath());
        loadStyleModel(path);
    });
    connect(openReference, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open reference image"),
                                                          QSettings().value("folders/images").toString(),
                                                          tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
        if (path.isEmpty()) return;
        QString error;
        if (!openReferenceFile(path, &error)) reportError(error);
    });
    connect(m_useSelected, &QPushButton::clicked, this, &StyleView::useSelectedSample);
    connect(m_generate, &QPushButton::clicked, this, &StyleView::generate);
    connect(m_previous, &QToolButton::clicked, this, &StyleView::previousRun);
    connect(m_next, &QToolButton::clicked, this, &StyleView::nextRun);
    for (QSpinBox* box : {m_count, m_seed})
        connect(box, qOverload<int>(&QSpinBox::valueChanged), this, [this] {
            QSettings().setValue("style/count", m_count->value());
            QSettings().setValue("style/seed", m_seed->value());
        });
    connect(m_results, &SampleGallery::sendToEditorRequested, this, [this](int row) {
        if (row >= 0) emit sendToEditorRequested(m_results->image(row), m_results->settings(row));
    });

    connect(m_engine, &Engine::styleModelLoaded, this, &StyleView::onStyleModelLoaded);
    connect(m_engine, &Engine::finished, this, &StyleView::onFinished);
    connect(m_engine, &Engine::failed, this, [this](int job, JobKind, const QString& message) {
        if (job != m_job && job != m_loadJob) return;
        if (job == m_loadJob) rebuildPicker(); // back to the style model still loaded
        m_job = job == m_job ? 0 : m_job;
        m_loadJob = job == m_loadJob ? 0 : m_loadJob;
        updateControls();
        reportError(message);
    });
    connect(m_engine, &Engine::cancelled, this, [this](int job, JobKind) {
        if (job != m_job) return;
        m_job = 0; // the run shown stays as it was
        updateControls();
    });

    rebuildPicker();
    showReference();
    showRun(-1);
    updateControls();
}

void StyleView::setGallery(SampleGallery* gallery) {
    m_gallery = gallery;
    updateControls();
}

void StyleView::reportError(const QString& message) {
    m_lastError = message;
    emit errorOccurred(message);
}

void StyleView::loadStyleModel(const QString& path) {
    m_loadJob = m_engine->loadStyleModel(path);
    updateControls();
}

void StyleView::onStyleModelLoaded(int job, const StyleModelInfo& info) {
    if (job != m_loadJob) return;
    m_loadJob = 0;
    m_model = info;
    QSettings().setValue("style/model", info.path);
    rememberModel(info.path);
    m_steps->setValue(info.defaultSteps);
    m_modelInfo->setText(modelText());
    if (!m_lastError.isEmpty()) emit errorResolved(std::exchange(m_lastError, QString()));
    showReference();
    updateControls();
    emit styleModelReady(info);
}

QString StyleView::modelText() const {
    if (m_model.path.isEmpty()) return {};
    const QString sampling = m_model.consistency
                                 ? tr("one-step (consistency) style model: 1 evaluation per image by default")
                                 : tr("denoiser sampled with Heun: %n point(s) by default", "", m_model.defaultSteps);
    return tr("%1 × %1 RGB, %2 queries per extractor, %3 parameters, %4 training steps; %5")
        .arg(m_model.imageSize)
        .arg(m_model.queries)
        .arg(QLocale().toString(m_model.parameters))
        .arg(QLocale().toString(m_model.trainingSteps))
        .arg(sampling);
}

bool StyleView::openReferenceFile(const QString& path, QString* error) {
    // The editor's reader: the same checks and messages, a large photo reduced while it is decoded.
    MaskDocument reader;
    if (!reader.loadImageFile(path, error)) return false;
    setReference(reader.image(), QFileInfo(path).fileName());
    QSettings().setValue("folders/images", QFileInfo(path).absolutePath());
    return true;
}

void StyleView::setReference(const QImage& image, const QString& name) {
    m_reference = image;
    m_referenceName = name;
    showReference();
    updateControls();
}

void StyleView::useSelectedSample() {
    const int row = m_gallery ? m_gallery->currentIndex() : -1;
    if (row < 0) {
        reportError(tr("Select a sample in the Generate tab's gallery first"));
        return;
    }
    const QVariantMap settings = m_gallery->settings(row);
    setReference(m_gallery->image(row),
                 tr("sample %1, seed %2").arg(settings.value("model").toString(), settings.value("seed").toString()));
}

void StyleView::useSwatch(int index) {
    if (index < 0 || index >= m_swatchFiles.size()) return;
    QString error;
    if (!openReferenceFile(m_swatchFiles[index], &error)) reportError(error);
}

void StyleView::setPrompts(const QStringList& wanted) {
    for (int i = 0; i < m_promptList->count(); ++i) {
        QListWidgetItem* item = m_promptList->item(i);
        item->setCheckState(wanted.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
    }
}

QStringList StyleView::prompts() const {
    QStringList checked;
    for (int i = 0; i < m_promptList->count(); ++i)
        if (m_promptList->item(i)->checkState() == Qt::Checked) checked << m_promptList->item(i)->text();
    return checked;
}

QImage StyleView::fittedReference() const {
    if (m_reference.isNull() || m_model.imageSize <= 0) return {};
    try {
        // The core's fit, the one stylize applies.
        return matToQImage(cm::prepareStyleReference(qImageTo8U(m_reference, m_reference.isGrayscale() ? 1 : 3),
                                                     m_model.imageSize, m_referenceName.toStdString())
                               .image);
    } catch (const std::exception&) {
        return {};
    }
}

void StyleView::showReference() {
    m_referenceNotes.clear();
    if (m_reference.isNull()) {
        m_referenceInfo->setText(tr("Open, drop or pick a reference image."));
    } else {
        QString text = tr("%1: %2 × %3").arg(m_referenceName).arg(m_reference.width()).arg(m_reference.height());
        if (m_model.imageSize > 0) {
            try {
                const cm::PreparedEditInput fitted = cm::prepareStyleReference(
                    qImageTo8U(m_reference, m_reference.isGrayscale() ? 1 : 3), m_model.imageSize,
                    m_referenceName.toStdString());
                for (const std::string& note : fitted.notes) m_referenceNotes << QString::fromStdString(note);
            } catch (const std::exception& error) {
                m_referenceNotes << QString::fromStdString(error.what());
            }
            if (m_reference.width() != m_model.imageSize || m_reference.height() != m_model.imageSize)
                text += tr(", read as its centre square at %1 × %1").arg(m_model.imageSize);
            if (m_reference.isGrayscale()) text += tr(", grey repeated in red, green and blue");
        }
        m_referenceInfo->setText(text);
    }
    const QImage fitted = fittedReference();
    m_referenceImage->setImage(fitted.isNull() ? m_reference : fitted);
    // Beside results made from another reference, the caption says this one is not used yet.
    const bool newer = m_current >= 0 && m_runs[m_current].settings.value("reference").toString() != m_referenceName;
    m_referenceCaption->setText(m_reference.isNull() ? QString()
                                : fitted.isNull()    ? tr("Reference (load a style model to fit it)")
                                : newer              ? tr("New reference: Generate to use it")
                                                     : tr("Reference, as the model reads it"));
}

void StyleView::updateControls() {
    const bool running = m_job != 0 || m_loadJob != 0;
    m_generate->setEnabled(!running && !m_model.path.isEmpty() && !m_reference.isNull() && !prompts().isEmpty());
    m_useSelected->setEnabled(m_gallery != nullptr);
    m_picker->setEnabled(!running);
    m_previous->setEnabled(!running && m_current > 0);
    m_next->setEnabled(!running && m_current + 1 < m_runs.size());
}

void StyleView::generate() {
    if (m_job || m_loadJob) return; // one run at a time
    if (m_model.path.isEmpty()) {
        reportError(tr("Load a style model first"));
        return;
    }
    if (m_reference.isNull()) {
        reportError(tr("Open, drop or pick a reference image first"));
        return;
    }
    if (prompts().isEmpty()) {
        reportError(tr("Check at least one garment to generate"));
        return;
    }
    StyleRequest request;
    request.reference = m_reference;
    request.referenceName = m_referenceName;
    request.prompts = prompts();
    request.count = m_count->value();
    request.steps = m_steps->value();
    request.seed = quint64(m_seed->value());
    request.useContent = m_useContent->isChecked();
    if (!m_lastError.isEmpty()) emit errorResolved(std::exchange(m_lastError, QString()));
    m_job = m_engine->stylize(request);
    updateControls();
}

void StyleView::onFinished(const JobResult& result) {
    if (result.job != m_job || result.kind != JobKind::Stylize) return;
    m_job = 0;
    m_runs.push_back({result.style, result.settings});
    showRun(int(m_runs.size()) - 1);
    updateControls();
    emit generated(result.style);
}

const StyleResult& StyleView::result() const {
    static const StyleResult none;
    return m_current >= 0 ? m_runs[m_current].result : none;
}

void StyleView::previousRun() {
    if (m_current > 0) showRun(m_current - 1);
    updateControls();
}

void StyleView::nextRun() {
    if (m_current + 1 < m_runs.size()) showRun(m_current + 1);
    updateControls();
}

QString StyleView::headingText() const { return m_heading->text(); }

void StyleView::showRun(int index) {
    m_current = index;
    if (index < 0) {
        m_results->clear();
        return;
    }
    const Run& run = m_runs[index];
    const StyleResult& style = run.result;
    QVector<QImage> images;
    QVector<QVariantMap> settings;
    for (int p = 0; p < style.prompts.size(); ++p)
        for (int j = 0; j < style.images.value(p).size(); ++j) {
            images << style.images[p][j];
            QVariantMap one = run.settings;
            one["prompt"] = style.prompts[p];
            one["seed"] = QString::number(style.seed + quint64(j));
            settings << one;
        }
    m_results->setRowLength(int(style.images.value(0).size())); // one row per prompt
    m_results->setSamples(images, settings);
    m_referenceImage->setImage(style.reference);
    m_referenceCaption->setText(tr("Reference: %1").arg(run.settings.value("reference").toString()));
    m_heading->setText(tr("Run %1 of %2, one row per prompt: %3; %n image(s) each from seed %4; evaluations per image: %5", "",
                          int(style.images.value(0).size()))
                           .arg(index + 1)
                           .arg(m_runs.size())
                           .arg(style.prompts.join(", "))
                           .arg(style.seed)
                           .arg(style.evaluations));
}

void StyleView::rememberModel(const QString& path) {
    rememberRecentFile("recentStyleModels", path);
    rebuildPicker();
}

void StyleView::rebuildPicker() {
    fillFilePicker(m_picker, m_bundled, "recentStyleModels", m_model.path, tr("(no style model yet: Open…)"));
}

void StyleView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!m_model.path.isEmpty() || m_loadJob) return;
    const QString last = QSettings().value("style/model").toString();
    if (!last.isEmpty() && QFileInfo::exists(last))
        loadStyleModel(last);
    else if (!m_bundled.isEmpty())
        loadStyleModel(m_bundled.front());
}

void StyleView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls() || event->mimeData()->hasImage()) event->acceptProposedAction();
}

void StyleView::dropEvent(QDropEvent* event) {
    const QMimeData* data = event->mimeData();
    event->acceptProposedAction();
    if (data->hasImage() && !data->hasUrls()) {
        setReference(qvariant_cast<QImage>(data->imageData()), tr("dropped image"));
        return;
    }
    for (const QUrl& url : data->urls()) {
        const QString path = url.toLocalFile();
        if (path.isEmpty()) continue;
        if (isModelFile(path)) {
            loadStyleModel(path); // another kind of model is refused by the engine, with the reason
            return;
        }
        QString error;
        if (!openReferenceFile(path, &error)) reportError(error);
        return; // one reference at a time
    }
}
