// cmstudio-plot: draws series from a CSV (series,x,y) as lines with markers into a PNG, offscreen, with
// QCustomPlot (the plotting library of the app's training curves). Used by scripts/make-results-table.sh
// for the FD-against-NFE figure.
#include <cmath>
#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QMap>
#include <QTextStream>

#include <qcustomplot.h>

#include <cstdio>

namespace {

const QList<QColor> kColours = {QColor(31, 119, 180), QColor(214, 39, 40),  QColor(44, 160, 44),
                                QColor(255, 127, 14), QColor(148, 103, 189), QColor(140, 86, 75)};

int fail(const QString& message) {
    std::fprintf(stderr, "cmstudio-plot: %s\n", qPrintable(message));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription("Plot CSV series (columns: series,x,y) into a PNG.");
    p.addHelpOption();
    p.addOptions({
        {"csv", "Input CSV with a header row: series,x,y.", "path"},
        {{"o", "out"}, "Output PNG.", "path"},
        {"title", "Plot title.", "text"},
        {"x-label", "X axis label.", "text", "x"},
        {"y-label", "Y axis label.", "text", "y"},
        {"log-x", "Logarithmic x axis."},
        {"log-y", "Logarithmic y axis."},
        {"hline", "A dashed horizontal reference line, LABEL=VALUE (repeatable).", "label=value"},
        {"size", "Image size WxH.", "WxH", "900x600"},
    });
    p.process(app);
    if (!p.isSet("csv") || !p.isSet("out")) return fail("needs --csv and --out (see --help)");

    QFile file(p.value("csv"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return fail("cannot read " + p.value("csv"));
    QTextStream in(&file);
    QStringList order;
    QMap<QString, QPair<QVector<double>, QVector<double>>> series;
    int line = 0;
    while (!in.atEnd()) {
        const QString text = in.readLine();
        if (line++ == 0 || text.trimmed().isEmpty()) continue;
        const QStringList cells = text.split(',');
        bool okX = false, okY = false;
        if (cells.size() != 3) return fail(QString("%1 line %2: expected series,x,y").arg(file.fileName()).arg(line));
        const double x = cells[1].toDouble(&okX), y = cells[2].toDouble(&okY);
        if (!okX || !okY) return fail(QString("%1 line %2: x and y must be numbers").arg(file.fileName()).arg(line));
        if (!series.contains(cells[0])) order << cells[0];
        series[cells[0]].first << x;
        series[cells[0]].second << y;
    }
    if (order.isEmpty()) return fail(file.fileName() + " has no data rows");

    QCustomPlot plot;
    const QStringList size = p.value("size").split('x');
    const int width = size.value(0).toInt(), height = size.value(1).toInt();
    if (width < 100 || height < 100) return fail("--size must be at least 100x100");
    plot.resize(width, height);
    plot.setBackground(Qt::white);
    if (p.isSet("title")) {
        plot.plotLayout()->insertRow(0);
        plot.plotLayout()->addElement(0, 0, new QCPTextElement(&plot, p.value("title"), QFont("sans", 12, QFont::Bold)));
    }
    plot.xAxis->setLabel(p.value("x-label"));
    plot.yAxis->setLabel(p.value("y-label"));
    double xMin = 1e300, xMax = -1e300, yMin = 1e300, yMax = -1e300;
    for (int i = 0; i < order.size(); ++i) {
        const auto& [xs, ys] = series[order[i]];
        QCPGraph* graph = plot.addGraph();
        graph->setName(order[i]);
        graph->setData(xs, ys);
        graph->setPen(QPen(kColours[i % kColours.size()], 2));
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 7));
        for (double x : xs) xMin = std::min(xMin, x), xMax = std::max(xMax, x);
        for (double y : ys) yMin = std::min(yMin, y), yMax = std::max(yMax, y);
    }
    for (const QString& spec : p.values("hline")) {
        bool ok = false;
        const double value = spec.section('=', -1).toDouble(&ok);
        if (!ok) return fail("--hline takes LABEL=VALUE, got '" + spec + "'");
        QCPGraph* graph = plot.addGraph();
        graph->setName(spec.section('=', 0, -2));
        graph->setData(QVector<double>{xMin, xMax}, QVector<double>{value, value});
        graph->setPen(QPen(Qt::gray, 1.5, Qt::DashLine));
        yMin = std::min(yMin, value), yMax = std::max(yMax, value);
    }
    for (auto [axis, log, low, high] : {std::tuple{plot.xAxis, p.isSet("log-x"), xMin, xMax},
                                        std::tuple{plot.yAxis, p.isSet("log-y"), yMin, yMax}}) {
        if (log) {
            if (low <= 0) return fail("a logarithmic axis needs positive values");
            axis->setScaleType(QCPAxis::stLogarithmic);
            const double from = low / 1.3, to = high * 1.3; // a margin around the data
            if (high / low < 100) {
                // Under two decades the log ticker labels too few points; label 1, 2, 5, 10, 20, ... instead.
                QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
                for (double decade = std::pow(10.0, std::floor(std::log10(from))); decade <= to; decade *= 10)
                    for (double step : {1.0, 2.0, 5.0})
                        if (step * decade >= from && step * decade <= to)
                            ticker->addTick(step * decade, QString::number(step * decade, 'g', 6));
                axis->setTicker(ticker);
            } else {
                axis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
            }
            axis->setNumberFormat("gb");
            axis->setRange(from, to);
        } else {
            const double pad = (high - low) * 0.05 + 1e-9;
            axis->setRange(low - pad, high + pad);
        }
        axis->grid()->setSubGridVisible(log);
    }
    plot.legend->setVisible(true);
    plot.axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    plot.replot();
    const QString out = p.value("out");
    const QString temporary = out + ".tmp.png";
    if (!plot.savePng(temporary, width, height)) return fail("cannot write " + out);
    QFile::remove(out);
    if (!QFile::rename(temporary, out)) return fail("cannot move the plot into place at " + out);
    std::printf("wrote %s\n", qPrintable(out));
    return 0;
}
