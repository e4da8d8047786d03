#include "main_window.h"

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
#include "sample_gallery.h"
#include "training_view.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

namespace {

constexpr int kMaxRecent = 8;

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
    m_interpolate->setGallery(m_generate->gallery());
    m_tabs = new QTabWidget;
    m_tabs->addTab(m_generate, tr("Generate"));
    m_tabs->addTab(m_edit, tr("Edit"));
    m_tabs->addTab(m_interpolate, tr("Interpolate"));
    m_tabs->addTab(m_training, tr("Training"));

    m_errorBar = new QLabel;
    m_errorBar->setWordWrap(true);
    m_errorBar->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorBar->setStyleSheet("QLabel { background: #fdecea; color: #611a15; border: 1px solid #f5c2c0; "
                              "padding: 6px; }");
    m_errorBar->setToolTip(tr("Click to dismiss"));
    m_errorBar->hide();
    m_errorBar->installEventFilter(this);

    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->addWidget(m_errorBar);
    layout->addWidget(m_tabs, 1);
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
        if (kind == JobKind::LoadModel) showError(tr("Could not load the model: %1").arg(message));
    });
    connect(m_modelPanel, &ModelPanel::modelRequested, this, &MainWindow::loadModel);
    connect(m_modelPanel, &ModelPanel::openFileRequested, this, &MainWindow::openModelDialog);
    connect(m_generate, &GenerateView::errorOccurred, this, &MainWindow::showError);
    connect(m_edit, &EditView::errorOccurred, this, &MainWindow::showError);
    connect(m_interpolate, &InterpolationView::errorOccurred, this, &MainWindow::showError);
    connect(m_training, &TrainingView::errorOccurred, this, &MainWindow::showError);
    connect(m_generate, &GenerateView::generated, this, [this](int count, double seconds) {
        statusBar()->showMessage(tr("Generated %n image(s) in %1 s", "", count).arg(seconds, 0, 'f', 2), 5000);
    });
    connect(m_generate, &GenerateView::sendToEditorRequested, this,
            [this](const QImage& image, const QVariantMap& settings) {
                m_edit->openImage(image, settings);
                showTab(EditTab);
            });
    connect(m_generate->gallery(), &SampleGallery::saveSelectedRequested, this, &MainWindow::saveSelected);
    connect(m_generate->gallery(), &SampleGallery::copyRequested, this, &MainWindow::copySelected);

    buildMenus();
    restoreSettings();
}

MainWindow::~MainWindow() = default;

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_errorBar && event->type() == QEvent::MouseButtonRelease) m_errorBar->hide();
    return QMainWindow::eventFilter(watched, event);
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
    QAction* save = file->addAction(tr("&Save Selected Images…"), this, &MainWindow::saveSelected);
    save->setShortcut(QKeySequence::Save);
    file->addAction(tr("Save &Grid…"), QKeySequence(tr("Ctrl+Shift+S")), this, &MainWindow::saveGrid);
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
    edit->addAction(tr("&Copy Selected Image"), QKeySequence(tr("Ctrl+Shift+C")), this, &MainWindow::copySelected);
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

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QStringList names = {tr("Generate"), tr("Edit"), tr("Interpolate"), tr("Training")};
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
    help->addAction(tr("&About CM Studio"), this, [this] {
        QMessageBox::about(this, tr("About CM Studio"),
                           tr("<h3>CM Studio %1</h3><p>Sampling and zero-shot editing with consistency models: "
                              "one-step generation, multistep refinement, inpainting, colorization, "
                              "super-resolution, stroke-guided editing, denoising and interpolation.</p>")
                               .arg(QApplication::applicationVersion()));
    });
    rebuildRecentMenu();
}

void MainWindow::restoreSettings() {
    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    restoreState(settings.value("window/state").toByteArray());
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
    m_errorBar->show();
    statusBar()->showMessage(message.section('\n', 0, 0), 10000);
}

bool MainWindow::errorVisible() const { return m_errorBar->isVisible(); }

void MainWindow::loadModel(const QString& path) {
    if (needsImportStep(path)) {
        importModel(path);
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
    QSettings settings;
    QStringList recent = settings.value("recentModels").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent) recent.removeLast();
    settings.setValue("recentModels", recent);
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
    if (settings)
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

void MainWindow::saveSelected() {
    SampleGallery* gallery = m_generate->gallery();
    QVector<int> rows = gallery->selectedIndices();
    if (rows.isEmpty() && gallery->currentIndex() >= 0) rows = {gallery->currentIndex()};
    if (rows.isEmpty()) {
        showError(tr("Select images in the gallery first"));
        return;
    }
    if (rows.size() == 1) {
        const QVariantMap settings = gallery->settings(rows.front());
        const QString suggested = saveDirectory() + "/" +
                                  QString("%1-seed%2.png").arg(settings.value("model").toString(), settings.value("seed").toString());
        const QString path = QFileDialog::getSaveFileName(this, tr("Save image"), suggested, tr("PNG images (*.png)"));
        if (path.isEmpty()) return;
        QString error;
        if (!savePngWithSettings(gallery->image(rows.front()), path, settings, &error)) showError(error);
        QSettings().setValue("folders/save", QFileInfo(path).absolutePath());
        return;
    }
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Save images into"), saveDirectory());
    if (folder.isEmpty()) return;
    int saved = 0;
    for (int row : rows) {
        const QVariantMap settings = gallery->settings(row);
        const QString path =
            folder + "/" + QString("%1-seed%2.png").arg(settings.value("model").toString(), settings.value("seed").toString());
        QString error;
        if (QFileInfo::exists(path) || !savePngWithSettings(gallery->image(row), path, settings, &error)) {
            showError(error.isEmpty() ? tr("%1 exists; not overwritten").arg(path) : error);
            continue;
        }
        ++saved;
    }
    QSettings().setValue("folders/save", folder);
    statusBar()->showMessage(tr("Saved %n image(s) to %1", "", saved).arg(folder), 5000);
}

void MainWindow::saveGrid() {
    SampleGallery* gallery = m_generate->gallery();
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
    if (!savePngWithSettings(gallery->gridImage(), path, settings, &error)) showError(error);
    QSettings().setValue("folders/save", QFileInfo(path).absolutePath());
}

void MainWindow::copySelected() {
    SampleGallery* gallery = m_generate->gallery();
    const int row = gallery->currentIndex();
    if (row < 0) {
        showError(tr("Select an image in the gallery first"));
        return;
    }
    QImage image = gallery->image(row);
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
    m_progress->setFormat(tr("%1 of %2 evaluations").arg(done).arg(total));
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

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls() || event->mimeData()->hasImage()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QMimeData* data = event->mimeData();
    if (data->hasUrls()) {
        for (const QUrl& url : data->urls()) {
            const QString path = url.toLocalFile();
            if (path.isEmpty()) continue;
            if (isModelFile(path))
                loadModel(path);
            else
                openImage(path);
            break; // one document at a time
        }
    } else if (data->hasImage()) {
        m_edit->openImage(qvariant_cast<QImage>(data->imageData()), {});
        showTab(EditTab);
    }
    event->acceptProposedAction();
}
