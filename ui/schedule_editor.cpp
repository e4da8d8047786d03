#include "schedule_editor.h"

#include "schedule_presets.h"

#include "core/schedule.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace {

cm::NoiseConstants noiseOf(const ModelInfo& model) {
    cm::NoiseConstants k;
    k.sigmaMin = model.sigmaMin;
    k.sigmaMax = model.sigmaMax;
    k.rho = model.rho;
    return k;
}

QString joined(const QVector<double>& values) {
    QStringList parts;
    for (double v : values) parts << QString::number(v, 'g', 6); // searched levels like 1.53933 survive
    return parts.join(", ");
}

} // namespace

ScheduleEditor::ScheduleEditor(QWidget* parent) : QWidget(parent) {
    m_pages = new QStackedWidget;

    auto* consistencyPage = new QWidget;
    auto* cForm = new QFormLayout(consistencyPage);
    cForm->setContentsMargins(0, 0, 0, 0);
    m_steps = new QSpinBox;
    m_steps->setRange(1, 8);
    m_steps->setToolTip(tr("Network evaluations per image: 1 is one-step generation; more steps refine it."));
    m_mode = new QComboBox;
    m_mode->addItem(tr("Noise levels (σ)"));
    m_mode->addItem(tr("Grid indices (ts)"));
    m_mode->setToolTip(tr("Give the multistep schedule as noise levels, or as indices on a Karras grid "
                          "(index 0 is σ max), as the official code does."));
    m_gridPoints = new QSpinBox;
    m_gridPoints->setRange(2, 1000);
    m_gridPoints->setValue(40);
    m_gridPoints->setToolTip(tr("Points of the Karras grid that ts indices refer to."));
    m_values = new QLineEdit;
    m_values->setToolTip(tr("Strictly decreasing, comma-separated. The first is where sampling starts."));
    cForm->addRow(tr("Steps"), m_steps);
    cForm->addRow(tr("Schedule as"), m_mode);
    cForm->addRow(tr("Grid points"), m_gridPoints);
    cForm->addRow(tr("Values"), m_values);
    m_pages->addWidget(consistencyPage);

    auto* denoiserPage = new QWidget;
    auto* dForm = new QFormLayout(denoiserPage);
    dForm->setContentsMargins(0, 0, 0, 0);
    m_odeSolver = new QComboBox;
    m_odeSolver->addItem(tr("Heun (2nd order)"));
    m_odeSolver->addItem(tr("Euler (1st order)"));
    m_odeSolver->setToolTip(tr("The ODE solver for a denoiser (teacher) model."));
    m_points = new QSpinBox;
    m_points->setRange(2, 256);
    m_points->setValue(18);
    m_points->setToolTip(tr("Noise levels on the Karras grid; Heun uses 2 × points − 1 evaluations."));
    dForm->addRow(tr("Solver"), m_odeSolver);
    dForm->addRow(tr("Points"), m_points);
    m_pages->addWidget(denoiserPage);

    m_summary = new QLabel;
    m_summary->setWordWrap(true);

    m_plot = new QCustomPlot;
    m_plot->setMinimumHeight(90);
    m_plot->setMaximumHeight(130);
    m_plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_plot->xAxis->setLabel(tr("σ (log scale)"));
    m_plot->yAxis->setVisible(false);
    m_plot->yAxis->setRange(-1, 1);
    m_plot->addGraph();
    m_plot->graph(0)->setLineStyle(QCPGraph::lsNone);
    m_plot->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QColor(30, 90, 200), 7));
    m_plot->setToolTip(tr("The noise levels sampling visits, on a logarithmic axis."));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_pages);
    layout->addWidget(m_summary);
    layout->addWidget(m_plot);

    connect(m_steps, &QSpinBox::valueChanged, this, &ScheduleEditor::onStepsChanged);
    connect(m_mode, &QComboBox::currentIndexChanged, this, &ScheduleEditor::applyPreset);
    connect(m_gridPoints, &QSpinBox::valueChanged, this, &ScheduleEditor::refresh);
    connect(m_values, &QLineEdit::textChanged, this, [this] {
        if (!m_settingValues) m_custom = true;
        refresh();
    });
    connect(m_odeSolver, &QComboBox::currentIndexChanged, this, &ScheduleEditor::refresh);
    connect(m_points, &QSpinBox::valueChanged, this, &ScheduleEditor::refresh);
    refresh();
}

void ScheduleEditor::setModel(const ModelInfo& model) {
    m_model = model;
    m_pages->setCurrentIndex(model.consistency ? 0 : 1);
    // The card's recommended schedule is preselected, in the form it is given in (ts on its grid).
    const QSignalBlocker quietSteps(m_steps);
    const QSignalBlocker quietMode(m_mode);
    if (!model.recommendedTs.isEmpty() && model.recommendedGrid > 1) {
        m_mode->setCurrentIndex(1);
        m_gridPoints->setValue(model.recommendedGrid);
        m_steps->setValue(int(model.recommendedTs.size()));
    } else if (model.recommendedSigmas.size() > 1) {
        m_mode->setCurrentIndex(0);
        m_steps->setValue(int(model.recommendedSigmas.size()));
    }
    if (!model.consistency && model.recommendedHeunPoints > 1) {
        m_odeSolver->setCurrentIndex(0);
        m_points->setValue(model.recommendedHeunPoints);
    }
    applyPreset();
}

void ScheduleEditor::setSteps(int steps) {
    m_steps->setValue(steps);
    applyPreset();
}

void ScheduleEditor::onStepsChanged() {
    if (!m_custom) {
        applyPreset();
        return;
    }
    const int steps = m_steps->value();
    m_values->setEnabled(steps > 1);
    m_gridPoints->setEnabled(m_mode->currentIndex() == 1 && steps > 1);
    m_mode->setEnabled(steps > 1);
    refresh();
}

void ScheduleEditor::applyPreset() {
    m_settingValues = true;
    m_custom = false;
    const int steps = m_steps->value();
    const QVector<double> preset = consistencyPresetSigmas(steps, m_model);
    const bool asTs = m_mode->currentIndex() == 1;
    if (!asTs) {
        m_values->setText(joined(preset));
    } else {
        // The nearest grid index to each preset level keeps the two forms describing the same schedule.
        const std::vector<double> grid = cm::karrasGrid(m_gridPoints->value(), noiseOf(m_model));
        QStringList indices;
        const int n = int(grid.size());
        for (double sigma : preset) {
            int best = 0; // a descending index: 0 is sigma_max
            for (int d = 1; d < n; ++d)
                if (std::abs(std::log(grid[n - 1 - d] / sigma)) < std::abs(std::log(grid[n - 1 - best] / sigma)))
                    best = d;
            indices << QString::number(best);
        }
        m_values->setText(indices.join(", "));
    }
    m_settingValues = false;
    m_values->setEnabled(steps > 1);
    m_gridPoints->setEnabled(asTs && steps > 1);
    m_mode->setEnabled(steps > 1);
    refresh();
}

QVector<double> ScheduleEditor::parsedValues(QString* error) const {
    QVector<double> values;
    const QStringList parts = m_values->text().split(',', Qt::SkipEmptyParts);
    for (const QString& part : parts) {
        bool ok = false;
        const double v = part.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(v)) {
            if (error) *error = tr("Values: “%1” is not a number").arg(part.trimmed());
            return {};
        }
        values.push_back(v);
    }
    if (values.size() != m_steps->value()) {
        if (error) *error = tr("Values: %1 given for %n step(s)", "", m_steps->value()).arg(values.size());
        return {};
    }
    return values;
}

QVector<double> ScheduleEditor::sigmas() const {
    if (m_model.path.isEmpty()) return {};
    const cm::NoiseConstants k = noiseOf(m_model);
    if (!m_model.consistency) {
        const std::vector<double> grid = cm::descendingKarrasGrid(m_points->value(), k);
        return QVector<double>(grid.begin(), grid.end());
    }
    if (m_steps->value() == 1) return {m_model.sigmaMax};
    cm::SampleParams params;
    QString error;
    if (!fillParams(params, &error)) return {};
    if (!params.ts.empty()) {
        const std::vector<double> s = cm::sigmasFromTs(params.ts, params.steps, k);
        return QVector<double>(s.begin(), s.end());
    }
    return QVector<double>(params.sigmas.begin(), params.sigmas.end());
}

bool ScheduleEditor::fillParams(cm::SampleParams& params, QString* error) const {
    params.sigmas.clear();
    params.ts.clear();
    if (!m_model.consistency) {
        params.sampler = m_odeSolver->currentIndex() == 0 ? cm::SamplerKind::Heun : cm::SamplerKind::Euler;
        params.edmPoints = m_points->value();
        return true;
    }
    if (m_steps->value() == 1) {
        params.sampler = cm::SamplerKind::OneStep;
        return true;
    }
    params.sampler = cm::SamplerKind::Multistep;
    const QVector<double> values = parsedValues(error);
    if (values.isEmpty()) return false;
    for (int i = 1; i < values.size(); ++i)
        if (values[i] >= values[i - 1] && m_mode->currentIndex() == 0) {
            if (error) *error = tr("Values: noise levels must strictly decrease (%1 then %2)").arg(values[i - 1]).arg(values[i]);
            return false;
        }
    if (m_mode->currentIndex() == 0) {
        for (double v : values)
            if (v <= m_model.sigmaMin || v > m_model.sigmaMax) {
                if (error)
                    *error = tr("Values: %1 is outside the model's noise range (%2, %3]")
                                 .arg(v)
                                 .arg(m_model.sigmaMin)
                                 .arg(m_model.sigmaMax);
                return false;
            }
        params.sigmas.assign(values.begin(), values.end());
        return true;
    }
    const int points = m_gridPoints->value();
    for (int i = 0; i < values.size(); ++i) {
        const double v = values[i];
        if (v != std::floor(v) || v < 0 || v >= points || (i > 0 && v <= values[i - 1])) {
            if (error) *error = tr("Values: grid indices must be increasing whole numbers in 0..%1").arg(points - 1);
            return false;
        }
        params.ts.push_back(int(v));
    }
    params.steps = points;
    return true;
}

void ScheduleEditor::applySettings(const QVariantMap& settings) {
    const QVariantList sigmas = settings.value("sigmas").toList();
    if (m_model.consistency && !sigmas.isEmpty()) {
        m_mode->setCurrentIndex(0);
        m_steps->blockSignals(true);
        m_steps->setValue(int(sigmas.size()));
        m_steps->blockSignals(false);
        QVector<double> values;
        for (const QVariant& v : sigmas) values << v.toDouble();
        m_settingValues = true;
        m_values->setText(joined(values));
        m_settingValues = false;
        m_custom = true; // the PNG's schedule, kept like a typed one
        m_values->setEnabled(values.size() > 1);
        m_mode->setEnabled(values.size() > 1);
    } else if (!m_model.consistency) {
        m_odeSolver->setCurrentIndex(settings.value("sampler").toString() == "euler" ? 1 : 0);
        if (settings.contains("edmPoints")) m_points->setValue(settings.value("edmPoints").toInt());
    }
    refresh();
}

QString ScheduleEditor::summary() const { return m_summary->text(); }

void ScheduleEditor::refresh() {
    QString error;
    cm::SampleParams params;
    const bool valid = m_model.path.isEmpty() || fillParams(params, &error);
    const QVector<double> levels = valid ? sigmas() : QVector<double>();
    if (!valid) {
        m_summary->setText(QString("<span style='color:#b00020'>%1</span>").arg(error.toHtmlEscaped()));
    } else if (m_model.path.isEmpty()) {
        m_summary->clear();
    } else if (m_model.consistency) {
        m_summary->setText(tr("%n network evaluation(s) per image; σ = %1", "", int(levels.size())).arg(joined(levels)));
    } else {
        const int nfe = m_odeSolver->currentIndex() == 0 ? cm::heunEvaluations(m_points->value()) : m_points->value();
        m_summary->setText(tr("%n network evaluation(s) per image", "", nfe));
    }
    QVector<double> ys(levels.size(), 0.0);
    m_plot->graph(0)->setData(levels, ys);
    if (!m_model.path.isEmpty()) m_plot->xAxis->setRange(m_model.sigmaMin * 0.7, m_model.sigmaMax * 1.4);
    m_plot->replot();
    emit changed();
}
