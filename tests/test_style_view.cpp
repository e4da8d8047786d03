// The Style view (ui/style_view.h) in the real main window, offscreen, with the engine's worker thread and
// a style model trained here on the tiny style world (tests/tiny_style_world.h: two garments, two styles;
// a short run, the reference need only matter, not be followed well): the model and its default steps, a
// plain prompt base refused with the core's message, references from a file, a swatch, a wrong size and grey
// (fitted by the core's fit, as the CLI fits them), a file that is not an image, two prompts generated and
// equal bit for bit to core's stylize, the reference changing them, the same seed giving the same images,
// cancel, the run history, errors from core in the error bar, send to Edit and saved PNG settings.
#include "core/feature_net.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/model_locator.h"
#include "core/style/style_model.h"
#include "core/style/style_trainer.h"
#include "core/style/stylize.h"
#include "core/style_world.h"
#include "tiny_style_world.h"
#include "ui/edit_view.h"
#include "ui/engine.h"
#include "ui/image_convert.h"
#include "ui/main_window.h"
#include "ui/mask_canvas.h"
#include "ui/mask_document.h"
#include "ui/png_settings.h"
#include "ui/sample_gallery.h"
#include "ui/style_view.h"

#include <opencv2/imgproc.hpp>

#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <memory>
#include <optional>

using namespace cm;

namespace {

constexpr int kTimeoutMs = 5 * 60 * 1000;

bool sameImage(const QImage& a, const QImage& b) {
    if (a.size() != b.size()) return false;
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    for (int row = 0; row < x.height(); ++row)
        if (memcmp(x.constScanLine(row), y.constScanLine(row), size_t(x.width() * 3)) != 0) return false;
    return true;
}

} // namespace

class TestStyleView : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::optional<StyleWorld> m_world;
    QString m_basePath, m_stylePath, m_warm, m_cool, m_wide, m_grey, m_text;
    std::unique_ptr<MainWindow> m_window;
    StyleView* m_view = nullptr;

    QString path(const QString& name) const { return m_dir.filePath(name); }
    void requireModel() {
        if (m_stylePath.isEmpty()) QSKIP("dataset-fashion-mnist is not installed");
    }
    bool loadModel(const QString& file) {
        QSignalSpy ready(m_view, &StyleView::styleModelReady);
        QSignalSpy failed(m_view, &StyleView::errorOccurred);
        m_view->loadStyleModel(file);
        for (int waited = 0; waited < kTimeoutMs && ready.isEmpty() && failed.isEmpty(); waited += 20) QTest::qWait(20);
        return !ready.isEmpty();
    }
    void openReference(const QString& file) {
        QString error;
        QVERIFY2(m_view->openReferenceFile(file, &error), qPrintable(error));
    }
    bool generate() {
        QSignalSpy done(m_view, &StyleView::generated);
        QSignalSpy failed(m_view, &StyleView::errorOccurred);
        QTest::mouseClick(m_view->generateButton(), Qt::LeftButton);
        for (int waited = 0; waited < kTimeoutMs && done.isEmpty() && failed.isEmpty(); waited += 20) QTest::qWait(20);
        return !done.isEmpty();
    }
    QVector<QImage> shownImages() const {
        QVector<QImage> images;
        for (int i = 0; i < m_view->results()->count(); ++i) images << m_view->results()->image(i);
        return images;
    }
    void setForm(const QStringList& prompts, int count, int seed, int steps) {
        m_view->setPrompts(prompts);
        m_view->count()->setValue(count);
        m_view->seed()->setValue(seed);
        m_view->steps()->setValue(steps);
    }

  private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // the tests' settings never touch the user's
        QVERIFY(m_dir.isValid());
        m_text = path("notes.png"); // named like an image, but text
        QFile text(m_text);
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not an image\n");
        text.close();

        m_window = std::make_unique<MainWindow>(QStringList{});
        m_window->resize(1100, 740);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        m_view = m_window->styleView();
        m_window->showTab(MainWindow::StyleTab);

        if (!QFileInfo(QString::fromStdString(defaultFashionMnistDirectory())).isDir()) return;
        m_world.emplace(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), cmtest::tinyPalettes());
        const StyleSpec warm{0, cmtest::firstTexture(TextureKind::Stripes), BackgroundKind::White};
        const StyleSpec cool{1, cmtest::firstTexture(TextureKind::Dots), BackgroundKind::Black};
        m_world->restrict({cmtest::kTrouser, cmtest::kBag}, {warm, cool});
        // Short runs (the test_style_model recipe, fewer steps): the reference has to change the images.
        const std::string featuresPath = path("features.safetensors").toStdString();
        trainFeatureNet(m_world->renderDataset(512, StyleSplit::Train, 4), {}, cmtest::tinyFeatureParams(1))
            .save(featuresPath);
        const StyleTrainParams base = cmtest::tinyBaseParams(120, 12, path("base.safetensors").toStdString());
        trainStyleModel(base, *m_world);
        m_basePath = QString::fromStdString(base.outputPath);
        const StyleTrainParams extractors =
            cmtest::tinyExtractorParams(base, featuresPath, {8, 32, 1}, 60, path("style.safetensors").toStdString());
        trainStyleModel(extractors, *m_world);
        m_stylePath = QString::fromStdString(extractors.outputPath);

        const auto render = [&](int garment, const StyleSpec& style, const QString& name) {
            const cv::Mat image = m_world->render(m_world->itemsOfClass(garment)[3], style, 7);
            writeImageAtomically(path(name).toStdString(), image);
            return path(name);
        };
        m_warm = render(cmtest::kBag, warm, "warm.png");
        m_cool = render(cmtest::kBag, cool, "cool.png");
        cv::Mat wide;
        cv::resize(readImageFile(m_warm.toStdString()), wide, cv::Size(48, 36), 0, 0, cv::INTER_NEAREST);
        writeImageAtomically(path("wide.png").toStdString(), wide);
        m_wide = path("wide.png");
        cv::Mat grey;
        cv::cvtColor(readImageFile(m_cool.toStdString()), grey, cv::COLOR_RGB2GRAY);
        writeImageAtomically(path("grey.png").toStdString(), grey);
        m_grey = path("grey.png");
        QVERIFY(loadModel(m_stylePath));
    }

    void theStyleModelLoadsWithTheCardsDefaultSteps() {
        requireModel();
        const StyleModelInfo& info = m_view->styleModel();
        QCOMPARE(info.path, m_stylePath);
        QVERIFY(!info.consistency); // the multistep style model: Heun
        const Model model = Model::load(m_stylePath.toStdString());
        QCOMPARE(info.defaultSteps, defaultStylizeSteps(model.card()));
        QCOMPARE(m_view->steps()->value(), 18);
        QCOMPARE(info.imageSize, kStyledImageSize);
        QCOMPARE(info.queries, 8);
        QVERIFY(m_view->modelText().contains("Heun"));
        QCOMPARE(m_view->promptList()->count(), 10); // the garment vocabulary
    }

    void aModelThatIsNotAStyleModelIsRefusedWithAMessage() {
        requireModel();
        QSignalSpy error(m_view, &StyleView::errorOccurred);
        QVERIFY(!loadModel(m_basePath));
        QCOMPARE(error.size(), 1);
        const QString message = error.front().front().toString();
        QVERIFY2(message.contains("not a style model") && message.contains("base.safetensors"), qPrintable(message));
        QCOMPARE(m_window->lastError(), message); // in the window's error bar
        QCOMPARE(m_view->styleModel().path, m_stylePath); // the style model stays
        QVERIFY(loadModel(m_stylePath));                 // and the error is resolved
        QVERIFY(!m_window->errorVisible());
    }

    void aFileThatIsNotAnImageGivesAMessage() {
        requireModel();
        openReference(m_warm);
        QString error;
        QVERIFY(!m_view->openReferenceFile(m_text, &error));
        QVERIFY2(error.contains("notes.png"), qPrintable(error));
        QCOMPARE(m_view->referenceName(), QString("warm.png")); // the reference stays
    }

    void aBundledSwatchBecomesTheReference() {
        // resources/style-swatches (scripts/make-style-swatches.sh), found by the core's locator.
        const QStringList files = m_view->swatchFiles();
        QVERIFY2(files.size() >= 4, "the bundled style swatches are missing");
        QCOMPARE(m_view->swatchButtons().size(), files.size());
        QTest::mouseClick(m_view->swatchButtons().at(2), Qt::LeftButton);
        QCOMPARE(m_view->referenceName(), QFileInfo(files.at(2)).fileName());
        QVERIFY(sameImage(m_view->reference(), QImage(files.at(2))));
    }

    void aWrongSizeOrGreyReferenceIsFittedLikeTheCli() {
        requireModel();
        for (const QString& file : {m_wide, m_grey}) {
            openReference(file);
            const cv::Mat expected = prepareStyleReference(readImageFile(file.toStdString()), kStyledImageSize,
                                                           QFileInfo(file).fileName().toStdString())
                                         .image;
            QVERIFY(sameImage(m_view->fittedReference(), matToQImage(expected)));
        }
        openReference(m_wide);
        setForm({"bag"}, 1, 0, 3);
        QVERIFY(generate());
        QVERIFY(sameImage(m_view->result().reference, m_view->fittedReference())); // what the model read
    }

    void twoPromptsGiveTheCoresImagesAndTheReferenceChangesThem() {
        requireModel();
        openReference(m_warm);
        setForm({"trouser", "bag"}, 2, 11, 6);
        QVERIFY(generate());
        const StyleResult& result = m_view->result();
        QCOMPARE(result.prompts, (QStringList{"trouser", "bag"}));
        QCOMPARE(result.images.size(), 2);
        QCOMPARE(result.images[0].size(), 2);
        QCOMPARE(m_view->results()->count(), 4);
        // One row per prompt, however wide the gallery is.
        auto* list = m_view->results()->findChild<QListWidget*>();
        QVERIFY(list);
        m_view->results()->findChild<QSlider*>()->setValue(1); // small thumbnails: room for many in a row
        QTest::qWait(50);
        const QRect first = list->visualItemRect(list->item(0)), second = list->visualItemRect(list->item(1)),
                    third = list->visualItemRect(list->item(2));
        QVERIFY(list->viewport()->width() > 4 * (list->iconSize().width() + 8)); // room for more than two in a row
        QCOMPARE(second.top(), first.top());
        QVERIFY(third.top() > first.top());
        QCOMPARE(third.left(), first.left());
        QCOMPARE(result.evaluations, heunEvaluations(6));
        // The engine's images are core's stylize bit for bit (same seeds for both prompts).
        StylizeParams params;
        params.reference = readImageFile(m_warm.toStdString());
        params.prompts = {"trouser", "bag"};
        params.count = 2;
        params.steps = 6;
        params.seed = 11;
        const StylizeResult core = stylize(Model::load(m_stylePath.toStdString()), params);
        for (int p = 0; p < 2; ++p)
            for (int j = 0; j < 2; ++j)
                QVERIFY(sameImage(result.images[p][j], matToQImage(core.images[std::size_t(p)][std::size_t(j)])));
        QVERIFY(!sameImage(result.images[0][0], result.images[1][0])); // the prompt matters
        QCOMPARE(m_view->results()->settings(3).value("prompt").toString(), QString("bag"));
        QCOMPARE(m_view->results()->settings(3).value("seed").toString(), QString("12"));
        const QVector<QImage> warm = shownImages();

        openReference(m_cool);
        QVERIFY(generate());
        const QVector<QImage> cool = shownImages();
        QCOMPARE(cool.size(), warm.size());
        for (int i = 0; i < warm.size(); ++i) QVERIFY2(!sameImage(warm[i], cool[i]), "the reference changed nothing");
    }

    void theSameSeedGivesTheSameImages() {
        requireModel();
        openReference(m_warm);
        setForm({"bag"}, 3, 4, 5);
        QVERIFY(generate());
        const QVector<QImage> first = shownImages();
        QVERIFY(generate());
        const QVector<QImage> again = shownImages();
        for (int i = 0; i < first.size(); ++i) QVERIFY(sameImage(first[i], again[i]));
        m_view->seed()->setValue(5); // image j of seed 4 + 1 is image j + 1 of seed 4
        QVERIFY(generate());
        const QVector<QImage> shifted = shownImages();
        QVERIFY(sameImage(shifted[0], first[1]));
        QVERIFY(!sameImage(shifted[0], first[0]));
    }

    void previousAndNextRunStepThroughTheRuns() {
        requireModel();
        const int runs = m_view->runCount();
        QVERIFY(runs >= 3);
        const QVector<QImage> last = shownImages();
        QTest::mouseClick(m_view->previousButton(), Qt::LeftButton);
        QCOMPARE(m_view->currentRun(), runs - 2);
        QVERIFY(!sameImage(shownImages().front(), last.front()));
        QTest::mouseClick(m_view->nextButton(), Qt::LeftButton);
        QCOMPARE(m_view->currentRun(), runs - 1);
        QVERIFY(sameImage(shownImages().front(), last.front()));
        QVERIFY(!m_view->nextButton()->isEnabled());
    }

    void cancelStopsAGenerationAndKeepsTheResults() {
        requireModel();
        openReference(m_cool);
        setForm({"trouser", "bag"}, 16, 0, 400);
        const int runs = m_view->runCount();
        QSignalSpy cancelled(m_window->engine(), &Engine::cancelled);
        QSignalSpy progress(m_window->engine(), &Engine::progress);
        QTest::mouseClick(m_view->generateButton(), Qt::LeftButton);
        QVERIFY(!m_view->generateButton()->isEnabled());
        QVERIFY(progress.wait(kTimeoutMs));
        m_window->cancelJobs();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(m_view->runCount(), runs);
        QVERIFY(m_view->generateButton()->isEnabled());
        const QList<QVariant> last = progress.back();
        QVERIFY(last.at(1).toLongLong() < last.at(2).toLongLong()); // it stopped before the end
    }

    void anErrorOfTheCoreShowsInTheView() {
        requireModel();
        openReference(m_warm);
        setForm({"bag"}, 1, 0, 1); // a denoiser needs two Heun points
        QVERIFY(!generate());
        QVERIFY2(m_window->lastError().contains("at least 2 Heun points"), qPrintable(m_window->lastError()));
        QVERIFY(m_window->errorVisible());
        QVERIFY(m_view->generateButton()->isEnabled());
        m_view->steps()->setValue(3);
        QVERIFY(generate());
        QVERIFY(!m_window->errorVisible());
    }

    void aResultGoesToTheEditorWithItsSettings() {
        requireModel();
        openReference(m_warm);
        setForm({"trouser"}, 2, 21, 4);
        QVERIFY(generate());
        emit m_view->results()->sendToEditorRequested(1);
        QCOMPARE(m_window->tabs()->currentIndex(), int(MainWindow::EditTab));
        QVERIFY(sameImage(m_window->editView()->canvas()->document()->image(), m_view->results()->image(1)));
        m_window->showTab(MainWindow::StyleTab);
    }

    void aSavedResultCarriesItsSettings() {
        requireModel();
        m_window->showTab(MainWindow::StyleTab);
        openReference(m_warm);
        setForm({"trouser", "bag"}, 1, 8, 4);
        QVERIFY(generate());
        QTemporaryDir folder;
        QCOMPARE(m_window->saveImagesInto({0, 1}, folder.path()), 2);
        const QString file = folder.filePath("style-bag-seed8.png");
        const std::optional<QVariantMap> settings = readPngSettings(file);
        QVERIFY2(settings, qPrintable(file));
        QCOMPARE(settings->value("task").toString(), QString("stylize"));
        QCOMPARE(settings->value("styleModel").toString(), QString("style"));
        QCOMPARE(settings->value("reference").toString(), QString("warm.png"));
        QCOMPARE(settings->value("prompt").toString(), QString("bag"));
        QCOMPARE(settings->value("seed").toString(), QString("8"));
        QCOMPARE(settings->value("steps").toInt(), 4);
        QCOMPARE(settings->value("sampler").toString(), QString("heun"));
        QVERIFY(sameImage(QImage(file), m_view->results()->image(1)));
    }
};

QTEST_MAIN(TestStyleView)
#include "test_style_view.moc"
