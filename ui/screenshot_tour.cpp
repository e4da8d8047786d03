#include "screenshot_tour.h"

#include "compress_view.h"
#include "edit_view.h"
#include "engine.h"
#include "generate_view.h"
#include "interpolation_view.h"
#include "mask_canvas.h"
#include "mask_document.h"
#include "main_window.h"
#include "sample_gallery.h"
#include "style_view.h"
#include "training_view.h"

#include <QApplication>
#include <QCheckBox>
#include <QPushButton>
#include <QDir>
#include <QEventLoop>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

namespace {

constexpr int kStepTimeoutMs = 10 * 60 * 1000;

template <typename Sender, typename Signal> bool waitFor(Sender* sender, Signal signal) {
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    QObject::connect(&timeout, &QTimer::timeout, &loop, [&loop] { loop.exit(1); });
    QObject::connect(sender, signal, &loop, [&loop] { loop.exit(0); });
    timeout.start(kStepTimeoutMs);
    return loop.exec() == 0;
}

void settle(int ms = 300) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool shoot(MainWindow& window, const QString& path) {
    settle();
    const bool ok = window.grab().save(path);
    std::printf("%s %s\n", ok ? "wrote" : "FAILED", qPrintable(path));
    return ok;
}

bool compressTour(MainWindow& window, const QString& folder, const QString& tokenizer);
bool styleTour(MainWindow& window, const QString& folder, const QString& styleModel);

bool tour(MainWindow& window, const QString& folder) {
    QDir().mkpath(folder);
    window.resize(1400, 860);
    if (!window.engine()->hasModel() && !waitFor(&window, &MainWindow::modelReady)) return false;

    GenerateView* generate = window.generateView();
    window.showTab(MainWindow::GenerateTab);
    generate->seedLock()->setChecked(true);
    generate->seed()->setValue(7);
    generate->batchSize()->setValue(40);
    generate->generate();
    if (!waitFor(generate, &GenerateView::generated)) return false;
    generate->gallery()->setCurrentIndex(3);
    generate->refine(3);
    if (!waitFor(window.engine(), &Engine::finished)) return false;
    if (!shoot(window, folder + "/generate.png")) return false;

    EditView* edit = window.editView();
    edit->openImage(generate->gallery()->image(3), generate->gallery()->settings(3));
    window.showTab(MainWindow::EditTab);
    QImage mask(edit->canvas()->document()->image().size(), QImage::Format_Grayscale8);
    mask.fill(0);
    const int side = mask.width();
    for (int y = side / 4; y < side * 3 / 4; ++y)
        for (int x = side / 4; x < side * 3 / 4; ++x) mask.scanLine(y)[x] = 255;
    edit->canvas()->document()->setMask(mask);
    edit->setOperation(EditView::Inpaint);
    edit->setLive(true);
    if (!waitFor(edit, &EditView::previewUpdated)) return false;
    if (!shoot(window, folder + "/edit.png")) return false;
    edit->setLive(false);

    InterpolationView* interpolate = window.interpolationView();
    window.showTab(MainWindow::InterpolateTab);
    interpolate->setSeeds(7, 9, 0);
    interpolate->frameCount()->setValue(9);
    interpolate->compute();
    if (!waitFor(interpolate, &InterpolationView::framesReady)) return false;
    interpolate->slider()->setValue(4);
    if (!shoot(window, folder + "/interpolate.png")) return false;

    window.showTab(MainWindow::TrainingTab);
    TrainingView* training = window.trainingView();
    training->setInteractive(false);
    const QDir logs(QString(CMSTUDIO_SOURCE_DIR) + "/docs/logs");
    for (const QString& name : logs.entryList({"*.csv"}, QDir::Files)) training->addLog(logs.filePath(name));
    while (training->isReading()) // the logs are read on the view's worker thread
        if (!waitFor(training, &TrainingView::logRead)) return false;
    if (!shoot(window, folder + "/training.png")) return false;

    // The Compress view needs a tokenizer (none is bundled yet): $CMSTUDIO_SCREENSHOT_TOKENIZER names one,
    // shown at the app's smallest size with its baselines, encoding the generated sample shot above.
    const QString tokenizer = qEnvironmentVariable("CMSTUDIO_SCREENSHOT_TOKENIZER");
    if (!tokenizer.isEmpty() && !compressTour(window, folder, tokenizer)) return false;
    // The Style view needs a style model (none is bundled yet): $CMSTUDIO_SCREENSHOT_STYLE_MODEL names one,
    // shown at the app's smallest size with a bundled swatch as the reference and two prompts.
    const QString styleModel = qEnvironmentVariable("CMSTUDIO_SCREENSHOT_STYLE_MODEL");
    if (!styleModel.isEmpty() && !styleTour(window, folder, styleModel)) return false;
    return true;
}

bool compressTour(MainWindow& window, const QString& folder, const QString& tokenizer) {
    GenerateView* generate = window.generateView();
    CompressView* compress = window.compressView();
    window.showTab(MainWindow::CompressTab);
    window.resize(1024, 700);
    compress->loadTokenizer(tokenizer);
    if (!waitFor(compress, &CompressView::tokenizerReady)) return false;
    compress->setImage(generate->gallery()->image(3));
    compress->compress();
    if (!waitFor(compress, &CompressView::resultReady)) return false;
    if (!shoot(window, folder + "/compress.png")) return false;
    if (!compress->generateButton()->isEnabled()) return true; // no code generator beside the tokenizer
    compress->generateSeed()->setValue(0);
    compress->generateCount()->setValue(8);
    compress->generateCodes();
    if (!waitFor(compress, &CompressView::codesGenerated)) return false;
    return shoot(window, folder + "/compress-generate.png");
}

bool styleTour(MainWindow& window, const QString& folder, const QString& styleModel) {
    StyleView* style = window.styleView();
    window.showTab(MainWindow::StyleTab);
    window.resize(1024, 700);
    style->loadStyleModel(styleModel);
    if (!waitFor(style, &StyleView::styleModelReady)) return false;
    if (style->swatchFiles().size() > 3) style->useSwatch(3);
    style->setPrompts({"dress", "bag"});
    style->count()->setValue(4);
    style->seed()->setValue(0);
    style->generate();
    if (!waitFor(style, &StyleView::generated)) return false;
    return shoot(window, folder + "/style.png");
}

} // namespace

void runScreenshotTour(MainWindow& window, const QString& folder) {
    QTimer::singleShot(0, &window, [&window, folder] { QCoreApplication::exit(tour(window, folder) ? 0 : 1); });
}
