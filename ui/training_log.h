// A training log read into named numeric columns: this project's CSV, the official consistency_models
// progress.csv, or JSON lines. Re-reads incrementally while a run appends. A value class (copies share
// their data): one copy may be refreshed on a worker thread while others are read elsewhere. Qt Core only,
// so the fuzzers and the sanitizer build link it alone (cm_training_log).
#pragma once

#include <QCoreApplication>
#include <QHash>
#include <QStringList>
#include <QVector>

class QFile;

class TrainingLog {
    Q_DECLARE_TR_FUNCTIONS(TrainingLog)

  public:
    enum class Format { Unknown, Csv, JsonLines };
    enum class Update { Unchanged, Appended, Reloaded, Failed };

    // Rows where both columns hold finite numbers.
    struct Series {
        QVector<double> x, y;
    };

    TrainingLog() = default;
    explicit TrainingLog(const QString& path);

    QString path() const { return m_path; }

    // Reads the lines completed since the last call. A truncated, replaced or re-headed file is read
    // again from the start (Reloaded). On Failed, error() names the file and line; rows before the
    // bad line stay loaded.
    Update refresh();
    // Forgets everything read and reads the whole file; false on error.
    bool reload();

    QString error() const { return m_error; }
    Format format() const { return m_format; }
    QString formatName() const;

    QStringList columns() const { return m_columns; }
    bool hasColumn(const QString& name) const { return m_columns.contains(name); }
    int rowCount() const { return m_rows; }
    // NaN where a row has no value or a non-finite one; empty for an unknown column.
    QVector<double> column(const QString& name) const;
    Series series(const QString& x, const QString& y) const;
    double lastFinite(const QString& column) const; // NaN if none

    // NaN and infinite values read (they are left out of series()).
    int nonFiniteCount() const;
    int nonFiniteCount(const QString& column) const;

    // A last line without a line break counts as complete once the file has been still this long.
    static constexpr int kSettleSeconds = 3;
    // Bounds that keep a hostile or mistaken file from exhausting memory: real logs have a few dozen
    // columns, and rows x columns values are held as doubles (16 M values = 128 MB). A log beyond them
    // fails with the rows read so far kept.
    static constexpr int kMaxColumns = 1024;
    static constexpr qint64 kMaxValues = qint64(16) << 20;
    static constexpr qsizetype kMaxLineBytes = 1 << 20;
    // Parses text already in memory as a complete log (what refresh() does with a settled file's bytes),
    // for tests and fuzzing; `origin` names it in errors.
    static TrainingLog fromBytes(const QByteArray& bytes, const QString& origin);

  private:
    Update fail(const QString& message);
    void reset();
    bool sameFileAsBefore(QFile& file, qint64 size);
    bool consumeBuffered(QByteArray& pending, bool final);
    bool consumeLines(const QByteArray& buffer, qsizetype end);
    bool parseLine(const QByteArray& line, int lineNumber);
    bool parseHeader(const QByteArray& line, int lineNumber);
    bool parseCsvRow(const QByteArray& line, int lineNumber);
    bool parseJsonRow(const QByteArray& line, int lineNumber);
    int columnIndex(const QString& name, int lineNumber); // -1 (error set) beyond the bounds
    int findColumn(const QString& name) const;            // -1 if absent
    bool roomForRow(int lineNumber);
    QString where(int lineNumber) const;

    QString m_path;
    QString m_error;
    Format m_format = Format::Unknown;
    char m_separator = ',';
    QStringList m_columns;
    QHash<QString, int> m_columnIndex; // name -> index in m_columns: lookups stay linear in the row count
    QVector<QVector<double>> m_values; // [column][row]
    QVector<int> m_nonFinite;          // per column
    QVector<int> m_csvColumn;          // CSV field index -> column index (-1: duplicate name)
    int m_rows = 0;

    // Follow state: bytes consumed, and what they ended with, to notice a replaced file.
    qint64 m_offset = 0;
    quint64 m_fileId = 0; // inode where the system has one: a file replaced by rename is another file
    int m_linesRead = 0;
    qint64 m_headerOffset = 0;
    QByteArray m_headerLine;
    QByteArray m_lastLine;
    bool m_lastLineUnterminated = false;
};
