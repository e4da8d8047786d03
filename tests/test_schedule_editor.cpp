// ScheduleEditor, offscreen with the real widget: what typing and changing Steps do to the schedule.
#include "ui/schedule_editor.h"

#include <QApplication>
#include <QLineEdit>
#include <QSpinBox>
#include <QTest>

namespace {

ModelInfo consistencyModel() {
    ModelInfo model;
    model.path = "/models/test.safetensors";
    model.name = "test";
    model.consistency = true;
    model.imageSize = 28;
    return model;
}

} // namespace

class TestScheduleEditor : public QObject {
    Q_OBJECT
  private slots:
    // Custom sigmas were silently replaced by the preset of the new step count.
    void typedSigmasSurviveAChangeOfSteps() {
        ScheduleEditor editor;
        editor.setModel(consistencyModel());
        editor.show();
        QVERIFY(QTest::qWaitForWindowExposed(&editor));
        editor.setSteps(2);
        QVERIFY(!editor.customValues());
        QLineEdit* values = editor.valuesField();
        values->selectAll();
        QTest::keyClicks(values, "80, 5");
        QCOMPARE(editor.sigmas(), (QVector<double>{80, 5}));
        QVERIFY(editor.customValues());

        QSpinBox* steps = editor.stepsField();
        steps->setFocus();
        QTest::keyClick(steps, Qt::Key_Up); // 3 steps, as a click on the arrow does
        QCOMPARE(steps->value(), 3);
        QCOMPARE(values->text(), QString("80, 5"));
        QVERIFY2(editor.summary().contains("2 given for 3 step"), qPrintable(editor.summary()));
        cm::SampleParams params;
        QVERIFY(!editor.fillParams(params, nullptr));

        // Fixed by typing: the inline error goes.
        values->end(false);
        QTest::keyClicks(values, ", 0.5");
        QCOMPARE(editor.sigmas(), (QVector<double>{80, 5, 0.5}));
        QVERIFY2(!editor.summary().contains("given"), qPrintable(editor.summary()));

        // A preset asked for (setSteps) or a new model takes the preset again.
        editor.setSteps(2);
        QVERIFY(!editor.customValues());
        QCOMPARE(editor.sigmas().size(), 2);
        QVERIFY(editor.sigmas()[1] != 5.0);
    }

    // Untouched preset values follow Steps as before.
    void presetValuesFollowSteps() {
        ScheduleEditor editor;
        editor.setModel(consistencyModel());
        editor.setSteps(2);
        editor.stepsField()->setValue(3);
        QCOMPARE(editor.sigmas().size(), 3);
        editor.stepsField()->setValue(4);
        QCOMPARE(editor.sigmas().size(), 4);
    }

    // The schedule the card records for the model (searched, or published as ts) is preselected, and is
    // the preset for its step count, instead of generic values per step count (2 steps -> 80, 0.8).
    void theCardsScheduleIsPreselected() {
        ScheduleEditor editor;
        ModelInfo searched = consistencyModel();
        searched.recommendedSigmas = {80, 1.54};
        editor.setModel(searched);
        QCOMPARE(editor.stepsField()->value(), 2);
        QCOMPARE(editor.sigmas(), (QVector<double>{80, 1.54}));
        editor.stepsField()->setValue(3);
        QCOMPARE(editor.sigmas().size(), 3);
        editor.stepsField()->setValue(2);
        QCOMPARE(editor.sigmas(), (QVector<double>{80, 1.54}));

        ModelInfo published = consistencyModel();
        published.recommendedTs = {0, 22, 39};
        published.recommendedGrid = 40;
        editor.setModel(published);
        QCOMPARE(editor.stepsField()->value(), 3);
        QCOMPARE(editor.valuesField()->text(), QString("0, 22, 39"));
        cm::SampleParams params;
        QVERIFY(editor.fillParams(params, nullptr));
        QCOMPARE(params.ts, (std::vector<int>{0, 22, 39}));
        QCOMPARE(params.steps, 40);

        // Without a recommendation: one step, as before.
        ModelInfo plain = consistencyModel();
        editor.setSteps(1);
        editor.setModel(plain);
        QCOMPARE(editor.sigmas(), (QVector<double>{80}));
    }
};

QTEST_MAIN(TestScheduleEditor)
#include "test_schedule_editor.moc"
