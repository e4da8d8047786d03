#include "log_writer.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "run_description.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace cm::training {

bool completeLogRow(const std::string& line, std::size_t columns, long& step) {
    if (std::size_t(std::count(line.begin(), line.end(), ',')) + 1 != columns) return false;
    const char* end = line.data() + std::min(line.find(','), line.size());
    const auto parsed = std::from_chars(line.data(), end, step);
    return parsed.ec == std::errc() && parsed.ptr == end && step > 0;
}

LogWriter::LogWriter(const std::string& path, const std::vector<std::string>& columns, bool resume,
                     long keptStep)
    : m_path(path), m_columns(columns.size()) {
    std::vector<std::string> kept;
    if (resume && std::filesystem::exists(path)) {
        std::ifstream in(path);
        std::string line;
        bool header = true;
        while (std::getline(in, line)) {
            if (header) {
                header = false;
                continue;
            }
            long rowStep = 0;
            if (completeLogRow(line, m_columns, rowStep) && rowStep <= keptStep) kept.push_back(line);
        }
    }
    std::string text;
    for (std::size_t i = 0; i < columns.size(); ++i)
        text += (i ? "," : "") + columns[i];
    text += "\n";
    for (const auto& line : kept)
        text += line + "\n";
    writeFileAtomically(path, text);
    m_out.open(path, std::ios::app);
    if (!m_out) throw Error(ErrorKind::Io, "cannot append to the training log " + path);
}

void LogWriter::append(const std::vector<std::string>& cells) {
    if (cells.size() != m_columns)
        throw Error(ErrorKind::InvalidArgument, "a log row of " + std::to_string(cells.size()) + " cells for " +
                                                    std::to_string(m_columns) + " columns");
    std::string row;
    for (std::size_t i = 0; i < cells.size(); ++i)
        row += (i ? "," : "") + cells[i];
    m_out << row << '\n' << std::flush;
    if (!m_out) throw Error(ErrorKind::Io, "writing the training log " + m_path + " failed (disk full?)");
}

std::vector<std::string> trainLogRow(const LogWindow& w, const LogRowValues& v) {
    const double n = double(std::max(1L, w.steps));
    std::vector<std::string> cells{std::to_string(v.step), std::to_string(v.samples), formatNumber(w.lossSum / n)};
    for (int q = 0; q < 4; ++q)
        cells.push_back(w.quartileCount[q] ? formatNumber(w.quartileSum[q] / w.quartileCount[q]) : "");
    for (const std::string& cell :
         {formatNumber(w.gradSum / n), formatNumber(v.paramNorm), formatNumber(v.learningRate),
          v.gridPoints ? std::to_string(v.gridPoints) : std::string(), formatNumber(v.targetEma),
          formatNumber(v.seconds)})
        cells.push_back(cell);
    return cells;
}

} // namespace cm::training
