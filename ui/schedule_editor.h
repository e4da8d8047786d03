// The sampler and schedule form of the Generate view: one step or multistep (a sigma list or grid
// indices ts) for consistency models, Heun or Euler with a point count for denoisers, with presets and
// the chosen noise levels drawn on a log-sigma axis.
#pragma once

#include "engine_types.h"

#include "core/sampler.h"

#include <QWidget>

class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QSpinBox;
class QStackedWidget;

class ScheduleEditor : public QWidget {
    Q_OBJECT
  public:
    explicit ScheduleEditor(QWidget* parent = nullptr);

    void setModel(const ModelInfo& model);
    // Writes sampler, sigmas / ts, steps and edmPoints; false with a message naming the field when the
    // form does not describe a valid schedule.
    bool fillParams(cm::SampleParams& params, QString* error) const;
    // The noise levels the form describes now (empty if invalid), as drawn on the axis.
    QVector<double> sigmas() const;
    // Takes sampler and schedule from a PNG's recorded settings.
    void applySettings(const QVariantMap& settings);

    // Consistency models: 1 = one step, more = the preset for that many. Values typed by hand are kept
    // when Steps changes (the inline error then says how many are given for how many steps); setSteps,
    // a new model and a change of "Schedule as" take the preset.
    void setSteps(int steps);
    bool customValues() const { return m_custom; } // the values were typed, not a preset
    QSpinBox* stepsField() const { return m_steps; }
    QLineEdit* valuesField() const { return m_values; }
    QString summary() const; // the line under the form: the NFE and sigmas, or the inline error

  signals:
    void changed();

  private:
    void applyPreset();
    void onStepsChanged();
    void refresh();
    QVector<double> parsedValues(QString* error) const;

    ModelInfo m_model;
    QStackedWidget* m_pages = nullptr;
    // Consistency models
    QSpinBox* m_steps = nullptr;
    QComboBox* m_mode = nullptr; // sigmas or ts
    QSpinBox* m_gridPoints = nullptr;
    QLineEdit* m_values = nullptr;
    // Denoisers
    QComboBox* m_odeSolver = nullptr;
    QSpinBox* m_points = nullptr;

    QLabel* m_summary = nullptr;
    QCustomPlot* m_plot = nullptr;
    bool m_custom = false;
    bool m_settingValues = false; // the form writes m_values itself: not a user's edit
};
