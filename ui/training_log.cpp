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
constexpr qsizetype kMaxFirstLineBytes = 64 * 1024;
// Files are read in pieces of this size, so memory holds the parsed values, not the file.
constexpr qint64 kChunkBytes = 4 << 20;

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

TrainingLog TrainingLog::fromBytes(const QByteArray& bytes, const QString& origin) {
    TrainingLog log(origin);
    if (looksBinary(bytes.left(4096))) {
        log.fail(tr("%1 is a binary file, not a training log").arg(origin));
        return log;
    }
    // Fed in pieces, as refresh() reads a file, then the rest as a finished log's last line.
    QByteArray pending;
    for (qsizetype start = 0; start < bytes.size(); start += kChunkBytes) {
        pending += bytes.mid(start, kChunkBytes);
        if (!log.consumeBuffered(pending, false)) return log;
    }
    if (log.consumeBuffered(pending, true)) log.m_error.clear();
    return log;
}

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

int TrainingLog::findColumn(const QString& name) const {
    return m_columnIndex.value(name, -1);
}

QVector<double> TrainingLog::column(const QString& name) const {
    const int c = findColumn(name);
    return c < 0 ? QVector<double>{} : m_values[c];
}

TrainingLog::Series TrainingLog::series(const QString& x, const QString& y) const {
    Series out;
    const int cx = findColumn(x);
    const int cy = findColumn(y);
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
    const int c = findColumn(name);
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
    const int c = findColumn(name);
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

int TrainingLog::columnIndex(const QString& name, int lineNumber) {
    const int existing = findColumn(name);
    if (existing >= 0) return existing;
    if (m_columns.size() >= kMaxColumns) {
        m_error = tr("%1: more than %2 columns; not a training log").arg(where(lineNumber)).arg(kMaxColumns);
        return -1;
    }
    if (qint64(m_columns.size() + 1) * m_rows > kMaxValues) {
        m_error = tr("%1: more than %2 values in all; the rest of the log is not read")
                      .arg(where(lineNumber))
                      .arg(kMaxValues);
        return -1;
    }
    m_columnIndex.insert(name, int(m_columns.size()));
    m_columns.append(name);
    m_values.append(QVector<double>(m_rows, kMissing));
    m_nonFinite.append(0);
    return int(m_columns.size()) - 1;
}

bool TrainingLog::roomForRow(int lineNumber) {
    if (qint64(m_rows + 1) * m_columns.size() <= kMaxValues) return true;
    m_error = tr("%1: more than %2 values in all; the rest of the log is not read")
                  .arg(where(lineNumber))
                  .arg(kMaxValues);
    return false;
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

    const int rowsBefore = m_rows;
    const qint64 offsetBefore = m_offset;
    QByteArray pending; // the start of a line whose end has not been read yet
    for (bool first = true;; first = false) {
        const QByteArray chunk = file.read(kChunkBytes);
        if (chunk.isEmpty()) break;
        if (first && m_offset == 0 && looksBinary(chunk.left(4096)))
            return fail(tr("%1 is a binary file, not a training log").arg(m_path));
        pending += chunk;
        if (!consumeBuffered(pending, false)) return Update::Failed;
    }
    if (file.error() != QFileDevice::NoError)
        return fail(tr("cannot read %1: %2").arg(m_path, file.errorString()));
    // What is left has no line break: a line being written, or the last line of a log that has stopped.
    const bool unterminated =
        !pending.isEmpty() && info.lastModified().secsTo(QDateTime::currentDateTime()) >= kSettleSeconds;
    if (unterminated && !consumeBuffered(pending, true)) return Update::Failed;
    m_lastLineUnterminated = unterminated;
    m_error.clear();
    if (reloaded) return Update::Reloaded;
    return m_rows > rowsBefore || m_offset > offsetBefore ? Update::Appended : Update::Unchanged;
}

bool TrainingLog::consumeBuffered(QByteArray& pending, bool final) {
    const qsizetype end = final ? pending.size() : pending.lastIndexOf('\n') + 1;
    if (!consumeLines(pending, end)) return false;
    pending.remove(0, end);
    if (m_offset == 0 && pending.size() > kMaxFirstLineBytes) {
        m_error = tr("%1: no line break in the first %2 KB; not a training log")
                      .arg(m_path)
                      .arg(kMaxFirstLineBytes / 1024);
        return false;
    }
    if (pending.size() > kMaxLineBytes) {
        m_error = tr("%1: longer than %2 KB; not a training log")
                      .arg(where(m_linesRead + 1))
                      .arg(kMaxLineBytes / 1024);
        return false;
    }
    return true;
}

bool TrainingLog::consumeLines(const QByteArray& buffer, qsizetype end) {
    for (qsizetype start = 0; start < end;) {
        const qsizetype newline = buffer.indexOf('\n', start);
        const qsizetype lineEnd = newline < 0 || newline >= end ? end : newline + 1;
        const QByteArray raw = buffer.mid(start, lineEnd - start);
        QByteArray line = raw;
        while (line.endsWith('\n') || line.endsWith('\r'))
            line.chop(1);
        if (m_offset == 0 && line.startsWith("\xEF\xBB\xBF")) line.remove(0, 3);
        const bool wasHeader = m_format == Format::Unknown;
        if (!parseLine(line, m_linesRead + 1)) return false;
        if (wasHeader && m_format == Format::Csv) {
            m_headerOffset = m_offset;
            m_headerLine = raw;
        }
        m_offset += raw.size();
        ++m_linesRead;
        m_lastLine = raw;
        start = lineEnd;
    }
    return true;
}

bool TrainingLog::parseLine(const QByteArray& line, int lineNumber) {
    if (line.trimmed().isEmpty()) return true;
    if (m_format == Format::Unknown) {
        if (line.trimmed().startsWith('{')) {
            m_format = Format::JsonLines;
            columnIndex(QStringLiteral("step"), lineNumber);
        } else {
            return parseHeader(line, lineNumber);
        }
    }
    return m_format == Format::Csv ? parseCsvRow(line, lineNumber) : parseJsonRow(line, lineNumber);
}

bool TrainingLog::parseHeader(const QByteArray& line, int lineNumber) {
    m_separator = line.contains(',') || !line.contains('\t') ? ',' : '\t';
    const QByteArrayList fields = line.split(m_separator);
    if (fields.size() > kMaxColumns) {
        m_error = tr("%1: more than %2 columns; not a training log").arg(where(lineNumber)).arg(kMaxColumns);
        return false;
    }
    QStringList names;
    for (const QByteArray& field : fields) {
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
    for (const QString& name : std::as_const(names)) // a repeated name keeps its first column
        m_csvColumn.append(findColumn(name) >= 0 ? -1 : columnIndex(name, lineNumber));
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
    if (!roomForRow(lineNumber)) return false;
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
    if (!roomForRow(lineNumber)) return false;
    QHash<int, double> values;
    QHash<int, int> nonFinite;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const bool number = it.value().isDouble();
        const bool marker = it.value().isString() &&
                            (it.value().toString() == kNanMarker || it.value().toString() == kInfMarker);
        if (!number && !marker) continue; // other values (text, flags, nested objects) are not curves
        const int c = columnIndex(it.key(), lineNumber);
        if (c < 0) return false;
        const double value = number ? it.value().toDouble() : kMissing;
        if (number && std::isfinite(value))
            values[c] = value;
        else
            ++nonFinite[c];
    }
    if (!roomForRow(lineNumber)) return false; // new columns widen every row
    for (int c = 0; c < m_columns.size(); ++c) {
        m_values[c].append(values.value(c, kMissing));
        m_nonFinite[c] += nonFinite.value(c, 0);
    }
    ++m_rows;
    return true;
}
