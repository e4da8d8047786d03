#include "ui/train_dialog.h"

#include "ui/training_process.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleValidator>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTimer>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace {

QString absolute(const QString& path) {
    return path.isEmpty() ? path : QFileInfo(path).absoluteFilePath();
}

} // namespace

TrainDialog::TrainDialog(QWidget* parent) : QDialog(parent), m_training(new TrainingProcess(this)) {
    setWindowTitle(tr("Train a model"));
    buildForm();
    connect(m_training, &TrainingProcess::started, this, &TrainDialog::onStarted);
    connect(m_training, &TrainingProcess::outputLine, this, &TrainDialog::onOutputLine);
    connect(m_training, &TrainingProcess::progressChanged, this, &TrainDialog::onProgress);
    connect(m_training, &TrainingProcess::logStarted, this, &TrainDialog::logStarted);
    connect(m_training, &TrainingProcess::finished, this, &TrainDialog::onFinished);
    updateForm();
}

void TrainDialog::buildForm() {
    auto* method = new QGroupBox(tr("Method"));
    auto* methodForm = new QFormLayout(method);
    m_mode = new QComboBox;
    m_mode->addItem(tr("EDM denoiser (a teacher)"), QStringLiteral("edm"));
    m_mode->addItem(tr("Consistency distillation (CD)"), QStringLiteral("cd"));
    m_mode->addItem(tr("Improved consistency training (iCT)"), QStringLiteral("ict"));
    m_mode->addItem(tr("Easy consistency tuning (ECT)"), QStringLiteral("ect"));
    m_mode->setToolTip(tr("EDM trains a denoiser; CD distils a denoiser into a consistency model; iCT trains "
                          "a consistency model from scratch; ECT tunes a denoiser into one."));
    methodForm->addRow(tr("Mode:"), m_mode);
    m_teacher = new QLineEdit;
    m_teacher->setPlaceholderText(tr("EDM denoiser file"));
    m_teacher->setToolTip(tr("CD distils this denoiser; ECT starts from it."));
    m_teacherButton = new QPushButton(tr("Browse…"));
    m_teacherButton->setToolTip(tr("Choose the denoiser model file"));
    auto* teacherRow = new QHBoxLayout;
    teacherRow->addWidget(m_teacher);
    teacherRow->addWidget(m_teacherButton);
    methodForm->addRow(tr("Teacher:"), teacherRow);
    m_conditional = new QCheckBox(tr("Class-conditional"));
    m_conditional->setToolTip(tr("Learn the classes too (Fashion-MNIST labels, or sub-folder names)."));
    methodForm->addRow(QString(), m_conditional);

    auto* data = new QGroupBox(tr("Data"));
    auto* dataForm = new QFormLayout(data);
    m_dataKind = new QComboBox;
    m_dataKind->addItem(tr("Fashion-MNIST"), TrainCommand::kFashionMnist);
    m_dataKind->addItem(tr("Image folder"), QStringLiteral("folder"));
    m_dataKind->setToolTip(tr("The bundled Fashion-MNIST training set, or a folder of PNG/JPEG/WebP images"));
    dataForm->addRow(tr("Data:"), m_dataKind);
    m_folder = new QLineEdit;
    m_folder->setPlaceholderText(tr("folder of images"));
    m_folder->setToolTip(tr("Images in this folder and its sub-folders; sub-folder names are the classes."));
    m_folderButton = new QPushButton(tr("Browse…"));
    m_folderButton->setToolTip(tr("Choose the image folder"));
    auto* folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder);
    folderRow->addWidget(m_folderButton);
    dataForm->addRow(tr("Folder:"), folderRow);
    m_imageSize = new QSpinBox;
    m_imageSize->setRange(28, 256);
    m_imageSize->setSuffix(tr(" px"));
    m_imageSize->setToolTip(tr("Folder images are resized to this square size (also the network's size)."));
    dataForm->addRow(tr("Image size:"), m_imageSize);
    m_channels = new QComboBox;
    m_channels->addItem(tr("Grey (1 channel)"), 1);
    m_channels->addItem(tr("Colour (3 channels)"), 3);
    m_channels->setToolTip(tr("Folder images are converted to grey or RGB"));
    dataForm->addRow(tr("Channels:"), m_channels);

    auto* optimisation = new QGroupBox(tr("Optimisation"));
    auto* optimisationForm = new QFormLayout(optimisation);
    m_steps = new QSpinBox;
    m_steps->setRange(1, 100000000);
    m_steps->setGroupSeparatorShown(true);
    m_steps->setToolTip(tr("Total optimisation steps (a resumed run continues to this number)"));
    optimisationForm->addRow(tr("Steps:"), m_steps);
    m_batch = new QSpinBox;
    m_batch->setRange(1, 4096);
    m_batch->setToolTip(tr("Images per optimisation step"));
    optimisationForm->addRow(tr("Batch size:"), m_batch);
    m_learningRate = new QLineEdit;
    auto* rateValidator = new QDoubleValidator(1e-9, 10, 12, m_learningRate);
    rateValidator->setNotation(QDoubleValidator::ScientificNotation);
    rateValidator->setLocale(QLocale::c());
    m_learningRate->setValidator(rateValidator);
    m_learningRate->setToolTip(tr("Adam/RAdam learning rate, e.g. 2e-4"));
    optimisationForm->addRow(tr("Learning rate:"), m_learningRate);
    m_ema = new QLineEdit;
    m_ema->setToolTip(tr("Exponential moving average rates of the weights, comma-separated; the first is the "
                         "model that is saved"));
    optimisationForm->addRow(tr("EMA rates:"), m_ema);
    m_threads = new QSpinBox;
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("default"));
    m_threads->setToolTip(tr("CPU threads for the trainer (default: all cores)"));
    optimisationForm->addRow(tr("Threads:"), m_threads);
    m_processes = new QSpinBox;
    m_processes->setRange(1, 64);
    m_processes->setToolTip(tr("Processes on this machine that share every batch (data-parallel training); "
                               "the result is the same as with one process"));
    optimisationForm->addRow(tr("Processes on this machine:"), m_processes);

    auto* output = new QGroupBox(tr("Output"));
    auto* outputForm = new QFormLayout(output);
    m_output = new QLineEdit;
    m_output->setPlaceholderText(tr("model file to write (.safetensors)"));
    m_output->setToolTip(tr("The model file; the checkpoint is written beside it as .ckpt and the training "
                            "log as .csv"));
    auto* outputButton = new QPushButton(tr("Browse…"));
    outputButton->setToolTip(tr("Choose where to save the model"));
    auto* outputRow = new QHBoxLayout;
    outputRow->addWidget(m_output);
    outputRow->addWidget(outputButton);
    outputForm->addRow(tr("Model file:"), outputRow);
    m_existing = new QComboBox;
    m_existing->addItem(tr("Refuse to replace it"));
    m_existing->addItem(tr("Resume it from its checkpoint"));
    m_existing->addItem(tr("Overwrite it"));
    m_existing->setToolTip(tr("What to do when a run with this model file already exists"));
    outputForm->addRow(tr("Existing run:"), m_existing);
    m_logEvery = new QSpinBox;
    m_logEvery->setRange(1, 100000000);
    m_logEvery->setToolTip(tr("Steps between rows of the training log (the curves)"));
    outputForm->addRow(tr("Log every:"), m_logEvery);
    m_checkpointEvery = new QSpinBox;
    m_checkpointEvery->setRange(1, 100000000);
    m_checkpointEvery->setToolTip(tr("Steps between checkpoints (and model file updates)"));
    outputForm->addRow(tr("Checkpoint every:"), m_checkpointEvery);
    m_extra = new QLineEdit;
    m_extra->setPlaceholderText(tr("e.g. --base-width 64 --channel-mult 1,2,2"));
    m_extra->setToolTip(tr("More trainer options, as on the command line (see cmstudio-cli train --help)"));
    outputForm->addRow(tr("More options:"), m_extra);
    // Path fields keep their natural width, however short the translated labels around them are.
    for (QLineEdit* edit : {m_teacher, m_folder, m_output, m_extra})
        edit->setMinimumWidth(edit->sizeHint().width());

    m_command = new QLineEdit;
    m_command->setReadOnly(true);
    m_command->setToolTip(tr("The command the dialog runs; copy it to run the training in a terminal"));
    auto* copyButton = new QPushButton(tr("Copy"));
    copyButton->setToolTip(tr("Copy the command line to the clipboard"));
    auto* commandRow = new QHBoxLayout;
    commandRow->addWidget(new QLabel(tr("Command:")));
    commandRow->addWidget(m_command, 1);
    commandRow->addWidget(copyButton);
    // The same run across machines: torchrun on each, the processes above on every one.
    m_machines = new QSpinBox;
    m_machines->setRange(2, 1024);
    m_machines->setSuffix(tr(" machines"));
    m_machines->setToolTip(tr("How many machines the command below is for"));
    m_multiMachineCommand = new QLineEdit;
    m_multiMachineCommand->setReadOnly(true);
    m_multiMachineCommand->setToolTip(
        tr("Run this on every machine (torchrun comes with python3-torch); replace HOST with the address of "
           "the machine that writes the model, and keep the data at the same path on all of them"));
    auto* copyMultiButton = new QPushButton(tr("Copy"));
    copyMultiButton->setToolTip(tr("Copy the command for several machines to the clipboard"));
    auto* multiMachineRow = new QHBoxLayout;
    multiMachineRow->addWidget(new QLabel(tr("On several machines:")));
    multiMachineRow->addWidget(m_machines);
    multiMachineRow->addWidget(m_multiMachineCommand, 1);
    multiMachineRow->addWidget(copyMultiButton);

    m_progress = new QProgressBar;
    m_progress->setFormat(tr("%v / %m steps (%p%)"));
    m_progress->setTextVisible(false); // until a run starts: "0 / 0 steps" would mean nothing
    m_progress->setValue(0);
    m_progress->setToolTip(tr("Steps done, from the trainer's output and its log"));
    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setToolTip(tr("What the trainer printed"));
    m_log->setMinimumHeight(90);

    m_startButton = new QPushButton(tr("Start"));
    m_startButton->setToolTip(tr("Start training with these settings"));
    m_stopButton = new QPushButton(tr("Stop"));
    m_stopButton->setToolTip(tr("Interrupt training; the trainer saves a checkpoint that Resume continues"));
    m_resumeButton = new QPushButton(tr("Resume"));
    m_resumeButton->setToolTip(tr("Continue the run from its checkpoint"));
    m_loadButton = new QPushButton(tr("Load model"));
    m_loadButton->setToolTip(tr("Open the model this run wrote, to generate with it"));
    m_loadButton->setEnabled(false);
    connect(m_loadButton, &QPushButton::clicked, this, [this] { emit loadModelRequested(m_training->settings().output); });
    auto* closeButton = new QPushButton(tr("Close"));
    closeButton->setToolTip(tr("Hide this window; a running training continues"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_startButton);
    buttons->addWidget(m_stopButton);
    buttons->addWidget(m_resumeButton);
    buttons->addWidget(m_loadButton);
    buttons->addStretch(1);
    buttons->addWidget(closeButton);

    auto* groups = new QGridLayout;
    groups->addWidget(method, 0, 0);
    groups->addWidget(data, 1, 0);
    groups->addWidget(optimisation, 0, 1);
    groups->addWidget(output, 1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(groups);
    layout->addLayout(commandRow);
    layout->addLayout(multiMachineRow);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_log, 1);
    layout->addLayout(buttons);

    setSettings(TrainSettings{});

    connect(m_folderButton, &QPushButton::clicked, this, &TrainDialog::chooseFolder);
    connect(m_teacherButton, &QPushButton::clicked, this, &TrainDialog::chooseTeacher);
    connect(outputButton, &QPushButton::clicked, this, &TrainDialog::chooseOutput);
    connect(copyButton, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_command->text()); });
    connect(copyMultiButton, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_multiMachineCommand->text()); });
    connect(m_startButton, &QPushButton::clicked, this, [this] { start(); });
    connect(m_stopButton, &QPushButton::clicked, this, &TrainDialog::stop);
    connect(m_resumeButton, &QPushButton::clicked, this, [this] { resume(); });
    connect(closeButton, &QPushButton::clicked, this, &QDialog::close);
    for (auto* box : {m_mode, m_dataKind, m_channels, m_existing})
        connect(box, &QComboBox::currentIndexChanged, this, &TrainDialog::updateForm);
    for (auto* edit : {m_folder, m_teacher, m_output, m_learningRate, m_ema, m_extra})
        connect(edit, &QLineEdit::textChanged, this, &TrainDialog::updateForm);
    for (auto* spin :
         {m_imageSize, m_steps, m_batch, m_threads, m_processes, m_machines, m_logEvery, m_checkpointEvery})
        connect(spin, &QSpinBox::valueChanged, this, &TrainDialog::updateForm);
    connect(m_conditional, &QCheckBox::toggled, this, &TrainDialog::updateForm);
}

void TrainDialog::setCliPath(const QString& path) {
    m_training->setCliPath(path);
    updateForm();
}

QString TrainDialog::cliPath() const {
    return m_training->cliPath();
}

TrainSettings TrainDialog::settings() const {
    TrainSettings s;
    s.mode = m_mode->currentData().toString();
    s.data = m_dataKind->currentData().toString() == TrainCommand::kFashionMnist
                 ? TrainCommand::kFashionMnist
                 : absolute(m_folder->text().trimmed());
    s.imageSize = m_imageSize->value();
    s.channels = m_channels->currentData().toInt();
    s.conditional = m_conditional->isChecked();
    s.steps = m_steps->value();
    s.batch = m_batch->value();
    s.learningRate = QLocale::c().toDouble(m_learningRate->text().trimmed());
    s.ema = m_ema->text().trimmed();
    s.threads = m_threads->value();
    s.processes = m_processes->value();
    s.teacher = absolute(m_teacher->text().trimmed());
    s.output = absolute(m_output->text().trimmed());
    s.logEvery = m_logEvery->value();
    s.checkpointEvery = m_checkpointEvery->value();
    s.resume = m_existing->currentIndex() == 1;
    s.overwrite = m_existing->currentIndex() == 2;
    s.extraArguments = TrainCommand::splitArguments(m_extra->text());
    return s;
}

void TrainDialog::setSettings(const TrainSettings& s) {
    const int mode = m_mode->findData(s.mode);
    m_mode->setCurrentIndex(mode >= 0 ? mode : m_mode->findData(QStringLiteral("ict")));
    const bool fashion = TrainCommand::isFashionMnist(s.data);
    m_dataKind->setCurrentIndex(fashion ? 0 : 1);
    if (!fashion) m_folder->setText(s.data);
    m_imageSize->setValue(s.imageSize);
    m_channels->setCurrentIndex(s.channels == 3 ? 1 : 0);
    m_conditional->setChecked(s.conditional);
    m_steps->setValue(int(std::min<long>(s.steps, m_steps->maximum())));
    m_batch->setValue(s.batch);
    m_learningRate->setText(QString::number(s.learningRate, 'g', 6));
    m_ema->setText(s.ema);
    m_threads->setValue(s.threads);
    m_processes->setValue(s.processes);
    m_teacher->setText(s.teacher);
    m_output->setText(s.output);
    m_logEvery->setValue(int(std::min<long>(s.logEvery, m_logEvery->maximum())));
    m_checkpointEvery->setValue(int(std::min<long>(s.checkpointEvery, m_checkpointEvery->maximum())));
    m_existing->setCurrentIndex(s.resume ? 1 : s.overwrite ? 2 : 0);
    m_extra->setText(TrainCommand::joinArguments(s.extraArguments));
    updateForm();
}

QString TrainDialog::commandLine() const {
    const QString cli = m_training->cliPath();
    return TrainCommand::shellQuoted(cli.isEmpty() ? QStringLiteral("cmstudio-cli") : cli,
                                     TrainCommand::arguments(settings()));
}

QString TrainDialog::multiMachineCommandLine() const {
    const QString cli = m_training->cliPath();
    return TrainCommand::multiMachineCommand(cli.isEmpty() ? QStringLiteral("cmstudio-cli") : cli, settings(),
                                             m_machines->value(), QStringLiteral("HOST:29400"));
}

bool TrainDialog::isRunning() const {
    return m_training->isRunning();
}

long TrainDialog::stepsDone() const {
    return m_training->stepsDone();
}

long TrainDialog::stepsTotal() const {
    return m_training->stepsTotal();
}

QString TrainDialog::output() const {
    return m_log->toPlainText();
}

QString TrainDialog::lastError() const {
    return m_training->lastError();
}

void TrainDialog::updateForm() {
    const bool running = isRunning();
    const TrainSettings s = settings();
    for (QWidget* input : std::initializer_list<QWidget*>{
             m_mode,     m_dataKind,    m_folder,          m_folderButton, m_imageSize,
             m_channels, m_conditional, m_steps,           m_batch,        m_learningRate,
             m_ema,      m_threads,     m_processes,       m_teacher,      m_teacherButton,
             m_output,   m_logEvery,    m_checkpointEvery, m_existing,     m_extra})
        input->setEnabled(!running);
    if (!running) {
        const bool folder = !TrainCommand::isFashionMnist(s.data);
        for (QWidget* input :
             std::initializer_list<QWidget*>{m_folder, m_folderButton, m_imageSize, m_channels})
            input->setEnabled(folder);
        m_teacher->setEnabled(TrainCommand::needsTeacher(s.mode));
        m_teacherButton->setEnabled(TrainCommand::needsTeacher(s.mode));
    }
    m_command->setText(commandLine());
    m_command->setCursorPosition(0);
    m_multiMachineCommand->setText(multiMachineCommandLine());
    m_multiMachineCommand->setCursorPosition(0);
    const QString why = TrainCommand::problem(s);
    m_startButton->setEnabled(!running);
    m_startButton->setToolTip(why.isEmpty() ? tr("Start training with these settings") : why);
    m_stopButton->setEnabled(running);
    if (!running) {
        m_stopButton->setText(tr("Stop"));
        m_stopButton->setToolTip(
            tr("Interrupt training; the trainer saves a checkpoint that Resume continues"));
    }
    const TrainSettings last = m_training->hasRun() ? m_training->settings() : s;
    m_resumeButton->setEnabled(!running && !last.output.isEmpty() &&
                               QFileInfo::exists(TrainCommand::checkpointPath(last)));
}

bool TrainDialog::start() {
    return start(settings());
}

bool TrainDialog::start(const TrainSettings& s) {
    if (!m_training->start(s)) {
        showStatus(m_training->lastError(), true);
        return false;
    }
    updateForm();
    return true;
}

void TrainDialog::stop() {
    if (!isRunning()) return;
    const bool secondStop = m_training->stopRequested(); // this one kills
    m_training->stop();
    if (secondStop) return;
    showStatus(tr("Stopping: the trainer finishes its step and saves a checkpoint…"), false);
    m_stopButton->setText(tr("Kill"));
    m_stopButton->setToolTip(tr("End the trainer at once; work since its last checkpoint is lost"));
}

bool TrainDialog::resume() {
    TrainSettings s = m_training->hasRun() ? m_training->settings() : settings();
    s.resume = true;
    s.overwrite = false;
    if (!isRunning()) setSettings(s);
    return start(s);
}

void TrainDialog::onStarted() {
    const TrainSettings s = m_training->settings();
    m_loadButton->setEnabled(false);
    m_progress->setTextVisible(true);
    m_log->clear();
    m_log->appendPlainText(QStringLiteral("$ ") +
                           TrainCommand::shellQuoted(m_training->cliPath(), TrainCommand::arguments(s)));
    showStatus(s.resume ? tr("Resuming…") : tr("Starting…"), false);
    emit trainingStarted(s.output);
}

void TrainDialog::onOutputLine(const QString& line) {
    // The pane follows the newest line unless the user scrolled up to read; also while the dialog is
    // closed (reopened, it shows the end).
    QScrollBar* bar = m_log->verticalScrollBar();
    const bool follow = !m_log->isVisible() || bar->value() >= bar->maximum() - 1;
    m_log->appendPlainText(line);
    if (follow) scrollLogToEnd();
    if (!m_training->stopRequested()) showStatus(line, false);
}

void TrainDialog::scrollLogToEnd() {
    m_log->moveCursor(QTextCursor::End);
    m_log->verticalScrollBar()->setValue(m_log->verticalScrollBar()->maximum());
}

void TrainDialog::showEvent(QShowEvent* event) {
    QDialog::showEvent(event);
    // After the layout has given the pane its size (and the scroll bar its range).
    QTimer::singleShot(0, this, &TrainDialog::scrollLogToEnd);
}

void TrainDialog::onProgress(long done, long total) {
    // QProgressBar counts in int; scale very long runs.
    const long scale = total > 1000000000L ? total / 1000000 : 1;
    m_progress->setRange(0, int(std::max(1L, total / scale)));
    m_progress->setValue(int(done / scale));
    emit progressChanged(done, total);
}

void TrainDialog::onFinished(int exitCode, const QString& message) {
    const bool failed = exitCode != 0 && exitCode != 130;
    // A finished run's model is one click from the Generate tab.
    m_loadButton->setEnabled(exitCode == 0 && QFileInfo::exists(m_training->settings().output));
    showStatus(message, failed);
    updateForm();
    emit trainingFinished(exitCode, message);
}

void TrainDialog::showStatus(const QString& text, bool error) {
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
    m_status->setText(text);
}

void TrainDialog::chooseFolder() {
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Folder of training images"), m_folder->text());
    if (!folder.isEmpty()) m_folder->setText(folder);
}

void TrainDialog::chooseTeacher() {
    const QString file =
        QFileDialog::getOpenFileName(this, tr("EDM denoiser to start from"), m_teacher->text(),
                                     tr("Model files (*.safetensors);;All files (*)"));
    if (!file.isEmpty()) m_teacher->setText(file);
}

void TrainDialog::chooseOutput() {
    QString file = QFileDialog::getSaveFileName(this, tr("Model file to write"), m_output->text(),
                                                tr("Model files (*.safetensors)"), nullptr,
                                                QFileDialog::DontConfirmOverwrite);
    if (file.isEmpty()) return;
    if (QFileInfo(file).suffix().isEmpty()) file += QStringLiteral(".safetensors");
    m_output->setText(file);
}

void TrainDialog::saveSettings(QSettings& store) const {
    const TrainSettings s = settings();
    store.beginGroup(QStringLiteral("train"));
    store.setValue(QStringLiteral("mode"), s.mode);
    store.setValue(QStringLiteral("data"), s.data);
    store.setValue(QStringLiteral("imageSize"), s.imageSize);
    store.setValue(QStringLiteral("channels"), s.channels);
    store.setValue(QStringLiteral("conditional"), s.conditional);
    store.setValue(QStringLiteral("steps"), qlonglong(s.steps));
    store.setValue(QStringLiteral("batch"), s.batch);
    store.setValue(QStringLiteral("learningRate"), s.learningRate);
    store.setValue(QStringLiteral("ema"), s.ema);
    store.setValue(QStringLiteral("threads"), s.threads);
    store.setValue(QStringLiteral("processes"), s.processes);
    store.setValue(QStringLiteral("teacher"), s.teacher);
    store.setValue(QStringLiteral("output"), s.output);
    store.setValue(QStringLiteral("logEvery"), qlonglong(s.logEvery));
    store.setValue(QStringLiteral("checkpointEvery"), qlonglong(s.checkpointEvery));
    store.setValue(QStringLiteral("extraArguments"), s.extraArguments);
    store.endGroup();
}

void TrainDialog::restoreSettings(const QSettings& store) {
    TrainSettings s;
    auto value = [&](const char* key, const QVariant& fallback) {
        return store.value(QStringLiteral("train/") + QLatin1String(key), fallback);
    };
    s.mode = value("mode", s.mode).toString();
    s.data = value("data", s.data).toString();
    s.imageSize = value("imageSize", s.imageSize).toInt();
    s.channels = value("channels", s.channels).toInt();
    s.conditional = value("conditional", s.conditional).toBool();
    s.steps = long(value("steps", qlonglong(s.steps)).toLongLong());
    s.batch = value("batch", s.batch).toInt();
    s.learningRate = value("learningRate", s.learningRate).toDouble();
    s.ema = value("ema", s.ema).toString();
    s.threads = value("threads", s.threads).toInt();
    s.processes = std::clamp(value("processes", s.processes).toInt(), 1, 64);
    s.teacher = value("teacher", s.teacher).toString();
    s.output = value("output", s.output).toString();
    s.logEvery = long(value("logEvery", qlonglong(s.logEvery)).toLongLong());
    s.checkpointEvery = long(value("checkpointEvery", qlonglong(s.checkpointEvery)).toLongLong());
    s.extraArguments = value("extraArguments", QStringList{}).toStringList();
    setSettings(s);
}
