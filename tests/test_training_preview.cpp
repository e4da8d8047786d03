// Tests the preview grid a training run writes (core/training/preview.*, TrainParams::previewEvery): the
// file appears where trainer.h says, is a 4 x 4 grid of the network's images, changes as training goes,
// and writing it leaves the run itself unchanged.
#include "core/error.h"
#include "core/image_util.h"
#include "core/safetensors.h"
#include "core/trainer.h"
#include "expect_error.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

class TestTrainingPreview : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;

    // Bright squares at random places on a dark ground: 28 x 28, grey.
    static cm::Dataset squares(int count) {
        std::mt19937 rng(3);
        std::uniform_int_distribution<int> corner(0, 18);
        cm::Dataset data;
        data.itemShape = {1, 28, 28};
        data.description = "squares";
        for (int i = 0; i < count; ++i) {
            std::vector<float> image(28 * 28, -1.0f);
            const int x = corner(rng), y = corner(rng);
            for (int r = y; r < y + 10; ++r)
                for (int c = x; c < x + 10; ++c)
                    image[std::size_t(r * 28 + c)] = 1.0f;
            data.values.insert(data.values.end(), image.begin(), image.end());
        }
        return data;
    }

    cm::TrainParams params(const QString& name) const {
        cm::TrainParams p;
        p.mode = cm::TrainMode::Ict;
        p.network.imageSize = 28;
        p.network.channels = 1;
        p.network.baseWidth = 8;
        p.network.channelMult = {1, 2};
        p.network.resBlocks = 1;
        p.network.attentionResolutions = {};
        p.totalSteps = 6;
        p.batchSize = 8;
        p.learningRate = 2e-3;
        p.emaRates = {0.5};
        p.threads = 1;
        p.seed = 4;
        p.logEvery = 3;
        p.outputPath = m_dir.filePath(name).toStdString();
        return p;
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void previewAppearsAndChangesAsTrainingGoes() {
        auto p = params("preview.safetensors");
        p.previewEvery = 3;
        const std::string preview = p.outputPath + ".preview.png"; // the documented default
        cv::Mat atStep3;
        cm::train(p, squares(64), [&](const cm::TrainStatus& s) {
            if (s.step == 1) QVERIFY(!QFile::exists(QString::fromStdString(preview)));
            if (s.step == 3) atStep3 = cm::readImageFile(preview);
        });
        QVERIFY(!atStep3.empty());
        const cv::Mat atEnd = cm::readImageFile(preview);
        // 4 x 4 images of 28 px with 2 px of padding around each: 4 * 28 + 5 * 2 = 122.
        QCOMPARE(atEnd.cols, 122);
        QCOMPARE(atEnd.rows, 122);
        QCOMPARE(atEnd.channels(), 1);
        QCOMPARE(atStep3.size(), atEnd.size());
        QVERIFY2(cv::norm(atStep3, atEnd, cv::NORM_L1) > 0, "the grid did not change between steps 3 and 6");
        // Sixteen distinct images (the seeds differ), not one repeated.
        const cv::Mat first = atEnd(cv::Rect(2, 2, 28, 28)), second = atEnd(cv::Rect(32, 2, 28, 28));
        QVERIFY(cv::norm(first, second, cv::NORM_L1) > 0);
        // No temporary file is left beside it.
        QVERIFY(QDir(m_dir.path()).entryList({"preview.safetensors.preview.png.tmp-*"}).isEmpty());
    }

    void previewDoesNotChangeTheRun() {
        auto with = params("with.safetensors"), without = params("without.safetensors");
        with.previewEvery = 2;
        cm::train(with, squares(64));
        cm::train(without, squares(64));
        const auto a = cm::readSafetensors(with.outputPath + ".ckpt").tensors;
        const auto b = cm::readSafetensors(without.outputPath + ".ckpt").tensors;
        QCOMPARE(a.size(), b.size());
        for (const auto& [name, record] : a)
            QVERIFY2(record.bytes == b.at(name).bytes, name.c_str());
        QVERIFY(!QFile::exists(QString::fromStdString(without.outputPath + ".preview.png")));
    }

    void previewOfAPointNetworkIsRefused() {
        cm::TrainParams p;
        p.network = cmtest::pointMlp();
        p.totalSteps = 2;
        p.previewEvery = 1;
        p.outputPath = m_dir.filePath("points.safetensors").toStdString();
        const cm::Error e = cmtest::expectError([&] { cm::train(p, cmtest::eightGaussians(100, 1)); });
        QCOMPARE(int(e.kind()), int(cm::ErrorKind::InvalidArgument));
        QVERIFY2(QString(e.what()).contains("preview"), e.what());
    }
};

QTEST_GUILESS_MAIN(TestTrainingPreview)
#include "test_training_preview.moc"
