#include "log_writer.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/trainer.h"
#include "run_description.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>
#include <vector>

namespace cm::training {

bool completeLogRow(const std::string& line, long& step) {
    if (std::size_t(std::count(line.begin(), line.end(), ',')) + 1 != trainLogColumns().size()) return false;
    const char* end = line.data() + line.find(',');
    const auto parsed = std::from_chars(line.data(), end, step);
    return parsed.ec == std::errc() && parsed.ptr == end && step > 0;
}

LogWriter::LogWriter(const std::string& path, bool resume, long keptStep) : m_path(path) {
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
            if (completeLogRow(line, rowStep) && rowStep <= keptStep) kept.push_back(line);
        }
    }
    std::string text;
    for (std::size_t i = 0; i < trainLogColumns().size(); ++i)
        text += (i ? "," : "") + trainLogColumns()[i];
    text += "\n";
    for (const auto& line : kept)
        text += line + "\n";
    writeFileAtomically(path, text);
    m_out.open(path, std::ios::app);
    if (!m_out) throw Error(ErrorKind::Io, "cannot append to the training log " + path);
}

double LogWriter::append(const LogWindow& w, const LogRowValues& v) {
    const double n = double(std::max(1L, w.steps));
    std::ostringstream row;
    row << v.step << ',' << v.samples << ',' << formatNumber(w.lossSum / n);
    for (int q = 0; q < 4; ++q)
        row << ',' << (w.quartileCount[q] ? formatNumber(w.quartileSum[q] / w.quartileCount[q]) : "");
    row << ',' << formatNumber(w.gradSum / n) << ',' << formatNumber(v.paramNorm) << ','
        << formatNumber(v.learningRate) << ',' << (v.gridPoints ? std::to_string(v.gridPoints) : "") << ','
        << formatNumber(v.targetEma) << ',' << formatNumber(v.seconds) << '\n';
    m_out << row.str() << std::flush;
    if (!m_out) throw Error(ErrorKind::Io, "writing the training log " + m_path + " failed (disk full?)");
    return w.lossSum / n;
}

} // namespace cm::training
