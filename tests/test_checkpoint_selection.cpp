// Held-out checkpoint selection (core/tokenizer/checkpoint_selection.h): each checkpoint's tokenizer is
// measured on the held-out images, the lowest-FD one is kept (a copy, byte for byte) and every measurement
// logged; a resumed selection remembers its best; the trainer calls it at every checkpoint.
#include "core/error.h"
#include "core/tokenizer/checkpoint_selection.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_evaluation.h"
#include "core/tokenizer/tokenizer_trainer.h"
#include "expect_error.h"
#include "tokenizer_fixtures.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

namespace {

cm::FeatureNet evaluator() {
    cm::FeatureNetCard card;
    card.kind = cm::FeatureNetKind::Autoencoder;
    card.width = 8;
    card.itemShape = {1, 16, 16};
    card.featureDim = 4;
    return cm::FeatureNet::create(card, 2);
}

cm::TokenizerCard tinyCard() {
    cm::TokenizerCard card;
    card.config = cm::tokenizerPreset("lo", 16, 1);
    card.config.encoderWidth = card.config.decoderWidth = 16;
    card.config.encoderDepth = card.config.decoderDepth = 1;
    card.config.heads = 2;
    card.sampling.steps = 3;
    card.stages = {"1a"};
    return card;
}

QByteArray fileBytes(const std::string& path) {
    QFile file(QString::fromStdString(path));
    file.open(QIODevice::ReadOnly);
    return file.readAll();
}

} // namespace

class TestCheckpointSelection : public QObject {
    Q_OBJECT
  private slots:
    void keepsTheLowestFd() {
        QTemporaryDir dir;
        const auto net = evaluator();
        const auto heldOut = cmtest::squares();
        cm::CheckpointSelectionParams params;
        params.bestPath = dir.filePath("best.safetensors").toStdString();
        const std::string current = dir.filePath("current.safetensors").toStdString();
        std::vector<double> fds;
        std::vector<QByteArray> files;
        {
            cm::CheckpointSelector selector(params, net, heldOut);
            for (int seed = 0; seed < 4; ++seed) {
                const auto tokenizer = cm::Tokenizer::create(tinyCard(), uint64_t(seed) * 11);
                tokenizer.save(current); // the trainer rewrites one file at each checkpoint
                const double fd = selector.consider(10 * (seed + 1), current);
                QCOMPARE(fd, cm::measureReconstructions(cm::Tokenizer::load(current), net, heldOut, {}).fd);
                fds.push_back(fd);
                files.push_back(fileBytes(current));
            }
            const auto best = std::min_element(fds.begin(), fds.end()) - fds.begin();
            QVERIFY(std::set<double>(fds.begin(), fds.end()).size() == 4);
            QCOMPARE(selector.bestStep(), 10 * (best + 1));
            QCOMPARE(selector.bestFd(), fds[std::size_t(best)]);
            QCOMPARE(fileBytes(params.bestPath), files[std::size_t(best)]);
        }
        const auto rows = QString(fileBytes(params.bestPath + ".csv")).trimmed().split('\n');
        QCOMPARE(rows.size(), 5);
        QCOMPARE(rows[0], QString("step,fd,psnr,class_accuracy,best"));
        double running = INFINITY;
        for (int i = 0; i < 4; ++i) {
            const auto cells = rows[i + 1].split(',');
            QCOMPARE(cells[0], QString::number(10 * (i + 1)));
            QVERIFY(std::abs(cells[1].toDouble() - fds[std::size_t(i)]) < 1e-6 * std::max(1.0, fds[std::size_t(i)]));
            QCOMPARE(cells[4], QString(fds[std::size_t(i)] < running ? "1" : "0"));
            running = std::min(running, fds[std::size_t(i)]);
        }
        // Resumed: the log's best is remembered, a worse checkpoint does not replace the kept file.
        params.resume = true;
        params.resumedStep = 40;
        cm::CheckpointSelector resumed(params, net, heldOut);
        QVERIFY(std::abs(resumed.bestFd() - running) < 1e-6 * std::max(1.0, running));
        const auto worst = std::max_element(fds.begin(), fds.end()) - fds.begin();
        const auto keptBefore = fileBytes(params.bestPath);
        cm::Tokenizer::create(tinyCard(), uint64_t(worst) * 11).save(dir.filePath("worse.safetensors").toStdString());
        resumed.consider(50, dir.filePath("worse.safetensors").toStdString());
        QCOMPARE(fileBytes(params.bestPath), keptBefore);
        QCOMPARE(resumed.bestStep(), 10 * (std::min_element(fds.begin(), fds.end()) - fds.begin() + 1));
    }

    void theTrainerCallsItAtEveryCheckpoint() {
        QTemporaryDir dir;
        const auto net = evaluator();
        const auto data = cmtest::squares();
        cm::CheckpointSelectionParams selection;
        selection.bestPath = dir.filePath("best.safetensors").toStdString();
        cm::CheckpointSelector selector(selection, net, data);
        cm::TokenizerTrainParams params;
        params.config = tinyCard().config;
        params.totalSteps = 5;
        params.batchSize = 4;
        params.checkpointEvery = 2;
        params.threads = 1;
        params.outputPath = dir.filePath("t.safetensors").toStdString();
        std::vector<long> steps;
        params.afterSave = [&](long step, const std::string& path) {
            QCOMPARE(path, params.outputPath);
            steps.push_back(step);
            selector.consider(step, path);
        };
        cm::trainTokenizer(params, data);
        QCOMPARE(steps, (std::vector<long>{2, 4, 5}));
        QVERIFY(QFile::exists(QString::fromStdString(selection.bestPath)));
        QCOMPARE(QString(fileBytes(selection.bestPath + ".csv")).trimmed().split('\n').size(), 4);
    }

    void badParamsAreRefused() {
        const auto net = evaluator();
        cm::CheckpointSelectionParams params;
        QCOMPARE(cmtest::expectError([&] { cm::CheckpointSelector(params, net, cmtest::squares()); }).kind(),
                 cm::ErrorKind::InvalidArgument);
        params.bestPath = "x.safetensors";
        params.logPath = "x.safetensors";
        QCOMPARE(cmtest::expectError([&] { cm::CheckpointSelector(params, net, cmtest::squares()); }).kind(),
                 cm::ErrorKind::InvalidArgument);
    }
};

QTEST_MAIN(TestCheckpointSelection)
#include "test_checkpoint_selection.moc"
