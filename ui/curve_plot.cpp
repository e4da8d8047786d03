#include "curve_plot.h"

#include <QDir>
#include <QFileInfo>
#include <QMouseEvent>
#include <QRegularExpression>
#include <QTemporaryFile>
#include <QVBoxLayout>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

const QString CurvePlot::kLossQuartiles = QStringLiteral("loss_q0..q3");

namespace {

// Tableau 10: distinct, and readable on white.
const QColor kPalette[] = {QColor(31, 119, 180),  QColor(255, 127, 14),  QColor(44, 160, 44),
                           QColor(214, 39, 40),   QColor(148, 103, 189), QColor(140, 86, 75),
                           QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                           QColor(23, 190, 207)};
constexpr int kPaletteSize = int(sizeof kPalette / sizeof kPalette[0]);

const Qt::PenStyle kQuartileStyles[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};

QString formatDuration(double seconds) {
    const qint64 s = qint64(std::llround(seconds));
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString formatValue(double value) {
    return QString::number(value, 'g', 5);
}

// TensorBoard's smoothing: an exponential moving average, debiased so the start is not pulled to zero.
QVector<double> smoothed(const QVector<double>& values, double weight) {
    QVector<double> out(values.size());
    double last = 0, debias = 1;
    for (int i = 0; i < values.size(); ++i) {
        last = last * weight + (1 - weight) * values[i];
        debias *= weight;
        out[i] = weight > 0 ? last / (1 - debias) : values[i];
    }
    return out;
}

} // namespace

CurvePlot::CurvePlot(QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_tracer(new QCPItemTracer(m_plot)),
      m_readoutItem(new QCPItemText(m_plot)), m_emptyHint(new QCPItemText(m_plot)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    setMinimumSize(320, 240);

    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMouseTracking(true);
    // No tooltip: it would lie over the hover read-out. The hint is in the Training view's status line.
    m_plot->addLayer(QStringLiteral("raw"), m_plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);

    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.9);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(small);
    m_plot->legend->setBrush(QColor(255, 255, 255, 215));
    m_plot->legend->setBorderPen(QPen(QColor(180, 180, 180)));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    m_plot->yAxis->grid()->setSubGridVisible(true);

    m_tracer->setStyle(QCPItemTracer::tsCircle);
    m_tracer->setSize(9);
    m_tracer->setVisible(false);

    m_readoutItem->position->setType(QCPItemPosition::ptAbsolute);
    m_readoutItem->setFont(small);
    m_readoutItem->setTextAlignment(Qt::AlignLeft);
    m_readoutItem->setPadding(QMargins(6, 4, 6, 4));
    m_readoutItem->setBrush(QColor(255, 255, 255, 230));
    m_readoutItem->setPen(QPen(QColor(150, 150, 150)));
    m_readoutItem->setVisible(false);

    m_emptyHint->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_emptyHint->position->setCoords(0.5, 0.5);
    m_emptyHint->setColor(QColor(120, 120, 120));

    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        if (event->buttons() != Qt::NoButton) m_autoRange = false; // the user drags the view
        showReadoutNear(event->position());
    });
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_autoRange = false; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &CurvePlot::resetView);
    m_plot->installEventFilter(this);
    rebuild();
}

QString CurvePlot::seriesLabel(const QString& column) {
    if (column == kLossQuartiles) return tr("Loss by noise quartile (q0 to q3)");
    if (column == QLatin1String("loss")) return tr("Loss");
    if (column == QLatin1String("grad_norm")) return tr("Gradient norm");
    if (column == QLatin1String("param_norm")) return tr("Parameter norm");
    if (column == QLatin1String("lr")) return tr("Learning rate");
    if (column == QLatin1String("N")) return tr("Discretisation steps N");
    if (column == QLatin1String("mu")) return tr("Target EMA rate mu");
    if (column == QLatin1String("samples")) return tr("Training samples seen");
    if (column == QLatin1String("seconds")) return tr("Wall time (s)");
    if (column == QLatin1String("lg_loss_scale")) return tr("Log2 loss scale");
    static const QRegularExpression quartile(QStringLiteral("^loss_q([0-3])$"));
    const auto match = quartile.match(column);
    if (match.hasMatch()) return tr("Loss, noise-level quartile %1").arg(match.captured(1));
    return column;
}

void CurvePlot::setRun(const QString& key, const QString& name, const TrainingLog& log) {
    auto it = m_runs.find(key);
    if (it == m_runs.end()) {
        it = m_runs.insert(key, Run{});
        it->color = kPalette[m_colorsUsed++ % kPaletteSize];
        m_order.append(key);
    }
    it->name = name;
    it->log = log;
    rebuild();
}

void CurvePlot::removeRun(const QString& key) {
    if (!m_runs.remove(key)) return;
    m_order.removeAll(key);
    rebuild();
}

void CurvePlot::clearRuns() {
    m_runs.clear();
    m_order.clear();
    m_colorsUsed = 0;
    rebuild();
}

QColor CurvePlot::runColor(const QString& key) const {
    const auto it = m_runs.constFind(key);
    return it == m_runs.constEnd() ? QColor() : it->color;
}

void CurvePlot::setSeries(const QString& column) {
    if (column == m_series) return;
    m_series = column;
    m_autoRange = true;
    rebuild();
}

void CurvePlot::setXAxis(XAxis axis) {
    if (axis == m_xAxis) return;
    m_xAxis = axis;
    m_autoRange = true;
    rebuild();
}

void CurvePlot::setLogY(bool on) {
    if (on == m_logY) return;
    m_logY = on;
    m_autoRange = true;
    rebuild();
}

void CurvePlot::setSmoothing(double weight) {
    weight = std::clamp(weight, 0.0, 0.99);
    if (weight == m_smoothing) return;
    m_smoothing = weight;
    rebuild();
}

void CurvePlot::resetView() {
    m_autoRange = true;
    fitAxes();
    m_plot->replot();
}

void CurvePlot::buildCurves(Run& run) {
    run.curves.clear();
    const bool quartiles = m_series == kLossQuartiles;
    const int curveCount = quartiles ? 4 : 1;
    const QString xColumn = m_xAxis == XAxis::Step ? QStringLiteral("step") : QStringLiteral("seconds");
    const QVector<double> xs = run.log.column(xColumn);
    const QVector<double> steps = run.log.column(QStringLiteral("step"));
    for (int c = 0; c < curveCount; ++c) {
        Curve curve;
        const QString column = quartiles ? QStringLiteral("loss_q%1").arg(c) : m_series;
        curve.label = quartiles ? QStringLiteral("q%1").arg(c) : column;
        const QVector<double> ys = run.log.column(column);
        if (!xs.isEmpty() && !ys.isEmpty()) {
            QVector<int> rows;
            for (int r = 0; r < run.log.rowCount(); ++r)
                if (std::isfinite(xs[r]) && std::isfinite(ys[r]) && (!m_logY || ys[r] > 0)) rows.append(r);
            // A hand-edited or concatenated log may not be in order; the plot and the read-out need it.
            std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) { return xs[a] < xs[b]; });
            for (const int r : rows) {
                curve.x.append(xs[r]);
                curve.raw.append(ys[r]);
                curve.steps.append(steps[r]);
            }
            curve.smoothed = smoothed(curve.raw, m_smoothing);
        }
        run.curves.append(curve);
    }
}

void CurvePlot::rebuild() {
    const bool hovering = m_tracer->visible(); // a followed log updates under the pointer
    hideReadout();
    m_plot->clearGraphs();
    int points = 0;
    for (const QString& key : std::as_const(m_order)) {
        Run& run = m_runs[key];
        buildCurves(run);
        for (int c = 0; c < run.curves.size(); ++c) {
            Curve& curve = run.curves[c];
            points += int(curve.x.size());
            QColor faint = run.color;
            faint.setAlpha(70);
            curve.rawGraph = m_plot->addGraph();
            curve.rawGraph->setLayer(QStringLiteral("raw"));
            curve.rawGraph->setPen(QPen(faint, 1.0));
            curve.rawGraph->setData(curve.x, curve.raw, true);
            curve.rawGraph->setVisible(m_smoothing > 0);
            curve.rawGraph->removeFromLegend();

            curve.smoothedGraph = m_plot->addGraph();
            QPen pen(run.color, 1.8);
            pen.setStyle(kQuartileStyles[c % 4]);
            curve.smoothedGraph->setPen(pen);
            curve.smoothedGraph->setData(curve.x, curve.smoothed, true);
            curve.smoothedGraph->setName(run.name);
            // With quartiles, the legend names each run once and shows the line styles once.
            if (c > 0) curve.smoothedGraph->removeFromLegend();
        }
    }
    m_keyGraphs = 0;
    if (m_series == kLossQuartiles && !m_order.isEmpty()) {
        const QString names[] = {tr("q0 (lowest noise)"), tr("q1"), tr("q2"), tr("q3 (highest noise)")};
        for (int c = 0; c < 4; ++c) {
            QCPGraph* key = m_plot->addGraph();
            QPen pen(QColor(90, 90, 90), 1.8);
            pen.setStyle(kQuartileStyles[c]);
            key->setPen(pen);
            key->setName(names[c]);
            ++m_keyGraphs;
        }
    }

    m_plot->xAxis->setLabel(m_xAxis == XAxis::Step ? tr("step") : tr("wall time (h:mm:ss)"));
    if (m_xAxis == XAxis::Time) {
        auto ticker = QSharedPointer<QCPAxisTickerTime>::create();
        ticker->setTimeFormat(QStringLiteral("%h:%m:%s"));
        m_plot->xAxis->setTicker(ticker);
    } else {
        m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    }
    m_plot->yAxis->setLabel(seriesLabel(m_series) + (m_logY ? tr(" (log scale)") : QString()));
    m_plot->yAxis->setScaleType(m_logY ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (m_logY) {
        // A label at every decade (the default count skipped every other one), written 0.01, 0.1, 1, 10.
        auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
        ticker->setTickCount(16);
        ticker->setSubTickCount(8);
        m_plot->yAxis->setTicker(ticker);
        m_plot->yAxis->setNumberFormat(QStringLiteral("g"));
        m_plot->yAxis->setNumberPrecision(3);
    } else {
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        m_plot->yAxis->setNumberFormat(QStringLiteral("gb"));
        m_plot->yAxis->setNumberPrecision(6);
    }

    m_plot->legend->setVisible(m_plot->legend->itemCount() > 0);
    if (m_order.isEmpty())
        m_emptyHint->setText(tr("Open a training log to see its curves"));
    else if (points == 0)
        m_emptyHint->setText(
            m_xAxis == XAxis::Time
                ? tr("No %1 against wall time in these logs (yet)").arg(seriesLabel(m_series))
                : tr("No %1 values in these logs (yet)").arg(seriesLabel(m_series)));
    m_emptyHint->setVisible(points == 0);
    if (m_autoRange) fitAxes();
    m_plot->replot();
    if (hovering) showReadoutNear(m_hoverPosition);
}

void CurvePlot::fitAxes() {
    double xMin = INFINITY, xMax = -INFINITY, yMin = INFINITY, yMax = -INFINITY;
    for (const Run& run : std::as_const(m_runs))
        for (const Curve& curve : run.curves) {
            if (curve.x.isEmpty()) continue;
            xMin = std::min(xMin, curve.x.front());
            xMax = std::max(xMax, curve.x.back());
            const auto [lo, hi] = std::minmax_element(curve.raw.begin(), curve.raw.end());
            yMin = std::min(yMin, *lo);
            yMax = std::max(yMax, *hi);
        }
    if (xMin > xMax) { // nothing to show
        m_plot->xAxis->setRange(0, m_xAxis == XAxis::Step ? 1000 : 3600);
        m_plot->yAxis->setRange(m_logY ? QCPRange(0.01, 10) : QCPRange(0, 1));
        return;
    }
    const double xPad = xMax > xMin ? 0.01 * (xMax - xMin) : 1.0;
    m_plot->xAxis->setRange(xMin - xPad, xMax + xPad);
    if (m_logY) {
        const double factor = yMax > yMin ? std::pow(yMax / yMin, 0.05) : 2.0;
        m_plot->yAxis->setRange(yMin / factor, yMax * factor);
    } else {
        const double span = yMax > yMin ? yMax - yMin : std::max(std::abs(yMax), 1.0);
        m_plot->yAxis->setRange(yMin - 0.05 * span, yMax + 0.05 * span);
    }
}

void CurvePlot::showReadoutNear(const QPointF& position) {
    m_hoverPosition = position;
    const QRect area = m_plot->axisRect()->rect();
    if (!area.contains(position.toPoint())) {
        hideReadout();
        return;
    }
    const double key = m_plot->xAxis->pixelToCoord(position.x());
    const Run* bestRun = nullptr;
    const Curve* bestCurve = nullptr;
    int bestIndex = -1;
    double bestDistance = INFINITY;
    for (const QString& runKey : std::as_const(m_order)) {
        const Run& run = m_runs[runKey];
        for (const Curve& curve : run.curves) {
            if (curve.x.isEmpty()) continue;
            const int next = int(std::lower_bound(curve.x.begin(), curve.x.end(), key) - curve.x.begin());
            for (int i = std::max(0, next - 1); i <= std::min(int(curve.x.size()) - 1, next); ++i) {
                const double dx = m_plot->xAxis->coordToPixel(curve.x[i]) - position.x();
                const double dy = m_plot->yAxis->coordToPixel(curve.smoothed[i]) - position.y();
                const double distance = std::hypot(dx, dy);
                if (distance < bestDistance) {
                    bestDistance = distance;
                    bestRun = &run;
                    bestCurve = &curve;
                    bestIndex = i;
                }
            }
        }
    }
    if (!bestCurve) {
        hideReadout();
        return;
    }
    const double x = bestCurve->x[bestIndex];
    const double value = bestCurve->smoothed[bestIndex];
    const qint64 step = std::isfinite(bestCurve->steps[bestIndex]) ? qint64(bestCurve->steps[bestIndex]) : -1;
    const QString where = m_xAxis == XAxis::Time ? tr("time %1, step %2").arg(formatDuration(x)).arg(step)
                                                 : tr("step %1").arg(step);
    const QString label = m_series == kLossQuartiles ? tr("loss %1").arg(bestCurve->label) : bestCurve->label;
    const QString valueText =
        m_smoothing > 0 ? tr("%1: %2 (smoothed %3)")
                              .arg(label, formatValue(bestCurve->raw[bestIndex]), formatValue(value))
                        : tr("%1: %2").arg(label, formatValue(value));
    m_readoutText = bestRun->name + QLatin1Char('\n') + where + QLatin1Char('\n') + valueText;

    m_tracer->position->setCoords(x, value);
    m_tracer->setPen(QPen(bestRun->color, 2));
    m_tracer->setVisible(true);
    // Beside the point, on the side with more room, so the box stays inside the plot.
    const QPointF point(m_plot->xAxis->coordToPixel(x), m_plot->yAxis->coordToPixel(value));
    const bool right = point.x() < area.center().x();
    const bool below = point.y() < area.center().y();
    m_readoutItem->setPositionAlignment((right ? Qt::AlignLeft : Qt::AlignRight) |
                                        (below ? Qt::AlignTop : Qt::AlignBottom));
    m_readoutItem->position->setCoords(point.x() + (right ? 12 : -12), point.y() + (below ? 12 : -12));
    m_readoutItem->setText(m_readoutText);
    m_readoutItem->setVisible(true);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    emit readoutChanged(m_readoutText);
}

void CurvePlot::hideReadout() {
    if (!m_tracer->visible() && m_readoutText.isEmpty()) return;
    m_tracer->setVisible(false);
    m_readoutItem->setVisible(false);
    m_readoutText.clear();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    emit readoutChanged(QString());
}

bool CurvePlot::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_plot && event->type() == QEvent::Leave) hideReadout();
    return QWidget::eventFilter(watched, event);
}

int CurvePlot::graphCount() const {
    return m_plot->graphCount() - m_keyGraphs;
}

QCPGraph* CurvePlot::rawGraph(const QString& key, int curve) const {
    const auto it = m_runs.constFind(key);
    if (it == m_runs.constEnd() || curve < 0 || curve >= it->curves.size()) return nullptr;
    return it->curves[curve].rawGraph;
}

QCPGraph* CurvePlot::smoothedGraph(const QString& key, int curve) const {
    const auto it = m_runs.constFind(key);
    if (it == m_runs.constEnd() || curve < 0 || curve >= it->curves.size()) return nullptr;
    return it->curves[curve].smoothedGraph;
}

int CurvePlot::pointCount(const QString& key, int curve) const {
    const QCPGraph* graph = smoothedGraph(key, curve);
    return graph ? graph->dataCount() : 0;
}

QCPRange CurvePlot::xRange() const {
    return m_plot->xAxis->range();
}

QCPRange CurvePlot::yRange() const {
    return m_plot->yAxis->range();
}

QCPAxis::ScaleType CurvePlot::yScaleType() const {
    return m_plot->yAxis->scaleType();
}

bool CurvePlot::exportPng(const QString& path, QString* error) {
    return exportTo(path, false, error);
}

bool CurvePlot::exportPdf(const QString& path, QString* error) {
    return exportTo(path, true, error);
}

bool CurvePlot::exportTo(const QString& path, bool pdf, QString* error) {
    auto failed = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    const QFileInfo target(path);
    if (path.isEmpty()) return failed(tr("no file name was given for the export"));
    if (!target.absoluteDir().exists())
        return failed(tr("cannot write %1: the folder %2 does not exist").arg(path, target.absolutePath()));
    QTemporaryFile temporary(
        target.absoluteDir().filePath(QLatin1Char('.') + target.fileName() + QStringLiteral(".XXXXXX")));
    if (!temporary.open())
        return failed(tr("cannot write in %1: %2").arg(target.absolutePath(), temporary.errorString()));
    temporary.close();

    hideReadout();
    // An unshown widget has no useful size of its own.
    const QSize size = m_plot->isVisible() && m_plot->width() >= 320 && m_plot->height() >= 200
                           ? m_plot->size()
                           : QSize(900, 560);
    const bool written =
        pdf ? m_plot->savePdf(temporary.fileName(), size.width(), size.height(), QCP::epNoCosmetic,
                              QStringLiteral("CM Studio"), tr("Training curves"))
            : m_plot->savePng(temporary.fileName(), size.width(), size.height(), 2.0);
    if (!written || QFileInfo(temporary.fileName()).size() == 0)
        return failed(tr("cannot write %1: rendering the %2 failed").arg(path, pdf ? tr("PDF") : tr("PNG")));
    // A temporary file is created 0600; the export gets the mode of the file it replaces, or the one any
    // new file of the user gets (0666 less the umask).
    const mode_t mask = ::umask(0);
    ::umask(mask);
    struct stat existing {};
    const bool replacing = ::stat(QFile::encodeName(path).constData(), &existing) == 0;
    const mode_t mode = replacing ? (existing.st_mode & 07777) : (0666 & ~mask);
    if (::chmod(QFile::encodeName(temporary.fileName()).constData(), mode) != 0)
        return failed(tr("cannot write %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    // rename(2) replaces an existing file in one step.
    if (std::rename(QFile::encodeName(temporary.fileName()).constData(),
                    QFile::encodeName(path).constData()) != 0)
        return failed(tr("cannot write %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    temporary.setAutoRemove(false);
    return true;
}
