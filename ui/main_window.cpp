#include "main_window.h"

#include "compress_view.h"
#include "edit_view.h"
#include "engine.h"
#include "generate_view.h"
#include "import_dialog.h"
#include "import_settings.h"
#include "interpolation_view.h"
#include "mask_canvas.h"
#include "mask_document.h"
#include "model_panel.h"
#include "png_settings.h"
#include "recent_files.h"
#include "sample_gallery.h"
#include "style_view.h"
#include "training_view.h"

#include "core/model_locator.h"
#include "core/precision.h"

#include <algorithm>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QScreen>
#include <QImageReader>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

namespace {

QString durationText(double seconds) {
    const int s = int(seconds + 0.5);
    return s >= 60 ? QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0')) : MainWindow::tr("%1 s").arg(s);
}

bool isModelFile(const QString& path) {
    return path.endsWith(".safetensors", Qt::CaseInsensitive) || needsImportStep(path);
}

} // namespace

MainWindow::MainWindow(const QStringList& bundledModels, QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("CM Studio"));
    setAcceptDrops(true);
    m_engine = new Engine(this);

    m_modelPanel = new ModelPanel(bundledModels);
    auto* dock = new QDockWidget(tr("Model"), this);
    dock->setObjectName("modelDock");
    dock->setWidget(m_modelPanel);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_generate = new GenerateView(m_engine);
    m_edit = new EditView(m_engine);
    m_interpolate = new InterpolationView(m_engine);
    m_training = new TrainingView;
    m_compress = new CompressView(m_engine);
    m_interpolate->setGallery(m_generate->gallery());
    m_compress->setGallery(m_generate->gallery());
    m_style = new StyleView(m_engine);
    m_style->setGallery(m_generate->gallery());
    m_tabs = new QTabWidget;
    m_tabs->addTab(m_generate, tr("Generate"));
    m_tabs->addTab(m_edit, tr("Edit"));
    m_tabs->addTab(m_interpolate, tr("Interpolate"));
    m_tabs->addTab(m_training, tr("Training"));
    m_tabs->addTab(m_compress, tr("Compress"));
    m_tabs->addTab(m_style, tr("Style"));

    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->addWidget(m_tabs, 1);

    // Over the bottom of the view, not in the layout: showing or dismissing an error moves no control.
    m_errorBar = new QLabel(central);
    m_errorBar->setObjectName("errorBar");
    m_errorBar->setWordWrap(true);
    m_errorBar->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorBar->setStyleSheet("QLabel { background: #fdecea; color: #611a15; border: 1px solid #f5c2c0; "
                              "padding: 6px; }");
    m_errorBar->setToolTip(tr("Click to dismiss"));
    m_errorBar->hide();
    m_errorBar->installEventFilter(this);
    central->installEventFilter(this);
    setCentralWidget(central);

    m_modelLabel = new QLabel;
    m_progress = new QProgressBar;
    m_progress->setMaximumWidth(220);
    m_progress->setTextVisible(true);
    m_progress->hide();
    m_eta = new QLabel;
    m_cancel = new QToolButton;
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the running job (Esc); it stops within one network evaluation"));
    m_cancel->hide();
    // Their room is kept while they are hidden: the first job does not make the status bar (and the
    // window) taller.
    for (QWidget* widget : {static_cast<QWidget*>(m_progress), static_cast<QWidget*>(m_cancel)}) {
        QSizePolicy policy = widget->sizePolicy();
        policy.setRetainSizeWhenHidden(true);
        widget->setSizePolicy(policy);
    }
    // The setting "precision/fp32" forces float32; otherwise the engine's choice (bfloat16 where the CPU has it).
    if (QSettings().value("precision/fp32", false).toBool()) cm::setPrecision(cm::Precision::Fp32);
    m_precisionLabel = new QLabel;
    showPrecision();
    statusBar()->addPermanentWidget(m_precisionLabel);
    statusBar()->addPermanentWidget(m_modelLabel);
    statusBar()->addPermanentWidget(m_eta);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);

    connect(m_cancel, &QToolButton::clicked, this, &MainWindow::cancelJobs);
    connect(m_engine, &Engine::progress, this, &MainWindow::onProgress);
    connect(m_engine, &Engine::busyChanged, this, &MainWindow::onBusyChanged);
    connect(m_engine, &Engine::modelLoaded, this, [this](const ModelInfo& model) {
        m_modelPanel->showModel(model);
        m_generate->setModel(model);
        m_edit->setModel(model);
        m_interpolate->setModel(model);
        m_modelLabel->setText(tr("Model: %1").arg(model.name));
        statusBar()->showMessage(tr("Loaded %1").arg(model.path), 5000);
        rememberRecent(model.path);
        QSettings().setValue("lastModel", model.path);
        m_errorBar->hide();
        emit modelReady(model);
    });
    connect(m_engine, &Engine::failed, this, [this](int, JobKind kind, const QString& message) {
        if (kind != JobKind::LoadModel) return;
        statusBar()->clearMessage(); // "Loading …" is over
        showError(tr("Could not load the model: %1").arg(message));
    });
    connect(m_modelPanel, &ModelPanel::modelRequested, this, &MainWindow::loadModel);
    connect(m_modelPanel, &ModelPanel::openFileRequested, this, &MainWindow::openModelDialog);
    connect(m_generate, &GenerateView::errorOccurred, this, &MainWindow::showError);
    connect(m_edit, &EditView::errorOccurred, this, &MainWindow::showError);
    connect(m_generate, &GenerateView::errorResolved, this, &MainWindow::dismissError);
    connect(m_edit, &EditView::errorResolved, this, &MainWindow::dismissError);
    connect(m_interpolate, &InterpolationView::errorOccurred, this, &MainWindow::showError);
    connect(m_training, &TrainingView::errorOccurred, this, &MainWindow::showError);
    connect(m_compress, &CompressView::errorOccurred, this, &MainWindow::showError);
    connect(m_compress, &CompressView::errorResolved, this, &MainWindow::dismissError);
    connect(m_compress, &CompressView::resultReady, this, [this](const CodeResult& result) {
        statusBar()->showMessage(tr("Code of %n bit(s): %1", "", int(result.bits.size())).arg(result.hex), 8000);
    });
    connect(m_style, &StyleView::errorOccurred, this, &MainWindow::showError);
    connect(m_style, &StyleView::errorResolved, this, &MainWindow::dismissError);
    connect(m_style, &StyleView::generated, this, [this](const StyleResult& result) {
        statusBar()->showMessage(tr("Stylised %n image(s)", "", int(result.prompts.size() * result.images.value(0).size())),
                                 5000);
    });
    connect(m_style, &StyleView::sendToEditorRequested, this, [this](const QImage& image, const QVariantMap& settings) {
        m_edit->openImage(image, settings);
        showTab(EditTab);
    });
    connect(m_style->results(), &SampleGallery::saveSelectedRequested, this, &MainWindow::saveSelected);
    connect(m_style->results(), &SampleGallery::copyRequested, this, &MainWindow::copySelected);
    // Errors go to the error bar, once: no message box of the view's own on top of it.
    m_training->setInteractive(false);
    connect(m_training, &TrainingView::otherFilesDropped, this, &MainWindow::openDropped);
    connect(m_training, &TrainingView::modelRequested, this, [this](const QString& path) {
        loadModel(path);
        showTab(GenerateTab);
    });
    connect(m_generate, &GenerateView::generated, this, [this](int count, double seconds) {
        statusBar()->showMessage(tr("Generated %n image(s) in %1 s", "", count).arg(seconds, 0, 'f', 2), 5000);
    });
    connect(m_generate, &GenerateView::sendToEditorRequested, this,
            [this](const QImage& image, const QVariantMap& settings) {
                m_edit->openImage(image, settings);
                showTab(EditTab);
            });
    connect(m_generate->gallery(), &SampleGallery::saveSelectedRequested, this, &MainWindow::saveSelected);
    connect(m_edit, &EditView::saveRequested, this, &MainWindow::saveEditResult);
    connect(m_edit, &EditView::copyRequested, this, &MainWindow::copyEditResult);
    connect(m_generate->gallery(), &SampleGallery::copyRequested, this, &MainWindow::copySelected);

    buildMenus();
    restoreSettings();
}

MainWindow::~MainWindow() = default;

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_errorBar && event->type() == QEvent::MouseButtonRelease) m_errorBar->hide();
    if (watched == centralWidget() && event->type() == QEvent::Resize && m_errorBar->isVisible()) placeErrorBar();
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::placeErrorBar() {
    const QRect area = centralWidget()->rect().adjusted(12, 0, -12, -8);
    const int height = std::min(m_errorBar->heightForWidth(area.width()), area.height() * 2 / 5);
    m_errorBar->setGeometry(area.left(), area.bottom() - height, area.width(), height);
    m_errorBar->raise();
}

void MainWindow::showPrecision() {
    const bool bf16 = cm::activePrecision() == cm::Precision::Bf16;
    m_precisionLabel->setText(bf16 ? tr("Compute: bfloat16") : tr("Compute: float32"));
    m_precisionLabel->setToolTip(QString::fromStdString(cm::precisionSummary()));
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openModel = file->addAction(tr("Open &Model…"), this, &MainWindow::openModelDialog);
    file->addAction(tr("Open &Diffusers Folder…"), this, &MainWindow::openDiffusersFolderDialog);
    openModel->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Recent Models"));
    file->addAction(tr("Open &Image…"), QKeySequence(tr("Ctrl+Shift+O")), this, &MainWindow::openImageDialog);
    m_reuseAction = file->addAction(tr("&Reuse Settings of the Opened Image"), this, &MainWindow::reuseSettings);
    m_reuseAction->setEnabled(false);
    m_reuseAction->setToolTip(tr("Take seed, class and schedule from a PNG that CM Studio saved"));
    file->addSeparator();
    // Ctrl+S saves what the current view shows: the edit result in the Edit tab, else the selected samples.
    QAction* save = file->addAction(tr("&Save…"), this, &MainWindow::saveCurrent);
    save->setShortcut(QKeySequence::Save);
    save->setToolTip(tr("The selected images, or in the Edit tab the edit result"));
    file->addAction(tr("Save Selected &Images…"), this, &MainWindow::saveSelected);
    file->addAction(tr("Save &Edit Result…"), this, &MainWindow::saveEditResult);
    file->addAction(tr("Save &Grid…"), QKeySequence(tr("Ctrl+Shift+S")), this, &MainWindow::saveGrid);
    QMenu* scaleMenu = file->addMenu(tr("Export &Scale"));
    scaleMenu->setToolTip(tr("Saved and copied images are enlarged with whole pixels (nearest neighbour)"));
    auto* scales = new QActionGroup(this);
    for (int scale : {1, 2, 4, 8, 16}) {
        QAction* action = scaleMenu->addAction(tr("%1×").arg(scale));
        action->setCheckable(true);
        action->setChecked(scale == exportScale());
        scales->addAction(action);
        connect(action, &QAction::triggered, this, [this, scale] { setExportScale(scale); });
    }
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_edit->canvas()->document()->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = m_edit->canvas()->document()->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    edit->addAction(tr("&Copy Image"), QKeySequence(tr("Ctrl+Shift+C")), this, &MainWindow::copyCurrent)
        ->setToolTip(tr("The selected sample, or in the Edit tab the edit result"));
    QAction* paste = edit->addAction(tr("&Paste Image into Editor"), this, &MainWindow::pasteImage);
    paste->setShortcut(QKeySequence::Paste);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(tr("&Generate"), QKeySequence(tr("Ctrl+Return")), this, [this] {
        showTab(GenerateTab);
        m_generate->generate();
    });
    run->addAction(tr("&Train a Model…"), this, [this] {
        showTab(TrainingTab);
        m_training->openTrainDialog();
    });
    run->addAction(tr("&Cancel"), QKeySequence(Qt::Key_Escape), this, &MainWindow::cancelJobs);
    run->addSeparator();
    QAction* fp32 = run->addAction(tr("Compute in &float32 only"));
    fp32->setCheckable(true);
    fp32->setChecked(cm::requestedPrecision() == cm::Precision::Fp32);
    fp32->setToolTip(tr("Off: bfloat16 where the processor supports it (faster, slightly different images)"));
    connect(fp32, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue("precision/fp32", on);
        cm::setPrecision(on ? cm::Precision::Fp32 : cm::Precision::Auto); // read by the next evaluation
        showPrecision();
    });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QStringList names = {tr("Generate"), tr("Edit"), tr("Interpolate"), tr("Training"), tr("Compress")};
    for (int i = 0; i < names.size(); ++i)
        view->addAction(names[i], QKeySequence(QString("Ctrl+%1").arg(i + 1)), this, [this, i] { showTab(i); });

    QMenu* language = menuBar()->addMenu(tr("&Language"));
    const QString current = QSettings().value("language").toString();
    const QList<QPair<QString, QString>> languages = {
        {QString(), tr("System language")}, {"en", QStringLiteral("English")}, {"zh_CN", QStringLiteral("简体中文")}};
    auto* group = new QActionGroup(this);
    for (const auto& [code, name] : languages) {
        QAction* action = language->addAction(name);
        action->setCheckable(true);
        action->setChecked(code == current);
        group->addAction(action);
        connect(action, &QAction::triggered, this, [this, code = code] {
            QSettings().setValue("language", code);
            statusBar()->showMessage(tr("The language changes the next time CM Studio starts."), 8000);
        });
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence::HelpContents, this, &MainWindow::showShortcuts);
    help->addAction(tr("&About CM Studio"), this, [this] {
        QMessageBox::about(this, tr("About CM Studio"),
                           tr("<h3>CM Studio %1</h3><p>Sampling and zero-shot editing with consistency models: "
                              "one-step generation, multistep refinement, inpainting, colorization, "
                              "super-resolution, stroke-guided editing, denoising and interpolation.</p>")
                               .arg(QApplication::applicationVersion()));
    });
    rebuildRecentMenu();
}

QString MainWindow::shortcutsHtml() const {
    // The menus' own shortcuts, read from the actions (so the list cannot go out of date), then the keys
    // of the views.
    QString rows;
    auto row = [&rows](const QString& keys, const QString& what) {
        rows += QString("<tr><td style='padding-right:16px'><b>%1</b></td><td>%2</td></tr>")
                    .arg(keys.toHtmlEscaped(), what.toHtmlEscaped());
    };
    for (QAction* menu : menuBar()->actions()) {
        if (!menu->menu()) continue;
        for (QAction* action : menu->menu()->actions())
            if (!action->shortcut().isEmpty())
                row(action->shortcut().toString(QKeySequence::NativeText), action->text().remove('&'));
    }
    row(m_edit->applyButton()->shortcut().toString(QKeySequence::NativeText), tr("Editor: apply the operation"));
    row(tr("+ / − / 0"), tr("Inspector: zoom in, zoom out, fit (with the pointer over the image)"));
    row(tr("Wheel"), tr("Inspector and plot: zoom"));
    row(tr("[ / ]"), tr("Editor: smaller / larger brush"));
    row(tr("Shift + drag"), tr("Editor, rectangle tool: erase the rectangle from the mask"));
    row(tr("Double-click"), tr("Gallery: refine and inspect the sample; plot: fit the curves"));
    row(tr("Ctrl + click"), tr("Gallery: select several samples (Save Selected, Use two selected samples)"));
    return "<table>" + rows + "</table>";
}

void MainWindow::showShortcuts() {
    auto* box = new QMessageBox(QMessageBox::NoIcon, tr("Keyboard Shortcuts"), shortcutsHtml(), QMessageBox::Close, this);
    box->setTextFormat(Qt::RichText);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::restoreSettings() {
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray())) {
        // First start: most of the screen (every view is laid out for 1024 x 700 and up).
        const QRect screen = QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableGeometry()
                                                              : QRect(0, 0, 1280, 800);
        resize(std::max(1024, screen.width() * 9 / 10), std::max(700, screen.height() * 9 / 10));
    }
    // First start: a narrow model panel. The dock's width counts in the window's minimum width, and at
    // its natural ~280 px the window could not be made 1024 px wide.
    if (!restoreState(settings.value("window/state").toByteArray()))
        if (auto* dock = findChild<QDockWidget*>("modelDock")) resizeDocks({dock}, {230}, Qt::Horizontal);
    m_tabs->setCurrentIndex(settings.value("window/tab", 0).toInt());
    m_training->restoreSettings(settings);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/tab", m_tabs->currentIndex());
    m_training->saveSettings(settings);
    m_engine->cancelAll();
    event->accept();
}

void MainWindow::cancelJobs() {
    if (!m_engine->busy()) return;
    m_engine->cancelAll();
    statusBar()->showMessage(tr("Cancelled"), 3000);
}

void MainWindow::showTab(int index) { m_tabs->setCurrentIndex(index); }

void MainWindow::showError(const QString& message) {
    m_lastError = message;
    m_errorBar->setText(message);
    placeErrorBar();
    m_errorBar->show();
    // The error bar says it; the status bar does not repeat it.
}

void MainWindow::dismissError(const QString& message) {
    if (m_lastError == message) m_errorBar->hide();
}

bool MainWindow::errorVisible() const { return m_errorBar->isVisible(); }

void MainWindow::loadModel(const QString& path) {
    if (needsImportStep(path)) {
        importModel(path);
        return;
    }
    if (cm::isStyleModelFile(path.toStdString())) {
        // A style model generates from a reference: it opens in the Style view, beside the model.
        m_style->loadStyleModel(path);
        showTab(StyleTab);
        return;
    }
    statusBar()->showMessage(tr("Loading %1…").arg(path));
    m_engine->loadModel(path);
}

void MainWindow::importModel(const QString& path) {
    auto* dialog = new ImportDialog(m_engine, path, rememberedImportOptions(path), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, path] {
        rememberImportOptions(path, dialog->options());
        statusBar()->showMessage(tr("Loading %1…").arg(path));
        m_engine->loadModel(path, dialog->options());
    });
    connect(dialog, &QDialog::rejected, m_engine, &Engine::forgetImport);
    dialog->open();
}

void MainWindow::openModelDialog() {
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open model"), settings.value("folders/models").toString(),
        tr("Models (*.safetensors *.pt *.pth *.bin);;CM Studio models (*.safetensors);;PyTorch checkpoints (*.pt "
           "*.pth *.bin);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue("folders/models", QFileInfo(path).absolutePath());
    loadModel(path);
}

void MainWindow::openDiffusersFolderDialog() {
    QSettings settings;
    const QString path = QFileDialog::getExistingDirectory(this, tr("Open diffusers folder"),
                                                           settings.value("folders/models").toString());
    if (path.isEmpty()) return;
    settings.setValue("folders/models", QFileInfo(path).absolutePath());
    if (!needsImportStep(path)) {
        showError(tr("%1 is not a diffusers model folder (it has no model_index.json with unet/config.json)")
                      .arg(QFileInfo(path).fileName()));
        return;
    }
    loadModel(path);
}

void MainWindow::rememberRecent(const QString& path) {
    rememberRecentFile("recentModels", path);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value("recentModels").toStringList();
    for (const QString& path : recent)
        m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { loadModel(path); })->setToolTip(path);
    m_recentMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::openImage(const QString& path) {
    QString error;
    if (!m_edit->openImageFile(path, &error)) {
        showError(error);
        return false;
    }
    const std::optional<QVariantMap> settings = readPngSettings(path);
    m_pendingSettings = settings.value_or(QVariantMap());
    m_reuseAction->setEnabled(settings.has_value());
    const QSize reducedFrom = m_edit->canvas()->document()->reducedFrom();
    const QSize opened = m_edit->canvas()->document()->image().size();
    if (reducedFrom.isValid())
        statusBar()->showMessage(tr("%1 is %2 × %3: opened reduced to %4 × %5. “Fit image to model” makes the "
                                    "model's input from it; the inspector shows that input.")
                                     .arg(QFileInfo(path).fileName())
                                     .arg(reducedFrom.width())
                                     .arg(reducedFrom.height())
                                     .arg(opened.width())
                                     .arg(opened.height()),
                                 15000);
    else if (settings)
        statusBar()->showMessage(tr("%1 carries the settings that made it: File › Reuse Settings applies them")
                                     .arg(QFileInfo(path).fileName()),
                                 10000);
    QSettings().setValue("folders/images", QFileInfo(path).absolutePath());
    showTab(EditTab);
    return true;
}

void MainWindow::reuseSettings() {
    if (m_pendingSettings.isEmpty()) return;
    m_generate->applySettings(m_pendingSettings);
    showTab(GenerateTab);
    statusBar()->showMessage(tr("Settings applied: seed %1").arg(m_pendingSettings.value("seed").toString()), 5000);
}

void MainWindow::openImageDialog() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open image"), QSettings().value("folders/images").toString(),
                                                      tr("Images (*.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"));
    if (!path.isEmpty()) openImage(path);
}

void MainWindow::pasteImage() {
    const QImage image = QApplication::clipboard()->image();
    if (image.isNull()) {
        showError(tr("The clipboard holds no image"));
        return;
    }
    m_edit->openImage(image, {});
    showTab(EditTab);
}

QString MainWindow::saveDirectory() const {
    return QSettings()
        .value("folders/save", QStandardPaths::writableLocation(QStandardPaths::PicturesLocation))
        .toString();
}

SampleGallery* MainWindow::currentGallery() const {
    return m_tabs->currentIndex() == StyleTab ? m_style->results() : m_generate->gallery();
}

// <model>-seed<seed>.png, or <model>-<prompt>-seed<seed>.png for the Style view's images.
QString MainWindow::suggestedFileName(const QVariantMap& settings) {
    const QString prompt = settings.value("prompt").toString();
    return QString("%1-%2seed%3.png")
        .arg(settings.value("model").toString(), prompt.isEmpty() ? QString() : prompt + '-',
             settings.value("seed").toString());
}

void MainWindow::saveSelected() {
    SampleGallery* gallery = currentGallery();
    QVector<int> rows = gallery->selectedIndices();
    if (rows.isEmpty() && gallery->currentIndex() >= 0) rows = {gallery->currentIndex()};
    if (rows.isEmpty()) {
        showError(tr("Select images in the gallery first"));
        return;
    }
    if (rows.size() == 1) {
        const QVariantMap settings = gallery->settings(rows.front());
        const QString suggested = saveDirectory() + "/" + suggestedFileName(settings);
        const QString path = QFileDialog::getSaveFileName(this, tr("Save image"), suggested, tr("PNG images (*.png)"));
        if (path.isEmpty()) return;
        QString error;
        if (!saveExported(gallery->image(rows.front()), path, settings, &error)) showError(error);
        QSettings().setValue("folders/save", QFileInfo(path).absolutePath());
        return;
    }
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Save images into"), saveDirectory());
    if (folder.isEmpty()) return;
    saveImagesInto(rows, folder);
}

int MainWindow::saveImagesInto(const QVector<int>& rows, const QString& folder) {
    SampleGallery* gallery = currentGallery();
    const QDir dir(folder);
    auto fileName = [&](int row) { return suggestedFileName(gallery->settings(row)); };
    QStringList clashes;
    for (int row : rows)
        if (QFileInfo::exists(dir.filePath(fileName(row)))) clashes << fileName(row);
    bool keepBoth = false;
    if (!clashes.isEmpty()) {
        // One question for all of them, naming them (not one error per file, nor only the last).
        QMessageBox box(QMessageBox::Question, tr("Save images"),
                        tr("%n of the files exist in %1.", "", int(clashes.size())).arg(folder), QMessageBox::NoButton,
                        this);
        box.setInformativeText(clashes.mid(0, 10).join('\n') + (clashes.size() > 10 ? QStringLiteral("\n…") : QString()));
        QPushButton* overwrite = box.addButton(tr("Overwrite"), QMessageBox::DestructiveRole);
        QPushButton* both = box.addButton(tr("Keep both"), QMessageBox::AcceptRole);
        box.addButton(QMessageBox::Cancel);
        box.setDefaultButton(both);
        box.exec();
        if (box.clickedButton() != overwrite && box.clickedButton() != both) return 0;
        keepBoth = box.clickedButton() == both;
    }
    int saved = 0;
    QStringList errors;
    for (int row : rows) {
        QString path = dir.filePath(fileName(row));
        if (keepBoth && QFileInfo::exists(path)) {
            const QString base = QFileInfo(path).completeBaseName();
            for (int n = 2; QFileInfo::exists(path); ++n) path = dir.filePath(QString("%1 (%2).png").arg(base).arg(n));
        }
        QString error;
        if (!saveExported(gallery->image(row), path, gallery->settings(row), &error)) {
            errors << error;
            continue;
        }
        ++saved;
    }
    QSettings().setValue("folders/save", folder);
    if (!errors.isEmpty())
        showError(tr("%n image(s) could not be saved:", "", int(errors.size())) + '\n' + errors.join('\n'));
    statusBar()->showMessage(tr("Saved %n image(s) to %1", "", saved).arg(folder), 5000);
    return saved;
}

int MainWindow::exportScale() const { return std::clamp(QSettings().value("export/scale", 1).toInt(), 1, 16); }
void MainWindow::setExportScale(int scale) { QSettings().setValue("export/scale", std::clamp(scale, 1, 16)); }

bool MainWindow::saveExported(const QImage& image, const QString& path, QVariantMap settings, QString* error) const {
    const int scale = exportScale();
    if (scale > 1) settings["exportScale"] = scale;
    return savePngWithSettings(enlargedForExport(image, scale), path, settings, error);
}

void MainWindow::saveCurrent() {
    if (m_tabs->currentIndex() == EditTab)
        saveEditResult();
    else
        saveSelected();
}

void MainWindow::copyCurrent() {
    if (m_tabs->currentIndex() == EditTab)
        copyEditResult();
    else
        copySelected();
}

bool MainWindow::saveEditResultTo(const QString& path, QString* error) {
    if (m_edit->resultImage().isNull()) {
        if (error) *error = tr("The editor has no image to save");
        return false;
    }
    return saveExported(m_edit->resultImage(), path, m_edit->resultSettings(), error);
}

void MainWindow::saveEditResult() {
    if (m_edit->resultImage().isNull()) {
        showError(tr("The editor has no image to save: open, paste or send one first"));
        return;
    }
    const QVariantMap settings = m_edit->resultSettings();
    QString name = settings.value("task").toString().toLower().replace(' ', '-');
    if (name.isEmpty()) name = "edit";
    if (settings.contains("seed")) name += "-seed" + settings.value("seed").toString();
    const QString path = QFileDialog::getSaveFileName(this, tr("Save edit result"), saveDirectory() + "/" + name + ".png",
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    QString error;
    if (!saveEditResultTo(path, &error)) {
        showError(error);
        return;
    }
    QSettings().setValue("folders/save", QFileInfo(path).absolutePath());
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::copyEditResult() {
    QImage image = enlargedForExport(m_edit->resultImage(), exportScale());
    if (image.isNull()) {
        showError(tr("The editor has no image to copy"));
        return;
    }
    attachSettings(image, m_edit->resultSettings());
    QApplication::clipboard()->setImage(image);
    statusBar()->showMessage(tr("Copied"), 2000);
}

void MainWindow::saveGrid() {
    SampleGallery* gallery = currentGallery();
    if (gallery->count() == 0) {
        showError(tr("Generate some images first"));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Save grid"), saveDirectory() + "/grid.png",
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    QVariantMap settings = gallery->settings(0);
    settings["gridOf"] = gallery->count();
    settings["columns"] = gallery->columns();
    QString error;
    if (!saveExported(gallery->gridImage(), path, settings, &error)) showError(error);
    QSettings().setValue("folders/save", QFileInfo(path).absolutePath());
}

void MainWindow::copySelected() {
    SampleGallery* gallery = currentGallery();
    const int row = gallery->currentIndex();
    if (row < 0) {
        showError(tr("Select an image in the gallery first"));
        return;
    }
    QImage image = enlargedForExport(gallery->image(row), exportScale());
    attachSettings(image, gallery->settings(row));
    QApplication::clipboard()->setImage(image);
    statusBar()->showMessage(tr("Copied"), 2000);
}

void MainWindow::onProgress(int job, long done, long total) {
    if (job != m_progressJob) {
        m_progressJob = job;
        m_jobTimer.start();
    }
    m_progress->setMaximum(int(total));
    m_progress->setValue(int(done));
    // A large network reports between its blocks: whole evaluations and the share of the current one.
    const int units = m_engine->countsWholeEvaluations(job) ? 1 : std::max(1, m_engine->model().progressUnitsPerEvaluation);
    if (units == 1)
        m_progress->setFormat(tr("%1 of %2 evaluations").arg(done).arg(total));
    else
        m_progress->setFormat(tr("%1 of %2 evaluations").arg(double(done) / units, 0, 'f', 1).arg(total / units));
    if (done > 0 && done < total) {
        const double elapsed = m_jobTimer.nsecsElapsed() * 1e-9;
        m_eta->setText(tr("ETA %1").arg(durationText(elapsed / double(done) * double(total - done))));
    } else {
        m_eta->clear();
    }
}

void MainWindow::onBusyChanged(bool busy) {
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    if (!busy) {
        m_eta->clear();
        m_progress->reset();
    }
}

void MainWindow::openDropped(const QStringList& paths) {
    for (const QString& path : paths) {
        if (isModelFile(path))
            loadModel(path);
        else
            openImage(path);
        break; // one document at a time
    }
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls() || event->mimeData()->hasImage()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QMimeData* data = event->mimeData();
    if (data->hasUrls()) {
        QStringList paths;
        for (const QUrl& url : data->urls())
            if (!url.toLocalFile().isEmpty()) paths << url.toLocalFile();
        openDropped(paths);
    } else if (data->hasImage()) {
        m_edit->openImage(qvariant_cast<QImage>(data->imageData()), {});
        showTab(EditTab);
    }
    event->acceptProposedAction();
}
