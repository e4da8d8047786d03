#include "compress_view.h"

#include "engine.h"
#include "image_convert.h"
#include "mask_document.h"
#include "pixel_image.h"
#include "recent_files.h"
#include "sample_gallery.h"

#include "core/edit_input.h"
#include "core/error.h"
#include "core/model_locator.h"
#include "core/tokenizer/token_code.h"
#include "core/tokenizer/tokenizer_companions.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMimeData>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>
#include <utility>

namespace {

bool isTokenizerFile(const QString& path) { return path.endsWith(".safetensors", Qt::CaseInsensitive); }

// The companion files chosen per tokenizer: a map from the tokenizer's path to the chosen file's.
constexpr const char* kChosenAutoencoders = "compress/chosenAutoencoders";
constexpr const char* kChosenCodeGenerators = "compress/chosenCodeGenerators";

QString chosenFile(const char* key, const QString& tokenizer) {
    return tokenizer.isEmpty() ? QString() : QSettings().value(key).toMap().value(tokenizer).toString();
}

void setChosenFile(const char* key, const QString& tokenizer, const QString& file) {
    QSettings settings;
    QVariantMap chosen = settings.value(key).toMap();
    if (file.isEmpty())
        chosen.remove(tokenizer);
    else
        chosen.insert(tokenizer, file);
    settings.setValue(key, chosen);
}

QString fileName(const std::string& path) { return QFileInfo(QString::fromStdString(path)).fileName(); }

} // namespace

CompressView::CompressView(Engine* engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    setAcceptDrops(true);
    for (const std::string& path :
         cm::scanBundledModels(QCoreApplication::applicationDirPath().toStdString()).tokenizers)
        m_bundled << QString::fromStdString(path);

    // The tokenizer (and so the bit rate).
    m_picker = new QComboBox;
    m_picker->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->setMinimumContentsLength(12);
    m_picker->setToolTip(tr("The tokenizer: its code length (bits per image) is the bit rate"));
    auto* openTokenizer = new QPushButton(tr("Open…"));
    openTokenizer->setToolTip(tr("Open a tokenizer file (.safetensors, trained by cmstudio-cli train-tokenizer)"));
    auto* pickerRow = new QHBoxLayout;
    pickerRow->addWidget(m_picker, 1);
    pickerRow->addWidget(openTokenizer);
    m_tokenizerInfo = new QLabel(tr("No tokenizer loaded: pick one or open a tokenizer file."));
    m_tokenizerInfo->setWordWrap(true);

    // The image.
    auto* openImage = new QPushButton(tr("Open image…"));
    openImage->setToolTip(tr("An image to encode (or drop one here); it is fitted to the tokenizer's size"));
    m_useSelected = new QPushButton(tr("Use selected sample"));
    m_useSelected->setToolTip(tr("The sample selected in the Generate tab's gallery"));
    auto* imageRow = new QHBoxLayout;
    imageRow->addWidget(openImage);
    imageRow->addWidget(m_useSelected);
    m_sourceInfo = new QLabel(tr("Open, drop or pick an image."));
    m_sourceInfo->setWordWrap(true);

    // The deterministic autoencoder compared at the same bits: found beside the tokenizer, or chosen.
    m_openAutoencoder = new QPushButton(tr("Open autoencoder…"));
    m_openAutoencoder->setToolTip(tr("Compare with this deterministic autoencoder (train-tokenizer --stage autoencoder) "
                                     "instead of the one beside the tokenizer; it must have the tokenizer's image "
                                     "size, channels and bits"));
    m_clearAutoencoder = new QPushButton(tr("Clear"));
    m_clearAutoencoder->setToolTip(tr("Forget the chosen autoencoder: use the one beside the tokenizer"));
    auto* autoencoderRow = new QHBoxLayout;
    autoencoderRow->addWidget(m_openAutoencoder, 1);
    autoencoderRow->addWidget(m_clearAutoencoder);
    m_autoencoderInfo = new QLabel;
    m_autoencoderInfo->setWordWrap(true);

    // The decoders.
    m_steps = new QSpinBox;
    m_steps->setRange(1, 1000);
    m_steps->setValue(QSettings().value("compress/steps", 25).toInt());
    m_steps->setToolTip(tr("Euler steps of the flow decoder, shown beside the one-step decoder"));
    m_seed = new QSpinBox;
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(QSettings().value("compress/seed", 0).toInt());
    m_seed->setToolTip(tr("The decoders' starting noise: the same code and seed give the same image"));
    auto* form = new QFormLayout;
    form->addRow(tr("Tokenizer"), pickerRow);
    form->addRow(m_tokenizerInfo);
    form->addRow(tr("Baseline"), autoencoderRow);
    form->addRow(m_autoencoderInfo);
    form->addRow(tr("Image"), imageRow);
    form->addRow(m_sourceInfo);
    form->addRow(tr("Flow steps"), m_steps);
    form->addRow(tr("Seed"), m_seed);

    m_compress = new QPushButton(tr("Compress"));
    m_compress->setToolTip(tr("Encode the image into its code and decode the code with both decoders"));
    m_compress->setMinimumHeight(34);
    // A stage-2 model's "Generate codes" belongs in this row.
    m_actions = new QHBoxLayout;
    m_actions->addWidget(m_compress, 1);

    // The code.
    auto* codeBox = new QGroupBox(tr("Code"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_hex = new QLineEdit;
    m_hex->setReadOnly(true);
    m_hex->setFont(mono);
    m_hex->setPlaceholderText(tr("the code in hexadecimal"));
    auto* copy = new QPushButton(tr("Copy"));
    copy->setToolTip(tr("Copy the hexadecimal code"));
    auto* hexRow = new QHBoxLayout;
    hexRow->addWidget(m_hex, 1);
    hexRow->addWidget(copy);
    m_bits = new QPlainTextEdit;
    m_bits->setReadOnly(true);
    m_bits->setFont(mono);
    m_bits->setPlaceholderText(tr("the code's bits, one group per token"));
    m_bits->setMinimumHeight(QFontMetrics(mono).lineSpacing() * 3 + 12);
    m_bits->setMaximumHeight(QFontMetrics(mono).lineSpacing() * 6 + 12);
    m_codeInfo = new QLabel;
    m_codeInfo->setWordWrap(true);
    m_codeInput = new QLineEdit;
    m_codeInput->setFont(mono);
    m_codeInput->setPlaceholderText(tr("paste a code (hex) to decode it"));
    m_codeInput->setClearButtonEnabled(true);
    m_decode = new QPushButton(tr("Decode"));
    m_decode->setToolTip(tr("Decode the pasted code with both decoders"));
    auto* pasteRow = new QHBoxLayout;
    pasteRow->addWidget(m_codeInput, 1);
    pasteRow->addWidget(m_decode);
    auto* codeLayout = new QVBoxLayout(codeBox);
    codeLayout->addLayout(hexRow);
    codeLayout->addWidget(m_bits);
    codeLayout->addWidget(m_codeInfo);
    codeLayout->addLayout(pasteRow);

    // Stage 2: new codes from the tokenizer's code generator.
    auto* generateBox = new QGroupBox(tr("Generate codes (stage 2)"));
    m_generateClass = new QComboBox;
    m_generateClass->setToolTip(tr("The class the code generator draws codes of"));
    m_generateCount = new QSpinBox;
    m_generateCount->setRange(1, 16);
    m_generateCount->setValue(QSettings().value("compress/generateCount", 4).toInt());
    m_generateCount->setToolTip(tr("How many new codes to draw and decode"));
    m_generateSeed = new QSpinBox;
    m_generateSeed->setRange(0, std::numeric_limits<int>::max());
    m_generateSeed->setValue(QSettings().value("compress/generateSeed", 0).toInt());
    m_generateSeed->setToolTip(tr("Code j is drawn from seed + j and decoded from that seed's noise: the same seed "
                                  "gives the same images"));
    m_generate = new QPushButton(tr("Generate codes"));
    m_generate->setToolTip(tr("Draw new codes from the code generator and decode them with the flow decoder"));
    m_generateInfo = new QLabel;
    m_generateInfo->setWordWrap(true);
    m_openGenerator = new QPushButton(tr("Open code generator…"));
    m_openGenerator->setToolTip(tr("Use this code generator (train-code-generator) instead of the one beside the "
                                   "tokenizer; its card must name this tokenizer"));
    m_clearGenerator = new QPushButton(tr("Clear"));
    m_clearGenerator->setToolTip(tr("Forget the chosen code generator: use the one beside the tokenizer"));
    auto* generatorRow = new QHBoxLayout;
    generatorRow->addWidget(m_openGenerator, 1);
    generatorRow->addWidget(m_clearGenerator);
    auto* generateForm = new QFormLayout;
    generateForm->addRow(tr("Class"), m_generateClass);
    generateForm->addRow(tr("Images"), m_generateCount);
    generateForm->addRow(tr("Seed"), m_generateSeed);
    auto* generateLayout = new QVBoxLayout(generateBox);
    generateLayout->addLayout(generateForm);
    generateLayout->addWidget(m_generate);
    generateLayout->addLayout(generatorRow);
    generateLayout->addWidget(m_generateInfo);

    auto* controls = new QWidget;
    auto* controlsLayout = new QVBoxLayout(controls);
    controlsLayout->addLayout(form);
    controlsLayout->addLayout(m_actions);
    controlsLayout->addWidget(codeBox);
    controlsLayout->addWidget(generateBox);
    controlsLayout->addStretch(1);
    auto* controlsScroll = new QScrollArea;
    controlsScroll->setWidget(controls);
    controlsScroll->setWidgetResizable(true);
    controlsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // As wide as the controls need (no horizontal scroll bar: a wider row would be cut off).
    controlsScroll->setMinimumWidth(std::max(280, controls->minimumSizeHint().width() +
                                                      controlsScroll->verticalScrollBar()->sizeHint().width() +
                                                      2 * controlsScroll->frameWidth()));

    // The images side by side: the original, then one column per reconstruction; the baselines below.
    auto* results = new QWidget;
    auto* resultsLayout = new QVBoxLayout(results);
    auto* grid = new QWidget;
    m_columns = new QGridLayout(grid);
    m_columns->setContentsMargins(0, 0, 0, 0);
    resultsLayout->addWidget(grid, 1);
    m_notes = new QLabel;
    m_notes->setWordWrap(true);
    m_notes->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_notes->setForegroundRole(QPalette::PlaceholderText);
    resultsLayout->addWidget(m_notes);

    auto* splitter = new QSplitter;
    splitter->addWidget(controlsScroll);
    splitter->addWidget(results);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    connect(openTokenizer, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open tokenizer"),
                                                          QSettings().value("folders/tokenizers").toString(),
                                                          tr("Tokenizers (*.safetensors);;All files (*)"));
        if (path.isEmpty()) return;
        QSettings().setValue("folders/tokenizers", QFileInfo(path).absolutePath());
        loadTokenizer(path);
    });
    connect(m_picker, QOverload<int>::of(&QComboBox::activated), this, [this](int index) {
        const QString path = m_picker->itemData(index).toString();
        if (!path.isEmpty() && path != m_tokenizer.path) loadTokenizer(path);
    });
    connect(openImage, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open image"), QSettings().value("folders/images").toString(),
                                                          tr("Images (*.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"));
        if (path.isEmpty()) return;
        QString error;
        if (!openImageFile(path, &error)) emit errorOccurred(error);
    });
    const auto openCompanion = [this](Companion which) {
        const QString path = QFileDialog::getOpenFileName(
            this, which == Companion::Autoencoder ? tr("Open autoencoder") : tr("Open code generator"),
            QSettings().value("folders/tokenizers").toString(), tr("Models (*.safetensors);;All files (*)"));
        if (path.isEmpty()) return;
        QSettings().setValue("folders/tokenizers", QFileInfo(path).absolutePath());
        chooseCompanion(which, path);
    };
    connect(m_openAutoencoder, &QPushButton::clicked, this, [=] { openCompanion(Companion::Autoencoder); });
    connect(m_openGenerator, &QPushButton::clicked, this, [=] { openCompanion(Companion::CodeGenerator); });
    connect(m_clearAutoencoder, &QPushButton::clicked, this, &CompressView::clearChosenAutoencoder);
    connect(m_clearGenerator, &QPushButton::clicked, this, &CompressView::clearChosenCodeGenerator);
    connect(m_useSelected, &QPushButton::clicked, this, &CompressView::useSelectedSample);
    connect(m_compress, &QPushButton::clicked, this, &CompressView::compress);
    connect(m_decode, &QPushButton::clicked, this, &CompressView::decodePasted);
    connect(m_codeInput, &QLineEdit::returnPressed, this, &CompressView::decodePasted);
    connect(copy, &QPushButton::clicked, this, &CompressView::copyCode);
    connect(m_generate, &QPushButton::clicked, this, &CompressView::generateCodes);
    connect(m_generateCount, QOverload<int>::of(&QSpinBox::valueChanged), this,
            [](int count) { QSettings().setValue("compress/generateCount", count); });
    connect(m_generateSeed, QOverload<int>::of(&QSpinBox::valueChanged), this,
            [](int seed) { QSettings().setValue("compress/generateSeed", seed); });
    connect(m_steps, QOverload<int>::of(&QSpinBox::valueChanged), this,
            [](int steps) { QSettings().setValue("compress/steps", steps); });
    connect(m_seed, QOverload<int>::of(&QSpinBox::valueChanged), this,
            [](int seed) { QSettings().setValue("compress/seed", seed); });

    connect(m_engine, &Engine::tokenizerLoaded, this, &CompressView::onTokenizerLoaded);
    connect(m_engine, &Engine::finished, this, &CompressView::onFinished);
    connect(m_engine, &Engine::failed, this, [this](int job, JobKind, const QString& message) {
        if (job != m_job && job != m_loadJob) return;
        if (job == m_loadJob) rebuildPicker(); // back to the tokenizer still loaded
        m_job = job == m_job ? 0 : m_job;
        m_loadJob = job == m_loadJob ? 0 : m_loadJob;
        m_lastError = message;
        updateControls();
        emit errorOccurred(message);
    });
    connect(m_engine, &Engine::cancelled, this, [this](int job, JobKind) {
        if (job != m_job) return;
        m_job = 0;
        updateControls();
    });

    rebuildPicker();
    showSource();
    updateControls();
    // The last tokenizer loads when the tab is first shown (a job at start-up would show the progress bar).
}

void CompressView::setGallery(SampleGallery* gallery) { m_gallery = gallery; }

void CompressView::loadTokenizer(const QString& path) {
    m_loadJob = m_engine->loadTokenizer(path, chosenFile(kChosenAutoencoders, path), chosenFile(kChosenCodeGenerators, path));
    updateControls();
}

QString CompressView::chosenAutoencoder() const { return chosenFile(kChosenAutoencoders, m_tokenizer.path); }
QString CompressView::chosenCodeGenerator() const { return chosenFile(kChosenCodeGenerators, m_tokenizer.path); }
bool CompressView::chooseAutoencoder(const QString& path) { return chooseCompanion(Companion::Autoencoder, path); }
bool CompressView::chooseCodeGenerator(const QString& path) { return chooseCompanion(Companion::CodeGenerator, path); }
void CompressView::clearChosenAutoencoder() { clearChosen(Companion::Autoencoder); }
void CompressView::clearChosenCodeGenerator() { clearChosen(Companion::CodeGenerator); }

bool CompressView::chooseCompanion(Companion which, const QString& path) {
    const auto refuse = [this](const QString& message) {
        m_lastError = message;
        emit errorOccurred(message);
        return false;
    };
    if (m_tokenizer.path.isEmpty()) return refuse(tr("Load a tokenizer first"));
    if (m_job || m_loadJob) return refuse(tr("Wait for the running work to finish"));
    cm::CompanionProblem problem;
    try {
        // The loaded tokenizer's card, from its header (small), against the same checks as the files
        // found beside it.
        std::string reason;
        const auto metadata = cm::readHeaderMetadata(m_tokenizer.path.toStdString(), reason);
        if (!metadata) throw cm::Error(cm::ErrorKind::Format, reason);
        const cm::TokenizerCard card = cm::TokenizerCard::fromMetadata(*metadata, m_tokenizer.path.toStdString());
        problem = which == Companion::Autoencoder
                      ? cm::checkAutoencoder(path.toStdString(), card)
                      : cm::checkCodeGenerator(path.toStdString(), m_tokenizer.path.toStdString(), card);
    } catch (const cm::Error& error) {
        return refuse(QString::fromStdString(error.what()));
    }
    if (!problem.none())
        return refuse((which == Companion::Autoencoder ? tr("Not used as the autoencoder baseline: %1")
                                                       : tr("Not used as the code generator: %1"))
                          .arg(problemText(problem)));
    if (!m_lastError.isEmpty()) emit errorResolved(std::exchange(m_lastError, QString()));
    setChosenFile(which == Companion::Autoencoder ? kChosenAutoencoders : kChosenCodeGenerators, m_tokenizer.path, path);
    loadTokenizer(m_tokenizer.path); // with the new file; the others stay as they were
    return true;
}

void CompressView::clearChosen(Companion which) {
    if (m_tokenizer.path.isEmpty() || m_job || m_loadJob) return;
    const char* key = which == Companion::Autoencoder ? kChosenAutoencoders : kChosenCodeGenerators;
    if (chosenFile(key, m_tokenizer.path).isEmpty()) return;
    setChosenFile(key, m_tokenizer.path, QString());
    loadTokenizer(m_tokenizer.path);
}

QString CompressView::problemText(const cm::CompanionProblem& problem) const {
    using P = cm::CompanionProblem;
    const QString file = fileName(problem.file);
    const QString detail = QString::fromStdString(problem.detail);
    const auto colours = [this](int channels) { return channels == 1 ? tr("grey") : tr("RGB"); };
    switch (problem.kind) {
    case P::None: return {};
    case P::IsTheAutoencoder: return tr("the tokenizer is itself the deterministic autoencoder");
    case P::NoAutoencoderBeside:
        return tr("no deterministic autoencoder of %1 bits at %2 px beside %3")
            .arg(problem.bits)
            .arg(problem.imageSize)
            .arg(file);
    case P::NoCodeGeneratorBeside: return tr("no code generator of %1 beside it (train-code-generator -m %1)").arg(file);
    case P::NoClassifier:
        return tr("no bundled classifier of %1 × %1 %2 images to judge which files stay recognisable")
            .arg(problem.imageSize)
            .arg(colours(problem.channels));
    case P::Unreadable: return tr("%1 cannot be read: %2").arg(file, detail);
    case P::NotATokenizer:
        return detail.isEmpty() ? tr("%1 is not a tokenizer file").arg(file)
                                : tr("%1 is a “%2” file, not a tokenizer").arg(file, detail);
    case P::NotDeterministic: return tr("%1 is a flow tokenizer, not a deterministic autoencoder").arg(file);
    case P::OtherCode:
        return tr("%1 encodes %2 × %2 %3 images in %4 bits, this tokenizer %5 × %5 %6 images in %7 bits")
            .arg(file)
            .arg(problem.imageSize)
            .arg(colours(problem.channels))
            .arg(problem.bits)
            .arg(m_tokenizer.imageSize)
            .arg(colours(m_tokenizer.channels))
            .arg(m_tokenizer.codeBits);
    case P::NotACodeGenerator:
        return detail.isEmpty() ? tr("%1 is not a code generator file").arg(file)
                                : tr("%1 is a “%2” file, not a code generator").arg(file, detail);
    case P::OtherTokenizer:
        return tr("%1 generates the codes of %2, not of %3").arg(file, detail, QFileInfo(m_tokenizer.path).fileName());
    case P::OtherBits:
        return tr("%1 generates codes of %2 bits, this tokenizer's have %3")
            .arg(file)
            .arg(problem.bits)
            .arg(m_tokenizer.codeBits);
    case P::TrainingImagesAbsent:
        return tr("k-means of patches: the tokenizer's training images (%1) are not on this machine").arg(detail);
    case P::TrainingDataUnknown:
        return tr("k-means of patches: the tokenizer's card names its training data as “%1”, which is neither "
                  "Fashion-MNIST nor an image folder")
            .arg(detail);
    case P::Failed: return file.isEmpty() ? detail : tr("%1 could not be loaded: %2").arg(file, detail);
    }
    return detail;
}

QString CompressView::autoencoderText() const { return m_autoencoderInfo->text(); }
QString CompressView::codeGeneratorText() const { return m_generateInfo->text(); }

void CompressView::showCompanions() {
    const TokenizerInfo& info = m_tokenizer;
    const bool autoencoderChosen = !chosenAutoencoder().isEmpty(), generatorChosen = !chosenCodeGenerator().isEmpty();
    if (info.path.isEmpty())
        m_autoencoderInfo->clear();
    else if (info.autoencoder.isEmpty())
        m_autoencoderInfo->setText(tr("No autoencoder baseline: %1").arg(problemText(info.autoencoderMissing)));
    else
        m_autoencoderInfo->setText((autoencoderChosen ? tr("Autoencoder baseline: %1 (chosen)")
                                                      : tr("Autoencoder baseline: %1 (beside the tokenizer)"))
                                       .arg(QFileInfo(info.autoencoder).fileName()));
    m_autoencoderInfo->setToolTip(info.autoencoder);
    if (info.path.isEmpty())
        m_generateInfo->clear();
    else if (info.codeGenerator.isEmpty())
        m_generateInfo->setText(tr("No code generator for this tokenizer: %1").arg(problemText(info.codeGeneratorMissing)));
    else
        m_generateInfo->setText((generatorChosen ? tr("Code generator: %1 (chosen)") : tr("Code generator: %1"))
                                    .arg(QFileInfo(info.codeGenerator).fileName()));
    m_generateInfo->setToolTip(info.codeGenerator);
}

void CompressView::onTokenizerLoaded(int job, const TokenizerInfo& info) {
    if (job != m_loadJob) return;
    m_loadJob = 0;
    m_tokenizer = info;
    QSettings().setValue("compress/tokenizer", info.path);
    rememberTokenizer(info.path);
    QStringList decoders;
    decoders << (info.oneStepDecoder ? tr("one-step decoder (distilled)") : tr("no one-step decoder"));
    m_tokenizerInfo->setText(tr("%1 × %1 %2, %3 tokens × %4 bits = %5 bits (%6 bits per pixel); stages %7; %8")
                                 .arg(info.imageSize)
                                 .arg(info.channels == 1 ? tr("grey") : tr("RGB"))
                                 .arg(info.tokens)
                                 .arg(info.bitsPerToken)
                                 .arg(info.codeBits)
                                 .arg(QLocale().toString(info.bitsPerPixel, 'f', 3))
                                 .arg(info.stages.join(", "))
                                 .arg(decoders.join(", ")));
    m_tokenizerInfo->setToolTip(tr("%1\n%2 parameters; data: %3")
                                    .arg(info.path, QLocale().toString(info.parameters), info.dataset));
    m_codeInput->setPlaceholderText(tr("paste a code of %n hex digit(s) to decode it", "",
                                       cm::hexDigitsForBits(info.codeBits)));
    m_generateClass->clear();
    if (info.generatorClasses.size() > 1) {
        m_generateClass->addItem(tr("All classes"), -1);
        m_generateClass->setItemData(0, tr("Image j is of class j mod %1").arg(info.generatorClasses.size()),
                                     Qt::ToolTipRole);
    }
    for (int c = 0; c < info.generatorClasses.size(); ++c)
        m_generateClass->addItem(info.generatorClasses[c].isEmpty() ? tr("class %1").arg(c) : info.generatorClasses[c], c);
    showCompanions();
    // The columns showed another tokenizer's code.
    m_result = CodeResult();
    m_generated = GeneratedCodes();
    m_hex->clear();
    m_bits->clear();
    m_codeInfo->clear();
    showSource();
    updateControls();
    emit tokenizerReady(info);
}

bool CompressView::openImageFile(const QString& path, QString* error) {
    // The editor's reader: the same checks and messages, a large photo reduced while it is decoded.
    MaskDocument reader;
    if (!reader.loadImageFile(path, error)) return false;
    setImage(reader.image());
    QSettings().setValue("folders/images", QFileInfo(path).absolutePath());
    return true;
}

void CompressView::setImage(const QImage& image) {
    m_source = image;
    m_result = CodeResult();
    m_generated = GeneratedCodes();
    m_hex->clear();
    m_bits->clear();
    m_codeInfo->clear();
    showSource();
    updateControls();
}

void CompressView::useSelectedSample() {
    const int row = m_gallery ? m_gallery->currentIndex() : -1;
    if (row < 0) {
        emit errorOccurred(tr("Select a sample in the Generate tab's gallery first"));
        return;
    }
    setImage(m_gallery->image(row));
}

QImage CompressView::encodedImage() const {
    if (m_source.isNull() || m_tokenizer.imageSize <= 0) return {};
    // The engine's one rule for fitting: the shorter side resized, the centre cropped.
    return matToQImage(cm::fitSquare(qImageTo8U(m_source, m_tokenizer.channels), m_tokenizer.imageSize));
}

void CompressView::showSource() {
    if (m_source.isNull()) {
        m_sourceInfo->setText(tr("Open, drop or pick an image."));
    } else if (m_tokenizer.imageSize > 0 &&
               (m_source.width() != m_tokenizer.imageSize || m_source.height() != m_tokenizer.imageSize)) {
        m_sourceInfo->setText(tr("%1 × %2, encoded as its centre square at %3 × %3")
                                  .arg(m_source.width())
                                  .arg(m_source.height())
                                  .arg(m_tokenizer.imageSize));
    } else {
        m_sourceInfo->setText(tr("%1 × %2").arg(m_source.width()).arg(m_source.height()));
    }
    if (!m_result.reconstructions.isEmpty() || !m_generated.images.isEmpty()) return;
    clearColumns();
    const QImage encoded = encodedImage();
    if (!encoded.isNull()) {
        addColumn(encoded, tr("Original"), tr("not encoded yet"));
    } else if (!m_source.isNull()) {
        addColumn(m_source, tr("Original"), tr("load a tokenizer to encode it"));
    } else {
        auto* hint = new QLabel(tr("The original and its reconstructions appear here: compress an image, or "
                                   "decode a pasted code."));
        hint->setWordWrap(true);
        hint->setAlignment(Qt::AlignCenter);
        hint->setEnabled(false);
        m_columns->addWidget(hint, 1, 0);
        m_columns->setRowStretch(1, 1);
    }
}

void CompressView::updateControls() {
    const bool running = m_job != 0 || m_loadJob != 0;
    const bool ready = !m_tokenizer.path.isEmpty() && !running;
    m_compress->setEnabled(ready && !m_source.isNull());
    m_decode->setEnabled(ready);
    m_useSelected->setEnabled(m_gallery != nullptr);
    m_picker->setEnabled(!running);
    const bool canGenerate = ready && !m_tokenizer.codeGenerator.isEmpty();
    m_generate->setEnabled(canGenerate);
    for (QWidget* control : std::initializer_list<QWidget*>{m_generateClass, m_generateCount, m_generateSeed})
        control->setEnabled(!m_tokenizer.codeGenerator.isEmpty());
    // A deterministic tokenizer is its own baseline.
    m_openAutoencoder->setEnabled(ready && m_tokenizer.autoencoderMissing.kind != cm::CompanionProblem::IsTheAutoencoder);
    m_openGenerator->setEnabled(ready);
    m_clearAutoencoder->setEnabled(ready && !chosenAutoencoder().isEmpty());
    m_clearGenerator->setEnabled(ready && !chosenCodeGenerator().isEmpty());
}

void CompressView::compress() {
    if (m_job) return; // one run at a time
    if (m_tokenizer.path.isEmpty()) {
        emit errorOccurred(tr("Load a tokenizer first"));
        return;
    }
    if (m_source.isNull()) {
        emit errorOccurred(tr("Open, drop or pick an image to compress first"));
        return;
    }
    CompressRequest request;
    request.image = encodedImage();
    run(request);
}

void CompressView::decodePasted() {
    if (m_job) return;
    if (m_tokenizer.path.isEmpty()) {
        emit errorOccurred(tr("Load a tokenizer first"));
        return;
    }
    // White space anywhere is dropped: codes are shown in groups (generated codes, the bits view).
    QString text = m_codeInput->text();
    text.remove(QRegularExpression(QStringLiteral("\\s")));
    try {
        // Checked here at once: a typo is reported before any work is queued.
        (void)cm::codeFromHex(text.toStdString(), m_tokenizer.codeBits, tr("the pasted code").toStdString());
    } catch (const std::exception& error) {
        m_lastError = QString::fromStdString(error.what());
        emit errorOccurred(m_lastError);
        return;
    }
    CompressRequest request;
    request.code = text;
    run(request);
}

void CompressView::run(const CompressRequest& base) {
    CompressRequest request = base;
    request.steps = m_steps->value();
    request.seed = quint64(m_seed->value());
    if (!m_lastError.isEmpty()) emit errorResolved(std::exchange(m_lastError, QString()));
    m_job = m_engine->compress(request);
    updateControls();
}

void CompressView::generateCodes() {
    if (m_job) return;
    if (m_tokenizer.codeGenerator.isEmpty()) {
        emit errorOccurred(m_tokenizer.path.isEmpty() ? tr("Load a tokenizer first")
                                                      : tr("No code generator for this tokenizer: %1")
                                                            .arg(problemText(m_tokenizer.codeGeneratorMissing)));
        return;
    }
    GenerateCodesRequest request;
    request.classIndex = m_generateClass->currentData().isValid() ? m_generateClass->currentData().toInt() : -1;
    request.count = m_generateCount->value();
    request.seed = quint64(m_generateSeed->value());
    request.steps = m_steps->value();
    if (!m_lastError.isEmpty()) emit errorResolved(std::exchange(m_lastError, QString()));
    m_job = m_engine->generateCodes(request);
    updateControls();
}

void CompressView::onFinished(const JobResult& result) {
    if (result.job != m_job) return;
    if (result.kind == JobKind::Compress) {
        m_job = 0;
        m_generated = GeneratedCodes();
        showResult(result.code);
        updateControls();
        emit resultReady(result.code);
    } else if (result.kind == JobKind::GenerateCodes) {
        m_job = 0;
        showGenerated(result.generated);
        updateControls();
        emit codesGenerated(result.generated);
    }
}

QString CompressView::hexText() const { return m_hex->text(); }
QString CompressView::bitsText() const { return m_bits->toPlainText(); }

void CompressView::showResult(const CodeResult& result) {
    m_result = result;
    m_hex->setText(result.hex);
    QStringList tokens;
    const int per = std::max(1, result.bitsPerToken);
    for (int start = 0; start < result.bits.size(); start += per) {
        QString token;
        for (int b = start; b < std::min<int>(start + per, result.bits.size()); ++b) token += result.bits[b] ? '1' : '0';
        tokens << token;
    }
    m_bits->setPlainText(tokens.join(' '));
    m_codeInfo->setText(tr("%n bit(s) in %1 hex digits; %2 bits per pixel", "", int(result.bits.size()))
                            .arg(result.hex.size())
                            .arg(QLocale().toString(result.bitsPerPixel, 'f', 3)));
    clearColumns();
    addHeading(tr("%1: %n bit(s) per image", "", int(result.bits.size())).arg(m_tokenizer.name), 0);
    if (!result.original.isNull())
        addColumn(result.original, tr("Original"),
                  tr("%1 × %1 px encoded in %2 bits").arg(result.original.width()).arg(result.bits.size()));
    for (const Reconstruction& reconstruction : result.reconstructions)
        addColumn(reconstruction.image, reconstructionCaption(reconstruction), figuresText(reconstruction));
    if (!result.baselines.isEmpty()) {
        addHeading(tr("Baselines: the same bits, and JPEG and WebP at their smallest recognisable file"), 1);
        for (const BaselineImage& baseline : result.baselines)
            addColumn(baseline.image, baselineCaption(baseline), baselineFigures(baseline), 1);
    }
    QStringList missing;
    for (const cm::CompanionProblem& problem : result.missingBaselines) missing << problemText(problem);
    m_notes->setText(missing.isEmpty() ? QString() : tr("Baselines not shown: %1").arg(missing.join(QStringLiteral("; "))));
}

QString CompressView::baselineCaption(const BaselineImage& baseline) const {
    switch (baseline.kind) {
    case BaselineImage::Autoencoder: return tr("Deterministic autoencoder");
    case BaselineImage::PatchVq:
        return tr("k-means: %1 × %1 patches, K = %2").arg(baseline.patchSize).arg(baseline.codebookSize);
    case BaselineImage::Jpeg:
        return baseline.recognisable ? tr("JPEG, quality %1").arg(baseline.quality)
                                     : tr("JPEG, quality %1: not recognisable").arg(baseline.quality);
    case BaselineImage::Webp:
        return baseline.recognisable ? tr("WebP, quality %1").arg(baseline.quality)
                                     : tr("WebP, quality %1: not recognisable").arg(baseline.quality);
    }
    return {};
}

QString CompressView::baselineFigures(const BaselineImage& baseline) const {
    const QString psnr = tr("PSNR %1 dB").arg(QLocale().toString(baseline.psnr, 'f', 2));
    const double milliseconds = baseline.seconds * 1000; // k-means takes a few microseconds: 2 decimals then
    const QString ms = tr("%1 ms").arg(QLocale().toString(milliseconds, 'f', milliseconds < 1 ? 2 : 1));
    switch (baseline.kind) {
    case BaselineImage::Autoencoder:
        return tr("%1\n%2 bits\n%n evaluation(s)\n%3", "", baseline.evaluations)
            .arg(psnr, QLocale().toString(baseline.bits, 'f', 0), ms);
    case BaselineImage::PatchVq:
        return tr("%1\n%2 bits\n%3").arg(psnr, QLocale().toString(baseline.bits, 'f', 2), ms);
    case BaselineImage::Jpeg:
    case BaselineImage::Webp:
        return tr("%1\n%2 bits\n%n byte(s)\n%3", "", int(baseline.bytes))
            .arg(psnr, QLocale().toString(baseline.bits, 'f', 0), ms);
    }
    return {};
}

void CompressView::showGenerated(const GeneratedCodes& generated) {
    m_generated = generated;
    m_result = CodeResult();
    m_hex->clear();
    m_bits->clear();
    m_codeInfo->clear();
    clearColumns();
    addHeading(tr("New codes from %1, each decoded with %n flow step(s)", "", generated.steps)
                   .arg(QFileInfo(m_tokenizer.codeGenerator).completeBaseName()),
               0);
    constexpr int kPerRow = 4;
    for (int j = 0; j < generated.images.size(); ++j) {
        const int c = generated.classes.value(j);
        const QString name = m_tokenizer.generatorClasses.value(c);
        const QString caption = tr("%1, seed %2")
                                    .arg(name.isEmpty() ? tr("class %1").arg(c) : name)
                                    .arg(generated.seed + quint64(j));
        // The hex in lines of two groups of four digits: a narrow column shows it whole (a pasted code may
        // keep the spaces and line breaks).
        const QString digits = generated.hex.value(j);
        QStringList lines;
        for (int at = 0; at < digits.size(); at += 8)
            lines << (digits.mid(at, 4) + ' ' + digits.mid(at + 4, 4)).trimmed();
        const QString hex = lines.join('\n');
        addColumn(generated.images[j], caption, tr("%1\n%n evaluation(s)", "", generated.evaluations).arg(hex),
                  j / kPerRow, j % kPerRow);
    }
}

QString CompressView::notesText() const { return m_notes->text(); }

QString CompressView::reconstructionCaption(const Reconstruction& reconstruction) const {
    switch (reconstruction.decoder) {
    case Reconstruction::OneStep: return tr("1 step: distilled decoder");
    case Reconstruction::SingleEulerStep: return tr("1 Euler step (this tokenizer has no distilled decoder)");
    case Reconstruction::Flow: return tr("%n step(s): flow decoder", "", reconstruction.steps);
    }
    return {};
}

QString CompressView::figuresText(const Reconstruction& reconstruction) const {
    const QString psnr = reconstruction.psnr < 0
                             ? tr("no original to compare with")
                             : tr("PSNR %1 dB").arg(QLocale().toString(reconstruction.psnr, 'f', 2));
    return tr("%1\n%n evaluation(s)\n%2 ms", "", reconstruction.evaluations)
        .arg(psnr)
        .arg(QLocale().toString(reconstruction.seconds * 1000, 'f', 1));
}

QStringList CompressView::columnCaptions() const { return m_captions; }
QStringList CompressView::columnFigures() const { return m_figures; }

void CompressView::clearColumns() {
    while (QLayoutItem* item = m_columns->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (int row = 0; row < m_columns->rowCount(); ++row) m_columns->setRowStretch(row, 0);
    for (int column = 0; column < m_columns->columnCount(); ++column) m_columns->setColumnStretch(column, 0);
    m_captions.clear();
    m_figures.clear();
    m_blockColumns.clear();
    m_notes->clear(); // it spoke of the columns removed
}

void CompressView::addHeading(const QString& text, int block) {
    auto* heading = new QLabel(text);
    heading->setWordWrap(true);
    heading->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    QFont font = heading->font();
    font.setBold(true);
    heading->setFont(font);
    m_columns->addWidget(heading, 4 * block, 0, 1, -1);
}

void CompressView::addColumn(const QImage& image, const QString& caption, const QString& figures, int block,
                             int column) {
    if (column < 0) column = m_blockColumns[block];
    m_blockColumns[block] = std::max(m_blockColumns[block], column + 1);
    const int top = 4 * block + 1;
    auto* title = new QLabel(QString("<b>%1</b>").arg(caption.toHtmlEscaped()));
    title->setWordWrap(true);
    title->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    // Room for a caption wrapped onto three lines in a narrow column (the grid under-estimates it).
    title->setMinimumHeight(title->fontMetrics().lineSpacing() * 3);
    auto* numbers = new QLabel(figures);
    numbers->setWordWrap(true);
    numbers->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    numbers->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Every line of the figures visible however the grid shares its height out (the lines are short).
    numbers->setMinimumHeight(numbers->fontMetrics().lineSpacing() * int(figures.count('\n') + 1));
    // Every column as wide as the others, whatever its caption: the images are then the same size.
    for (QLabel* label : {title, numbers}) label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* picture = new PixelImage(image);
    picture->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Expanding);
    m_columns->addWidget(picture, top, column);
    m_columns->addWidget(title, top + 1, column);
    m_columns->addWidget(numbers, top + 2, column);
    m_columns->setRowStretch(top, 1);
    m_columns->setColumnStretch(column, 1);
    m_captions << caption;
    m_figures << figures;
}

void CompressView::copyCode() const {
    if (!m_hex->text().isEmpty()) QApplication::clipboard()->setText(m_hex->text());
}

void CompressView::rememberTokenizer(const QString& path) {
    rememberRecentFile("recentTokenizers", path);
    rebuildPicker();
}

void CompressView::rebuildPicker() {
    fillFilePicker(m_picker, m_bundled, "recentTokenizers", m_tokenizer.path, tr("(no tokenizer yet: Open…)"));
}

void CompressView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!m_tokenizer.path.isEmpty() || m_loadJob) return;
    const QString last = QSettings().value("compress/tokenizer").toString();
    if (!last.isEmpty() && QFileInfo::exists(last))
        loadTokenizer(last);
    else if (!m_bundled.isEmpty())
        loadTokenizer(m_bundled.front());
}

void CompressView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls() || event->mimeData()->hasImage()) event->acceptProposedAction();
}

void CompressView::dropEvent(QDropEvent* event) {
    const QMimeData* data = event->mimeData();
    event->acceptProposedAction();
    if (data->hasImage() && !data->hasUrls()) {
        setImage(qvariant_cast<QImage>(data->imageData()));
        return;
    }
    for (const QUrl& url : data->urls()) {
        const QString path = url.toLocalFile();
        if (path.isEmpty()) continue;
        if (isTokenizerFile(path)) {
            loadTokenizer(path); // a generator's file is refused by the tokenizer's reader, by name
            return;
        }
        QString error;
        if (!openImageFile(path, &error)) emit errorOccurred(error);
        return; // one document at a time
    }
}
