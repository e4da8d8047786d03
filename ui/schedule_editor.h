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

    void setSteps(int steps); // consistency models: 1 = one step, more = the preset for that many

  signals:
    void changed();

  private:
    void applyPreset();
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
};
