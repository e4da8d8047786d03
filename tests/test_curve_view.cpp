// Tests the training-curves GUI: CurvePlot (series, ranges, log scale, smoothing, read-out, export),
// TrainingView (loading, errors without message boxes, following a growing log) and TrainDialog (the
// form and its command, and real runs of cmstudio-cli train: finish, stop with a checkpoint, resume).
#include "file_fixtures.h"
#include "ui/curve_plot.h"
#include "ui/train_dialog.h"
#include "ui/training_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <utility>

#include <sys/stat.h>

namespace {

// A log of this project's format: loss falls from 10 as 10/(1 + k), every 100 steps.
QByteArray projectLog(int rows, int firstRow = 0, bool header = true) {
    QByteArray text = header
                          ? "step,samples,loss,loss_q0,loss_q1,loss_q2,loss_q3,grad_norm,param_norm,lr,N,mu,"
                            "seconds\n"
                          : "";
    for (int k = firstRow; k < firstRow + rows; ++k) {
        const double loss = 10.0 / (1 + k);
        text += QString("%1,%2,%3,%4,%5,%6,%7,%8,75,0.0002,%9,0,%10\n")
                    .arg(100 * (k + 1))
                    .arg(6400 * (k + 1))
                    .arg(loss)
                    .arg(2 * loss)
                    .arg(loss)
                    .arg(loss / 2)
                    .arg(loss / 4)
                    .arg(1 + (k % 3))
                    .arg(10 + k)
                    .arg(2.5 * (k + 1))
                    .toUtf8();
    }
    return text;
}

} // namespace

class TestCurveView : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    int m_files = 0;

    QString write(const QString& name, const QByteArray& bytes) { return cmtest::writeFile(m_dir.filePath(name), bytes); }
    void append(const QString& file, const QByteArray& bytes) { cmtest::appendFile(file, bytes); }

    QString fresh(const QString& stem) {
        return QStringLiteral("%1-%2.safetensors.csv").arg(stem).arg(++m_files);
    }

    TrainingLog loaded(const QString& file) {
        TrainingLog log(file);
        if (!log.reload()) qFatal("%s", qPrintable(log.error()));
        return log;
    }

    static QString cliPath() { return QCoreApplication::applicationDirPath() + "/../app/cmstudio-cli"; }

    // Eight tiny grey images: the smallest data set the trainer accepts.
    QString imageFolder() {
        const QString folder = m_dir.filePath("images");
        if (QDir(folder).exists()) return folder;
        QDir().mkpath(folder);
        for (int i = 0; i < 8; ++i) {
            QImage image(28, 28, QImage::Format_Grayscale8);
            image.fill(QColor(30 * i, 30 * i, 30 * i));
            for (int y = 0; y < 28; ++y)
                image.setPixel(i * 3, y, qRgb(255, 255, 255));
            image.save(QStringLiteral("%1/%2.png").arg(folder).arg(i));
        }
        return folder;
    }

    TrainSettings tinyRun(const QString& output, long steps) {
        TrainSettings s;
        s.mode = "edm";
        s.data = imageFolder();
        s.imageSize = 28;
        s.channels = 1;
        s.steps = steps;
        s.batch = 4;
        s.threads = 1;
        s.output = m_dir.filePath(output);
        s.logEvery = 1;
        s.checkpointEvery = 2;
        s.extraArguments = QStringList{"--base-width", "8", "--channel-mult", "1,2", "--attention", "none"};
        return s;
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void plotsARunWithRangesCoveringTheData() {
        CurvePlot plot;
        plot.setSmoothing(0);
        plot.setRun("a", "run a", loaded(write(fresh("a"), projectLog(10))));
        QCOMPARE(plot.graphCount(), 2); // raw and smoothed
        QCOMPARE(plot.pointCount("a"), 10);
        QVERIFY(plot.xRange().lower <= 100 && plot.xRange().upper >= 1000);
        QVERIFY(plot.xRange().upper < 1100); // fitted, not merely covering
        QVERIFY(plot.yRange().lower <= 1.0 && plot.yRange().upper >= 10.0);
        QVERIFY(plot.yRange().upper < 11);
        QCOMPARE(plot.smoothedGraph("a")->data()->at(9)->value, 1.0);
        QCOMPARE(plot.customPlot()->legend->itemCount(), 1);
    }

    void overlaysRunsInDistinctColours() {
        CurvePlot plot;
        plot.setRun("a", "run a", loaded(write(fresh("a"), projectLog(10))));
        plot.setRun("b", "run b", loaded(write(fresh("b"), projectLog(5, 20))));
        QCOMPARE(plot.graphCount(), 4);
        QCOMPARE(plot.pointCount("b"), 5);
        QVERIFY(plot.runColor("a") != plot.runColor("b"));
        QCOMPARE(plot.smoothedGraph("a")->pen().color(), plot.runColor("a"));
        QCOMPARE(plot.customPlot()->legend->itemCount(), 2); // raw curves stay out of the legend
        QVERIFY(plot.xRange().upper >= 2500);
        plot.removeRun("a");
        QCOMPARE(plot.graphCount(), 2);
        QCOMPARE(plot.runKeys(), QStringList{"b"});
    }

    void showsQuartilesAndOtherColumns() {
        CurvePlot plot;
        const TrainingLog log = loaded(write(fresh("q"), projectLog(8)));
        plot.setRun("q", "q", log);
        plot.setSeries(CurvePlot::kLossQuartiles);
        QCOMPARE(plot.graphCount(), 8);
        QCOMPARE(plot.customPlot()->legend->itemCount(), 1 + 4); // the run, and the four line styles
        for (int q = 0; q < 4; ++q)
            QCOMPARE(plot.pointCount("q", q), 8);
        QCOMPARE(plot.smoothedGraph("q", 0)->pen().style(), Qt::SolidLine);
        QCOMPARE(plot.smoothedGraph("q", 1)->pen().style(), Qt::DashLine);
        QVERIFY(plot.yRange().upper >= 20); // q0 is twice the loss
        plot.setSeries("N");
        QCOMPARE(plot.graphCount(), 2);
        QVERIFY(plot.yRange().lower <= 10 && plot.yRange().upper >= 17);
        plot.setSeries("no such column");
        QCOMPARE(plot.pointCount("q"), 0);
    }

    void plotsAgainstWallTime() {
        CurvePlot plot;
        plot.setRun("t", "t", loaded(write(fresh("t"), projectLog(4))));
        plot.setRun("x", "no time", loaded(write("steps-only.csv", "step,loss\n1,1\n2,0.5\n")));
        plot.setXAxis(CurvePlot::XAxis::Time);
        QCOMPARE(plot.pointCount("t"), 4);
        QCOMPARE(plot.smoothedGraph("t")->data()->at(3)->key, 10.0); // seconds, not steps
        QCOMPARE(plot.pointCount("x"), 0);
        QVERIFY(plot.xRange().lower <= 2.5 && plot.xRange().upper >= 10);
        plot.setXAxis(CurvePlot::XAxis::Step);
        QCOMPARE(plot.pointCount("x"), 2);
    }

    void leavesNonFiniteValuesOut() {
        CurvePlot plot;
        plot.setRun("n", "n", loaded(write(fresh("n"), "step,loss\n1,1\n2,nan\n3,inf\n4,0.5\n5,\n")));
        QCOMPARE(plot.pointCount("n"), 2);
        QVERIFY(std::isfinite(plot.yRange().upper));
    }

    void logScaleFlipsTheAxis() {
        CurvePlot plot;
        plot.setRun("a", "a", loaded(write(fresh("log"), "step,loss\n1,100\n2,0\n3,1\n4,0.01\n5,-1\n")));
        QCOMPARE(plot.yScaleType(), QCPAxis::stLinear);
        QCOMPARE(plot.pointCount("a"), 5);
        plot.setLogY(true);
        QCOMPARE(plot.yScaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(plot.pointCount("a"), 3); // zero and below have no logarithm
        QVERIFY(plot.yRange().lower > 0 && plot.yRange().lower <= 0.01);
        QVERIFY(plot.yRange().upper >= 100);
        plot.setLogY(false);
        QCOMPARE(plot.yScaleType(), QCPAxis::stLinear);
        QCOMPARE(plot.pointCount("a"), 5);
    }

    void smoothingChangesTheSmoothedCurveAndKeepsTheRaw() {
        CurvePlot plot;
        plot.setSmoothing(0);
        plot.setRun("a", "a", loaded(write(fresh("s"), "step,loss\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n")));
        QVERIFY(!plot.rawGraph("a")->visible()); // it would hide under the identical smoothed curve
        QCOMPARE(plot.smoothedGraph("a")->data()->at(1)->value, 0.0);
        plot.setSmoothing(0.9);
        QCOMPARE(plot.smoothing(), 0.9);
        QCPGraph* raw = plot.rawGraph("a");
        QCPGraph* smooth = plot.smoothedGraph("a");
        QVERIFY(raw->visible());
        QCOMPARE(raw->dataCount(), 6);
        QCOMPARE(smooth->dataCount(), 6);
        QCOMPARE(raw->data()->at(1)->value, 0.0);
        QVERIFY(raw->pen().color().alpha() < smooth->pen().color().alpha());
        // Debiased EMA: the first point is the first value; the second is (0.9*0.1*1 + 0.1*0)/(1 - 0.81).
        QCOMPARE(smooth->data()->at(0)->value, 1.0);
        QVERIFY(std::abs(smooth->data()->at(1)->value - 0.09 / 0.19) < 1e-12);
        for (int i = 1; i < 6; ++i)
            QVERIFY(smooth->data()->at(i)->value > 0.2 && smooth->data()->at(i)->value < 0.8);
        plot.setSmoothing(5); // clamped
        QCOMPARE(plot.smoothing(), 0.99);
    }

    void hoverShowsTheNearestPoint() {
        CurvePlot plot;
        plot.setSmoothing(0);
        plot.resize(800, 500);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setRun("a", "first run", loaded(write(fresh("h"), projectLog(10))));
        plot.customPlot()->replot();
        QSignalSpy readouts(&plot, &CurvePlot::readoutChanged);
        auto* axes = plot.customPlot();
        const QPointF at(axes->xAxis->coordToPixel(500), axes->yAxis->coordToPixel(2.0));
        QTest::mouseMove(axes, at.toPoint());
        QTRY_VERIFY(plot.readout().contains("step 500"));
        QVERIFY(plot.readout().contains("first run"));
        QVERIFY(plot.readout().contains("loss: 2"));
        QVERIFY(readouts.count() >= 1);
        plot.hideReadout();
        QVERIFY(plot.readout().isEmpty());
        plot.setXAxis(CurvePlot::XAxis::Time);
        plot.showReadoutNear(QPointF(axes->xAxis->coordToPixel(25), axes->yAxis->coordToPixel(1.0)));
        QVERIFY2(plot.readout().contains("time 0:00:25, step 1000"), qPrintable(plot.readout()));
        plot.showReadoutNear(QPointF(-50, -50)); // outside the axes
        QVERIFY(plot.readout().isEmpty());
    }

    // On a log scale every decade has its label, written as a plain number (labels were "1E+00", two
    // decades apart); the plot has no tooltip that would lie over the hover read-out.
    void logScaleLabelsEveryDecade() {
        CurvePlot plot;
        plot.resize(700, 500);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setRun("a", "a", loaded(write(fresh("log"), projectLog(10000)))); // loss 10 ... 0.001
        plot.setLogY(true);
        QCustomPlot* axes = plot.customPlot();
        axes->replot();
        const QVector<QString> labels = axes->yAxis->tickVectorLabels();
        for (const QString& decade : {QString("0.01"), QString("0.1"), QString("1"), QString("10")})
            QVERIFY2(labels.contains(decade), qPrintable(QStringList(labels.begin(), labels.end()).join(" ")));
        QVERIFY(axes->toolTip().isEmpty() && plot.toolTip().isEmpty());
    }

    // The Training view shows the newest sample grid a run wrote beside its log (<model>.preview.png,
    // the trainer's --preview-every), and follows it as it is replaced.
    void theViewShowsTheRunsLatestPreview() {
        TrainingView view;
        view.setInteractive(false);
        QSignalSpy read(&view, &TrainingView::logRead);
        const QString log = write(fresh("preview"), projectLog(3));
        QVERIFY(view.addLog(log));
        QVERIFY(read.wait(10000));
        QVERIFY(view.previewImage().isNull());
        const QString preview = TrainingView::previewPathFor(log);
        QVERIFY(preview.endsWith(".safetensors.preview.png"));
        QImage grid(4 * 28 + 10, 4 * 28 + 10, QImage::Format_Grayscale8);
        grid.fill(80);
        QVERIFY(grid.save(preview));
        view.refreshLogs();
        QCOMPARE(view.previewImage().size(), grid.size());
        QCOMPARE(view.previewPath(), QFileInfo(preview).absoluteFilePath());
        QTest::qWait(1100); // a later modification time
        grid.fill(200);
        QVERIFY(grid.save(preview));
        view.refreshLogs();
        QCOMPARE(qGray(view.previewImage().pixel(5, 5)), 200);
        view.removeLog(log);
        QVERIFY(view.previewImage().isNull());
    }

    void exportsPngAndPdf() {
        CurvePlot plot;
        plot.setRun("a", "a", loaded(write(fresh("e"), projectLog(10))));
        QDir exports(m_dir.filePath("exports"));
        QVERIFY(exports.mkpath("."));
        QString error;
        QVERIFY2(plot.exportPng(exports.filePath("curves.png"), &error), qPrintable(error));
        const QImage image(exports.filePath("curves.png"));
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 640);
        QVERIFY2(plot.exportPdf(exports.filePath("curves.pdf"), &error), qPrintable(error));
        QFile pdf(exports.filePath("curves.pdf"));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.size() > 1000);
        QCOMPARE(pdf.read(4), QByteArray("%PDF"));
        // Replacing works, and no temporary file is left behind.
        QVERIFY(plot.exportPng(exports.filePath("curves.png"), &error));
        QCOMPARE(exports.entryList(QDir::Files | QDir::Hidden), (QStringList{"curves.pdf", "curves.png"}));
        QVERIFY(!plot.exportPng(m_dir.filePath("no/such/folder/curves.png"), &error));
        QVERIFY2(error.contains("does not exist"), qPrintable(error));
        QVERIFY(!QFile::exists(m_dir.filePath("no")));
    }

    // Exports were written 0600 (the temporary file's mode); a new file gets the user's normal mode
    // (0666 less the umask), a replaced one keeps the mode it had.
    void exportsGetTheUsersPermissions() {
        CurvePlot plot;
        plot.setRun("a", "a", loaded(write(fresh("p"), projectLog(10))));
        QDir exports(m_dir.filePath("modes"));
        QVERIFY(exports.mkpath("."));
        const mode_t previous = ::umask(022);
        QString error;
        QVERIFY2(plot.exportPng(exports.filePath("curves.png"), &error), qPrintable(error));
        QVERIFY2(plot.exportPdf(exports.filePath("curves.pdf"), &error), qPrintable(error));
        const auto normal = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup |
                            QFileDevice::ReadOther;
        const auto modeOf = [&](const QString& name) {
            return QFile::permissions(exports.filePath(name)) &
                   ~(QFileDevice::ReadUser | QFileDevice::WriteUser | QFileDevice::ExeUser);
        };
        QCOMPARE(modeOf("curves.png"), normal);
        QCOMPARE(modeOf("curves.pdf"), normal);
        QVERIFY(QFile::setPermissions(exports.filePath("curves.png"),
                                      QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup |
                                          QFileDevice::WriteGroup));
        QVERIFY2(plot.exportPng(exports.filePath("curves.png"), &error), qPrintable(error));
        QCOMPARE(modeOf("curves.png"),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::WriteGroup);
        ::umask(previous);
    }

    void viewLoadsLogsAndDrivesThePlot() {
        TrainingView view;
        view.setInteractive(false);
        const QString file = write(fresh("view"), projectLog(10));
        QSignalSpy read(&view, &TrainingView::logRead);
        QVERIFY2(view.addLog(file), qPrintable(view.lastError()));
        QVERIFY(view.isReading()); // on the worker thread
        QVERIFY(view.logPaths().isEmpty());
        QVERIFY(!view.log(file));
        QVERIFY(QTest::qWaitFor([&] { return !view.isReading(); }, 10000));
        QVERIFY(view.addLog(file)); // already there: re-read, not doubled
        QVERIFY(QTest::qWaitFor([&] { return !view.isReading(); }, 10000));
        QCOMPARE(read.count(), 2);
        QCOMPARE(view.logPaths(), QStringList{file});
        CurvePlot* plot = view.plot();
        QCOMPARE(plot->pointCount(file), 10);

        auto* series = view.findChild<QComboBox*>("seriesCombo");
        QVERIFY(series);
        QCOMPARE(series->currentData().toString(), QString("loss"));
        QVERIFY(series->findData(CurvePlot::kLossQuartiles) >= 0);
        QVERIFY(series->findData("grad_norm") >= 0);
        QVERIFY(series->findData("step") < 0);
        series->setCurrentIndex(series->findData("grad_norm"));
        QCOMPARE(plot->series(), QString("grad_norm"));

        auto* logY = view.findChild<QCheckBox*>("logYCheck");
        logY->setChecked(true);
        QCOMPARE(plot->yScaleType(), QCPAxis::stLogarithmic);
        auto* smoothing = view.findChild<QSlider*>("smoothingSlider");
        smoothing->setValue(90);
        QCOMPARE(plot->smoothing(), 0.9);
        auto* xAxis = view.findChild<QComboBox*>("xAxisCombo");
        xAxis->setCurrentIndex(xAxis->findData("time"));
        QCOMPARE(plot->xAxis(), CurvePlot::XAxis::Time);

        view.removeLog(file);
        QVERIFY(view.logPaths().isEmpty());
        QCOMPARE(plot->graphCount(), 0);
    }

    void viewReportsErrorsWithoutMessageBoxes() {
        TrainingView view;
        view.setInteractive(false);
        QSignalSpy errors(&view, &TrainingView::errorOccurred);
        const QString missing = m_dir.filePath("missing.csv");
        QVERIFY(!view.addLog(missing));
        QVERIFY(view.lastError().contains(missing));
        const QString binary = write("model.safetensors", QByteArray("\x10\0\0\0\0\0\0\0{\"a\":1}", 15));
        QVERIFY(view.addLog(binary)); // a file: read on the worker thread, and refused there
        QVERIFY(QTest::qWaitFor([&] { return !view.isReading(); }, 10000));
        QVERIFY(view.lastError().contains(binary));
        QVERIFY(view.lastError().contains("binary"));
        QCOMPARE(errors.count(), 2);
        QVERIFY(view.logPaths().isEmpty());
        QVERIFY(view.findChildren<QMessageBox*>().isEmpty());
    }

    void followPicksUpAppendedRows() {
        TrainingView view;
        view.setInteractive(false);
        const QString file = write(fresh("follow"), projectLog(2));
        QVERIFY(view.addLog(file));
        view.setFollow(true);
        QTRY_COMPARE_WITH_TIMEOUT(view.plot()->pointCount(file), 2, 5000);
        append(file, projectLog(3, 2, false));
        QTRY_COMPARE_WITH_TIMEOUT(view.plot()->pointCount(file), 5, 5000);
        append(file, "600,38400,1.6"); // half a row: not yet
        QTest::qWait(1500);
        QCOMPARE(view.plot()->pointCount(file), 5);
        append(file, "6,3.3,1.6,0.8,0.4,1,75,0.0002,15,0,15\n");
        QTRY_COMPARE_WITH_TIMEOUT(view.plot()->pointCount(file), 6, 5000);
        // The trainer rewrites its log when it resumes: fewer rows, then more.
        write(QFileInfo(file).fileName(), projectLog(1));
        QTRY_COMPARE_WITH_TIMEOUT(view.plot()->pointCount(file), 1, 5000);
        view.setFollow(false);
        append(file, projectLog(1, 1, false));
        QTest::qWait(1500);
        QCOMPARE(view.plot()->pointCount(file), 1);
    }

    void savesAScreenshotWhenAsked() {
        // For the README: CMSTUDIO_SCREENSHOT=/path/view.png ./test_curve_view savesAScreenshotWhenAsked
        const QString target = qEnvironmentVariable("CMSTUDIO_SCREENSHOT");
        if (target.isEmpty()) QSKIP("set CMSTUDIO_SCREENSHOT to a PNG path to save a screenshot");
        TrainingView view;
        view.setInteractive(false);
        const QStringList logs =
            qEnvironmentVariable("CMSTUDIO_SCREENSHOT_LOGS").split(':', Qt::SkipEmptyParts);
        for (const QString& log :
             logs.isEmpty() ? QStringList{write(fresh("screenshot"), projectLog(40))} : logs)
            QVERIFY2(view.addLog(log), qPrintable(view.lastError()));
        QVERIFY(QTest::qWaitFor([&] { return !view.isReading(); }, 30000));
        view.resize(1200, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        auto* axes = view.plot()->customPlot();
        auto pointAtRangeCentre = [axes] {
            return QPointF(axes->xAxis->coordToPixel(axes->xAxis->range().center()),
                           axes->yAxis->coordToPixel(axes->yAxis->range().center()));
        };
        view.plot()->showReadoutNear(pointAtRangeCentre());
        axes->replot();
        QVERIFY(view.grab().save(target));
        // A second view: the loss per noise-level quartile on a log scale.
        auto* series = view.findChild<QComboBox*>("seriesCombo");
        series->setCurrentIndex(series->findData(CurvePlot::kLossQuartiles));
        view.findChild<QCheckBox*>("logYCheck")->setChecked(true);
        view.plot()->showReadoutNear(pointAtRangeCentre());
        axes->replot();
        QVERIFY(view.grab().save(QString(target).replace(".png", "-quartiles.png")));
        TrainDialog* dialog = view.trainDialog();
        TrainSettings settings = tinyRun("screenshot.safetensors", 3000);
        settings.mode = "ict";
        dialog->setSettings(settings);
        dialog->show();
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        QVERIFY(dialog->grab().save(QString(target).replace(".png", "-train-dialog.png")));
    }

    void formReproducesTheSettings() {
        TrainSettings s;
        s.mode = "cd";
        s.data = "/data/faces";
        s.imageSize = 64;
        s.channels = 3;
        s.conditional = true;
        s.steps = 3000;
        s.batch = 32;
        s.learningRate = 1e-4;
        s.ema = "0.999,0.9999";
        s.threads = 2;
        s.teacher = "/models/teacher.safetensors";
        s.output = m_dir.filePath("form.safetensors");
        s.logEvery = 10;
        s.checkpointEvery = 500;
        s.extraArguments = {"--seed", "7"};
        s.processes = 2;

        // The form reproduces the settings, and shows the command (TrainCommand builds it).
        TrainDialog dialog;
        dialog.setCliPath("/opt/cm/cmstudio-cli");
        dialog.setSettings(s);
        QCOMPARE(TrainCommand::arguments(dialog.settings()), TrainCommand::arguments(s));
        QVERIFY(dialog.commandLine().startsWith("/opt/cm/cmstudio-cli train --mode cd"));
        QVERIFY(dialog.commandLine().contains("--seed 7"));
        QVERIFY(dialog.commandLine().contains("--nproc 2"));
        // And the same run for several machines, shown beside it.
        QVERIFY2(dialog.multiMachineCommandLine().startsWith("torchrun --nnodes 2 --nproc_per_node 2 "),
                 qPrintable(dialog.multiMachineCommandLine()));
        bool shown = false;
        for (auto* field : dialog.findChildren<QLineEdit*>())
            shown = shown || field->text() == dialog.multiMachineCommandLine();
        QVERIFY(shown);
    }

    void refusesToReplaceARun() {
        TrainSettings s = tinyRun("existing.safetensors", 4);
        QVERIFY2(TrainCommand::problem(s).isEmpty(), qPrintable(TrainCommand::problem(s)));
        write("existing.safetensors.csv", "step,loss\n");
        QVERIFY(TrainCommand::problem(s).contains("already exists"));
        TrainDialog dialog;
        dialog.setCliPath(cliPath());
        QSignalSpy started(&dialog, &TrainDialog::trainingStarted);
        QVERIFY(!dialog.start(s));
        QVERIFY(dialog.lastError().contains("existing.safetensors.csv"));
        QCOMPARE(started.count(), 0);
        QVERIFY(!dialog.isRunning());
    }

    void showsTheTrainersError() {
        if (!QFileInfo(cliPath()).isExecutable()) QSKIP("cmstudio-cli is not built next to the tests (app/)");
        TrainDialog dialog;
        dialog.setCliPath(cliPath());
        TrainSettings s = tinyRun("bad-option.safetensors", 4);
        s.extraArguments << "--optimizer"
                         << "sgd";
        QSignalSpy finished(&dialog, &TrainDialog::trainingFinished);
        QVERIFY(dialog.start(s));
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.at(0).at(0).toInt(), 2);
        QVERIFY2(dialog.lastError().contains("--optimizer is adam or radam"), qPrintable(dialog.lastError()));
    }

    void trainsAndTheViewFollowsTheLog() {
        if (!QFileInfo(cliPath()).isExecutable()) QSKIP("cmstudio-cli is not built next to the tests (app/)");
        TrainingView view;
        view.setInteractive(false);
        TrainDialog* dialog = view.trainDialog();
        dialog->setCliPath(cliPath());
        const TrainSettings s = tinyRun("tiny.safetensors", 6);
        QSignalSpy finished(dialog, &TrainDialog::trainingFinished);
        QSignalSpy logs(dialog, &TrainDialog::logStarted);
        QElapsedTimer clock;
        clock.start();
        QVERIFY2(dialog->start(s), qPrintable(dialog->lastError()));
        QVERIFY(dialog->isRunning());
        QVERIFY(finished.wait(60000));
        QVERIFY2(finished.at(0).at(0).toInt() == 0, qPrintable(dialog->output()));
        QVERIFY(finished.at(0).at(1).toString().contains("done: 6 steps"));
        QCOMPARE(dialog->stepsDone(), 6L);
        QCOMPARE(dialog->stepsTotal(), 6L);
        QCOMPARE(logs.count(), 1);
        const QString csv = TrainCommand::logPath(s);
        QCOMPARE(logs.at(0).at(0).toString(), csv);
        QTRY_COMPARE_WITH_TIMEOUT(view.logPaths(), QStringList{csv}, 5000);
        QVERIFY(view.follow());
        QTRY_COMPARE_WITH_TIMEOUT(view.plot()->pointCount(csv), 6, 5000);
        QVERIFY(QFileInfo::exists(s.output));
        qInfo("tiny training run and follow: %lld ms", clock.elapsed());
        // One click loads the finished model.
        QVERIFY(dialog->loadModelButton()->isEnabled());
        QSignalSpy load(&view, &TrainingView::modelRequested);
        QTest::mouseClick(dialog->loadModelButton(), Qt::LeftButton);
        QCOMPARE(load.count(), 1);
        QCOMPARE(load.at(0).at(0).toString(), s.output);
    }

    void stopsWithACheckpointAndResumes() {
        if (!QFileInfo(cliPath()).isExecutable()) QSKIP("cmstudio-cli is not built next to the tests (app/)");
        TrainingView view;
        view.setInteractive(false);
        TrainDialog* dialog = view.trainDialog();
        dialog->setCliPath(cliPath());
        const TrainSettings s = tinyRun("stopped.safetensors", 150);
        QSignalSpy finished(dialog, &TrainDialog::trainingFinished);
        bool stopped = false; // once: a second stop() kills the trainer before its checkpoint
        const auto stopper = connect(dialog, &TrainDialog::progressChanged, dialog, [dialog, &stopped](long done) {
            if (done >= 1 && !std::exchange(stopped, true)) dialog->stop(); // at the first progress line
        });
        QVERIFY(dialog->start(s));
        QVERIFY(finished.wait(60000));
        disconnect(stopper);
        const int code = finished.at(0).at(0).toInt();
        const QString message = finished.at(0).at(1).toString();
        QVERIFY2(code == 130, qPrintable(QString::number(code) + " " + message + "\n" + dialog->output()));
        QVERIFY2(message.contains("checkpoint saved"), qPrintable(message));
        QVERIFY(QFileInfo::exists(TrainCommand::checkpointPath(s)));
        const long stoppedAt = QRegularExpression("step (\\d+)").match(message).captured(1).toLong();
        QVERIFY(stoppedAt >= 1 && stoppedAt < 150);
        QCOMPARE(dialog->stepsDone(), stoppedAt); // the bar and the message agree

        QVERIFY(dialog->resume());
        QVERIFY(dialog->settings().resume);
        QVERIFY(finished.wait(60000));
        QVERIFY2(finished.at(1).at(0).toInt() == 0, qPrintable(dialog->output()));
        QCOMPARE(dialog->stepsDone(), 150L);
        const QString csv = TrainCommand::logPath(s);
        QTRY_COMPARE_WITH_TIMEOUT(view.plot()->pointCount(csv), 150, 5000);
        QCOMPARE(view.log(csv)->lastFinite("step"), 150.0);
        // Opened after the run, the output pane shows its newest lines.
        dialog->resize(640, 640);
        dialog->show();
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        auto* pane = dialog->findChild<QPlainTextEdit*>();
        QVERIFY(pane);
        QTRY_VERIFY(pane->verticalScrollBar()->maximum() > 0);
        QTRY_COMPARE(pane->verticalScrollBar()->value(), pane->verticalScrollBar()->maximum());
        QVERIFY(pane->toPlainText().endsWith(pane->document()->lastBlock().text()));
    }
};

QTEST_MAIN(TestCurveView)
#include "test_curve_view.moc"
