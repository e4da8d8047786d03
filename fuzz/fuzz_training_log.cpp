// libFuzzer target: the training-log reader (this project's CSV, the official progress.csv, JSON lines) on
// arbitrary text, fed in pieces as it reads a growing file. It may fail with an error message, never crash,
// and what it keeps must be consistent: every column as long as the row count.
#include "ui/training_log.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    const TrainingLog log = TrainingLog::fromBytes(bytes, QStringLiteral("fuzz.csv"));
    if (log.columns().size() > TrainingLog::kMaxColumns) std::abort();
    if (qint64(log.rowCount()) * log.columns().size() > TrainingLog::kMaxValues) std::abort();
    for (const QString& column : log.columns()) {
        if (log.column(column).size() != log.rowCount()) std::abort();
        const TrainingLog::Series series = log.series(QStringLiteral("step"), column);
        if (series.x.size() != series.y.size() || series.x.size() > log.rowCount()) std::abort();
    }
    return 0;
}
