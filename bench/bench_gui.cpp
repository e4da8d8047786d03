// The desktop app's responsiveness on this machine, through the real widgets and worker thread (offscreen):
// click-to-image time of one-step generation for 1 and 64 images, live-inpainting updates per second
// while a mask is painted, and the app's memory with the default model.
#include "bench_stats.h"

#include "core/model_locator.h"
#include "ui/edit_view.h"
#include "ui/engine.h"
#include "ui/generate_view.h"
#include "ui/main_window.h"
#include "ui/mask_canvas.h"
#include "ui/sample_gallery.h"

#include <QApplication>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstdio>

namespace {

constexpr int kTimeoutMs = 10 * 60 * 1000;

// VmRSS / VmHWM (peak) of this process in MiB, from /proc.
double procStatusMiB(const char* key) {
    QFile status("/proc/self/status");
    if (!status.open(QIODevice::ReadOnly)) return -1;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith(key)) return line.mid(int(strlen(key))).trimmed().split(' ').front().toDouble() / 1024.0;
    return -1;
}

} // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    const int repeats = argc > 1 ? std::max(1, atoi(argv[1])) : 7;

    const std::string appDir = QCoreApplication::applicationDirPath().toStdString();
    QStringList bundled;
    for (const std::string& path : cm::bundledModelFiles(appDir)) bundled << QString::fromStdString(path);
    const QString model = QString::fromStdString(cm::defaultModelPath(appDir));
    if (model.isEmpty()) {
        std::fprintf(stderr, "bench_gui: no bundled model found\n");
        return 1;
    }
    std::printf("CM Studio GUI benchmark (offscreen, %d repeats), model %s\n", repeats, qPrintable(model));
    std::printf("memory before the window: RSS %.0f MiB\n", procStatusMiB("VmRSS:"));

    QElapsedTimer startClock;
    startClock.start();
    MainWindow window(bundled);
    window.resize(1300, 800);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window)) return 1;
    std::printf("window built and shown in %.0f ms (from before the MainWindow; the process start adds the\n"
                "libraries' loading, see bench/gui-session.sh)\n",
                startClock.nsecsElapsed() * 1e-6);
    QSignalSpy ready(&window, &MainWindow::modelReady);
    QElapsedTimer loadClock;
    loadClock.start();
    window.loadModel(model);
    if (!ready.wait(kTimeoutMs)) return 1;
    std::printf("model loaded in %.0f ms; RSS %.0f MiB\n", loadClock.nsecsElapsed() * 1e-6, procStatusMiB("VmRSS:"));

    GenerateView* generate = window.generateView();
    generate->seedLock()->setChecked(true);
    double engineSeconds = 0;
    QObject::connect(window.engine(), &Engine::finished, [&](const JobResult& result) { engineSeconds = result.seconds; });
    for (int count : {1, 64}) {
        generate->batchSize()->setValue(count);
        std::vector<double> ms, engineMs;
        for (int r = 0; r <= repeats; ++r) {
            generate->seed()->setValue(r);
            QSignalSpy done(generate, &GenerateView::generated);
            QElapsedTimer clock;
            clock.start();
            QTest::mouseClick(generate->generateButton(), Qt::LeftButton);
            if (!done.wait(kTimeoutMs)) return 1;
            if (r > 0) { // the first run warms caches up
                ms.push_back(clock.nsecsElapsed() * 1e-6);
                engineMs.push_back(engineSeconds * 1e3);
            }
        }
        std::printf("click to image, one step, %2d image(s): median %7.1f ms  min %7.1f ms  (engine alone: median %.1f ms)\n",
                    count, median(ms), *std::min_element(ms.begin(), ms.end()), median(engineMs));
    }

    // Live inpainting: a brush of 2 pixels drawn along a Lissajous curve over the image, one mouse move
    // every 16 ms (a 60 Hz mouse) for 5 s, so that the mask keeps changing while the previews run.
    EditView* edit = window.editView();
    edit->openImage(generate->gallery()->image(0), generate->gallery()->settings(0));
    window.showTab(MainWindow::EditTab);
    MaskCanvas* canvas = edit->canvas();
    canvas->setBrushSize(2);
    edit->setOperation(EditView::Inpaint);
    edit->setLive(true);
    QTest::qWait(500);
    const QRectF area = canvas->imageRect();
    const int before = edit->liveUpdates();
    std::vector<double> previewMs;
    QObject::connect(window.engine(), &Engine::finished, [&](const JobResult& result) {
        if (result.live) previewMs.push_back(result.seconds * 1e3);
    });
    int maskChanges = 0;
    QObject::connect(canvas, &MaskCanvas::maskEditing, [&] { ++maskChanges; });
    auto pointAt = [&](double t) {
        return QPoint(int(area.center().x() + 0.4 * area.width() * std::sin(2 * M_PI * 1.3 * t)),
                      int(area.center().y() + 0.4 * area.height() * std::sin(2 * M_PI * 0.7 * t)));
    };
    QElapsedTimer clock;
    clock.start();
    QPoint at = pointAt(0);
    QTest::mousePress(canvas, Qt::LeftButton, Qt::NoModifier, at);
    int moves = 0;
    while (clock.elapsed() < 5000) {
        at = pointAt(clock.elapsed() / 1000.0);
        QMouseEvent move(QEvent::MouseMove, at, canvas->mapToGlobal(at), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(canvas, &move);
        ++moves;
        QTest::qWait(16);
    }
    const double paintSeconds = clock.nsecsElapsed() * 1e-9;
    const int during = edit->liveUpdates() - before;
    QTest::mouseRelease(canvas, Qt::LeftButton, Qt::NoModifier, at);
    std::printf("live inpainting while painting: %d previews in %.1f s = %.1f updates/s (%d mouse moves, %d mask changes); "
                "engine time per preview: median %.1f ms\n",
                during, paintSeconds, during / paintSeconds, moves, maskChanges, previewMs.empty() ? 0.0 : median(previewMs));
    edit->setLive(false);
    QTest::qWait(500);

    std::printf("memory after generating and live inpainting: RSS %.0f MiB, peak RSS %.0f MiB\n",
                procStatusMiB("VmRSS:"), procStatusMiB("VmHWM:"));

    // A user's photo: 4000 x 3000 (a 12-megapixel camera's), opened in the editor, a mask stroke across it.
    QTemporaryDir dir;
    const QString photoPath = dir.filePath("photo.jpg");
    {
        QImage photo(4000, 3000, QImage::Format_RGB888);
        for (int y = 0; y < photo.height(); ++y)
            for (int x = 0; x < photo.width(); ++x)
                photo.setPixelColor(x, y, QColor((x / 16) % 256, (y / 12) % 256, ((x + y) / 28) % 256));
        if (!photo.save(photoPath, "JPEG", 90)) return 1;
    }
    QElapsedTimer openClock;
    openClock.start();
    if (!window.openImage(photoPath)) return 1;
    QCoreApplication::processEvents();
    const double openMs = openClock.nsecsElapsed() * 1e-6;
    const QRectF photoArea = canvas->imageRect();
    QTest::mousePress(canvas, Qt::LeftButton, Qt::NoModifier, photoArea.center().toPoint());
    for (int i = 0; i < 60; ++i) {
        const QPoint p(int(photoArea.left() + photoArea.width() * (0.2 + 0.01 * i)), int(photoArea.center().y()));
        QMouseEvent move(QEvent::MouseMove, p, canvas->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(canvas, &move);
        QTest::qWait(16);
    }
    QTest::mouseRelease(canvas, Qt::LeftButton, Qt::NoModifier, photoArea.center().toPoint());
    QTest::qWait(300);
    std::printf("a 4000 x 3000 photo opened in %.0f ms and a mask stroke painted on it: RSS %.0f MiB\n", openMs,
                procStatusMiB("VmRSS:"));
    std::printf("memory at the end: RSS %.0f MiB, peak RSS %.0f MiB (aim: under 600 MB)\n", procStatusMiB("VmRSS:"),
                procStatusMiB("VmHWM:"));
    return 0;
}
