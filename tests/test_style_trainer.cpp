// DEADiff's style trainer (core/style/style_trainer.h): a resumed run reproduces the uninterrupted one bit
// for bit, the log is the Training view's CSV, bad parameters and clobbered files are refused.
#include "core/dataset.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "core/trainer.h"
#include "expect_error.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <optional>

using namespace cm;
using cmtest::expectError;

class TestStyleTrainer : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::optional<StyleWorld> m_world;

    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }
    StyleTrainParams tiny(const char* name) const {
        StyleTrainParams p;
        p.stage = StyleStage::Base;
        p.base = styleBaseConfig("tiny");
        p.totalSteps = 6;
        p.batchSize = 4;
        p.learningRate = 1e-3;
        p.emaRate = 0.5;
        p.seed = 9;
        p.logEvery = 2;
        p.checkpointEvery = 3;
        p.outputPath = path(name);
        return p;
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        if (!QFileInfo(QString::fromStdString(defaultFashionMnistDirectory())).isDir()) return;
        std::vector<Palette> palettes;
        for (int i = 0; i < 10; ++i) {
            Palette p;
            p.sourceImage = i;
            p.colours = {cv::Vec3b(uchar(20 * i), 30, 30), cv::Vec3b(120, uchar(20 * i), 120), cv::Vec3b(230, 230, uchar(20 * i))};
            palettes.push_back(p);
        }
        m_world.emplace(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), palettes);
    }

    void aResumedRunReproducesTheUninterruptedOne() {
        if (!m_world) QSKIP("dataset-fashion-mnist is not installed");
        const auto straight = trainStyleModel(tiny("straight.safetensors"), *m_world);
        QCOMPARE(straight.steps, 6L);
        auto interrupted = tiny("resumed.safetensors");
        interrupted.totalSteps = 3;
        trainStyleModel(interrupted, *m_world);
        interrupted.totalSteps = 6;
        interrupted.resume = true;
        QCOMPARE(trainStyleModel(interrupted, *m_world).steps, 6L);
        const auto a = readSafetensors(path("straight.safetensors")), b = readSafetensors(path("resumed.safetensors"));
        QCOMPARE(a.tensors.size(), b.tensors.size());
        for (const auto& [name, record] : a.tensors)
            QVERIFY2(b.tensors.at(name).bytes == record.bytes, name.c_str());
        QCOMPARE(a.metadata.at("training_steps"), std::string("6"));

        // The log: the Training view's columns, a row every two steps and at the end of each run (step 3 ended
        // the first), none repeated after the resume.
        std::ifstream log(path("resumed.safetensors") + ".csv");
        std::string header, line;
        std::getline(log, header);
        std::string expected;
        for (const auto& column : trainLogColumns())
            expected += (expected.empty() ? "" : ",") + column;
        QCOMPARE(header, expected);
        std::vector<std::string> steps;
        while (std::getline(log, line))
            steps.push_back(line.substr(0, line.find(',')));
        QCOMPARE(steps, (std::vector<std::string>{"2", "3", "4", "6"}));
    }

    void badParametersAreRefused() {
        if (!m_world) QSKIP("dataset-fashion-mnist is not installed");
        auto p = tiny("bad.safetensors");
        p.stage = StyleStage::Extractors;
        const Error noBase = expectError([&] { trainStyleModel(p, *m_world); });
        QCOMPARE(noBase.kind(), ErrorKind::InvalidArgument);
        QVERIFY2(QString(noBase.what()).contains("--base"), noBase.what());
        // An existing model is not overwritten unless asked.
        const auto existing = tiny("straight.safetensors");
        QCOMPARE(expectError([&] { trainStyleModel(existing, *m_world); }).kind(), ErrorKind::InvalidArgument);
        auto sameFiles = tiny("clash.safetensors");
        sameFiles.logPath = sameFiles.outputPath;
        QCOMPARE(expectError([&] { trainStyleModel(sameFiles, *m_world); }).kind(), ErrorKind::InvalidArgument);
        auto steps = tiny("zero.safetensors");
        steps.totalSteps = 0;
        QCOMPARE(expectError([&] { trainStyleModel(steps, *m_world); }).kind(), ErrorKind::InvalidArgument);
        QCOMPARE(expectError([] { styleStageFromName("decoder"); }).kind(), ErrorKind::InvalidArgument);
        QCOMPARE(expectError([] { styleBaseConfig("huge"); }).kind(), ErrorKind::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestStyleTrainer)
#include "test_style_trainer.moc"
