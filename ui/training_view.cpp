#include "training_view.h"

#include "curve_plot.h"
#include "remembered_splitter.h"
#include "train_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSplitter>
#include <QThreadPool>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace {

// Columns shown first in the series list, in this order; the rest follow as they appear in the logs.
const QStringList kPreferredSeries{QStringLiteral("loss"),      CurvePlot::kLossQuartiles,
                                   QStringLiteral("grad_norm"), QStringLiteral("param_norm"),
                                   QStringLiteral("lr"),        QStringLiteral("N"),
                                   QStringLiteral("mu")};

// File names that say nothing about the run; the folder names it instead.
const QStringList kGenericNames{QStringLiteral("progress"), QStringLiteral("log"),
                                QStringLiteral("logs"),     QStringLiteral("metrics"),
                                QStringLiteral("train"),    QStringLiteral("training")};

QIcon swatch(const QColor& color) {
    QPixmap pixmap(14, 14);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(color.darker(130));
    painter.setBrush(color);
    painter.drawRoundedRect(QRectF(1, 1, 12, 12), 3, 3);
    return QIcon(pixmap);
}

} // namespace

TrainingView::TrainingView(QWidget* parent)
    : QWidget(parent), m_plot(new CurvePlot), m_watcher(new QFileSystemWatcher(this)),
      m_poll(new QTimer(this)), m_reader(new QThreadPool(this)) {
    m_reader->setMaxThreadCount(1);
    buildUi();
    setAcceptDrops(true);
    // Watchers miss appends on some file systems (network shares, some containers); the timer does not.
    m_poll->setInterval(1000);
    connect(m_poll, &QTimer::timeout, this, &TrainingView::refreshLogs);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, [this](const QString& path) {
        if (!m_entries.contains(path)) return;
        refreshLog(path);
        // A file replaced by rename (the trainer's atomic rewrite on resume) drops out of the watch list.
        if (follow() && !m_watcher->files().contains(path) && QFileInfo::exists(path))
            m_watcher->addPath(path);
    });
    setFollow(true);
    updateSeriesChoices();
    updateStatus();
}

TrainingView::~TrainingView() {
    // A read in flight refers to this view: let it end before the members go.
    m_reader->clear();
    m_reader->waitForDone();
}

bool TrainingView::isReading() const {
    for (const Entry& entry : m_entries)
        if (entry.reading) return true;
    return false;
}

void TrainingView::buildUi() {
    auto* openButton = new QPushButton(tr("Open logs…"));
    openButton->setToolTip(tr("Open one or more training logs: this app's CSV, the official "
                              "consistency_models progress.csv, or JSON lines"));
    m_runs = new QListWidget;
    m_runs->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_runs->setToolTip(tr("Loaded runs; their colour in the plot. Drop log files here to add them."));
    auto* removeButton = new QPushButton(tr("Remove"));
    removeButton->setToolTip(tr("Remove the selected runs from the plot (the files stay)"));
    auto* trainButton = new QPushButton(tr("Train…"));
    trainButton->setToolTip(tr("Start a training run; its curves appear here as it goes"));
    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* pngButton = new QPushButton(tr("PNG…"));
    pngButton->setToolTip(tr("Export the plot as a PNG image"));
    auto* pdfButton = new QPushButton(tr("PDF…"));
    pdfButton->setToolTip(tr("Export the plot as a vector PDF"));

    auto* side = new QWidget;
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(openButton);
    sideLayout->addWidget(new QLabel(tr("Runs:")));
    sideLayout->addWidget(m_runs, 1);
    sideLayout->addWidget(removeButton);
    sideLayout->addWidget(m_status);
    auto* exportRow = new QHBoxLayout;
    exportRow->addWidget(new QLabel(tr("Export:")));
    exportRow->addWidget(pngButton);
    exportRow->addWidget(pdfButton);
    sideLayout->addLayout(exportRow);
    sideLayout->addWidget(trainButton);
    side->setMinimumWidth(200);

    m_series = new QComboBox;
    m_series->setObjectName(QStringLiteral("seriesCombo"));
    m_series->setToolTip(tr("The quantity to plot"));
    m_series->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_series->setMinimumContentsLength(16);
    m_xAxis = new QComboBox;
    m_xAxis->setObjectName(QStringLiteral("xAxisCombo"));
    m_xAxis->addItem(tr("Step"), QStringLiteral("step"));
    m_xAxis->addItem(tr("Wall time"), QStringLiteral("time"));
    m_xAxis->setToolTip(tr("Plot against the optimisation step or the run's wall-clock time"));
    m_logY = new QCheckBox(tr("Log scale"));
    m_logY->setObjectName(QStringLiteral("logYCheck"));
    m_logY->setToolTip(tr("Logarithmic y axis (values at or below zero are left out)"));
    m_smoothing = new QSlider(Qt::Horizontal);
    m_smoothing->setObjectName(QStringLiteral("smoothingSlider"));
    m_smoothing->setRange(0, 99);
    m_smoothing->setValue(int(std::lround(m_plot->smoothing() * 100)));
    m_smoothing->setFixedWidth(110);
    m_smoothing->setToolTip(tr("Exponential moving average of the curves, as in TensorBoard; the raw curve "
                               "stays faint behind"));
    m_smoothingValue = new QLabel;
    m_smoothingValue->setMinimumWidth(
        m_smoothingValue->fontMetrics().horizontalAdvance(QStringLiteral("0.00")));
    m_follow = new QCheckBox(tr("Follow"));
    m_follow->setObjectName(QStringLiteral("followCheck"));
    m_follow->setToolTip(tr("Re-read the logs as training runs append to them"));

    // Two rows: one row did not fit beside the runs list at 1024 px ("Log sc", "Smoothir").
    auto* controls = new QVBoxLayout;
    auto* quantity = new QHBoxLayout;
    quantity->addWidget(new QLabel(tr("Series:")));
    quantity->addWidget(m_series, 1);
    quantity->addSpacing(8);
    quantity->addWidget(new QLabel(tr("X axis:")));
    quantity->addWidget(m_xAxis);
    quantity->addStretch(0);
    auto* display = new QHBoxLayout;
    display->addWidget(m_logY);
    display->addSpacing(8);
    display->addWidget(new QLabel(tr("Smoothing:")));
    display->addWidget(m_smoothing);
    display->addWidget(m_smoothingValue);
    display->addSpacing(8);
    display->addWidget(m_follow);
    display->addStretch(1);
    controls->addLayout(quantity);
    controls->addLayout(display);

    // The newest preview grid of a run, beside the curves (hidden until a run has written one).
    m_previewPane = new QWidget;
    auto* previewLayout = new QVBoxLayout(m_previewPane);
    previewLayout->setContentsMargins(0, 0, 0, 0);
    m_previewLabel = new QLabel;
    m_previewLabel->setAlignment(Qt::AlignCenter);
    m_previewLabel->setToolTip(tr("Samples of the model as it trains, from fixed seeds (the trainer's "
                                  "--preview-every); they are the same noises at every preview"));
    m_previewCaption = new QLabel;
    m_previewCaption->setWordWrap(true);
    m_previewCaption->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    previewLayout->addWidget(new QLabel(tr("Latest samples:")));
    previewLayout->addWidget(m_previewLabel);
    previewLayout->addWidget(m_previewCaption);
    previewLayout->addStretch(1);
    m_previewPane->hide();
    auto* plotRow = new QHBoxLayout;
    plotRow->addWidget(m_plot, 1);
    plotRow->addWidget(m_previewPane);

    auto* main = new QWidget;
    auto* mainLayout = new QVBoxLayout(main);
    mainLayout->setContentsMargins(0, 0, 0, 0);
    mainLayout->addLayout(controls);
    mainLayout->addLayout(plotRow, 1);

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(side);
    splitter->addWidget(main);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    splitter->setSizes({220, 800});
    rememberSplitterSizes(splitter, "trainingView/splitter");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    auto smoothingChanged = [this](int value) {
        m_smoothingValue->setText(QString::number(value / 100.0, 'f', 2));
        m_plot->setSmoothing(value / 100.0);
    };
    smoothingChanged(m_smoothing->value());
    connect(m_smoothing, &QSlider::valueChanged, this, smoothingChanged);
    connect(m_series, &QComboBox::currentIndexChanged, this, [this] {
        if (m_series->currentIndex() >= 0) m_plot->setSeries(m_series->currentData().toString());
    });
    connect(m_xAxis, &QComboBox::currentIndexChanged, this, [this] {
        m_plot->setXAxis(m_xAxis->currentData().toString() == QLatin1String("time") ? CurvePlot::XAxis::Time
                                                                                    : CurvePlot::XAxis::Step);
    });
    connect(m_logY, &QCheckBox::toggled, m_plot, &CurvePlot::setLogY);
    connect(m_follow, &QCheckBox::toggled, this, [this](bool on) {
        updateWatcher();
        if (on) {
            refreshLogs();
            m_poll->start();
        } else {
            m_poll->stop();
        }
        updateStatus();
    });
    connect(openButton, &QPushButton::clicked, this, &TrainingView::openLogs);
    connect(removeButton, &QPushButton::clicked, this, [this] {
        const auto selected = m_runs->selectedItems();
        for (QListWidgetItem* item : selected)
            removeLog(item->data(Qt::UserRole).toString());
    });
    connect(trainButton, &QPushButton::clicked, this, &TrainingView::openTrainDialog);
    connect(pngButton, &QPushButton::clicked, this, [this] { exportWithDialog(false); });
    connect(pdfButton, &QPushButton::clicked, this, [this] { exportWithDialog(true); });
}

const TrainingLog* TrainingView::log(const QString& path) const {
    const auto it = m_entries.constFind(QFileInfo(path).absoluteFilePath());
    return it == m_entries.constEnd() || !it->shown ? nullptr : &it->log;
}

QString TrainingView::uniqueName(const QString& path) const {
    const QFileInfo info(path);
    QString name = info.fileName();
    for (const char* suffix : {".csv", ".jsonl", ".json", ".log", ".txt", ".safetensors"})
        if (name.endsWith(QLatin1String(suffix), Qt::CaseInsensitive)) name.chop(int(qstrlen(suffix)));
    if (name.isEmpty() || kGenericNames.contains(name, Qt::CaseInsensitive))
        name = info.absoluteDir().dirName() + QLatin1Char('/') + name;
    QStringList taken;
    for (const Entry& entry : m_entries)
        taken << entry.name;
    QString unique = name;
    for (int n = 2; taken.contains(unique); ++n)
        unique = QStringLiteral("%1 (%2)").arg(name).arg(n);
    return unique;
}

bool TrainingView::addLog(const QString& path) {
    const QString key = QFileInfo(path).absoluteFilePath();
    if (m_entries.contains(key)) {
        refreshLog(key);
        return true;
    }
    const QFileInfo info(key);
    if (!info.isFile()) { // said at once: nothing to read
        TrainingLog missing(key);
        missing.refresh();
        report(missing.error());
        return false;
    }
    Entry entry;
    entry.log = TrainingLog(key);
    entry.quiet = !m_interactive;
    m_entries.insert(key, entry);
    refreshLog(key);
    return true;
}

void TrainingView::showLog(const QString& key) {
    Entry& entry = m_entries[key];
    entry.shown = true;
    entry.name = uniqueName(key);
    m_order.append(key);
    m_plot->setRun(key, entry.name, entry.log);
    auto* item = new QListWidgetItem(entry.name);
    item->setData(Qt::UserRole, key);
    m_runs->addItem(item);
    updateItem(key);
    updateSeriesChoices();
    updateWatcher();
    updateStatus();
    updatePreview();
    emit logsChanged();
}

bool TrainingView::followLog(const QString& path) {
    const bool added = addLog(path);
    setFollow(true);
    return added;
}

void TrainingView::removeLog(const QString& path) {
    const QString key = QFileInfo(path).absoluteFilePath();
    if (!m_entries.remove(key)) return;
    m_order.removeAll(key);
    m_plot->removeRun(key);
    for (int i = m_runs->count() - 1; i >= 0; --i)
        if (m_runs->item(i)->data(Qt::UserRole).toString() == key) delete m_runs->takeItem(i);
    updateSeriesChoices();
    updateWatcher();
    updateStatus();
    updatePreview();
    emit logsChanged();
}

void TrainingView::refreshLogs() {
    for (const QString& key : QStringList(m_order))
        refreshLog(key);
    updatePreview();
}

QString TrainingView::previewPathFor(const QString& logPath) {
    // The trainer writes <model>.csv and <model>.preview.png beside <model>.
    QString model = logPath;
    if (model.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) model.chop(4);
    return model + QStringLiteral(".preview.png");
}

void TrainingView::updatePreview() {
    QString newest;
    QDateTime newestTime;
    for (const QString& key : std::as_const(m_order)) {
        const QFileInfo info(previewPathFor(key));
        if (info.isFile() && (newest.isEmpty() || info.lastModified() > newestTime)) {
            newest = info.absoluteFilePath();
            newestTime = info.lastModified();
        }
    }
    if (newest == m_previewPath && newestTime == m_previewTime) return;
    const QImage image(newest);
    m_previewPath = image.isNull() ? QString() : newest;
    m_previewTime = newestTime;
    m_previewImage = image;
    m_previewPane->setVisible(!image.isNull());
    if (image.isNull()) return;
    // Whole-pixel enlargement to about 200 px: a 4 x 4 grid of 28 px samples at 2x.
    const int zoom = std::max(1, 200 / std::max(1, image.width()));
    m_previewLabel->setPixmap(QPixmap::fromImage(image.scaled(image.size() * zoom, Qt::IgnoreAspectRatio,
                                                              Qt::FastTransformation)));
    m_previewCaption->setText(tr("%1\n%2").arg(QFileInfo(newest).fileName(),
                                               QLocale().toString(newestTime.time(), QLocale::ShortFormat)));
}

void TrainingView::refreshLog(const QString& key) {
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) return;
    if (it->reading) {
        it->readAgain = true;
        return;
    }
    it->reading = true;
    // The worker refreshes a copy (sharing the rows read so far) and hands it back to the GUI thread.
    m_reader->start([this, key, log = it->log]() mutable {
        const TrainingLog::Update update = log.refresh();
        QMetaObject::invokeMethod(
            this, [this, key, log, update] { finishRead(key, log, update); }, Qt::QueuedConnection);
    });
}

void TrainingView::finishRead(const QString& key, const TrainingLog& log, TrainingLog::Update update) {
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) return; // removed while it was read
    it->reading = false;
    const bool failed = update == TrainingLog::Update::Failed;
    const bool inBatch = m_batch.remove(key);
    if (!it->shown && failed) {
        const bool quiet = it->quiet;
        m_entries.erase(it);
        if (inBatch) m_batchErrors << log.error();
        if (quiet) {
            m_lastError = log.error();
            emit errorOccurred(m_lastError);
        } else {
            report(log.error());
        }
    } else if (!it->shown) {
        it->log = log;
        showLog(key);
    } else {
        applyRefresh(key, log, update);
    }
    if (inBatch && m_batch.isEmpty()) showBatchErrors();
    const auto again = m_entries.find(key);
    if (again != m_entries.end() && again->readAgain) {
        again->readAgain = false;
        refreshLog(key);
    }
    emit logRead(key);
}

void TrainingView::applyRefresh(const QString& key, const TrainingLog& log, TrainingLog::Update update) {
    Entry& entry = m_entries[key];
    const int rowsBefore = entry.log.rowCount();
    const QStringList columnsBefore = entry.log.columns();
    entry.log = log;
    if (update == TrainingLog::Update::Unchanged) return;
    if (update == TrainingLog::Update::Failed) {
        if (entry.log.error() != entry.lastReportedError) {
            entry.lastReportedError = entry.log.error();
            m_lastError = entry.log.error();
            emit errorOccurred(m_lastError);
            updateItem(key);
            updateStatus();
        }
        if (entry.log.rowCount() == rowsBefore) return;
    } else if (!entry.lastReportedError.isEmpty()) {
        entry.lastReportedError.clear();
        updateStatus();
    }
    m_plot->setRun(key, entry.name, entry.log);
    updateItem(key);
    if (entry.log.columns() != columnsBefore) updateSeriesChoices();
    updateStatus();
}

void TrainingView::updateItem(const QString& key) {
    const Entry& entry = m_entries[key];
    for (int i = 0; i < m_runs->count(); ++i) {
        QListWidgetItem* item = m_runs->item(i);
        if (item->data(Qt::UserRole).toString() != key) continue;
        item->setIcon(swatch(m_plot->runColor(key)));
        const double lastStep = entry.log.lastFinite(QStringLiteral("step"));
        QString tip = tr("%1\n%2, %n row(s)", nullptr, entry.log.rowCount()).arg(key, entry.log.formatName());
        if (std::isfinite(lastStep)) tip += tr(", last step %1").arg(qint64(lastStep));
        if (entry.log.nonFiniteCount() > 0)
            tip += QLatin1Char('\n') +
                   tr("%n non-finite value(s) left out of the plot", nullptr, entry.log.nonFiniteCount());
        if (!entry.lastReportedError.isEmpty()) tip += QLatin1Char('\n') + entry.lastReportedError;
        item->setToolTip(tip);
        item->setForeground(entry.lastReportedError.isEmpty() ? palette().text()
                                                              : QBrush(QColor(176, 0, 32)));
    }
}

void TrainingView::updateSeriesChoices() {
    QStringList available;
    bool quartiles = false;
    for (const QString& key : std::as_const(m_order)) {
        const TrainingLog& log = m_entries[key].log;
        for (const QString& column : log.columns())
            if (column != QLatin1String("step") && !available.contains(column)) available << column;
        quartiles = quartiles || log.hasColumn(QStringLiteral("loss_q0"));
    }
    if (quartiles) available << CurvePlot::kLossQuartiles;
    if (available.isEmpty()) available << QStringLiteral("loss");
    QStringList ordered;
    for (const QString& column : kPreferredSeries)
        if (available.contains(column)) ordered << column;
    for (const QString& column : std::as_const(available))
        if (!ordered.contains(column)) ordered << column;

    const QString current = m_series->count() > 0 ? m_series->currentData().toString() : m_plot->series();
    {
        const QSignalBlocker blocker(m_series);
        m_series->clear();
        for (const QString& column : std::as_const(ordered))
            m_series->addItem(CurvePlot::seriesLabel(column), column);
        int index = m_series->findData(current);
        if (index < 0) index = m_series->findData(QStringLiteral("loss"));
        m_series->setCurrentIndex(std::max(0, index));
    }
    m_plot->setSeries(m_series->currentData().toString());
}

void TrainingView::updateStatus() {
    QStringList errors;
    int nonFinite = 0;
    for (const QString& key : std::as_const(m_order)) {
        const Entry& entry = m_entries[key];
        if (!entry.lastReportedError.isEmpty()) errors << entry.lastReportedError;
        nonFinite += entry.log.nonFiniteCount();
    }
    if (!errors.isEmpty()) {
        m_status->setStyleSheet(QStringLiteral("color: #b00020;"));
        m_status->setText(errors.join(QLatin1Char('\n')));
        return;
    }
    m_status->setStyleSheet(QString());
    QStringList parts;
    if (m_order.isEmpty())
        parts << tr("No logs loaded.");
    else if (follow())
        parts << tr("Following %n log(s).", nullptr, int(m_order.size()));
    if (nonFinite > 0) parts << tr("%n non-finite value(s) left out.", nullptr, nonFinite);
    if (!m_order.isEmpty()) parts << tr("Plot: drag to pan, scroll to zoom, double-click to fit.");
    m_status->setText(parts.join(QLatin1Char(' ')));
}

void TrainingView::setFollow(bool on) {
    if (m_follow->isChecked() == on) return;
    m_follow->setChecked(on); // the toggled handler starts or stops following
}

bool TrainingView::follow() const {
    return m_follow->isChecked();
}

void TrainingView::updateWatcher() {
    if (!m_watcher->files().isEmpty()) m_watcher->removePaths(m_watcher->files());
    if (!follow()) return;
    QStringList existing;
    for (const QString& key : std::as_const(m_order))
        if (QFileInfo::exists(key)) existing << key;
    if (!existing.isEmpty()) m_watcher->addPaths(existing);
}

void TrainingView::report(const QString& message) {
    m_lastError = message;
    emit errorOccurred(message);
    if (!m_interactive) return;
    // Not exec(): nothing here waits for the user.
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Training log"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void TrainingView::openLogs() {
    const QStringList paths =
        QFileDialog::getOpenFileNames(this, tr("Open training logs"), m_lastDirectory,
                                      tr("Training logs (*.csv *.jsonl *.json *.log *.txt);;All files (*)"));
    if (paths.isEmpty()) return;
    m_lastDirectory = QFileInfo(paths.front()).absolutePath();
    // One message for all the files that failed, not a box each: shown when the last one has been read.
    m_batch.clear();
    m_batchErrors.clear();
    const bool interactive = m_interactive;
    m_interactive = false;
    for (const QString& path : paths) {
        const QString key = QFileInfo(path).absoluteFilePath();
        if (!addLog(path))
            m_batchErrors << m_lastError;
        else if (m_entries.value(key).reading)
            m_batch.insert(key);
    }
    m_interactive = interactive;
    if (m_batch.isEmpty()) showBatchErrors();
}

void TrainingView::showBatchErrors() {
    if (m_batchErrors.isEmpty()) return;
    if (!m_interactive) { // one report for the batch: the error bar shows the last report
        m_lastError = m_batchErrors.join(QLatin1Char('\n'));
        m_batchErrors.clear();
        emit errorOccurred(m_lastError);
        return;
    }
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Training log"),
                                tr("%n log(s) could not be read.", nullptr, int(m_batchErrors.size())),
                                QMessageBox::Ok, this);
    box->setInformativeText(m_batchErrors.join(QLatin1Char('\n')));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    m_batchErrors.clear();
}

TrainDialog* TrainingView::trainDialog() {
    if (!m_trainDialog) {
        m_trainDialog = new TrainDialog(this);
        connect(m_trainDialog, &TrainDialog::logStarted, this, &TrainingView::followLog);
        connect(m_trainDialog, &TrainDialog::loadModelRequested, this, &TrainingView::modelRequested);
    }
    return m_trainDialog;
}

void TrainingView::openTrainDialog() {
    TrainDialog* dialog = trainDialog();
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
}

bool TrainingView::exportPng(const QString& path) {
    QString error;
    if (m_plot->exportPng(path, &error)) return true;
    report(error);
    return false;
}

bool TrainingView::exportPdf(const QString& path) {
    QString error;
    if (m_plot->exportPdf(path, &error)) return true;
    report(error);
    return false;
}

void TrainingView::exportWithDialog(bool pdf) {
    const QString suggested = QDir(m_lastDirectory.isEmpty() ? QDir::homePath() : m_lastDirectory)
                                  .filePath((m_order.isEmpty() ? QStringLiteral("training-curves")
                                                               : m_entries[m_order.front()].name)
                                                .replace(QLatin1Char('/'), QLatin1Char('-')) +
                                            (pdf ? QStringLiteral(".pdf") : QStringLiteral(".png")));
    QString path =
        QFileDialog::getSaveFileName(this, pdf ? tr("Export the plot as PDF") : tr("Export the plot as PNG"),
                                     suggested, pdf ? tr("PDF files (*.pdf)") : tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    const QString suffix = pdf ? QStringLiteral(".pdf") : QStringLiteral(".png");
    if (!path.endsWith(suffix, Qt::CaseInsensitive)) path += suffix;
    m_lastDirectory = QFileInfo(path).absolutePath();
    if (pdf)
        exportPdf(path);
    else
        exportPng(path);
}

void TrainingView::saveSettings(QSettings& store) const {
    store.beginGroup(QStringLiteral("trainingView"));
    store.setValue(QStringLiteral("logs"), m_order);
    store.setValue(QStringLiteral("series"), m_plot->series());
    store.setValue(QStringLiteral("xAxis"), m_xAxis->currentData());
    store.setValue(QStringLiteral("logY"), m_logY->isChecked());
    store.setValue(QStringLiteral("smoothing"), m_smoothing->value());
    store.setValue(QStringLiteral("follow"), follow());
    store.setValue(QStringLiteral("directory"), m_lastDirectory);
    store.endGroup();
    if (m_trainDialog) m_trainDialog->saveSettings(store);
}

void TrainingView::restoreSettings(const QSettings& store) {
    auto value = [&](const char* key, const QVariant& fallback = {}) {
        return store.value(QStringLiteral("trainingView/") + QLatin1String(key), fallback);
    };
    m_lastDirectory = value("directory").toString();
    m_smoothing->setValue(value("smoothing", m_smoothing->value()).toInt());
    m_logY->setChecked(value("logY", false).toBool());
    const int xAxis = m_xAxis->findData(value("xAxis", QStringLiteral("step")));
    if (xAxis >= 0) m_xAxis->setCurrentIndex(xAxis);
    setFollow(value("follow", true).toBool());
    // Logs that have gone since are dropped without a word.
    const bool interactive = m_interactive;
    m_interactive = false;
    for (const QString& path : value("logs").toStringList())
        if (QFileInfo::exists(path)) addLog(path);
    m_interactive = interactive;
    const int series = m_series->findData(value("series", QStringLiteral("loss")));
    if (series >= 0) m_series->setCurrentIndex(series);
    if (store.contains(QStringLiteral("train/mode"))) trainDialog()->restoreSettings(store);
}

void TrainingView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

bool TrainingView::isTrainingLogFile(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    static const QStringList kModelSuffixes{QStringLiteral("safetensors"), QStringLiteral("pt"),
                                            QStringLiteral("pth"), QStringLiteral("ckpt"), QStringLiteral("bin")};
    if (kModelSuffixes.contains(suffix) || QFileInfo(path).isDir()) return false;
    return !QImageReader::supportedImageFormats().contains(suffix.toLatin1());
}

void TrainingView::dropEvent(QDropEvent* event) {
    QStringList others;
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile()) continue;
        const QString path = url.toLocalFile();
        if (isTrainingLogFile(path))
            addLog(path);
        else
            others << path;
    }
    event->acceptProposedAction();
    if (!others.isEmpty()) emit otherFilesDropped(others);
}
