// Tests the data-parallel style trainer (core/style/style_trainer.* on core/training/data_parallel_run.*):
// for the base and the extractors stage (the base frozen), 2 ranks x half a batch reproduce 1 rank x the
// whole batch (weights, EMA, Adam's moments, the logged loss); a checkpoint resumes on another world size;
// a killed rank stops the other, named, and its last checkpoint resumes; mismatched settings, worlds and
// bases are refused. The ranks are real processes on 127.0.0.1 (this executable in its child mode), or
// cmstudio-cli train-style --nproc 2. The shared checks are tests/rank_processes.h's.
#include "core/dataset.h"
#include "core/feature_net.h"
#include "core/model.h"
#include "core/style/style_model.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "rank_processes.h"

#include <QFileInfo>
#include <QTemporaryDir>

namespace {

// The world of test_style_trainer: Fashion-MNIST's test garments in `palettes` made-up palettes.
cm::StyleWorld smallWorld(int palettes) {
    std::vector<cm::Palette> list;
    for (int i = 0; i < palettes; ++i) {
        cm::Palette p;
        p.sourceImage = i;
        p.colours = {cv::Vec3b(uchar(20 * i), 30, 30), cv::Vec3b(120, uchar(20 * i), 120),
                     cv::Vec3b(230, 230, uchar(20 * i))};
        list.push_back(p);
    }
    return cm::StyleWorld(cm::loadFashionMnist(cm::defaultFashionMnistDirectory(), cm::Split::Test), list);
}

bool haveFashionMnist() { return QFileInfo(QString::fromStdString(cm::defaultFashionMnistDirectory())).isDir(); }

int runChild(const QMap<QString, QString>& a) {
    cm::StyleTrainParams p;
    cmtest::readChildRunSettings(p, a, 4, 9);
    p.stage = cm::styleStageFromName(a.value("stage", "base").toStdString());
    p.base = cm::styleBaseConfig("tiny");
    p.basePath = a.value("base").toStdString();
    p.featureNetPath = a.value("features").toStdString();
    p.extractors = {2, 16, 1};
    p.batchSize = 4;
    p.learningRate = a.value("lr", "1e-3").toDouble();
    p.emaRate = 0.5;
    return cmtest::runChildTraining(a, [&](const std::function<void(long)>& afterStep, cm::CancelFlag* cancel) {
        const auto summary = cm::trainStyleModel(p, smallWorld(a.value("palettes", "10").toInt()),
                                                 [&](const cm::StyleTrainStatus& s) { afterStep(s.step); }, cancel);
        return cmtest::ChildRun{summary.steps, summary.cancelled};
    });
}

} // namespace

class TestDistributedStyle : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_base, m_otherBase, m_features; // untrained: the code path is what is tested

    QString path(const QString& name) const { return m_dir.filePath(name); }

    cmtest::Settings settingsOf(const QString& stage) const {
        return [this, stage](const QString& out, int steps) {
            QStringList args{"stage=" + stage, "out=" + out, "steps=" + QString::number(steps)};
            if (stage == "extractors") args << "base=" + m_base << "features=" + m_features;
            return args;
        };
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        // Bases trained 2 steps: a fresh one's zero output layer would give the extractors no gradient.
        // The other base has the same size and file name: only its weights differ.
        QVERIFY(QDir(m_dir.path()).mkpath("other"));
        m_base = path("base.safetensors");
        m_otherBase = path("other/base.safetensors");
        const auto world = smallWorld(10);
        for (const auto& [out, seed] : {std::pair{m_base, 1}, std::pair{m_otherBase, 2}}) {
            cm::StyleTrainParams base;
            base.base = cm::styleBaseConfig("tiny");
            base.totalSteps = 2;
            base.batchSize = 4;
            base.learningRate = 1e-3;
            base.emaRate = 0; // the last weights
            base.seed = uint64_t(seed);
            base.threads = 1;
            base.outputPath = out.toStdString();
            cm::trainStyleModel(base, world);
        }
        cm::FeatureNetCard features;
        features.kind = cm::FeatureNetKind::Autoencoder;
        features.width = 8;
        features.itemShape = {3, cm::kStyledImageSize, cm::kStyledImageSize};
        features.featureDim = 32;
        m_features = path("features.safetensors");
        cm::FeatureNet::create(features, 3).save(m_features.toStdString());
    }

    // 2 ranks x 2 = 1 rank x 4: the same online weights, EMA and Adam moments; in the extractors stage only
    // the extractors' gradients are summed, the frozen base stays bit for bit.
    void twoRanksEqualOneRank_data() {
        QTest::addColumn<QString>("stage");
        QTest::newRow("base") << "base";
        QTest::newRow("extractors (base frozen)") << "extractors";
    }
    void twoRanksEqualOneRank() {
        QFETCH(QString, stage);
        cmtest::checkEqualsOneRank(settingsOf(stage), path(stage), 2, 4, 4, 2, "seed=10");
        if (QTest::currentTestFailed()) return;
        QVERIFY(cm::Model::load(path(stage + "-n.safetensors").toStdString()).card().network.takesPrompt());
        // The trained parameters did receive gradients (the log's grad_norm column).
        QFile log(path(stage + "-1.safetensors.csv"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        const double gradNorm = QString(log.readAll()).trimmed().section('\n', -1).section(',', 7, 7).toDouble();
        QVERIFY2(gradNorm > 1e-6, qPrintable(QString::number(gradNorm)));
    }

    // Stop a 2-rank run halfway, resume it on 1 rank: the end state of a straight 1-rank run.
    void resumesOnAnotherWorldSize() { cmtest::checkResumesOnAnotherWorldSize(settingsOf("base"), path("resume"), 2, 1, 6, 2); }

    // SIGKILL rank 1: rank 0 stops within the timeout and names it; the last checkpoint resumes.
    void aKilledRankIsNamed() { cmtest::checkLostRankIsNamed(settingsOf("base"), path("killed.safetensors"), 1, false, 6, 2); }

    // Settings, worlds and starting networks that differ between ranks are refused at start-up.
    void mismatchedSettingsAreRefused_data() {
        QTest::addColumn<QString>("stage");
        QTest::addColumn<QString>("change");
        QTest::addColumn<QString>("named");
        QTest::newRow("learning rate") << "base"
                                       << "lr=2e-3"
                                       << "learning_rate";
        QTest::newRow("world") << "base"
                               << "palettes=20"
                               << "world";
        QTest::newRow("base weights") << "extractors"
                                      << "base=" + m_otherBase << "starting_weights";
    }
    void mismatchedSettingsAreRefused() {
        QFETCH(QString, stage);
        QFETCH(QString, change);
        QFETCH(QString, named);
        const QString out = path("mismatch-" + named + ".safetensors");
        cmtest::checkMismatchIsRefused(settingsOf(stage)(out, 4), change, named, out);
    }

    // cmstudio-cli train-style --nproc 2: the same code path as torchrun, the result of one process.
    void nprocEqualsOneProcess() {
        const QString font = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";
        if (!QFileInfo::exists(font)) QSKIP("fonts-noto-color-emoji is not installed");
        QProcess script;
        script.start("bash", {QString(CMSTUDIO_SOURCE_DIR) + "/scripts/make-emoji-folder.sh", path("emoji")});
        QVERIFY(script.waitForFinished(120000));
        QCOMPARE(script.exitCode(), 0);
        const QStringList common = {"train-style", "--stage", "base", "--size", "tiny", "--batch", "4",
                                    "--steps", "2", "--log-every", "1", "--threads", "1", "--seed", "3",
                                    "--emoji", path("emoji"), "--timeout", "30"};
        cmtest::checkNprocEqualsOneProcess(common, m_dir.path(), 4, 2);
    }
};

int main(int argc, char** argv) {
    if (const auto child = cmtest::rankChildArguments(argc, argv)) return runChild(*child);
    QCoreApplication app(argc, argv);
    TestDistributedStyle test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_distributed_style.moc"
