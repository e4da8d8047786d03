// cmstudio: the CM Studio desktop app.
#include "openmp_policy.h"

#include "core/model_locator.h"
#include "ui/engine.h"
#include "ui/generate_view.h"
#include "ui/import_settings.h"
#include "ui/localization.h"
#include "ui/main_window.h"
#include "ui/png_settings.h"
#include "ui/sample_gallery.h"
#include "ui/screenshot_tour.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSettings>
#include <QTemporaryDir>
#include <QSpinBox>
#include <QCheckBox>
#include <QTimer>

#include <csignal>
#include <cstdio>

namespace {

constexpr int kAutomationTimeoutMs = 15 * 60 * 1000;

// --generate-and-quit: what the package check runs. Loads the model, generates one batch through the
// real worker thread, saves the grid and exits; any error exits 1 with the message.
void generateAndQuit(MainWindow& window, const QString& output) {
    QObject::connect(&window, &MainWindow::modelReady, &window, [&window] {
        window.generateView()->seedLock()->setChecked(true);
        window.generateView()->seed()->setValue(0);
        window.generateView()->generate();
    });
    QObject::connect(window.generateView(), &GenerateView::generated, &window, [&window, output](int count, double seconds) {
        QString error;
        QVariantMap settings = window.generateView()->gallery()->settings(0);
        if (!savePngWithSettings(window.generateView()->gallery()->gridImage(), output, settings, &error)) {
            std::fprintf(stderr, "cmstudio: %s\n", qPrintable(error));
            QCoreApplication::exit(1);
            return;
        }
        std::printf("generated %d images in %.2f s -> %s\n", count, seconds, qPrintable(output));
        QCoreApplication::exit(0);
    });
    auto fail = [](const QString& message) {
        std::fprintf(stderr, "cmstudio: %s\n", qPrintable(message));
        QCoreApplication::exit(1);
    };
    QObject::connect(window.engine(), &Engine::failed, &window,
                     [fail](int, JobKind, const QString& message) { fail(message); });
    QTimer::singleShot(kAutomationTimeoutMs, &window, [fail] { fail("timed out"); });
}

} // namespace

int main(int argc, char** argv) {
    restartWithPassiveOpenMpWaitPolicy(argv);
    std::signal(SIGXFSZ, SIG_IGN); // a file-size limit fails a write (EFBIG) instead of killing the app
    QApplication app(argc, argv);
    QApplication::setApplicationName("CM Studio");
    QApplication::setOrganizationName("CMStudio");
    QApplication::setApplicationVersion(CMSTUDIO_VERSION);
    QApplication::setDesktopFileName("io.github.cmstudio.CMStudio");

    QCommandLineParser parser;
    parser.setApplicationDescription("CM Studio: sampling and zero-shot editing with consistency models.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("file", "A model (.safetensors) or an image to open.", "[file]");
    const QCommandLineOption languageOption("language", "User-interface language (en, zh_CN); default: the system's.", "code");
    const QCommandLineOption generateOption("generate-and-quit",
                                            "Load the model, generate one batch, save the grid as PNG and exit.", "png");
    const QCommandLineOption screenshotsOption("screenshots", "Render a screenshot of every view into a folder and exit.",
                                               "folder");
    parser.addOptions({languageOption, generateOption, screenshotsOption});
    parser.process(app);

    installTranslations(parser.value(languageOption));

    const std::string appDir = QCoreApplication::applicationDirPath().toStdString();
    QStringList bundled;
    const cm::BundledModels found = cm::scanBundledModels(appDir);
    for (const std::string& path : found.models)
        bundled << QString::fromStdString(path);
    for (const std::string& line : found.skipped)
        std::fprintf(stderr, "cmstudio: skipped %s\n", line.c_str());

    // The automation modes run with settings of their own, read and written in a temporary folder: the
    // views keep what changes (seed, lock, splitters...), and a scripted run must leave the user's alone.
    QTemporaryDir automationSettings;
    if (parser.isSet(generateOption) || parser.isSet(screenshotsOption))
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, automationSettings.path());

    MainWindow window(bundled);
    QString model = QString::fromStdString(cm::defaultModelPath(appDir));
    const QString remembered = QSettings().value("lastModel").toString();
    if (!parser.isSet(generateOption) && !parser.isSet(screenshotsOption) && QFileInfo::exists(remembered))
        model = remembered;
    QString image;
    if (!parser.positionalArguments().isEmpty()) {
        const QString file = parser.positionalArguments().front();
        if (file.endsWith(".safetensors", Qt::CaseInsensitive) || needsImportStep(file))
            model = file; // a .pt or a diffusers folder opens through the import step
        else
            image = file;
    }

    if (parser.isSet(generateOption)) {
        generateAndQuit(window, parser.value(generateOption));
    } else if (parser.isSet(screenshotsOption)) {
        runScreenshotTour(window, parser.value(screenshotsOption));
    }
    window.show();
    if (model.isEmpty())
        window.showError(QObject::tr("No bundled model was found; open a model file (File › Open Model)."));
    else
        window.loadModel(model);
    if (!image.isEmpty()) window.openImage(image);
    return app.exec();
}
