#include "checkpoint_selection.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "tokenizer_evaluation.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cm {

const std::vector<std::string>& checkpointSelectionColumns() {
    static const std::vector<std::string> columns = {"step", "fd", "psnr", "class_accuracy", "best"};
    return columns;
}

CheckpointSelector::CheckpointSelector(const CheckpointSelectionParams& params, const FeatureNet& evaluator,
                                       Dataset heldOut)
    : m_params(params), m_evaluator(evaluator), m_heldOut(std::move(heldOut)) {
    auto& p = m_params;
    if (p.bestPath.empty()) throw Error(ErrorKind::InvalidArgument, "checkpoint selection needs a path for the best tokenizer");
    if (p.logPath.empty()) p.logPath = p.bestPath + ".csv";
    if (sameFile(p.bestPath, p.logPath))
        throw Error(ErrorKind::InvalidArgument, "the best tokenizer and the selection log are the same file");
    if (m_heldOut.count() < 2) throw Error(ErrorKind::Data, "checkpoint selection needs at least 2 held-out images");
    std::string text;
    for (const auto& column : checkpointSelectionColumns())
        text += (text.empty() ? "" : ",") + column;
    text += "\n";
    if (p.resume && std::filesystem::exists(p.logPath)) {
        std::ifstream in(p.logPath);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream row(line);
            std::string stepText, fdText;
            if (!std::getline(row, stepText, ',') || !std::getline(row, fdText, ',')) continue;
            long step = 0;
            const auto parsed = std::from_chars(stepText.data(), stepText.data() + stepText.size(), step);
            if (parsed.ec != std::errc() || step < 1 || step > p.resumedStep) continue;
            char* end = nullptr;
            const double fd = std::strtod(fdText.c_str(), &end);
            if (end == fdText.c_str() || !std::isfinite(fd)) continue;
            text += line + "\n";
            if (std::filesystem::exists(p.bestPath) && (m_bestStep == 0 || fd < m_bestFd)) m_bestStep = step, m_bestFd = fd;
        }
    }
    writeFileAtomically(p.logPath, text);
}

double CheckpointSelector::consider(long step, const std::string& tokenizerPath) {
    const Tokenizer tokenizer = Tokenizer::load(tokenizerPath);
    const auto r = measureReconstructions(tokenizer, m_evaluator, m_heldOut, m_params.decode, m_params.batch);
    const bool best = m_bestStep == 0 || r.fd < m_bestFd;
    if (best) {
        writeFileAtomically(m_params.bestPath, readWholeFile(tokenizerPath));
        m_bestStep = step;
        m_bestFd = r.fd;
    }
    std::ostringstream row;
    row.precision(8);
    row << step << ',' << r.fd << ',' << r.psnr << ',' << r.classAccuracy << ',' << (best ? 1 : 0) << '\n';
    std::ofstream log(m_params.logPath, std::ios::app);
    log << row.str() << std::flush;
    if (!log) throw Error(ErrorKind::Io, "writing the selection log " + m_params.logPath + " failed");
    return r.fd;
}

} // namespace cm
