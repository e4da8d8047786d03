// The desktop app end to end, offscreen: the real MainWindow, its worker thread and the bundled models.
#include "core/model_locator.h"
#include "core/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "corrupt_models.h"
#include "ui/batch_history.h"
#include "ui/class_picker.h"
#include "ui/compress_view.h"
#include "ui/edit_view.h"
#include "ui/engine.h"
#include "ui/generate_view.h"
#include "ui/image_inspector.h"
#include "ui/interpolation_view.h"
#include "ui/main_window.h"
#include "ui/mask_canvas.h"
#include "ui/mask_document.h"
#include "ui/model_panel.h"
#include "ui/png_settings.h"
#include "ui/sample_gallery.h"
#include "ui/schedule_editor.h"
#include "ui/thumbnail_strip.h"
#include "ui/training_view.h"

#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QMessageBox>
#include <QMimeData>
#include <QStatusBar>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <memory>

namespace {

const QString kModels = QString(CMSTUDIO_SOURCE_DIR) + "/resources/models/";
constexpr int kJobTimeoutMs = 10 * 60 * 1000;

bool sameImage(const QImage& a, const QImage& b) {
    if (a.size() != b.size() || a.format() != b.format()) return false;
    for (int y = 0; y < a.height(); ++y)
        if (memcmp(a.constScanLine(y), b.constScanLine(y), size_t(a.bytesPerLine())) != 0) return false;
    return true;
}

// Press, move through `points` with the left button held, release: what a user's drag sends.
void drag(QWidget* widget, const QVector<QPoint>& points) {
    QTest::mousePress(widget, Qt::LeftButton, Qt::NoModifier, points.front());
    for (const QPoint& p : points) {
        QMouseEvent move(QEvent::MouseMove, p, widget->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(widget, &move);
    }
    QTest::mouseRelease(widget, Qt::LeftButton, Qt::NoModifier, points.back());
}

// What a drop of files from a file manager sends to the widget under the cursor.
void dropFiles(QWidget* target, const QStringList& paths) {
    QMimeData data;
    QList<QUrl> urls;
    for (const QString& path : paths) urls << QUrl::fromLocalFile(path);
    data.setUrls(urls);
    QDragEnterEvent enter(QPoint(20, 20), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    QDropEvent drop(QPointF(20, 20), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &drop);
}

int visibleMessageBoxes() {
    int boxes = 0;
    for (QWidget* widget : QApplication::topLevelWidgets())
        boxes += qobject_cast<QMessageBox*>(widget) && widget->isVisible();
    return boxes;
}

// Clicks the button named `text` of the next message box that opens (modal: exec() waits for it).
void answerNextMessageBox(const QString& text, QString* question = nullptr) {
    auto* timer = new QTimer;
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, [timer, text, question] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        if (question) *question = box->text() + '\n' + box->informativeText();
        for (QAbstractButton* button : box->buttons())
            if (button->text().remove('&') == text) button->click();
        timer->stop();
        timer->deleteLater();
    });
    timer->start();
}

} // namespace

class TestGuiApp : public QObject {
    Q_OBJECT
  private:
    std::unique_ptr<MainWindow> m_window;
    QTemporaryDir m_corrupt;

    bool waitForModel(const QString& path) {
        QSignalSpy ready(m_window.get(), &MainWindow::modelReady);
        m_window->loadModel(path);
        return ready.wait(kJobTimeoutMs);
    }
    // One-step samples unless told otherwise: the bundled cards preselect their searched two-step
    // schedule, and most tests compare with one-step sampling.
    bool generateNow(int count, int seed, bool oneStep = true) {
        GenerateView* view = m_window->generateView();
        if (oneStep) view->scheduleEditor()->setSteps(1);
        view->batchSize()->setValue(count);
        view->seed()->setValue(seed);
        view->seedLock()->setChecked(true);
        QSignalSpy done(view, &GenerateView::generated);
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        return done.wait(kJobTimeoutMs);
    }

  private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // settings of the tests never touch the user's
        QStringList bundled;
        for (const std::string& path : cm::bundledModelFiles(QCoreApplication::applicationDirPath().toStdString()))
            bundled << QString::fromStdString(path);
        QVERIFY2(bundled.size() >= 3, "the bundled models are missing");
        m_window = std::make_unique<MainWindow>(bundled);
        m_window->resize(1300, 800);
        m_window->show();
        QVERIFY(waitForModel(kModels + "fashion-mnist-ect.safetensors"));
    }

    void generateFillsTheGalleryReproducibly() {
        QComboBox* classes = m_window->generateView()->classPicker();
        classes->setCurrentIndex(classes->findData(2)); // one class for the whole batch
        QVERIFY(generateNow(12, 5));
        SampleGallery* gallery = m_window->generateView()->gallery();
        QCOMPARE(gallery->count(), 12);
        QVector<QImage> first;
        for (int i = 0; i < gallery->count(); ++i) first << gallery->image(i);
        QCOMPARE(first[0].size(), QSize(28, 28));
        QVERIFY(!sameImage(first[0], first[1])); // different seeds, different images
        QCOMPARE(gallery->settings(3).value("seed").toString(), QString("8"));

        QVERIFY(generateNow(12, 5));
        for (int i = 0; i < gallery->count(); ++i) QVERIFY2(sameImage(first[i], gallery->image(i)), qPrintable(QString::number(i)));
        // Image j uses seed + j: a batch starting at seed 8 reproduces image 3 of the first.
        QVERIFY(generateNow(1, 8));
        QVERIFY(sameImage(first[3], gallery->image(0)));
        QCOMPARE(gallery->settings(0).value("class").toInt(), 2);
    }

    void refineShowsTheChainAndStepCounts() {
        QVERIFY(generateNow(4, 11));
        GenerateView* view = m_window->generateView();
        QSignalSpy finished(m_window->engine(), &Engine::finished);
        view->refine(1);
        QVERIFY(finished.wait(kJobTimeoutMs));
        QCOMPARE(view->stepsStrip()->count(), 4); // 1, 2, 3 and 4 steps
        QVERIFY(view->chainStrip()->count() >= 2);
        // The 1-step variant of a seed is the gallery's one-step sample of that seed.
        QVERIFY(sameImage(view->stepsStrip()->image(0), view->gallery()->image(1)));
        QVERIFY(view->inspector()->isComparing());
    }

    void paintedMaskInpaintsOnlyMaskedPixelsAndUndoRestores() {
        QVERIFY(generateNow(2, 21));
        EditView* edit = m_window->editView();
        m_window->showTab(MainWindow::EditTab);
        edit->openImage(m_window->generateView()->gallery()->image(0), m_window->generateView()->gallery()->settings(0));
        MaskCanvas* canvas = edit->canvas();
        MaskDocument* document = canvas->document();
        canvas->setTool(MaskCanvas::MaskBrush);
        canvas->setBrushSize(4);
        canvas->setBrushHardness(1.0);
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        const QImage before = document->image();
        // A horizontal stroke across the middle of the canvas, in widget coordinates.
        const QRect area = canvas->rect();
        const int y = area.center().y();
        drag(canvas, {QPoint(area.width() / 3, y), QPoint(area.width() / 2, y), QPoint(area.width() * 2 / 3, y)});
        const QImage mask = document->mask();
        int masked = 0;
        for (int yy = 0; yy < mask.height(); ++yy)
            for (int x = 0; x < mask.width(); ++x) masked += qGray(mask.pixel(x, yy)) != 0;
        QVERIFY2(masked > 10 && masked < 28 * 28 / 2, qPrintable(QString("masked pixels: %1").arg(masked)));

        edit->setOperation(EditView::Inpaint);
        QSignalSpy applied(edit, &EditView::applied);
        QTest::mouseClick(edit->applyButton(), Qt::LeftButton);
        QVERIFY(applied.wait(kJobTimeoutMs));
        const QImage after = document->image();
        int changedInside = 0;
        for (int yy = 0; yy < 28; ++yy)
            for (int x = 0; x < 28; ++x) {
                const bool inMask = qGray(mask.pixel(x, yy)) != 0;
                const bool changed = qGray(after.pixel(x, yy)) != qGray(before.pixel(x, yy));
                if (!inMask) QVERIFY2(!changed, qPrintable(QString("unmasked pixel %1,%2 changed").arg(x).arg(yy)));
                changedInside += changed;
            }
        QVERIFY2(changedInside > masked / 3, "the fill left the masked pixels as they were");
        // The result shows without the mask over it; painting shows the mask again.
        QVERIFY(!canvas->isMaskVisible());

        document->undoStack()->undo();
        QVERIFY(sameImage(document->image(), before));
        QVERIFY(sameImage(document->mask(), mask));
        document->undoStack()->undo(); // the stroke
        QCOMPARE(qGray(document->mask().pixel(14, 14)), 0);
        document->undoStack()->redo();
        document->undoStack()->redo();
        QVERIFY(sameImage(document->image(), after));
    }

    // The edit result is saved (and copied) like a generated image: its settings in the PNG, at the chosen
    // export scale (nearest neighbour).
    void theEditResultIsSavedWithItsSettingsAtAScale() {
        EditView* edit = m_window->editView();
        m_window->showTab(MainWindow::EditTab);
        QTemporaryDir dir;
        QString error;
        m_window->setExportScale(1);
        QVERIFY2(m_window->saveEditResultTo(dir.filePath("result.png"), &error), qPrintable(error));
        const QImage saved(dir.filePath("result.png"));
        QVERIFY(sameImage(saved.convertToFormat(edit->resultImage().format()), edit->resultImage()));
        const auto settings = readPngSettings(dir.filePath("result.png"));
        QVERIFY(settings.has_value());
        QCOMPARE(settings->value("task").toString(), QString("Inpaint"));
        QVERIFY(settings->contains("seed") && settings->contains("editedFrom"));
        QCOMPARE(settings->value("editedFrom").toMap().value("seed").toString(), QString("21")); // the sample's

        m_window->setExportScale(4);
        QVERIFY(m_window->saveEditResultTo(dir.filePath("result-4x.png"), &error));
        const QImage big(dir.filePath("result-4x.png"));
        QCOMPARE(big.size(), edit->resultImage().size() * 4);
        QCOMPARE(qGray(big.pixel(4 * 10 + 3, 4 * 12 + 1)), qGray(edit->resultImage().pixel(10, 12)));
        QCOMPARE(readPngSettings(dir.filePath("result-4x.png"))->value("exportScale").toInt(), 4);
        m_window->copyCurrent(); // Ctrl+Shift+C in the Edit tab
        QCOMPARE(QApplication::clipboard()->image().size(), edit->resultImage().size() * 4);
        m_window->setExportScale(1);
    }

    // A 12000 x 9000 photo opens (reduced, and said so); the inspector shows the model's 28 x 28 input.
    void aLargePhotoOpensAndShowsWhatTheModelSees() {
        QTemporaryDir dir;
        const QString path = dir.filePath("photo.jpg");
        {
            QImage photo(12000, 9000, QImage::Format_RGB888);
            photo.fill(QColor(90, 140, 200));
            QVERIFY(photo.save(path, "JPEG", 85));
        }
        QVERIFY2(m_window->openImage(path), qPrintable(m_window->lastError()));
        EditView* edit = m_window->editView();
        QCOMPARE(edit->canvas()->document()->image().size(), QSize(2048, 1536));
        const QString message = m_window->statusBar()->currentMessage();
        QVERIFY2(message.contains("12000 × 9000") && message.contains("2048 × 1536"), qPrintable(message));
        QCOMPARE(edit->preview()->image().size(), QSize(28, 28));
        edit->fitToModel();
        QCOMPARE(edit->canvas()->document()->image().size(), QSize(28, 28));
    }

    void liveInpaintingUpdatesWhilePainting() {
        EditView* edit = m_window->editView();
        MaskCanvas* canvas = edit->canvas();
        MaskDocument* document = canvas->document();
        document->clearMask();
        edit->setOperation(EditView::Inpaint);
        edit->setLive(true);
        const int before = edit->liveUpdates();
        const QRect area = canvas->rect();
        QVector<QPoint> path;
        for (int i = 0; i <= 40; ++i) path << QPoint(area.width() / 4 + i * area.width() / 80, area.height() / 2);
        QTest::mousePress(canvas, Qt::LeftButton, Qt::NoModifier, path.front());
        for (const QPoint& p : path) {
            QMouseEvent move(QEvent::MouseMove, p, canvas->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(canvas, &move);
            QTest::qWait(15);
        }
        QTest::mouseRelease(canvas, Qt::LeftButton, Qt::NoModifier, path.back());
        QTRY_VERIFY_WITH_TIMEOUT(edit->liveUpdates() > before && !m_window->engine()->busy(), kJobTimeoutMs);
        // The preview keeps every unmasked pixel and is not yet in the undo history.
        const QImage preview = edit->previewImage();
        const QImage mask = document->mask();
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                if (qGray(mask.pixel(x, y)) == 0) QCOMPARE(qGray(preview.pixel(x, y)), qGray(document->image().pixel(x, y)));
        // The preview is on the canvas being painted, not only in the inspector beside it.
        QVERIFY(canvas->isMaskVisible());
        QVERIFY(sameImage(canvas->preview(), preview));
        const int commands = document->undoStack()->count();
        edit->applyPreview();
        QVERIFY(!canvas->isMaskVisible());
        QVERIFY(canvas->preview().isNull());
        QCOMPARE(document->undoStack()->count(), commands + 1);
        QVERIFY(sameImage(document->image(), preview));
        edit->setLive(false);
    }

    void interpolationEndsAreTheSeedsOneStepSamples() {
        QVERIFY(generateNow(1, 31));
        const QImage a = m_window->generateView()->gallery()->image(0);
        QVERIFY(generateNow(1, 32));
        const QImage b = m_window->generateView()->gallery()->image(0);
        InterpolationView* view = m_window->interpolationView();
        view->setSeeds(31, 32, m_window->generateView()->gallery()->settings(0).value("class").toInt());
        view->frameCount()->setValue(5);
        QSignalSpy ready(view, &InterpolationView::framesReady);
        view->compute();
        QVERIFY(ready.wait(kJobTimeoutMs));
        QCOMPARE(view->frames().size(), 5);
        QVERIFY(sameImage(view->frames().front(), a));
        QVERIFY(sameImage(view->frames().back(), b));
        QTemporaryDir dir;
        QString error;
        QVERIFY2(view->exportStrip(dir.filePath("strip.png"), &error), qPrintable(error));
        QCOMPARE(QImage(dir.filePath("strip.png")).width(), 5 * 28 + 6 * 2);
        QVERIFY2(view->exportVideo(dir.filePath("morph.avi"), 8, &error), qPrintable(error));
        QVERIFY(QFileInfo(dir.filePath("morph.avi")).size() > 1000);
    }

    // "Use two selected samples" took the first sample's class for both ends: end B was not the sample
    // picked. Each end is now its sample, the frames between blending the two classes.
    void theTwoSelectedSamplesAreTheEnds() {
        m_window->showTab(MainWindow::GenerateTab);
        GenerateView* view = m_window->generateView();
        QComboBox* classes = view->classPicker();
        classes->setCurrentIndex(classes->findData(ClassPicker::kAllClasses)); // classes 0, 1, 2, 3
        QVERIFY(generateNow(4, 101));
        SampleGallery* gallery = view->gallery();
        QCOMPARE(gallery->settings(1).value("class").toInt(), 1);
        QCOMPARE(gallery->settings(3).value("class").toInt(), 3);
        auto* list = gallery->findChild<QListWidget*>();
        list->clearSelection();
        list->selectionModel()->select(list->model()->index(1, 0), QItemSelectionModel::Select);
        list->selectionModel()->select(list->model()->index(3, 0), QItemSelectionModel::Select);
        QCOMPARE(gallery->selectedIndices(), (QVector<int>{1, 3}));
        InterpolationView* interpolation = m_window->interpolationView();
        interpolation->frameCount()->setValue(5);
        QSignalSpy ready(interpolation, &InterpolationView::framesReady);
        QTest::mouseClick(interpolation->findChild<QPushButton*>("useSelectedSamples"), Qt::LeftButton);
        QVERIFY(ready.wait(kJobTimeoutMs));
        QCOMPARE(interpolation->classB(), std::optional<int>(3));
        QVERIFY(sameImage(interpolation->frames().front(), gallery->image(1)));
        QVERIFY2(sameImage(interpolation->frames().back(), gallery->image(3)), "end B is not the picked sample");
        // Two samples of one class: one class for every frame.
        interpolation->setClassB(std::nullopt);
        classes->setCurrentIndex(classes->findData(2));
    }

    void savedPngCarriesSettingsBack() {
        QVERIFY(generateNow(3, 41));
        SampleGallery* gallery = m_window->generateView()->gallery();
        QTemporaryDir dir;
        const QString path = dir.filePath("sample.png");
        QString error;
        QVERIFY2(savePngWithSettings(gallery->image(2), path, gallery->settings(2), &error), qPrintable(error));
        const auto settings = readPngSettings(path);
        QVERIFY(settings.has_value());
        QCOMPARE(settings->value("seed").toString(), QString("43"));
        QCOMPARE(settings->value("model").toString(), QString("fashion-mnist-ect"));
        QVERIFY(!readPngSettings(kModels + "../README.md").has_value());

        // Reusing the settings regenerates the same image.
        QVERIFY(m_window->openImage(path));
        m_window->reuseSettings();
        QCOMPARE(m_window->generateView()->seed()->value(), 43);
        QVERIFY(generateNow(1, 43));
        QVERIFY(sameImage(gallery->image(0), QImage(path).convertToFormat(QImage::Format_Grayscale8)));
    }

    // Every class of corrupt model from the robustness campaign, through the app's loading path: the error
    // bar names the file and the problem in a short escaped text, the loaded model stays, the app runs on.
    void corruptModelsShowTheErrorBarAndKeepTheModel_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("mention");
        QFile source(kModels + "fashion-mnist-ect.safetensors");
        QVERIFY(source.open(QIODevice::ReadOnly));
        const QByteArray valid = source.readAll();
        for (const auto& corrupt : cmtest::corruptModels(std::vector<uint8_t>(valid.begin(), valid.end()))) {
            const QString file = m_corrupt.filePath(QString::fromStdString(corrupt.name) + ".safetensors");
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(reinterpret_cast<const char*>(corrupt.bytes.data()), qint64(corrupt.bytes.size()));
            QTest::newRow(corrupt.name.c_str()) << file << QString::fromStdString(corrupt.mention);
        }
    }
    void corruptModelsShowTheErrorBarAndKeepTheModel() {
        QFETCH(QString, file);
        QFETCH(QString, mention);
        QSignalSpy failed(m_window->engine(), &Engine::failed);
        m_window->loadModel(file);
        QVERIFY(failed.wait(kJobTimeoutMs));
        QVERIFY(m_window->errorVisible());
        const QString error = m_window->lastError();
        QVERIFY2(error.contains(QFileInfo(file).fileName()) && error.contains(mention),
                 qPrintable(error.left(500)));
        QVERIFY2(error.size() < 1000, qPrintable(error.left(500)));
        for (const QChar c : error)
            QVERIFY2(c.unicode() >= 0x20, qPrintable(error.left(500)));
        QCOMPARE(m_window->engine()->model().name, QString("fashion-mnist-ect"));
    }

    // Weights of 1e30 load, but every sample overflows: an error in the bar, not a gallery of black images.
    void overflowingWeightsShowAnErrorInsteadOfBlackImages() {
        auto file = cm::readSafetensors((kModels + "fashion-mnist-ect.safetensors").toStdString());
        for (auto& [name, record] : file.tensors) {
            auto* values = reinterpret_cast<float*>(record.bytes.data());
            std::fill(values, values + record.elementCount(), 1e30f);
        }
        const QString huge = m_corrupt.filePath("huge-weights.safetensors");
        cm::writeSafetensors(huge.toStdString(), file);
        QVERIFY(waitForModel(huge));
        GenerateView* view = m_window->generateView();
        const int before = view->gallery()->count();
        QSignalSpy failed(m_window->engine(), &Engine::failed);
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        QVERIFY(failed.wait(kJobTimeoutMs));
        QVERIFY2(m_window->lastError().contains("NaN or infinite"), qPrintable(m_window->lastError()));
        QCOMPARE(view->gallery()->count(), before);
        QVERIFY(waitForModel(kModels + "fashion-mnist-ect.safetensors"));
    }

    // A malformed file in the models folder once aborted the app at every start (a type error escaped the
    // folder listing). It is skipped and listed, and the app starts and generates.
    void aBrokenFileInTheModelsFolderDoesNotStopTheApp() {
        QTemporaryDir folder;
        QVERIFY(QFile::copy(kModels + "fashion-mnist-ect.safetensors",
                            folder.filePath("fashion-mnist-ect.safetensors")));
        const std::string header = R"({"__metadata__": ["format"]})";
        std::string bytes(8, '\0');
        for (int i = 0; i < 8; ++i)
            bytes[std::size_t(i)] = char(uint64_t(header.size()) >> (8 * i));
        QFile broken(folder.filePath("a-broken.safetensors"));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write(QByteArray::fromStdString(bytes + header));
        broken.close();
        QProcess app;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert("CMSTUDIO_MODELS_DIR", folder.path());
        environment.insert("QT_QPA_PLATFORM", "offscreen");
        environment.insert("XDG_CONFIG_HOME", folder.filePath("config")); // not the user's settings
        app.setProcessEnvironment(environment);
        app.start(CMSTUDIO_GUI_PATH, {"--generate-and-quit", folder.filePath("grid.png")});
        QVERIFY(app.waitForFinished(kJobTimeoutMs));
        const QString err = QString::fromUtf8(app.readAllStandardError());
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QVERIFY2(app.exitCode() == 0, qPrintable(err));
        QVERIFY2(err.contains("skipped " + folder.filePath("a-broken.safetensors") + ": ") &&
                     err.contains("\"__metadata__\""),
                 qPrintable(err));
        QVERIFY(QFile::exists(folder.filePath("grid.png")));
    }

    void badFilesShowAnErrorAndLoseNothing() {
        QTemporaryDir dir;
        const QString corrupt = dir.filePath("corrupt.safetensors");
        QFile source(kModels + "fashion-mnist-ect.safetensors");
        QVERIFY(source.open(QIODevice::ReadOnly));
        QFile out(corrupt);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(source.read(5000)); // truncated
        out.close();
        QSignalSpy failed(m_window->engine(), &Engine::failed);
        m_window->loadModel(corrupt);
        QVERIFY(failed.wait(kJobTimeoutMs));
        QVERIFY(m_window->errorVisible());
        QVERIFY2(m_window->lastError().contains("corrupt.safetensors"), qPrintable(m_window->lastError()));
        QCOMPARE(m_window->engine()->model().name, QString("fashion-mnist-ect")); // still loaded

        const QString notImage = dir.filePath("notes.png");
        QFile text(notImage);
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("this is not a PNG");
        text.close();
        QVERIFY(!m_window->openImage(notImage));
        QVERIFY2(m_window->lastError().contains("notes.png"), qPrintable(m_window->lastError()));

        QVERIFY(generateNow(2, 1)); // and the app still works
        QCOMPARE(m_window->generateView()->gallery()->count(), 2);
    }

    // A model dropped on the Training tab loads (it was read as a log: the same error in a message box,
    // the error bar and the status bar). A log that cannot be read shows its error once, in the bar.
    void aModelDroppedOnTheTrainingTabLoadsAndAnErrorShowsOnce() {
        m_window->showTab(MainWindow::TrainingTab);
        TrainingView* training = m_window->trainingView();
        QSignalSpy ready(m_window.get(), &MainWindow::modelReady);
        QSignalSpy errors(training, &TrainingView::errorOccurred);
        const QString teacher = kModels + "fashion-mnist-edm.safetensors";
        dropFiles(training, {teacher});
        QVERIFY(ready.wait(60000));
        QCOMPARE(m_window->engine()->model().name, QString("fashion-mnist-edm"));
        QCOMPARE(errors.count(), 0);
        QVERIFY(!training->logPaths().contains(QFileInfo(teacher).absoluteFilePath()));
        QVERIFY(!m_window->errorVisible());
        QCOMPARE(visibleMessageBoxes(), 0);

        QTemporaryDir dir;
        const QString notALog = dir.filePath("notes.csv");
        QFile file(notALog);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("first,second\n1,2\n");
        file.close();
        QSignalSpy read(training, &TrainingView::logRead);
        dropFiles(training, {notALog});
        QVERIFY(read.wait(kJobTimeoutMs));
        QCOMPARE(errors.count(), 1);
        QVERIFY(m_window->errorVisible());
        QVERIFY2(m_window->lastError().contains("no 'step' column"), qPrintable(m_window->lastError()));
        QCOMPARE(visibleMessageBoxes(), 0);
        QVERIFY2(!m_window->statusBar()->currentMessage().contains("notes.csv"),
                 qPrintable(m_window->statusBar()->currentMessage()));
        QVERIFY(waitForModel(kModels + "fashion-mnist-ect.safetensors"));
        m_window->showTab(MainWindow::GenerateTab);
    }

    // The error bar of an invalid schedule, and of an image that does not fit the model, goes once the
    // cause is corrected (it stayed until the next model load).
    void aFormErrorGoesWhenItIsCorrected() {
        m_window->showTab(MainWindow::GenerateTab);
        GenerateView* view = m_window->generateView();
        ScheduleEditor* schedule = view->scheduleEditor();
        schedule->setSteps(3);
        QLineEdit* values = schedule->valuesField();
        values->selectAll();
        QTest::keyClicks(values, "80, 10, 2, 0.5");
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        QVERIFY(m_window->errorVisible());
        QVERIFY2(m_window->lastError().contains("4 given for 3 step"), qPrintable(m_window->lastError()));
        QTest::keyClick(values, Qt::Key_Backspace);
        QTest::keyClick(values, Qt::Key_Backspace);
        QTest::keyClick(values, Qt::Key_Backspace);
        QTest::keyClick(values, Qt::Key_Backspace);
        QTest::keyClick(values, Qt::Key_Backspace); // "80, 10, 2"
        QCOMPARE(values->text(), QString("80, 10, 2"));
        QVERIFY(!m_window->errorVisible());
        schedule->setSteps(1);

        EditView* edit = m_window->editView();
        m_window->showTab(MainWindow::EditTab);
        QImage big(64, 48, QImage::Format_Grayscale8);
        big.fill(100);
        edit->openImage(big, {});
        edit->setOperation(EditView::Stroke); // no mask needed: the size is what is wrong
        QTest::mouseClick(edit->applyButton(), Qt::LeftButton);
        QVERIFY(m_window->errorVisible());
        QVERIFY2(m_window->lastError().contains("Fit image to model"), qPrintable(m_window->lastError()));
        edit->fitToModel();
        QVERIFY(!m_window->errorVisible());
        edit->setOperation(EditView::Inpaint);
        m_window->showTab(MainWindow::GenerateTab);
    }

    // Super-resolving a low-resolution image (7 x 7 for a 28 x 28 model at 4x) makes a 28 x 28 image, and
    // the canvas shows it at its own, larger size: the same screen pixels per image pixel as the input
    // had, so it covers 4 x the width (it was fitted to the canvas like the input, i.e. squeezed back to
    // the input's size on screen). The inspector compares the two at the result's size.
    void superResolutionShowsTheResultEnlarged() {
        QVERIFY(generateNow(1, 31));
        EditView* edit = m_window->editView();
        m_window->showTab(MainWindow::EditTab);
        const QImage sample = m_window->generateView()->gallery()->image(0);
        const QImage low = sample.scaled(7, 7, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        edit->openImage(low, {});
        MaskCanvas* canvas = edit->canvas();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QTest::qWait(20);
        const QRectF before = canvas->imageRect();
        const double zoomBefore = canvas->zoom();
        QVERIFY(before.width() > 7 && before.width() < canvas->width() / 2);
        edit->setOperation(EditView::SuperResolve);
        edit->findChild<QComboBox*>("factor")->setCurrentIndex(1); // 4x
        QSignalSpy applied(edit, &EditView::applied);
        QTest::mouseClick(edit->applyButton(), Qt::LeftButton);
        QVERIFY(applied.wait(kJobTimeoutMs));
        QTest::qWait(20);
        QCOMPARE(canvas->document()->image().size(), QSize(28, 28));
        QCOMPARE(canvas->zoom(), zoomBefore);
        QCOMPARE(canvas->imageRect().width(), 4 * before.width());
        QVERIFY(canvas->imageRect().width() <= canvas->width());
        // Undo brings the small input back at its own small size.
        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->imageRect(), before);
        edit->setOperation(EditView::Inpaint);
        m_window->showTab(MainWindow::GenerateTab);
    }

    // A common small laptop screen is 1024 x 768 (700 px left under a panel): every tab must lay out
    // in 1024 x 700 with the default font, without clipping (the minimum once was ~1030 px wide).
    void theWindowFitsA1024By700Screen() {
        const QSize shown = m_window->size();
        for (int tab = 0; tab < m_window->tabs()->count(); ++tab) {
            m_window->showTab(tab);
            QTest::qWait(20);
            const QSize hint = m_window->minimumSizeHint();
            qInfo("tab %d (%s): minimumSizeHint %d x %d, minimumSize %d x %d", tab,
                  qPrintable(m_window->tabs()->tabText(tab)), hint.width(), hint.height(),
                  m_window->minimumSize().width(), m_window->minimumSize().height());
            QVERIFY2(hint.width() <= 1024 && hint.height() <= 700,
                     qPrintable(QString("tab %1: %2 x %3").arg(tab).arg(hint.width()).arg(hint.height())));
            // At 1024 x 700 no button, box or field of the tab is squeezed below its own minimum (clipped
            // text); what lies in a scroll area keeps its size and scrolls.
            m_window->resize(1024, 700);
            QTest::qWait(20);
            QCOMPARE(m_window->size(), QSize(1024, 700));
            for (QWidget* control : m_window->tabs()->currentWidget()->findChildren<QWidget*>()) {
                if (!control->isVisible() || !(qobject_cast<QAbstractButton*>(control) ||
                                               qobject_cast<QComboBox*>(control) || qobject_cast<QLineEdit*>(control)))
                    continue;
                QVERIFY2(control->width() >= control->minimumSizeHint().width(),
                         qPrintable(QString("tab %1: %2 \"%3\" is %4 px wide, needs %5")
                                        .arg(tab)
                                        .arg(control->metaObject()->className())
                                        .arg(control->property("text").toString())
                                        .arg(control->width())
                                        .arg(control->minimumSizeHint().width())));
            }
        }
        m_window->showTab(MainWindow::GenerateTab);
        m_window->resize(shown);
    }

    // The error bar once was inserted above the tabs and pushed every control down ~34 px.
    void theErrorBarMovesNoControl() {
        m_window->showTab(MainWindow::GenerateTab);
        QTest::qWait(20);
        QPushButton* button = m_window->generateView()->generateButton();
        const QPoint before = button->mapTo(m_window.get(), QPoint(0, 0));
        const QRect tabs = m_window->tabs()->geometry();
        m_window->showError("A problem of some length, to see that the bar does not take room from the "
                            "views: it lies over them.");
        QTest::qWait(20);
        QVERIFY(m_window->errorVisible());
        QCOMPARE(button->mapTo(m_window.get(), QPoint(0, 0)), before);
        QCOMPARE(m_window->tabs()->geometry(), tabs);
        auto* bar = m_window->findChild<QLabel*>("errorBar");
        QVERIFY(bar);
        QVERIFY(bar->height() > 10 && bar->width() > m_window->width() / 2);
        QTest::mouseClick(bar, Qt::LeftButton); // dismissed with a click
        QVERIFY(!m_window->errorVisible());
        QCOMPARE(button->mapTo(m_window.get(), QPoint(0, 0)), before);
    }

    // Bug 10: the first time the progress bar appeared, the status bar grew and the window with it (~20
    // px). A fresh window that has never shown the bar, at its smallest height (where a taller status bar
    // can only make the window taller), loads a model (the first job shows the bar) and then runs a batch:
    // the window's size, the tabs and every control above the gallery stay where they were.
    void theFirstProgressBarMovesNothing() {
        QStringList bundled = {kModels + "fashion-mnist-ect.safetensors"};
        MainWindow fresh(bundled);
        fresh.show();
        fresh.showTab(MainWindow::GenerateTab);
        QVERIFY(QTest::qWaitForWindowExposed(&fresh));
        fresh.resize(fresh.minimumSizeHint());
        QTest::qWait(50);
        GenerateView* view = fresh.generateView();
        auto* progressBar = fresh.findChild<QProgressBar*>();
        QVERIFY(progressBar && !progressBar->isVisible());
        const QSize size = fresh.size();
        auto where = [&fresh](QWidget* widget) { return QRect(widget->mapTo(&fresh, QPoint(0, 0)), widget->size()); };
        // Loading fills the schedule editor with the card's schedule (its text may take another line), so
        // the controls column is compared from then on; the window, the tabs and the gallery from the start.
        QList<QWidget*> watched = {fresh.tabs(), view->gallery(), fresh.statusBar()};
        QList<QRect> before;
        auto remember = [&] {
            before.clear();
            for (QWidget* widget : watched) before << where(widget);
        };
        auto moved = [&](const QString& when) {
            if (fresh.size() != size)
                return QString("%1: the window went from %2 x %3 to %4 x %5")
                    .arg(when).arg(size.width()).arg(size.height()).arg(fresh.width()).arg(fresh.height());
            for (int i = 0; i < watched.size(); ++i)
                if (where(watched[i]) != before[i])
                    return QString("%1: %2 went from %3,%4 %5x%6 to %7,%8 %9x%10")
                        .arg(when, watched[i]->metaObject()->className())
                        .arg(before[i].x()).arg(before[i].y()).arg(before[i].width()).arg(before[i].height())
                        .arg(where(watched[i]).x()).arg(where(watched[i]).y())
                        .arg(where(watched[i]).width()).arg(where(watched[i]).height());
            return QString();
        };
        remember();
        QSignalSpy ready(&fresh, &MainWindow::modelReady);
        fresh.loadModel(kModels + "fashion-mnist-ect.safetensors");
        // Only the layout requests the bar's appearance posted, not the load's result: the bar is still up.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QVERIFY(progressBar->isVisible());
        QVERIFY2(moved("loading").isEmpty(), qPrintable(moved("loading")));
        QVERIFY(ready.wait(kJobTimeoutMs));
        QTest::qWait(20);
        QVERIFY2(moved("loaded").isEmpty(), qPrintable(moved("loaded")));

        watched << view->batchSize() << view->seed() << view->scheduleEditor() << view->generateButton();
        remember();
        view->scheduleEditor()->setSteps(4);
        view->batchSize()->setValue(256);
        QTest::qWait(20);
        remember(); // what the new step count shows is not the progress bar's doing
        QSignalSpy progress(fresh.engine(), &Engine::progress);
        QSignalSpy cancelled(fresh.engine(), &Engine::cancelled);
        // Ctrl+Return: at this height the Generate button lies below the fold of the scrolling controls, and a
        // click on it would first scroll it into view.
        view->generate();
        QVERIFY(progress.wait(kJobTimeoutMs));
        QTest::qWait(20);
        QVERIFY(progressBar->isVisible());
        QVERIFY2(moved("generating").isEmpty(), qPrintable(moved("generating")));
        fresh.cancelJobs();
        QVERIFY(cancelled.wait(kJobTimeoutMs));
        QTest::qWait(20);
        QVERIFY(!progressBar->isVisible());
        QVERIFY2(moved("cancelled").isEmpty(), qPrintable(moved("cancelled")));
    }

    // The first job's progress bar made the status bar (and the window) taller; Generate stayed enabled,
    // a second click restarted the run with a new seed, and a cancelled run left its seed in the field.
    void aRunningBatchKeepsTheLayoutTheButtonAndTheSeed() {
        m_window->showTab(MainWindow::GenerateTab);
        GenerateView* view = m_window->generateView();
        QVERIFY(generateNow(2, 77));
        QTest::qWait(20);
        const QSize window = m_window->size();
        const QRect tabs = m_window->tabs()->geometry();
        const int statusHeight = m_window->statusBar()->height();
        view->seedLock()->setChecked(false);
        view->scheduleEditor()->setSteps(4);
        view->batchSize()->setValue(512);
        QSignalSpy progress(m_window->engine(), &Engine::progress);
        QSignalSpy cancelled(m_window->engine(), &Engine::cancelled);
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        QVERIFY(progress.wait(kJobTimeoutMs));
        QTest::qWait(20);
        QVERIFY(m_window->findChild<QProgressBar*>()->isVisible());
        QCOMPARE(m_window->statusBar()->height(), statusHeight);
        QCOMPARE(m_window->size(), window);
        QCOMPARE(m_window->tabs()->geometry(), tabs);
        const int running = view->seed()->value();
        QVERIFY(running != 77); // unlocked: a new seed was drawn
        QVERIFY(!view->generateButton()->isEnabled());
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        view->generate(); // Ctrl+Return
        QCOMPARE(view->seed()->value(), running);
        m_window->cancelJobs();
        QVERIFY(cancelled.wait(kJobTimeoutMs));
        QCOMPARE(cancelled.count(), 1); // one run, not three
        QCOMPARE(view->seed()->value(), 77); // the seed of the images on screen
        QVERIFY(view->generateButton()->isEnabled());
        QCOMPARE(view->gallery()->settings(0).value("seed").toString(), QString("77"));
        view->scheduleEditor()->setSteps(1);
        view->seedLock()->setChecked(true);
    }

    // Saving into a folder that has the files once reported only the last clash, then "Saved 0 images".
    void savingOverExistingFilesAsks() {
        QVERIFY(generateNow(3, 51));
        QTemporaryDir dir;
        const QVector<int> rows{0, 1, 2};
        QCOMPARE(m_window->saveImagesInto(rows, dir.path()), 3);
        const QStringList first = QDir(dir.path()).entryList(QDir::Files);
        QCOMPARE(first, (QStringList{"fashion-mnist-ect-seed51.png", "fashion-mnist-ect-seed52.png",
                                     "fashion-mnist-ect-seed53.png"}));
        QString question;
        answerNextMessageBox("Keep both", &question);
        QCOMPARE(m_window->saveImagesInto(rows, dir.path()), 3);
        QVERIFY2(question.contains("3 of the files exist") && question.contains("fashion-mnist-ect-seed52.png"),
                 qPrintable(question));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 6);
        QVERIFY(QFile::exists(dir.filePath("fashion-mnist-ect-seed51 (2).png")));
        QCOMPARE(readPngSettings(dir.filePath("fashion-mnist-ect-seed53 (2).png"))->value("seed").toString(),
                 QString("53"));
        answerNextMessageBox("Cancel");
        QCOMPARE(m_window->saveImagesInto(rows, dir.path()), 0);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 6);
        QFile::remove(dir.filePath("fashion-mnist-ect-seed52.png"));
        answerNextMessageBox("Overwrite", &question);
        QCOMPARE(m_window->saveImagesInto(rows, dir.path()), 3);
        QVERIFY2(question.contains("2 of the files exist"), qPrintable(question));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 6);
        QVERIFY(!m_window->errorVisible());
    }

    // Stale state: the refine panel kept the old chain after a new batch or model, the timing line the old
    // model's figures, the bundled list the old highlight; a model change reset the class.
    void nothingStaleAfterANewBatchOrModel() {
        m_window->showTab(MainWindow::GenerateTab);
        GenerateView* view = m_window->generateView();
        QComboBox* classes = view->classPicker();
        classes->setCurrentIndex(classes->findData(3));
        QVERIFY(generateNow(4, 61));
        QSignalSpy finished(m_window->engine(), &Engine::finished);
        view->refine(0);
        QVERIFY(finished.wait(kJobTimeoutMs));
        QVERIFY(view->chainStrip()->count() > 0);
        QVERIFY(generateNow(4, 62));
        QCOMPARE(view->chainStrip()->count(), 0);
        QCOMPARE(view->stepsStrip()->count(), 0);
        QVERIFY(!view->chainCaption().contains("61"));
        QVERIFY(!view->timingText().isEmpty());

        const QString ect = QFileInfo(kModels + "fashion-mnist-ect.safetensors").absoluteFilePath();
        QCOMPARE(QFileInfo(m_window->modelPanel()->highlightedModel()), QFileInfo(ect));
        QVERIFY(waitForModel(kModels + "fashion-mnist-cd.safetensors")); // as File › Open does
        QCOMPARE(QFileInfo(m_window->modelPanel()->highlightedModel()),
                 QFileInfo(kModels + "fashion-mnist-cd.safetensors"));
        QVERIFY2(view->timingText().isEmpty(), qPrintable(view->timingText()));
        QCOMPARE(classes->currentData().toInt(), 3); // the same ten classes: the choice stays
        QTemporaryDir elsewhere;
        QVERIFY(QFile::copy(ect, elsewhere.filePath("my-model.safetensors")));
        QVERIFY(waitForModel(elsewhere.filePath("my-model.safetensors")));
        QVERIFY(m_window->modelPanel()->highlightedModel().isEmpty());
        QVERIFY(waitForModel(ect));
    }

    // A batch made before a model change is still there, and two batches show side by side.
    void earlierBatchesStayAndCompare() {
        GenerateView* view = m_window->generateView();
        QVERIFY(generateNow(3, 71));
        const QImage ect71 = view->gallery()->image(0);
        QVERIFY(waitForModel(kModels + "fashion-mnist-cd.safetensors"));
        QCOMPARE(view->gallery()->count(), 3); // not cleared by the model change
        QVERIFY(generateNow(3, 71));
        BatchHistory* history = view->history();
        QVERIFY(history->count() >= 2);
        QCOMPARE(history->batch(0).model, QString("fashion-mnist-cd"));
        QCOMPARE(history->batch(1).model, QString("fashion-mnist-ect"));
        QVERIFY2(BatchHistory::label(history->batch(1)).contains("fashion-mnist-ect") &&
                     BatchHistory::label(history->batch(1)).contains("71"),
                 qPrintable(BatchHistory::label(history->batch(1))));
        QVERIFY(!sameImage(view->gallery()->image(0), ect71)); // another model, the same seed
        history->compareWith(1);
        QVERIFY(view->comparedGallery()->isVisible());
        QVERIFY(sameImage(view->comparedGallery()->image(0), ect71));
        QVERIFY(view->comparedGallery()->x() > view->gallery()->x()); // beside it
        history->show(1);
        QVERIFY(sameImage(view->gallery()->image(0), ect71));
        // Refining a sample of another model's batch says so instead of refining with the wrong model.
        view->refine(0);
        QVERIFY2(m_window->lastError().contains("fashion-mnist-ect"), qPrintable(m_window->lastError()));
        history->compareWith(-1);
        QVERIFY(!view->comparedGallery()->isVisible());
        QVERIFY(waitForModel(kModels + "fashion-mnist-ect.safetensors"));
    }

    // Small ones: the inspector's zoom keys need no click first; the strip under the interpolation counts
    // frames from 1 like "frame 8 of 16"; Help lists the shortcuts.
    void inspectorKeysFrameNumbersAndShortcuts() {
        m_window->showTab(MainWindow::GenerateTab);
        QVERIFY(generateNow(2, 81));
        ImageInspector* inspector = m_window->generateView()->inspector();
        inspector->setZoom(4);
        m_window->generateView()->generateButton()->setFocus();
        QWidget* view = inspector->view();
        QTest::mouseMove(view, view->rect().center());
        QTRY_COMPARE(m_window->focusWidget(), view);
        QTest::keyClick(m_window->focusWidget(), Qt::Key_Plus);
        QVERIFY2(inspector->zoom() > 4, qPrintable(QString::number(inspector->zoom())));
        // A field being typed in keeps the keyboard.
        m_window->generateView()->seed()->setFocus();
        QTest::mouseMove(view, view->rect().center() + QPoint(3, 3));
        QTest::mouseMove(m_window->generateView()->generateButton());
        QTest::mouseMove(view, view->rect().center());
        QCOMPARE(m_window->focusWidget(), m_window->generateView()->seed());

        InterpolationView* interpolation = m_window->interpolationView();
        interpolation->setSeeds(1, 2, -1);
        interpolation->frameCount()->setValue(4);
        QSignalSpy ready(interpolation, &InterpolationView::framesReady);
        interpolation->compute();
        QVERIFY(ready.wait(kJobTimeoutMs));
        interpolation->slider()->setValue(3);
        QCOMPARE(interpolation->frameCaption(3), QString("4"));
        QVERIFY2(interpolation->positionText().contains("4 of 4"), qPrintable(interpolation->positionText()));

        const QString shortcuts = m_window->shortcutsHtml();
        for (const char* expected : {"Ctrl+Return", "Ctrl+Shift+S", "Esc", "Ctrl+E", "Inspector"})
            QVERIFY2(shortcuts.contains(expected), expected);
    }

    // A model whose card records its searched schedule opens with it preselected.
    void theCardsScheduleIsPreselected() {
        auto file = cm::readSafetensors((kModels + "fashion-mnist-ect.safetensors").toStdString());
        file.metadata["recommended_schedule"] = R"({"sigmas":[80,1.53933]})";
        QTemporaryDir dir;
        const QString path = dir.filePath("searched.safetensors");
        cm::writeSafetensors(path.toStdString(), file);
        QVERIFY(waitForModel(path));
        ScheduleEditor* schedule = m_window->generateView()->scheduleEditor();
        QCOMPARE(schedule->sigmas(), (QVector<double>{80, 1.53933}));
        QVERIFY(generateNow(1, 91, false));
        QCOMPARE(m_window->generateView()->gallery()->settings(0).value("sigmas").toList().size(), 2);
        // The bundled card records its searched schedule too (docs/RESULTS.md, ECT 2 steps: 80, 4.55941).
        QVERIFY(waitForModel(kModels + "fashion-mnist-ect.safetensors"));
        QCOMPARE(schedule->sigmas(), (QVector<double>{80, 4.55941}));
        // A card without one keeps the step count and takes the generic preset's levels.
        file.metadata.erase("recommended_schedule");
        const QString plain = dir.filePath("plain.safetensors");
        cm::writeSafetensors(plain.toStdString(), file);
        QVERIFY(waitForModel(plain));
        QCOMPARE(schedule->sigmas().size(), 2);
        QVERIFY(schedule->sigmas()[1] != 1.53933);
        schedule->setSteps(1);
        QVERIFY(waitForModel(kModels + "fashion-mnist-ect.safetensors"));
    }

    // Seed and Lock, the edit task and the interpolation settings come back after a restart.
    void settingsSurviveARestart() {
        GenerateView* view = m_window->generateView();
        view->seed()->setValue(1234);
        view->seedLock()->setChecked(true);
        m_window->editView()->setOperation(EditView::Colorize);
        m_window->interpolationView()->setSeeds(5, 6, -1);
        m_window->interpolationView()->frameCount()->setValue(7);
        {
            MainWindow second(QStringList{});
            QCOMPARE(second.generateView()->seed()->value(), 1234);
            QVERIFY(second.generateView()->seedLock()->isChecked());
            QCOMPARE(second.editView()->operation(), EditView::Colorize);
            QCOMPARE(second.interpolationView()->frameCount()->value(), 7);
            QCOMPARE(second.interpolationView()->seeds(), qMakePair(quint64(5), quint64(6)));
        }
        m_window->editView()->setOperation(EditView::Inpaint);
    }

    void eventLoopKeepsRunningDuringALongBatch() {
        // A 4-step batch of 256 images: many seconds of network work on the worker thread.
        GenerateView* view = m_window->generateView();
        view->scheduleEditor()->setSteps(4);
        view->batchSize()->setValue(256);
        view->seedLock()->setChecked(true);
        QElapsedTimer clock;
        qint64 last = 0, worst = 0;
        int ticks = 0;
        QTimer timer;
        timer.setInterval(10);
        connect(&timer, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            worst = std::max(worst, now - last);
            last = now;
            ++ticks;
        });
        QSignalSpy done(view, &GenerateView::generated);
        clock.start();
        timer.start();
        view->generate();
        QVERIFY(done.wait(kJobTimeoutMs));
        timer.stop();
        const qint64 total = clock.elapsed();
        qInfo("long batch: %lld ms, %d timer ticks, worst gap between ticks %lld ms", total, ticks, worst);
        QVERIFY2(total > 500, "the batch was too short to measure anything");
        QVERIFY2(worst < 50, qPrintable(QString("the GUI thread was blocked for %1 ms").arg(worst)));
        view->scheduleEditor()->setSteps(1);
    }

    void cancelStopsALongBatch() {
        GenerateView* view = m_window->generateView();
        view->scheduleEditor()->setSteps(4);
        view->batchSize()->setValue(512);
        QSignalSpy cancelled(m_window->engine(), &Engine::cancelled);
        QSignalSpy progress(m_window->engine(), &Engine::progress);
        view->generate();
        QVERIFY(progress.wait(kJobTimeoutMs));
        QElapsedTimer clock;
        clock.start();
        m_window->cancelJobs();
        QVERIFY(cancelled.wait(kJobTimeoutMs));
        qInfo("cancel took %lld ms", clock.elapsed());
        const long total = progress.last().at(2).toLongLong();
        QVERIFY(progress.last().at(1).toLongLong() < total); // stopped before the end
        view->scheduleEditor()->setSteps(1);
        QVERIFY(generateNow(2, 3));
    }

    // Issue 18's Compress tab in the window: the gallery's selected sample is encoded and decoded (the code
    // in the status bar too), a bad pasted code is one message in the error bar, and the next good decode
    // takes it away. The tokenizer is a fresh one (untrained: the flow is what is tested here;
    // test_compress_view checks the figures against the engine with a trained one).
    void theCompressTabEncodesTheSelectedSample() {
        QVERIFY(generateNow(3, 41));
        QTemporaryDir dir;
        cm::TokenizerCard card;
        card.config = cm::tokenizerPreset("lo", 28, 1);
        card.config.encoderWidth = card.config.decoderWidth = 32;
        card.config.decoderDepth = 2;
        card.stages = {"1a"};
        const QString path = dir.filePath("tok.safetensors");
        cm::Tokenizer::create(card, 1).save(path.toStdString());
        m_window->showTab(MainWindow::CompressTab);
        CompressView* view = m_window->compressView();
        QSignalSpy ready(view, &CompressView::tokenizerReady);
        view->loadTokenizer(path);
        QVERIFY(ready.wait(kJobTimeoutMs));
        QCOMPARE(view->tokenizer().codeBits, 55);
        SampleGallery* gallery = m_window->generateView()->gallery();
        gallery->setCurrentIndex(2);
        view->useSelectedSample();
        QVERIFY(sameImage(view->sourceImage(), gallery->image(2)));
        view->steps()->setValue(3);
        QSignalSpy done(view, &CompressView::resultReady);
        QTest::mouseClick(view->compressButton(), Qt::LeftButton);
        QVERIFY(done.wait(kJobTimeoutMs));
        QCOMPARE(view->result().reconstructions.size(), 2);
        QCOMPARE(view->hexText().size(), 14);
        QVERIFY2(m_window->statusBar()->currentMessage().contains(view->hexText()),
                 qPrintable(m_window->statusBar()->currentMessage()));

        const QString hex = view->hexText();
        view->codeInput()->setText("not hex");
        QTest::mouseClick(view->decodeButton(), Qt::LeftButton);
        QVERIFY(m_window->errorVisible());
        QVERIFY2(m_window->lastError().contains("the pasted code"), qPrintable(m_window->lastError()));
        QCOMPARE(visibleMessageBoxes(), 0);
        view->codeInput()->setText(hex);
        QTest::mouseClick(view->decodeButton(), Qt::LeftButton);
        QVERIFY(!m_window->errorVisible()); // corrected: the message goes
        QVERIFY(done.wait(kJobTimeoutMs));
        QCOMPARE(view->hexText(), hex);
        m_window->showTab(MainWindow::GenerateTab);
    }

    void cleanupTestCase() { m_window.reset(); }
};

QTEST_MAIN(TestGuiApp)
#include "test_gui_app.moc"
