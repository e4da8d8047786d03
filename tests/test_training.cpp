// Tests core/trainer.* end to end on eight Gaussians in 2-D, with the MLP network: iCT from scratch,
// an EDM teacher, and consistency distillation from it must all turn noise into the mixture.
#include "core/error.h"
#include "core/model.h"
#include "core/sampler.h"
#include "core/trainer.h"
#include "test_support.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

class TestTraining : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    cm::Dataset m_data = cmtest::eightGaussians(20000, 1);
    std::string m_teacherPath;

    cm::TrainParams baseParams(cm::TrainMode mode, const QString& name, long steps) {
        cm::TrainParams p;
        p.mode = mode;
        p.network = cmtest::pointMlp();
        p.totalSteps = steps;
        p.batchSize = 256;
        p.learningRate = 1e-3;
        p.emaRates = {0.995};
        p.logEvery = 100;
        p.checkpointEvery = 100000;
        p.outputPath = m_dir.filePath(name).toStdString();
        p.seed = 3;
        p.threads = 1; // tiny tensors: a second OpenMP thread only adds synchronisation
        return p;
    }

    static cv::Mat samplePoints(const std::string& file, int seed, cm::SampleParams p = {}) {
        p.count = 2000;
        p.seed = uint64_t(seed);
        p.batchSize = 2000;
        return cm::sample(cm::Model::load(file), p).points;
    }

    static void report(const char* what, double near, double coverage, double seconds) {
        qInfo("%s: %.1f%% of samples within 3 std of a mode, weakest mode at %.0f%% of its share, trained in "
              "%.1f s",
              what, 100 * near, 100 * coverage, seconds);
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void untrainedModelIsFarFromTheData() {
        auto p = baseParams(cm::TrainMode::Ict, "untrained.safetensors", 1);
        p.learningRate = 1e-12;
        cm::train(p, m_data);
        const double near = cmtest::shareNearModes(samplePoints(p.outputPath, 100));
        report("untrained", near, 0, 0);
        QVERIFY2(near < 0.10, qPrintable(QString::number(near)));
    }

    void improvedConsistencyTrainingLearnsTheMixture() {
        auto p = baseParams(cm::TrainMode::Ict, "ict.safetensors", 6000);
        QElapsedTimer timer;
        timer.start();
        const auto summary = cm::train(p, m_data);
        QCOMPARE(summary.steps, 6000L);
        const cv::Mat points = samplePoints(p.outputPath, 100);
        const double near = cmtest::shareNearModes(points), coverage = cmtest::weakestModeCoverage(points);
        report("iCT one step", near, coverage, timer.elapsed() / 1000.0);
        QVERIFY2(near > 0.70, qPrintable(QString::number(near)));
        QVERIFY2(coverage > 0.5, qPrintable(QString::number(coverage)));
        // The log has the official columns and one row per interval.
        QFile log(QString::fromStdString(p.outputPath + ".csv"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        const auto lines = QString(log.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(
            lines.front(),
            QString(
                "step,samples,loss,loss_q0,loss_q1,loss_q2,loss_q3,grad_norm,param_norm,lr,N,mu,seconds"));
        QCOMPARE(lines.size(), 61);
        QVERIFY(lines.back().startsWith("6000,1536000,"));
    }

    void edmTeacherLearnsTheMixture() {
        auto p = baseParams(cm::TrainMode::Edm, "teacher.safetensors", 3000);
        QElapsedTimer timer;
        timer.start();
        cm::train(p, m_data);
        cm::SampleParams heun;
        heun.sampler = cm::SamplerKind::Heun;
        const cv::Mat points = samplePoints(p.outputPath, 100, heun);
        const double near = cmtest::shareNearModes(points);
        report("EDM teacher, Heun 35 NFE", near, cmtest::weakestModeCoverage(points),
               timer.elapsed() / 1000.0);
        QVERIFY2(near > 0.85, qPrintable(QString::number(near)));
        m_teacherPath = p.outputPath;
    }

    void distillationFromTheTeacherLearnsTheMixture() {
        QVERIFY(!m_teacherPath.empty());
        auto p = baseParams(cm::TrainMode::Cd, "cd.safetensors", 3000);
        p.teacherPath = m_teacherPath;
        p.metric = cm::DistanceMetric::L2;
        QElapsedTimer timer;
        timer.start();
        cm::train(p, m_data);
        const cv::Mat points = samplePoints(p.outputPath, 100);
        const double near = cmtest::shareNearModes(points), coverage = cmtest::weakestModeCoverage(points);
        report("CD one step", near, coverage, timer.elapsed() / 1000.0);
        QVERIFY2(near > 0.70, qPrintable(QString::number(near)));
        QVERIFY2(coverage > 0.5, qPrintable(QString::number(coverage)));
        QCOMPARE(QString::fromStdString(cm::Model::load(p.outputPath).card().recipe), QString("cd"));
    }

    void distillationNeedsAnEdmTeacher() {
        auto p = baseParams(cm::TrainMode::Cd, "cd-bad.safetensors", 10);
        p.teacherPath = m_dir.filePath("ict.safetensors").toStdString();
        try {
            cm::train(p, m_data);
            QFAIL("a consistency model was accepted as a teacher");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(cm::ErrorKind::InvalidArgument));
            QVERIFY(QString(e.what()).contains("edm-denoiser"));
        }
    }

    void rejectsDataOfTheWrongShape() {
        auto p = baseParams(cm::TrainMode::Ict, "shape.safetensors", 10);
        cm::Dataset threeD = m_data;
        threeD.itemShape = {3};
        threeD.values.resize(300);
        try {
            cm::train(p, threeD);
            QFAIL("3-D data was accepted by a 2-D network");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(cm::ErrorKind::Shape));
        }
        cm::Dataset empty;
        empty.itemShape = {2};
        QVERIFY_THROWS_EXCEPTION(cm::Error, cm::train(p, empty));
    }
};

QTEST_GUILESS_MAIN(TestTraining)
#include "test_training.moc"
