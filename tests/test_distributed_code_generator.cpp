// Tests the data-parallel stage-2 code-generator trainer (core/tokenizer/code_generator_trainer.* on
// core/training/data_parallel_run.*): 2 ranks (and 3 uneven ones) x their slices reproduce 1 rank x the whole
// batch (weights, EMA, Adam's moments, the logged loss); a checkpoint resumes on another world size (2 -> 1,
// 1 -> 2); a killed rank stops the other, named, and its last checkpoint resumes; mismatched settings and
// codes are refused. The ranks are real processes on 127.0.0.1 (this executable in its child mode), or
// cmstudio-cli train-code-generator --nproc 2. The shared checks are tests/rank_processes.h's.
#include "code_set_fixtures.h"
#include "core/tokenizer/code_generator.h"
#include "core/tokenizer/code_generator_trainer.h"
#include "core/tokenizer/tokenizer.h"
#include "rank_processes.h"

#include <QTemporaryDir>

namespace {

int runChild(const QMap<QString, QString>& a) {
    cm::CodeGeneratorTrainParams p;
    cmtest::readChildRunSettings(p, a, 6, 2);
    p.width = a.value("width", "32").toInt();
    p.depth = 2;
    p.batchSize = 16;
    p.learningRate = a.value("lr", "3e-3").toDouble();
    p.emaRate = 0.9;
    return cmtest::runChildTraining(a, [&](const std::function<void(long)>& afterStep, cm::CancelFlag* cancel) {
        const auto summary = cm::trainCodeGenerator(p, cmtest::tinyCodes(30, a.value("data-seed", "5").toUInt()),
                                                    [&](long step, long, double) { afterStep(step); }, cancel);
        return cmtest::ChildRun{summary.steps, summary.cancelled};
    });
}

cmtest::Settings settings() {
    return [](const QString& out, int steps) { return QStringList{"out=" + out, "steps=" + QString::number(steps)}; };
}

} // namespace

class TestDistributedCodeGenerator : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // W ranks x their slices of 16 = 1 rank x 16: the same weights, EMA and Adam moments.
    void ranksEqualOneRank_data() {
        QTest::addColumn<int>("world");
        QTest::newRow("2 ranks x 8") << 2;
        QTest::newRow("3 uneven ranks (5, 5, 6)") << 3;
    }
    void ranksEqualOneRank() {
        QFETCH(int, world);
        cmtest::checkEqualsOneRank(settings(), path(QString("ranks-%1").arg(world)), world, 6, 16, 2, "seed=3");
        if (QTest::currentTestFailed()) return;
        QCOMPARE(cm::CodeGenerator::load(path(QString("ranks-%1-n.safetensors").arg(world)).toStdString()).card().trainingSteps, 6L);
    }

    // Stop a run halfway, resume it on another world size: the end state of a straight 1-rank run.
    void resumesOnAnotherWorldSize_data() {
        QTest::addColumn<int>("before");
        QTest::addColumn<int>("after");
        QTest::newRow("2 -> 1") << 2 << 1;
        QTest::newRow("1 -> 2") << 1 << 2;
    }
    void resumesOnAnotherWorldSize() {
        QFETCH(int, before);
        QFETCH(int, after);
        cmtest::checkResumesOnAnotherWorldSize(settings(), path(QString("resume-%1to%2").arg(before).arg(after)), before,
                                               after, 8, 3);
    }

    // SIGKILL rank 1: rank 0 stops within the timeout and names it; the last checkpoint resumes.
    void aKilledRankIsNamed() { cmtest::checkLostRankIsNamed(settings(), path("killed.safetensors"), 1, false, 6, 2); }

    // Settings and codes that differ between ranks are refused at start-up by every rank, naming what differs.
    void mismatchedSettingsAreRefused_data() {
        QTest::addColumn<QString>("change");
        QTest::addColumn<QString>("named");
        QTest::newRow("learning rate") << "lr=1e-3"
                                       << "learning_rate";
        QTest::newRow("codes") << "data-seed=6"
                               << "codes";
        QTest::newRow("network") << "width=48"
                                 << "code_generator";
    }
    void mismatchedSettingsAreRefused() {
        QFETCH(QString, change);
        QFETCH(QString, named);
        const QString out = path("mismatch-" + named + ".safetensors");
        cmtest::checkMismatchIsRefused(settings()(out, 4), change, named, out);
    }

    // cmstudio-cli train-code-generator --nproc 2 (every rank encodes the images): the result of one process.
    void nprocEqualsOneProcess() {
        cm::TokenizerCard card;
        card.config = cm::tokenizerPreset("lo", 28, 1); // Fashion-MNIST's size
        card.config.encoderWidth = card.config.decoderWidth = 16;
        card.config.encoderDepth = card.config.decoderDepth = 1;
        card.config.heads = 2;
        card.stages = {"1a"};
        const QString tokenizer = path("tokenizer.safetensors");
        cm::Tokenizer::create(card, 0).save(tokenizer.toStdString());
        const QStringList common = {"train-code-generator", "--model", tokenizer, "--data", "fashion-mnist",
                                    "--limit", "64", "--batch", "16", "--width", "64", "--steps", "4",
                                    "--log-every", "1", "--threads", "1", "--timeout", "20"};
        cmtest::checkNprocEqualsOneProcess(common, m_dir.path(), 16, 4);
    }
};

int main(int argc, char** argv) {
    if (const auto child = cmtest::rankChildArguments(argc, argv)) return runChild(*child);
    QCoreApplication app(argc, argv);
    TestDistributedCodeGenerator test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_distributed_code_generator.moc"
