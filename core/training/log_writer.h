// The CSV training log a run appends to (columns: trainLogColumns()). Private to core/.
#pragma once

#include <fstream>
#include <string>

namespace cm::training {

// Sums over one logging window.
struct LogWindow {
    double lossSum = 0, gradSum = 0;
    double quartileSum[4] = {0, 0, 0, 0};
    long quartileCount[4] = {0, 0, 0, 0};
    long steps = 0;
};

// The values of one row besides the window's means.
struct LogRowValues {
    long step = 0;
    long samples = 0;
    double paramNorm = 0, learningRate = 0;
    int gridPoints = 0;
    double targetEma = 0, seconds = 0;
};

class LogWriter {
  public:
    // Rewrites the log atomically with its header and, on resume, the complete rows up to `keptStep`
    // (rows written after the checkpoint belong to work that is being redone), then opens it for appending.
    LogWriter(const std::string& path, bool resume, long keptStep);

    // Appends one row; returns the window's mean loss. Throws Error(Io) when the write fails.
    double append(const LogWindow& window, const LogRowValues& values);

  private:
    std::string m_path;
    std::ofstream m_out;
};

// A log row as this trainer writes it: every column, and a whole step number. A row cut short by a crash
// (e.g. "1" of "1000,...") is neither.
bool completeLogRow(const std::string& line, long& step);

} // namespace cm::training
