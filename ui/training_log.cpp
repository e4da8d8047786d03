#include "training_log.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <cmath>
#include <limits>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
// A log line is short; a file without a line break this far in is something else.
constexpr qsizetype kMaxLineBytes = 64 * 1024;

// JSON has no NaN or infinity; Python's json module writes them as bare words anyway.
const QString kNanMarker = QStringLiteral("\x01"
                                          "nan");
const QString kInfMarker = QStringLiteral("\x01"
                                          "inf");

enum class Field { Number, NonFinite, Missing, Text };

QByteArray unquoted(QByteArray field) {
    field = field.trimmed();
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"')
        field = field.mid(1, field.size() - 2);
    return field;
}

Field parseField(const QByteArray& raw, double& value) {
    const QByteArray field = unquoted(raw);
    if (field.isEmpty()) return Field::Missing;
    const QByteArray lower = field.toLower();
    static const QByteArrayList nonFinite{"nan",  "-nan",     "+nan",      "inf",      "-inf",
                                          "+inf", "infinity", "-infinity", "+infinity"};
    if (nonFinite.contains(lower)) return Field::NonFinite;
    bool ok = false;
    value = field.toDouble(&ok);
    if (!ok) return Field::Text;
    return std::isfinite(value) ? Field::Number : Field::NonFinite;
}

// Control bytes other than tab, line feed and carriage return do not occur in a text log.
bool looksBinary(const QByteArray& bytes) {
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r' && u != '\f') return true;
    }
    return false;
}

// Replaces NaN, Infinity and -Infinity outside strings with marker strings QJsonDocument accepts.
QByteArray withNonFiniteMarkers(const QByteArray& line) {
    QByteArray out;
    out.reserve(line.size() + 16);
    bool inString = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (inString) {
            out += c;
            if (c == '\\' && i + 1 < line.size())
                out += line[++i];
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
            out += c;
            continue;
        }
        const QByteArray rest = QByteArray::fromRawData(line.constData() + i, line.size() - i);
        if (rest.startsWith("NaN")) {
            out += "\"\\u0001nan\"";
            i += 2;
        } else if (rest.startsWith("-Infinity")) {
            out += "\"\\u0001inf\"";
            i += 8;
        } else if (rest.startsWith("Infinity")) {
            out += "\"\\u0001inf\"";
            i += 7;
        } else {
            out += c;
        }
    }
    return out;
}

quint64 fileId(const QFile& file) {
#ifdef Q_OS_UNIX
    struct stat status {};
    if (::fstat(file.handle(), &status) == 0) return quint64(status.st_ino);
#else
    Q_UNUSED(file);
#endif
    return 0;
}

} // namespace

TrainingLog::TrainingLog(const QString& path) : m_path(path) {}

QString TrainingLog::formatName() const {
    switch (m_format) {
    case Format::Csv:
        return tr("CSV");
    case Format::JsonLines:
        return tr("JSON lines");
    case Format::Unknown:
        break;
    }
    return tr("unknown");
}

QVector<double> TrainingLog::column(const QString& name) const {
    const int c = int(m_columns.indexOf(name));
    return c < 0 ? QVector<double>{} : m_values[c];
}

TrainingLog::Series TrainingLog::series(const QString& x, const QString& y) const {
    Series out;
    const int cx = int(m_columns.indexOf(x));
    const int cy = int(m_columns.indexOf(y));
    if (cx < 0 || cy < 0) return out;
    const auto& xs = m_values[cx];
    const auto& ys = m_values[cy];
    for (int r = 0; r < m_rows; ++r)
        if (std::isfinite(xs[r]) && std::isfinite(ys[r])) {
            out.x.append(xs[r]);
            out.y.append(ys[r]);
        }
    return out;
}

double TrainingLog::lastFinite(const QString& name) const {
    const int c = int(m_columns.indexOf(name));
    if (c >= 0)
        for (int r = m_rows - 1; r >= 0; --r)
            if (std::isfinite(m_values[c][r])) return m_values[c][r];
    return kMissing;
}

int TrainingLog::nonFiniteCount() const {
    int total = 0;
    for (const int n : m_nonFinite)
        total += n;
    return total;
}

int TrainingLog::nonFiniteCount(const QString& name) const {
    const int c = int(m_columns.indexOf(name));
    return c < 0 ? 0 : m_nonFinite[c];
}

bool TrainingLog::reload() {
    reset();
    return refresh() != Update::Failed;
}

void TrainingLog::reset() {
    const QString path = m_path;
    *this = TrainingLog(path);
}

TrainingLog::Update TrainingLog::fail(const QString& message) {
    m_error = message;
    return Update::Failed;
}

QString TrainingLog::where(int lineNumber) const {
    return tr("%1, line %2").arg(m_path).arg(lineNumber);
}

int TrainingLog::columnIndex(const QString& name) {
    const int existing = int(m_columns.indexOf(name));
    if (existing >= 0) return existing;
    m_columns.append(name);
    m_values.append(QVector<double>(m_rows, kMissing));
    m_nonFinite.append(0);
    return int(m_columns.size()) - 1;
}

bool TrainingLog::sameFileAsBefore(QFile& file, qint64 size) {
    if (size < m_offset || fileId(file) != m_fileId) return false;
    // The writer finished a line that was read as complete while it stood still.
    if (m_lastLineUnterminated && size > m_offset) return false;
    auto bytesAt = [&](qint64 position, qint64 count) {
        return file.seek(position) ? file.read(count) : QByteArray();
    };
    // The official logger rewrites its header in place when new keys appear.
    if (!m_headerLine.isEmpty() && bytesAt(m_headerOffset, m_headerLine.size()) != m_headerLine) return false;
    return m_lastLine.isEmpty() || bytesAt(m_offset - m_lastLine.size(), m_lastLine.size()) == m_lastLine;
}

TrainingLog::Update TrainingLog::refresh() {
    if (m_path.isEmpty()) return fail(tr("no training log file was given"));
    const QFileInfo info(m_path);
    if (!info.exists()) return fail(tr("%1: no such file").arg(m_path));
    if (info.isDir()) return fail(tr("%1 is a folder, not a training log").arg(m_path));
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(tr("cannot read %1: %2").arg(m_path, file.errorString()));

    const qint64 size = file.size();
    bool reloaded = false;
    if (m_offset > 0 && !sameFileAsBefore(file, size)) {
        reset();
        reloaded = true;
    }
    if (m_offset == 0) m_fileId = fileId(file);
    if (size == m_offset) {
        m_error.clear();
        return reloaded ? Update::Reloaded : Update::Unchanged;
    }
    if (!file.seek(m_offset)) return fail(tr("cannot read %1: %2").arg(m_path, file.errorString()));
    const QByteArray chunk = file.readAll();
    if (m_offset == 0 && looksBinary(chunk.left(4096)))
        return fail(tr("%1 is a binary file, not a training log").arg(m_path));

    qsizetype end = chunk.lastIndexOf('\n') + 1;
    bool unterminated = false;
    if (end < chunk.size()) {
        if (info.lastModified().secsTo(QDateTime::currentDateTime()) >= kSettleSeconds) {
            end = chunk.size();
            unterminated = true;
        } else if (m_offset == 0 && end == 0 && chunk.size() > kMaxLineBytes) {
            return fail(tr("%1: no line break in the first %2 KB; not a training log")
                            .arg(m_path)
                            .arg(kMaxLineBytes / 1024));
        }
    }

    const int rowsBefore = m_rows;
    for (qsizetype start = 0; start < end;) {
        const qsizetype newline = chunk.indexOf('\n', start);
        const qsizetype lineEnd = newline < 0 || newline >= end ? end : newline + 1;
        const QByteArray raw = chunk.mid(start, lineEnd - start);
        QByteArray line = raw;
        while (line.endsWith('\n') || line.endsWith('\r'))
            line.chop(1);
        if (m_offset == 0 && line.startsWith("\xEF\xBB\xBF")) line.remove(0, 3);
        const bool wasHeader = m_format == Format::Unknown;
        if (!parseLine(line, m_linesRead + 1)) return Update::Failed;
        if (wasHeader && m_format == Format::Csv) {
            m_headerOffset = m_offset;
            m_headerLine = raw;
        }
        m_offset += raw.size();
        ++m_linesRead;
        m_lastLine = raw;
        start = lineEnd;
    }
    m_lastLineUnterminated = unterminated;
    m_error.clear();
    if (reloaded) return Update::Reloaded;
    return m_rows > rowsBefore || end > 0 ? Update::Appended : Update::Unchanged;
}

bool TrainingLog::parseLine(const QByteArray& line, int lineNumber) {
    if (line.trimmed().isEmpty()) return true;
    if (m_format == Format::Unknown) {
        if (line.trimmed().startsWith('{')) {
            m_format = Format::JsonLines;
            columnIndex(QStringLiteral("step"));
        } else {
            return parseHeader(line, lineNumber);
        }
    }
    return m_format == Format::Csv ? parseCsvRow(line, lineNumber) : parseJsonRow(line, lineNumber);
}

bool TrainingLog::parseHeader(const QByteArray& line, int lineNumber) {
    m_separator = line.contains(',') || !line.contains('\t') ? ',' : '\t';
    QStringList names;
    for (const QByteArray& field : line.split(m_separator)) {
        QString name = QString::fromUtf8(unquoted(field));
        if (name.isEmpty()) name = QStringLiteral("column%1").arg(names.size() + 1);
        names.append(name);
    }
    if (!names.contains(QStringLiteral("step"))) {
        m_error = tr("%1: no 'step' column; a training log is a CSV file whose header names a 'step' column, "
                     "or JSON lines with a 'step' key")
                      .arg(where(lineNumber));
        return false;
    }
    m_format = Format::Csv;
    for (int i = 0; i < names.size(); ++i)
        m_csvColumn.append(names.indexOf(names[i]) < i ? -1 : columnIndex(names[i]));
    return true;
}

bool TrainingLog::parseCsvRow(const QByteArray& line, int lineNumber) {
    const QByteArrayList fields = line.split(m_separator);
    if (fields.size() > m_csvColumn.size()) {
        m_error = tr("%1: %2 fields, but the header names %3 columns")
                      .arg(where(lineNumber))
                      .arg(fields.size())
                      .arg(m_csvColumn.size());
        return false;
    }
    QVector<double> row(m_columns.size(), kMissing);
    QVector<int> nonFinite(m_columns.size(), 0);
    // Rows shorter than the header (the official logger widens its header later) miss the rest.
    for (int i = 0; i < fields.size(); ++i) {
        const int c = m_csvColumn[i];
        if (c < 0) continue;
        double value = 0;
        switch (parseField(fields[i], value)) {
        case Field::Number:
            row[c] = value;
            break;
        case Field::NonFinite:
            ++nonFinite[c];
            break;
        case Field::Missing:
            break;
        case Field::Text:
            if (m_columns[c] == QLatin1String("step")) {
                m_error = tr("%1: the step '%2' is not a number")
                              .arg(where(lineNumber), QString::fromUtf8(unquoted(fields[i]).left(40)));
                return false;
            }
            break; // a text column is not a curve
        }
    }
    for (int c = 0; c < m_columns.size(); ++c) {
        m_values[c].append(row[c]);
        m_nonFinite[c] += nonFinite[c];
    }
    ++m_rows;
    return true;
}

bool TrainingLog::parseJsonRow(const QByteArray& line, int lineNumber) {
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(withNonFiniteMarkers(line), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        m_error = tr("%1: not a JSON object (%2)")
                      .arg(where(lineNumber), parseError.error != QJsonParseError::NoError
                                                  ? parseError.errorString()
                                                  : tr("a JSON value of another kind"));
        return false;
    }
    const QJsonObject object = document.object();
    if (!object.value(QStringLiteral("step")).isDouble()) {
        m_error = tr("%1: no numeric 'step' key").arg(where(lineNumber));
        return false;
    }
    QHash<int, double> values;
    QHash<int, int> nonFinite;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.value().isDouble()) {
            const double value = it.value().toDouble();
            const int c = columnIndex(it.key());
            if (std::isfinite(value))
                values[c] = value;
            else
                ++nonFinite[c];
        } else if (it.value().isString()) {
            const QString text = it.value().toString();
            if (text == kNanMarker || text == kInfMarker) ++nonFinite[columnIndex(it.key())];
        } // other values (text, flags, nested objects) are not curves
    }
    for (int c = 0; c < m_columns.size(); ++c) {
        m_values[c].append(values.value(c, kMissing));
        m_nonFinite[c] += nonFinite.value(c, 0);
    }
    ++m_rows;
    return true;
}
