// The CSV training log a run appends to: one header line, then one row per logging window whose first
// column is the step. Used by every trainer (the consistency-model trainer's columns: trainLogColumns();
// the tokenizer trainer's: tokenizerLogColumns()). Private to core/.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace cm::training {

class LogWriter {
  public:
    // Rewrites the log atomically with the header `columns` and, on resume, the complete rows up to
    // `keptStep` (rows written after the checkpoint belong to work that is being redone), then opens it for
    // appending.
    LogWriter(const std::string& path, const std::vector<std::string>& columns, bool resume, long keptStep);

    // Appends one row of formatted cells, one per column. Throws Error(Io) when the write fails.
    void append(const std::vector<std::string>& cells);

  private:
    std::string m_path;
    std::size_t m_columns;
    std::ofstream m_out;
};

// A log row as a trainer writes it: `columns` cells and a whole step number first. A row cut short by a
// crash (e.g. "1" of "1000,...") is neither.
bool completeLogRow(const std::string& line, std::size_t columns, long& step);

// The consistency-model trainer's sums over one logging window, and the values of its row besides them.
struct LogWindow {
    double lossSum = 0, gradSum = 0;
    double quartileSum[4] = {0, 0, 0, 0};
    long quartileCount[4] = {0, 0, 0, 0};
    long steps = 0;
};
struct LogRowValues {
    long step = 0;
    long samples = 0;
    double paramNorm = 0, learningRate = 0;
    int gridPoints = 0;
    double targetEma = 0, seconds = 0;
};
// Its row, in trainLogColumns()' order.
std::vector<std::string> trainLogRow(const LogWindow& window, const LogRowValues& values);

} // namespace cm::training
