// Training curves of several runs overlaid: one series against step or wall time, with TensorBoard-style
// smoothing (the raw curve faint behind), log-scale y, a hover read-out and PNG/PDF export. GUI thread only.
#pragma once

#include "training_log.h"

#include <QColor>
#include <QHash>
#include <QWidget>

#include <qcustomplot.h>

class CurvePlot : public QWidget {
    Q_OBJECT

  public:
    enum class XAxis { Step, Time };

    // Pseudo-series: loss_q0..loss_q3 (the loss per quartile of noise levels) as four lines per run.
    static const QString kLossQuartiles;

    explicit CurvePlot(QWidget* parent = nullptr);

    // Adds the run, or replaces its data (the log is a cheap shared copy).
    void setRun(const QString& key, const QString& name, const TrainingLog& log);
    void removeRun(const QString& key);
    void clearRuns();
    QStringList runKeys() const { return m_order; }
    QColor runColor(const QString& key) const;

    void setSeries(const QString& column);
    QString series() const { return m_series; }
    void setXAxis(XAxis axis);
    XAxis xAxis() const { return m_xAxis; }
    void setLogY(bool on);
    bool logY() const { return m_logY; }
    // Exponential moving average weight in [0, 0.99]; 0 shows the raw curve only.
    void setSmoothing(double weight);
    double smoothing() const { return m_smoothing; }

    // Write to a temporary file beside the target, then rename, so a failure leaves no half file.
    bool exportPng(const QString& path, QString* error = nullptr);
    bool exportPdf(const QString& path, QString* error = nullptr);

    // Human-readable name of a column or pseudo-series.
    static QString seriesLabel(const QString& column);

    // Inspection (tests, read-outs). Curve 0..3 are the quartiles for kLossQuartiles, else only 0.
    int graphCount() const; // graphs with data: raw and smoothed per curve
    QCPGraph* rawGraph(const QString& key, int curve = 0) const;
    QCPGraph* smoothedGraph(const QString& key, int curve = 0) const;
    int pointCount(const QString& key, int curve = 0) const; // of the smoothed (main) graph
    QCPRange xRange() const;
    QCPRange yRange() const;
    QCPAxis::ScaleType yScaleType() const;
    QCustomPlot* customPlot() const { return m_plot; }
    QString readout() const { return m_readoutText; }

  public slots:
    // Fits the axes to the data again after the user zoomed or dragged.
    void resetView();
    // Shows the read-out for the data point nearest to a position in plot pixels.
    void showReadoutNear(const QPointF& position);
    void hideReadout();

  signals:
    void readoutChanged(const QString& text);

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    struct Curve {
        QString label;
        QVector<double> x, raw, smoothed, steps;
        QCPGraph* rawGraph = nullptr;
        QCPGraph* smoothedGraph = nullptr;
    };
    struct Run {
        QString name;
        TrainingLog log;
        QColor color;
        QVector<Curve> curves;
    };

    void rebuild();
    void buildCurves(Run& run);
    void fitAxes();
    bool exportTo(const QString& path, bool pdf, QString* error);

    QCustomPlot* m_plot;
    QCPItemTracer* m_tracer;
    QCPItemText* m_readoutItem;
    QCPItemText* m_emptyHint;
    QHash<QString, Run> m_runs;
    QStringList m_order;
    int m_colorsUsed = 0;
    int m_keyGraphs = 0; // legend-only graphs that explain the quartile line styles
    QString m_series = QStringLiteral("loss");
    XAxis m_xAxis = XAxis::Step;
    bool m_logY = false;
    double m_smoothing = 0.6;
    bool m_autoRange = true;
    QString m_readoutText;
    QPointF m_hoverPosition;
};
