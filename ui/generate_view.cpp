#include "generate_view.h"

#include "batch_history.h"
#include "class_picker.h"
#include "engine.h"
#include "remembered_splitter.h"
#include "image_inspector.h"
#include "sample_gallery.h"
#include "schedule_editor.h"
#include "schedule_presets.h"
#include "thumbnail_strip.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <utility>

GenerateView::GenerateView(Engine* engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    m_count = new QSpinBox;
    m_count->setRange(1, 1024);
    m_count->setValue(16);
    m_count->setToolTip(tr("How many images one click generates"));
    m_seed = new QSpinBox;
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setToolTip(tr("Image j of a batch uses seed + j: the same seed gives the same images"));
    m_lock = new QCheckBox(tr("Lock"));
    m_lock->setToolTip(tr("Keep this seed; unlocked, every Generate draws a new one"));
    auto* randomise = new QToolButton;
    randomise->setText(tr("Randomise"));
    randomise->setToolTip(tr("Draw a new random seed"));
    auto* seedRow = new QHBoxLayout;
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(m_lock);
    seedRow->addWidget(randomise);
    m_class = new ClassPicker;
    m_class->setToolTip(tr("The class to generate, for class-conditional models"));

    auto* form = new QFormLayout;
    form->addRow(tr("Batch size"), m_count);
    form->addRow(tr("Seed"), seedRow);
    form->addRow(tr("Class"), m_class);

    m_schedule = new ScheduleEditor;
    auto* samplerBox = new QGroupBox(tr("Sampler"));
    auto* samplerLayout = new QVBoxLayout(samplerBox);
    samplerLayout->addWidget(m_schedule);

    m_generate = new QPushButton(tr("Generate"));
    m_generate->setToolTip(tr("Generate a batch (Ctrl+Return)"));
    m_generate->setMinimumHeight(36);
    m_timing = new QLabel;
    m_timing->setWordWrap(true);

    auto* controls = new QWidget;
    auto* controlsLayout = new QVBoxLayout(controls);
    controlsLayout->addLayout(form);
    controlsLayout->addWidget(samplerBox);
    controlsLayout->addWidget(m_generate);
    controlsLayout->addWidget(m_timing);
    controlsLayout->addStretch(1);
    auto* controlsScroll = new QScrollArea;
    controlsScroll->setWidget(controls);
    controlsScroll->setWidgetResizable(true);
    controlsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Narrow enough that at 1024 px the gallery and the inspector keep room (the fields shrink).
    controlsScroll->setMinimumWidth(std::min(controls->sizeHint().width() + 20, 250));

    m_gallery = new SampleGallery;
    m_history = new BatchHistory;
    m_compare = new SampleGallery;
    m_compare->setToolTip(tr("The batch compared with the one on the left"));
    m_compare->hide();
    m_galleries = new QSplitter;
    m_galleries->addWidget(m_gallery);
    m_galleries->addWidget(m_compare);
    m_galleries->setChildrenCollapsible(false);
    auto* galleryColumn = new QWidget;
    auto* galleryLayout = new QVBoxLayout(galleryColumn);
    galleryLayout->setContentsMargins(0, 0, 0, 0);
    galleryLayout->addWidget(m_history);
    galleryLayout->addWidget(m_galleries, 1);

    m_inspector = new ImageInspector;
    m_chainLabel = new QLabel(tr("Double-click a sample to see its multistep chain."));
    m_chainLabel->setWordWrap(true);
    m_chain = new ThumbnailStrip;
    m_chain->setToolTip(tr("The clean-image estimate after each step of the chosen schedule"));
    m_chain->setZoom(2); // four 28-pixel steps fit beside each other in the inspector's column
    m_steps = new ThumbnailStrip;
    m_steps->setZoom(2);
    m_steps->setToolTip(tr("The same seed sampled with more steps"));
    auto* refineButton = new QPushButton(tr("Refine selected"));
    refineButton->setToolTip(tr("Show the chain of the selected sample"));
    auto* chainScroll = new QScrollArea;
    auto* chainBox = new QWidget;
    auto* chainLayout = new QVBoxLayout(chainBox);
    chainLayout->addWidget(m_chain);
    chainLayout->addWidget(m_steps);
    chainScroll->setWidget(chainBox);
    chainScroll->setWidgetResizable(true);
    chainScroll->setMinimumHeight(120);

    auto* refinePane = new QWidget;
    auto* refineLayout = new QVBoxLayout(refinePane);
    refineLayout->setContentsMargins(0, 0, 0, 0);
    refineLayout->addWidget(refineButton);
    // Above the scroll area, not in it: the strips scroll sideways, the caption wraps to the visible width.
    refineLayout->addWidget(m_chainLabel);
    refineLayout->addWidget(chainScroll, 1);
    // The inspector over the refine chain, the user choosing the share; the inspector gets most.
    auto* inspect = new QSplitter(Qt::Vertical);
    inspect->addWidget(m_inspector);
    inspect->addWidget(refinePane);
    inspect->setChildrenCollapsible(false);
    inspect->setStretchFactor(0, 3);
    inspect->setStretchFactor(1, 2);
    inspect->setSizes({500, 330});
    rememberSplitterSizes(inspect, "generate/inspectSplitter");

    auto* splitter = new QSplitter;
    splitter->addWidget(controlsScroll);
    splitter->addWidget(galleryColumn);
    splitter->addWidget(inspect);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 2);
    splitter->setSizes({controls->sizeHint().width() + 20, 600, 400});
    rememberSplitterSizes(splitter, "generate/splitter");
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(splitter);

    // Seed, Lock and the batch size are kept across restarts (written as they change).
    {
        const QSettings settings;
        m_count->setValue(settings.value("generate/batchSize", m_count->value()).toInt());
        m_seed->setValue(settings.value("generate/seed", 0).toInt());
        m_lock->setChecked(settings.value("generate/lock", false).toBool());
    }
    connect(m_count, &QSpinBox::valueChanged, this, [](int v) { QSettings().setValue("generate/batchSize", v); });
    connect(m_seed, &QSpinBox::valueChanged, this, [](int v) { QSettings().setValue("generate/seed", v); });
    connect(m_lock, &QCheckBox::toggled, this, [](bool on) { QSettings().setValue("generate/lock", on); });
    connect(randomise, &QToolButton::clicked, this,
            [this] { m_seed->setValue(int(QRandomGenerator::global()->bounded(std::numeric_limits<int>::max()))); });
    connect(m_generate, &QPushButton::clicked, this, &GenerateView::generate);
    connect(m_history, &BatchHistory::shownChanged, this, &GenerateView::showBatch);
    connect(m_history, &BatchHistory::comparedChanged, this, [this](int index) {
        m_compare->setVisible(index >= 0);
        if (index < 0) {
            m_compare->clear();
            return;
        }
        const GeneratedBatch& batch = m_history->batch(index);
        m_compare->setSamples(batch.images, batch.settings);
    });
    connect(m_compare, &SampleGallery::sendToEditorRequested, this,
            [this](int index) { emit sendToEditorRequested(m_compare->image(index), m_compare->settings(index)); });
    connect(m_compare, &SampleGallery::currentChanged, this, [this](int index) {
        if (index >= 0) m_inspector->setImage(m_compare->image(index));
    });
    connect(m_gallery, &SampleGallery::currentChanged, this, &GenerateView::showSelected);
    connect(m_gallery, &SampleGallery::refineRequested, this, &GenerateView::refine);
    connect(refineButton, &QPushButton::clicked, this, [this] { refine(m_gallery->currentIndex()); });
    connect(m_gallery, &SampleGallery::sendToEditorRequested, this,
            [this](int index) { emit sendToEditorRequested(m_gallery->image(index), m_gallery->settings(index)); });
    connect(m_chain, &ThumbnailStrip::clicked, this,
            [this](int i) { m_inspector->setComparison(m_chainBase, m_chain->image(i)); });
    connect(m_steps, &ThumbnailStrip::clicked, this,
            [this](int i) { m_inspector->setComparison(m_chainBase, m_steps->image(i)); });
    connect(m_schedule, &ScheduleEditor::changed, this, [this] {
        // Resolved once that error no longer holds (a different one shows inline in the editor).
        cm::SampleParams params;
        QString error;
        if (m_formError.isEmpty() || (!m_schedule->fillParams(params, &error) && error == m_formError)) return;
        emit errorResolved(std::exchange(m_formError, QString()));
    });
    connect(m_engine, &Engine::finished, this, &GenerateView::onFinished);
    connect(m_engine, &Engine::failed, this, [this](int job, JobKind, const QString& message) {
        if (job == m_generateJob && m_generating) endGeneration(false);
        if (job == m_generateJob || job == m_chainJob) emit errorOccurred(message);
    });
    connect(m_engine, &Engine::cancelled, this, [this](int job, JobKind) {
        if (job == m_generateJob && m_generating) endGeneration(false);
    });
    setEnabled(false);
}

void GenerateView::setModel(const ModelInfo& model) {
    m_model = model;
    setEnabled(!model.pointModel);
    m_class->setClasses(model, true);
    m_schedule->setModel(model);
    // The gallery keeps the last batch (its model is named in the history), for comparing.
    clearRefinePanel();
    m_timing->clear(); // the figures were the previous model's
}

void GenerateView::showBatch(int index) {
    clearRefinePanel(); // the chain was of a sample of the batch shown before
    if (index < 0 || index >= m_history->count()) {
        m_gallery->clear();
        return;
    }
    const GeneratedBatch& batch = m_history->batch(index);
    m_gallery->setSamples(batch.images, batch.settings);
}

QString GenerateView::timingText() const { return m_timing->text(); }
QString GenerateView::chainCaption() const { return m_chainLabel->text(); }

void GenerateView::clearRefinePanel() {
    m_chainJob = 0; // a chain still computing belongs to what is gone
    m_chain->clear();
    m_steps->clear();
    m_chainBase = QImage();
    m_chainLabel->setText(tr("Double-click a sample to see its multistep chain."));
}

bool GenerateView::buildRequest(cm::SampleParams& params, QString* error) {
    if (m_model.path.isEmpty()) {
        if (error) *error = tr("No model is loaded");
        return false;
    }
    if (!m_schedule->fillParams(params, error)) return false;
    if (!m_lock->isChecked())
        m_seed->setValue(int(QRandomGenerator::global()->bounded(std::numeric_limits<int>::max())));
    params.count = m_count->value();
    params.seed = quint64(m_seed->value());
    const int label = m_class->label();
    if (label == ClassPicker::kAllClasses) {
        std::vector<int> labels;
        for (int j = 0; j < params.count; ++j) labels.push_back(j % m_model.numClasses);
        params.conditioning = cm::Conditioning::perImage(std::move(labels));
    } else {
        params.conditioning = cm::Conditioning::ofClass(label);
    }
    return true;
}

void GenerateView::generate() {
    if (m_generating) return; // one batch at a time; a second click would only start it again
    cm::SampleParams params;
    QString error;
    m_seedBefore = m_seed->value();
    if (!buildRequest(params, &error)) {
        m_formError = error;
        emit errorOccurred(error);
        return;
    }
    m_lastRequest = params;
    m_generateJob = m_engine->generate(params);
    m_generating = true;
    m_generate->setEnabled(false);
}

void GenerateView::endGeneration(bool produced) {
    m_generating = false;
    m_generate->setEnabled(true);
    // The field keeps the seed of the images on screen, not that of a batch that never came.
    if (!produced) m_seed->setValue(m_seedBefore);
}

void GenerateView::refine(int index) {
    if (index < 0 || index >= m_gallery->count()) return;
    const QVariantMap settings = m_gallery->settings(index);
    if (settings.value("model").toString() != m_model.name) {
        emit errorOccurred(tr("This sample was made by %1; load that model to refine it (%2 is loaded).")
                               .arg(settings.value("model").toString(), m_model.name));
        return;
    }
    cm::SampleParams params;
    QString error;
    if (!m_schedule->fillParams(params, &error)) {
        emit errorOccurred(error);
        return;
    }
    // A one-step form still shows a chain: the 2-step preset is the smallest that has one.
    if (params.sampler == cm::SamplerKind::OneStep && m_model.consistency) {
        const QVector<double> preset = consistencyPresetSigmas(3, m_model);
        params.sampler = cm::SamplerKind::Multistep;
        params.sigmas.assign(preset.begin(), preset.end());
    }
    params.count = 1;
    params.seed = settings.value("seed").toString().toULongLong();
    params.conditioning = cm::Conditioning::ofClass(settings.value("class", cm::kNoClass).toInt());
    m_chainLabel->setText(tr("Seed %1: computing the chain…").arg(params.seed));
    m_chainJob = m_engine->chain(params);
}

void GenerateView::showSelected(int index) {
    if (index >= 0) m_inspector->setImage(m_gallery->image(index));
}

void GenerateView::applySettings(const QVariantMap& settings) {
    if (settings.contains("seed")) {
        m_seed->setValue(int(settings.value("seed").toString().toLongLong()));
        m_lock->setChecked(true);
    }
    m_class->setLabel(settings.value("class", cm::kNoClass).toInt());
    m_schedule->applySettings(settings);
}

void GenerateView::onFinished(const JobResult& result) {
    if (result.job == m_generateJob && result.kind == JobKind::Generate) {
        endGeneration(true);
        QVector<QVariantMap> perImage;
        for (int j = 0; j < result.images.size(); ++j) {
            QVariantMap settings = result.settings;
            settings["seed"] = QString::number(m_lastRequest.seed + quint64(j));
            settings["class"] = m_lastRequest.conditioning.slice(j, 1).sharedClass();
            perImage.push_back(settings);
        }
        GeneratedBatch batch;
        batch.images = result.images;
        batch.settings = perImage;
        batch.model = result.settings.value("model").toString();
        batch.seconds = result.seconds;
        batch.nfe = result.nfe;
        m_history->add(batch); // shows it (showBatch)
        m_timing->setText(tr("%n image(s) in %1 s; network evaluations per image: %2", "", int(result.images.size()))
                              .arg(result.seconds, 0, 'f', 2)
                              .arg(result.nfe));
        emit generated(int(result.images.size()), result.seconds);
    } else if (result.job == m_chainJob && result.kind == JobKind::Chain && result.rows.size() == 2) {
        QStringList chainCaptions;
        for (int i = 0; i < result.rows[0].size(); ++i)
            chainCaptions << tr("step %1\nσ=%2").arg(i + 1).arg(result.sigmas.value(i), 0, 'g', 3);
        m_chain->setImages(result.rows[0], chainCaptions);
        QStringList stepCaptions;
        const QVariantList nfe = result.settings.value("variantNfe").toList();
        for (int i = 0; i < result.rows[1].size(); ++i)
            stepCaptions << (m_model.consistency ? tr("%n step(s)", "", i + 1)
                                                 : tr("Heun, %n NFE", "", nfe.value(i).toInt()));
        m_steps->setImages(result.rows[1], stepCaptions);
        m_chainBase = result.rows[1].value(0);
        m_chainLabel->setText(m_model.consistency
                                  ? tr("Seed %1. Top: the estimate after each step. Bottom: 1–4 steps. "
                                       "Click one to compare it with one step.")
                                        .arg(result.settings.value("seed").toString())
                                  : tr("Seed %1. Top: the Heun trajectory's clean estimates. Bottom: more "
                                       "evaluations. Click one to compare.")
                                        .arg(result.settings.value("seed").toString()));
        if (!result.images.isEmpty()) m_inspector->setComparison(m_chainBase, result.images.front());
    }
}
