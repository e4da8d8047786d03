// Tests ui/training_log: the three log formats, following a file that grows, is truncated or replaced,
// and errors that name the file and line for input that is not a training log.
#include "file_fixtures.h"
#include "ui/training_log.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <sys/resource.h>

namespace {

long peakResidentMegabytes() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

} // namespace

class TestTrainingLog : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    int m_files = 0;

    QString path(const QString& name) { return m_dir.filePath(name); }

    QString write(const QString& name, const QByteArray& bytes) { return cmtest::writeFile(path(name), bytes); }
    void append(const QString& file, const QByteArray& bytes) { cmtest::appendFile(file, bytes); }

    // Makes a file look as if its writer stopped long ago.
    static void age(const QString& file) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(QDateTime::currentDateTime().addSecs(-60), QFileDevice::FileModificationTime));
    }

    QString fresh(const QString& suffix) { return QStringLiteral("log%1%2").arg(++m_files).arg(suffix); }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // The logs in docs/logs/ are the training of the bundled models: each ends at the step its model's card
    // records (fashion-mnist-edm's ran on to 2,900 while the model, and the README, say 2,492).
    void theBundledModelsLogsEndAtTheirCardsStep_data() {
        QTest::addColumn<QString>("name");
        const QDir logs(QStringLiteral(CMSTUDIO_SOURCE_DIR "/docs/logs"));
        for (const QString& file : logs.entryList({"*.csv"}, QDir::Files))
            QTest::newRow(qPrintable(file)) << QFileInfo(file).completeBaseName();
    }
    void theBundledModelsLogsEndAtTheirCardsStep() {
        QFETCH(QString, name);
        QFile model(QStringLiteral(CMSTUDIO_SOURCE_DIR "/resources/models/") + name + ".safetensors");
        QVERIFY(model.open(QIODevice::ReadOnly));
        quint64 headerSize = 0;
        QCOMPARE(model.read(reinterpret_cast<char*>(&headerSize), 8), qint64(8)); // little-endian, as on x86
        const QJsonObject card =
            QJsonDocument::fromJson(model.read(qint64(headerSize))).object().value("__metadata__").toObject();
        const long steps = card.value("training_steps").toString().toLong();
        QVERIFY(steps > 0);
        TrainingLog log(QStringLiteral(CMSTUDIO_SOURCE_DIR "/docs/logs/") + name + ".csv");
        QVERIFY(log.refresh() != TrainingLog::Update::Failed);
        const double last = log.lastFinite("step");
        QVERIFY2(last <= steps && last > steps - 100,
                 qPrintable(QString("log ends at step %1, the card says %2").arg(last).arg(steps)));
    }

    void readsThisProjectsCsv() {
        const QString file =
            write(fresh(".safetensors.csv"),
                  "step,samples,loss,loss_q0,loss_q1,loss_q2,loss_q3,grad_norm,param_norm,lr,N,mu,"
                  "seconds\n"
                  "50,3200,17.2,26.8,11.3,0.40,0.0053,39.0,75.7,0.0002,11,0,108.7\n"
                  "100,6400,16.4,26.2,,0.49,0.010,28.4,75.8,0.0002,,0,221.2\n"
                  "150,9600,15.6,25.8,8.57,0.55,0.013,31.5,75.8,0.0002,12,0.5,331.7\n");
        TrainingLog log(file);
        QCOMPARE(log.refresh(), TrainingLog::Update::Appended);
        QVERIFY2(log.error().isEmpty(), qPrintable(log.error()));
        QCOMPARE(log.format(), TrainingLog::Format::Csv);
        QCOMPARE(log.columns(),
                 QString("step,samples,loss,loss_q0,loss_q1,loss_q2,loss_q3,grad_norm,param_norm,lr,N,"
                         "mu,seconds")
                     .split(','));
        QCOMPARE(log.rowCount(), 3);
        QCOMPARE(log.column("step"), (QVector<double>{50, 100, 150}));
        QCOMPARE(log.column("loss"), (QVector<double>{17.2, 16.4, 15.6}));
        QCOMPARE(log.column("seconds").back(), 331.7);
        QVERIFY(std::isnan(log.column("loss_q1")[1])); // empty field: missing, not an error
        QVERIFY(std::isnan(log.column("N")[1]));
        QCOMPARE(log.nonFiniteCount(), 0);
        const auto n = log.series("step", "N");
        QCOMPARE(n.x, (QVector<double>{50, 150}));
        QCOMPARE(n.y, (QVector<double>{11, 12}));
        QCOMPARE(log.lastFinite("step"), 150.0);
        QVERIFY(log.column("no such column").isEmpty());
        QCOMPARE(log.refresh(), TrainingLog::Update::Unchanged);
    }

    void readsTheOfficialProgressCsv() {
        // Their logger sorts new keys into the header and leaves a value empty when a row lacks it.
        const QString file =
            write(fresh("progress.csv"),
                  "grad_norm,lg_loss_scale,loss,loss_q0,loss_q1,loss_q2,loss_q3,param_norm,samples,"
                  "step\n"
                  "1.5,20.0,0.9,0.8,0.7,0.6,0.5,300.0,256,0\n"
                  "1.25,,0.8,0.7,,0.5,0.4,300.5,512,1\n"
                  "1.0,20.0,0.7\n");
        TrainingLog log(file);
        QVERIFY(log.reload());
        QCOMPARE(log.format(), TrainingLog::Format::Csv);
        QCOMPARE(log.rowCount(), 3);
        QCOMPARE(log.column("step").mid(0, 2), (QVector<double>{0, 1}));
        QVERIFY(std::isnan(log.column("step")[2])); // a short row misses the rest
        QCOMPARE(log.column("loss"), (QVector<double>{0.9, 0.8, 0.7}));
        QCOMPARE(log.column("lg_loss_scale")[0], 20.0);
        QVERIFY(std::isnan(log.column("lg_loss_scale")[1]));
        QCOMPARE(log.series("step", "loss").y, (QVector<double>{0.9, 0.8}));

        // A new key: the logger rewrites the file with a wider header and pads the old rows.
        write(QFileInfo(file).fileName(),
              "grad_norm,lg_loss_scale,loss,loss_q0,loss_q1,loss_q2,loss_q3,param_norm,samples,step,mse\n"
              "1.5,20.0,0.9,0.8,0.7,0.6,0.5,300.0,256,0,\n"
              "1.25,,0.8,0.7,,0.5,0.4,300.5,512,1,\n"
              "1.0,20.0,0.7,0.6,0.5,0.4,0.3,301.0,768,2,\n"
              "0.9,20.0,0.6,0.5,0.4,0.3,0.2,301.5,1024,3,0.05\n");
        QCOMPARE(log.refresh(), TrainingLog::Update::Reloaded);
        QCOMPARE(log.rowCount(), 4);
        QVERIFY(log.hasColumn("mse"));
        QCOMPARE(log.series("step", "mse").x, (QVector<double>{3}));
        QCOMPARE(log.column("step"), (QVector<double>{0, 1, 2, 3}));
    }

    void readsJsonLines() {
        const QString file = write(
            fresh(".jsonl"), "{\"step\": 10, \"loss\": 1.5, \"phase\": \"train\", \"ok\": true}\n"
                             "\n"
                             "{\"step\": 20, \"loss\": NaN, \"lr\": 0.001, \"nested\": {\"a\": 1}}\n"
                             "{\"step\": 30, \"loss\": 1.25, \"lr\": Infinity, \"note\": \"NaN in text\"}\n"
                             "{\"loss\": -Infinity, \"step\": 40}\n");
        TrainingLog log(file);
        QVERIFY2(log.reload(), qPrintable(log.error()));
        QCOMPARE(log.format(), TrainingLog::Format::JsonLines);
        QCOMPARE(log.columns(), (QStringList{"step", "loss", "lr"}));
        QCOMPARE(log.rowCount(), 4);
        QCOMPARE(log.column("step"), (QVector<double>{10, 20, 30, 40}));
        QVERIFY(std::isnan(log.column("lr")[0])); // the key appeared later
        QCOMPARE(log.column("lr")[1], 0.001);
        QCOMPARE(log.nonFiniteCount("loss"), 2);
        QCOMPARE(log.nonFiniteCount("lr"), 1);
        QCOMPARE(log.nonFiniteCount(), 3);
        const auto loss = log.series("step", "loss");
        QCOMPARE(loss.x, (QVector<double>{10, 30}));
        QCOMPARE(loss.y, (QVector<double>{1.5, 1.25}));
    }

    void detectsTheFormatByContent() {
        TrainingLog json(write(fresh(".csv"), "{\"step\": 1, \"loss\": 2}\n"));
        QVERIFY(json.reload());
        QCOMPARE(json.format(), TrainingLog::Format::JsonLines);
        TrainingLog csv(write(fresh(".json"), "\xEF\xBB\xBF"
                                              "step,loss\r\n1,2\r\n3,4\r\n"));
        QVERIFY(csv.reload());
        QCOMPARE(csv.format(), TrainingLog::Format::Csv);
        QCOMPARE(csv.columns(), (QStringList{"step", "loss"}));
        QCOMPARE(csv.column("loss"), (QVector<double>{2, 4}));
        TrainingLog tabs(write(fresh(".tsv"), "step\tloss\n5\t0.5\n"));
        QVERIFY(tabs.reload());
        QCOMPARE(tabs.column("loss"), (QVector<double>{0.5}));
    }

    void countsAndSkipsNonFiniteValues() {
        TrainingLog log(
            write(fresh(".csv"), "step,loss,grad_norm\n1,nan,1\n2,inf,2\n3,0.5,-inf\n4,0.25,NaN\n"));
        QVERIFY(log.reload());
        QCOMPARE(log.rowCount(), 4);
        QCOMPARE(log.nonFiniteCount("loss"), 2);
        QCOMPARE(log.nonFiniteCount("grad_norm"), 2);
        QCOMPARE(log.series("step", "loss").x, (QVector<double>{3, 4}));
        QCOMPARE(log.series("step", "grad_norm").y, (QVector<double>{1, 2}));
    }

    void waitsForAPartialLastLine() {
        const QString file = write(fresh(".csv"), "step,loss\n1,0.5\n2,0.2");
        TrainingLog log(file);
        QCOMPARE(log.refresh(), TrainingLog::Update::Appended);
        QCOMPARE(log.rowCount(), 1); // "2,0.2" may be the start of "2,0.25"
        QCOMPARE(log.refresh(), TrainingLog::Update::Unchanged);
        append(file, "5\n3,");
        QCOMPARE(log.refresh(), TrainingLog::Update::Appended);
        QCOMPARE(log.column("loss"), (QVector<double>{0.5, 0.25}));
        append(file, "0.125\n");
        QCOMPARE(log.refresh(), TrainingLog::Update::Appended);
        QCOMPARE(log.column("step"), (QVector<double>{1, 2, 3}));
        QCOMPARE(log.column("loss").back(), 0.125);
        // The header itself can arrive in pieces.
        const QString slow = write(fresh(".csv"), "st");
        TrainingLog slowLog(slow);
        QVERIFY(slowLog.refresh() != TrainingLog::Update::Failed);
        QCOMPARE(slowLog.format(), TrainingLog::Format::Unknown);
        append(slow, "ep,loss\n7,1\n");
        QCOMPARE(slowLog.refresh(), TrainingLog::Update::Appended);
        QCOMPARE(slowLog.column("step"), (QVector<double>{7}));
    }

    void readsALastLineWithoutBreakOnceTheFileIsStill() {
        const QString file = write(fresh(".csv"), "step,loss\n1,0.5\n2,0.25");
        age(file);
        TrainingLog log(file);
        QVERIFY(log.reload());
        QCOMPARE(log.column("loss"), (QVector<double>{0.5, 0.25}));
        // The writer was only slow: the line goes on, and is read again whole.
        append(file, "5\n3,0.125\n");
        QCOMPARE(log.refresh(), TrainingLog::Update::Reloaded);
        QCOMPARE(log.column("loss"), (QVector<double>{0.5, 0.255, 0.125}));
    }

    void rereadsATruncatedOrReplacedFile() {
        const QString name = fresh(".csv");
        const QString file = write(name, "step,loss\n1,0.5\n2,0.4\n3,0.3\n");
        TrainingLog log(file);
        QVERIFY(log.reload());
        QCOMPARE(log.rowCount(), 3);
        write(name, "step,loss\n1,0.9\n"); // smaller: truncated
        QCOMPARE(log.refresh(), TrainingLog::Update::Reloaded);
        QCOMPARE(log.column("loss"), (QVector<double>{0.9}));
        write(name, "step,loss\n1,0.7\n2,0.6\n"); // larger, but the line read last changed
        QCOMPARE(log.refresh(), TrainingLog::Update::Reloaded);
        QCOMPARE(log.column("loss"), (QVector<double>{0.7, 0.6}));
        write(name, "step,lossy\n1,0.7\n2,0.6\n3,0.5\n"); // another header
        QCOMPARE(log.refresh(), TrainingLog::Update::Reloaded);
        QCOMPARE(log.columns(), (QStringList{"step", "lossy"}));
        QCOMPARE(log.rowCount(), 3);
        // Replaced by rename, as the trainer does when it resumes.
        const QString replacement = write(fresh(".tmp"), "step,lossy\n1,0.7\n2,0.1\n3,0.5\n4,0.4\n");
        QVERIFY(QFile::remove(file));
        QVERIFY(QFile::rename(replacement, file));
        QCOMPARE(log.refresh(), TrainingLog::Update::Reloaded);
        QCOMPARE(log.column("lossy"), (QVector<double>{0.7, 0.1, 0.5, 0.4}));
    }

    void reportsBadInput_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QByteArray binary("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
        QTest::newRow("binary") << binary << "binary file";
        QTest::newRow("safetensors header") << QByteArray("\x08\0\0\0\0\0\0\0{}      ", 16) << "binary file";
        QTest::newRow("no step column") << QByteArray("epoch,loss\n1,2\n") << "line 1: no 'step' column";
        QTest::newRow("prose") << QByteArray("This is a README.\nIt has no numbers.\n")
                               << "line 1: no 'step' column";
        QTest::newRow("too many fields") << QByteArray("step,loss\n1,2\n3,4,5\n") << "line 3: 3 fields";
        QTest::newRow("text step") << QByteArray("step,loss\n1,2\n\nthree,4\n") << "line 4: the step 'three'";
        QTest::newRow("broken json") << QByteArray("{\"step\": 1}\n{\"step\": 2,\n")
                                     << "line 2: not a JSON object";
        QTest::newRow("json without step")
            << QByteArray("{\"step\": 1}\n{\"loss\": 2}\n") << "line 2: no numeric";
        QTest::newRow("json array") << QByteArray("{\"step\": 1}\n[1, 2]\n") << "line 2: not a JSON object";
        QTest::newRow("one long line") << QByteArray(70 * 1024, 'x') << "no line break";
    }

    void reportsBadInput() {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const QString file = write(fresh(".csv"), content);
        TrainingLog log(file);
        QVERIFY(!log.reload());
        QVERIFY2(log.error().contains(file), qPrintable(log.error()));
        QVERIFY2(log.error().contains(expected), qPrintable(log.error()));
        QCOMPARE(log.refresh(), TrainingLog::Update::Failed); // again, and still no crash
    }

    void keepsTheRowsBeforeABadLine() {
        const QString file = write(fresh(".csv"), "step,loss\n1,2\n2,3\n3,4,5,6\n4,5\n");
        TrainingLog log(file);
        QCOMPARE(log.refresh(), TrainingLog::Update::Failed);
        QVERIFY(log.error().contains("line 4"));
        QCOMPARE(log.column("step"), (QVector<double>{1, 2}));
    }

    void reportsMissingFilesAndFolders() {
        TrainingLog missing(path("no-such-log.csv"));
        QVERIFY(!missing.reload());
        QVERIFY(missing.error().contains(path("no-such-log.csv")));
        QVERIFY(missing.error().contains("no such file"));
        TrainingLog folder(m_dir.path());
        QVERIFY(!folder.reload());
        QVERIFY(folder.error().contains("is a folder"));
        TrainingLog nothing;
        QVERIFY(!nothing.reload());
        QVERIFY(!nothing.error().isEmpty());
        // An empty file is a log that has not started yet.
        TrainingLog empty(write(fresh(".csv"), ""));
        QVERIFY(empty.reload());
        QCOMPARE(empty.rowCount(), 0);
    }

    void copiesShareAndStayIndependent() {
        const QString file = write(fresh(".csv"), "step,loss\n1,0.5\n");
        TrainingLog log(file);
        QVERIFY(log.reload());
        const TrainingLog snapshot = log;
        append(file, "2,0.25\n");
        QCOMPARE(log.refresh(), TrainingLog::Update::Appended);
        QCOMPARE(log.rowCount(), 2);
        QCOMPARE(snapshot.rowCount(), 1);
        QCOMPARE(snapshot.column("loss"), (QVector<double>{0.5}));
    }

    // Found by a robustness campaign: a new JSON key on every line held rows x keys values (3.4 GB for
    // 20,000 lines), a 2,001-column CSV of 500,000 rows aborted the app, and 100,000 columns took 23.6 s.
    void aNewKeyOnEveryLineStopsAtTheColumnBound() {
        QByteArray lines;
        for (int i = 0; i < 20000; ++i)
            lines += "{\"step\": " + QByteArray::number(i) + ", \"key" + QByteArray::number(i) + "\": 1}\n";
        const QString file = write(fresh(".jsonl"), lines);
        const long before = peakResidentMegabytes();
        QElapsedTimer timer;
        timer.start();
        TrainingLog log(file);
        QCOMPARE(log.refresh(), TrainingLog::Update::Failed);
        QVERIFY2(timer.elapsed() < 10000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(peakResidentMegabytes() - before < 200,
                 qPrintable(QString::number(peakResidentMegabytes() - before)));
        QVERIFY2(log.error().contains("line 1024: more than 1024 columns"), qPrintable(log.error()));
        QCOMPARE(log.rowCount(), 1023); // the rows before the line that went over stay
        QCOMPARE(log.columns().size(), 1024);
    }

    void a100000ColumnHeaderIsRefusedAtOnce() {
        QByteArray header = "step";
        for (int i = 1; i < 100000; ++i)
            header += ",c" + QByteArray::number(i);
        const QString file = write(fresh(".csv"), header + "\n1\n");
        QElapsedTimer timer;
        timer.start();
        TrainingLog log(file);
        QVERIFY(!log.reload());
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(log.error().contains("line 1: more than 1024 columns"), qPrintable(log.error()));
    }

    void manyColumnsAreLookedUpQuickly() {
        // Under the bound, a wide log reads in time linear in its size (names are looked up by hash).
        QByteArray header = "step", row = "1";
        for (int i = 1; i < TrainingLog::kMaxColumns; ++i) {
            header += ",c" + QByteArray::number(i);
            row += "," + QByteArray::number(i);
        }
        QByteArray text = header + "\n";
        for (int r = 0; r < 200; ++r)
            text += row + "\n";
        TrainingLog log(write(fresh(".csv"), text));
        QElapsedTimer timer;
        timer.start();
        QVERIFY2(log.reload(), qPrintable(log.error()));
        QCOMPARE(log.columns().size(), TrainingLog::kMaxColumns);
        for (const QString& name : log.columns())
            QCOMPARE(log.column(name).size(), 200);
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    }

    void aWideLongLogStopsAtTheValueBound() {
        // 1,000 columns of 17,000 rows: more values than the bound (16 M); the rows below it are kept.
        QByteArray header = "step", row;
        for (int i = 1; i < 1000; ++i)
            header += ",c" + QByteArray::number(i);
        for (int i = 1; i < 1000; ++i)
            row += ",1";
        QFile out(path(fresh(".csv")));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(header + "\n");
        for (int r = 1; r <= 17000; ++r)
            out.write(QByteArray::number(r) + row + "\n");
        out.close();
        TrainingLog log(out.fileName());
        QCOMPARE(log.refresh(), TrainingLog::Update::Failed);
        QVERIFY2(log.error().contains("more than 16777216 values"), qPrintable(log.error()));
        QCOMPARE(log.rowCount(), int(TrainingLog::kMaxValues / 1000));
    }

    void anOverlongLineIsRefused() {
        const QString file = write(fresh(".csv"), "step,loss\n1,2\n3," + QByteArray(5 << 20, '4') + "\n");
        TrainingLog log(file);
        QVERIFY(!log.reload());
        QVERIFY2(log.error().contains("line 3: longer than 1024 KB"), qPrintable(log.error()));
        QCOMPARE(log.rowCount(), 1);
    }

    void bytesInMemoryParseLikeAFile() {
        const QByteArray text = "\xEF\xBB\xBFstep,loss\n1,0.5\n2,nan\n3,0.25";
        const TrainingLog fromMemory = TrainingLog::fromBytes(text, "memory.csv");
        QVERIFY2(fromMemory.error().isEmpty(), qPrintable(fromMemory.error()));
        QCOMPARE(fromMemory.column("loss").size(), 3);
        QCOMPARE(fromMemory.nonFiniteCount("loss"), 1);
        QCOMPARE(fromMemory.lastFinite("loss"), 0.25);
        const TrainingLog binary = TrainingLog::fromBytes(QByteArray("\x89PNG\r\n\x1a\n\0", 9), "memory.png");
        QVERIFY(binary.error().contains("binary"));
        const TrainingLog broken = TrainingLog::fromBytes("step,loss\n1,2\nx,3\n", "memory.csv");
        QVERIFY2(broken.error().contains("memory.csv, line 3"), qPrintable(broken.error()));
        QCOMPARE(broken.rowCount(), 1);
    }

    void readsARealTrainingRunIfPresent() {
        const QDir runs("/work/runs");
        const QStringList logs = runs.entryList({"*.safetensors.csv"}, QDir::Files, QDir::Name);
        if (logs.isEmpty()) QSKIP("no training logs in /work/runs on this machine");
        TrainingLog log(runs.filePath(logs.front()));
        QVERIFY2(log.reload(), qPrintable(log.error()));
        QCOMPARE(log.columns().mid(0, 3), (QStringList{"step", "samples", "loss"}));
        QVERIFY(log.rowCount() > 0);
        const auto steps = log.column("step");
        QVERIFY(std::is_sorted(steps.begin(), steps.end()));
    }
};

QTEST_MAIN(TestTrainingLog)
#include "test_training_log.moc"
