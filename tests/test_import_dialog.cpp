// Tests ui/import_dialog.* and ui/import_settings.*: the import step for foreign models (a `.pt` in the
// published layout, weights made here by the plain-PyTorch twin): what it shows, what it asks for, what it
// remembers per file; and, through the real main window, the published sizes in the app: ImageNet's 1,000
// searchable class names at 64 px, and at 256 px a progress bar that moves inside one network evaluation
// and a Cancel that stops inside it.
#include "ui/class_picker.h"
#include "ui/engine.h"
#include "ui/generate_view.h"
#include "ui/import_dialog.h"
#include "ui/import_settings.h"
#include "ui/main_window.h"
#include "ui/sample_gallery.h"
#include "ui/thumbnails.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr int kTimeoutMs = 10 * 60 * 1000;

// Writes a `.pt` of the twin's configuration `config` named `name`.pt into `folder`.
bool writeTwin(const QString& folder, const QString& config, const QString& name, QString* log) {
    QProcess process;
    process.start("/usr/bin/python3", {QString(CMSTUDIO_SOURCE_DIR) + "/tests/published/adm_twin.py", folder,
                                       "--config", config, "--name", name, "--batch", "1", "--sigmas", "80",
                                       "--skip-diffusers"});
    const bool finished = process.waitForFinished(kTimeoutMs);
    *log = QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
    return finished && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

QPushButton* openButton(ImportDialog& dialog) {
    return dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Open);
}

bool sameOptions(const cm::ImportOptions& a, const cm::ImportOptions& b) {
    return a.imageSize == b.imageSize && a.headChannels == b.headChannels && a.kind == b.kind &&
           a.schedule.toJson() == b.schedule.toJson();
}

} // namespace

class TestImportDialog : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_imagenet, m_bedroom, m_unnamed;

  private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // settings in a test location, not the user's
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        QString log;
        QVERIFY2(writeTwin(m_dir.path(), "tiny-imagenet64", "cd_imagenet64_l2", &log), qPrintable(log));
        QVERIFY2(writeTwin(m_dir.path(), "tiny-lsun256", "ct_bedroom256", &log), qPrintable(log));
        m_imagenet = m_dir.filePath("cd_imagenet64_l2.pt");
        m_bedroom = m_dir.filePath("ct_bedroom256.pt");
        m_unnamed = m_dir.filePath("my-own-model.pt"); // no preset: the size must come from the user
        QVERIFY(QFile::copy(m_imagenet, m_unnamed));
    }

    void showsWhatWasInferredAndAssumed() {
        Engine engine;
        ImportDialog dialog(&engine, m_imagenet, {});
        QVERIFY(dialog.checking());
        QVERIFY(!openButton(dialog)->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), kTimeoutMs);
        QVERIFY2(dialog.report().ok, qPrintable(dialog.report().error));
        QVERIFY(dialog.report().inferred.join('\n').contains("1000 classes"));
        const QString assumed = dialog.report().assumed.join('\n');
        QVERIFY2(assumed.contains("cd_imagenet64_l2") && assumed.contains("ImageNet"), qPrintable(assumed));
        QVERIFY(dialog.report().summary.contains("64 px"));
        QVERIFY(openButton(dialog)->isEnabled());
        // Any change to the form needs a new check before Open.
        dialog.findChild<QSpinBox*>("headChannels")->setValue(16);
        QVERIFY(!openButton(dialog)->isEnabled());
    }

    void asksForWhatTheFileCannotSay() {
        Engine engine;
        ImportDialog dialog(&engine, m_unnamed, {});
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), kTimeoutMs);
        QVERIFY(!dialog.report().ok);
        QVERIFY2(dialog.report().error.contains("image size"), qPrintable(dialog.report().error));
        QVERIFY(!openButton(dialog)->isEnabled());
        dialog.findChild<QSpinBox*>("imageSize")->setValue(64);
        QTest::mouseClick(dialog.findChild<QPushButton*>("check"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), kTimeoutMs);
        QVERIFY(!dialog.report().ok); // the kind: nothing in the file or its name says it
        QVERIFY2(dialog.report().error.contains("kind"), qPrintable(dialog.report().error));
        dialog.findChild<QComboBox*>("kind")->setCurrentIndex(1); // a consistency model
        dialog.findChild<QLineEdit*>("ts")->setText("0,22,39");
        dialog.findChild<QSpinBox*>("steps")->setValue(40);
        QTest::mouseClick(dialog.findChild<QPushButton*>("check"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), kTimeoutMs);
        QVERIFY2(dialog.report().ok, qPrintable(dialog.report().error));
        QVERIFY(openButton(dialog)->isEnabled());
        QCOMPARE(dialog.options().imageSize, 64);
        QCOMPARE(dialog.options().schedule.ts, (std::vector<int>{0, 22, 39}));
        // A schedule that does not fit its grid is refused in the form, before any file is read.
        dialog.findChild<QSpinBox*>("steps")->setValue(30);
        dialog.check();
        QVERIFY(!dialog.checking());
        QVERIFY(!openButton(dialog)->isEnabled());
    }

    void remembersTheSettingsPerFile() {
        cm::ImportOptions options;
        options.imageSize = 64;
        options.headChannels = 32;
        options.kind = cm::ModelKind::EdmDenoiser;
        options.schedule.ts = {0, 17, 39};
        options.schedule.steps = 40;
        rememberImportOptions(m_unnamed, options);
        QVERIFY(sameOptions(rememberedImportOptions(m_unnamed), options));
        QVERIFY(sameOptions(rememberedImportOptions(m_dir.filePath("another.pt")), {}));
        QVERIFY(needsImportStep(m_imagenet));
        QVERIFY(!needsImportStep(QString(CMSTUDIO_SOURCE_DIR) + "/resources/models/fashion-mnist-ect.safetensors"));
    }

    // The app on the published 64 px layout: the import step, ImageNet's names searchable in the class
    // picker, images of the model's size in the gallery.
    void theAppOpensAPtAt64PxWithImageNetClasses() {
        MainWindow window({});
        window.show();
        QSignalSpy ready(&window, &MainWindow::modelReady);
        window.loadModel(m_imagenet);
        ImportDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = window.findChild<ImportDialog*>()) != nullptr);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->checking(), kTimeoutMs);
        QVERIFY2(dialog->report().ok, qPrintable(dialog->report().error));
        const cm::ImportOptions chosen = dialog->options();
        QTest::mouseClick(openButton(*dialog), Qt::LeftButton);
        QVERIFY(ready.wait(kTimeoutMs));
        const auto info = qvariant_cast<ModelInfo>(ready.takeFirst().at(0));
        QCOMPARE(info.imageSize, 64);
        QCOMPARE(info.numClasses, 1000);
        QVERIFY(!info.nullClass);
        QVERIFY(sameOptions(rememberedImportOptions(m_imagenet), chosen));

        ClassPicker* picker = window.generateView()->classPicker();
        QCOMPARE(picker->count(), 1002); // a random class per image, all in turn, 1000 classes
        QCOMPARE(picker->itemText(0), QString("Random class per image"));
        QVERIFY(picker->setLabel(207));
        QCOMPARE(picker->currentText(), QString("207: golden retriever"));
        picker->setLabel(ClassPicker::kAllClasses);
        picker->completer()->setCompletionPrefix("retriev");
        QStringList found;
        for (int i = 0; picker->completer()->setCurrentRow(i); ++i) found << picker->completer()->currentCompletion();
        QVERIFY2(found.contains("207: golden retriever") && found.contains("208: Labrador retriever"),
                 qPrintable(found.join(", ")));
        for (const QString& entry : found) QVERIFY(entry.contains("retriev", Qt::CaseInsensitive));

        picker->setLabel(207);
        GenerateView* view = window.generateView();
        view->batchSize()->setValue(2);
        QSignalSpy generated(view, &GenerateView::generated);
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        QVERIFY(generated.wait(kTimeoutMs));
        QCOMPARE(view->gallery()->count(), 2);
        QCOMPARE(view->gallery()->image(0).size(), QSize(64, 64));
        QCOMPARE(view->gallery()->settings(1).value("class").toInt(), 207);
    }

    // 256 px: one evaluation takes long enough that progress must move inside it and Cancel stop inside it.
    void at256PxProgressAndCancelReachInsideAnEvaluation() {
        Engine engine;
        QSignalSpy loaded(&engine, &Engine::modelLoaded);
        engine.loadModel(m_bedroom, {});
        QVERIFY(loaded.wait(kTimeoutMs));
        QCOMPARE(qvariant_cast<ModelInfo>(loaded.takeFirst().at(0)).imageSize, 256);

        cm::SampleParams params;
        params.count = 1;
        params.seed = 3;
        QSignalSpy progress(&engine, &Engine::progress);
        QSignalSpy finished(&engine, &Engine::finished);
        engine.generate(params);
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY2(progress.count() >= 8, qPrintable(QString::number(progress.count())));
        const qlonglong total = progress.last().at(2).toLongLong();
        QCOMPARE(progress.last().at(1).toLongLong(), total);
        QVERIFY(progress.first().at(1).toLongLong() < total); // reported before the evaluation ended
        const auto image = qvariant_cast<JobResult>(finished.takeFirst().at(0)).images.front();
        QCOMPARE(image.size(), QSize(256, 256));
        QCOMPARE(thumbnailSize(image.size(), 3), QSize(192, 192));
        QCOMPARE(thumbnailSize(QSize(28, 28), 3), QSize(84, 84));

        // Cancel at the first report: the job ends cancelled, inside its one evaluation.
        QSignalSpy cancelled(&engine, &Engine::cancelled);
        progress.clear();
        finished.clear();
        connect(&engine, &Engine::progress, &engine, [&engine] { engine.cancelAll(); }, Qt::SingleShotConnection);
        engine.generate(params);
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(finished.count(), 0);
        QVERIFY(progress.count() < 4);
    }
};

QTEST_MAIN(TestImportDialog)
#include "test_import_dialog.moc"
