#include "cli_progress.h"

#include <cstdio>
#include <unistd.h>

std::string formatDuration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e8) return "--:--";
    const long s = long(seconds + 0.5);
    char buffer[32];
    if (s >= 3600)
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
    return buffer;
}

CliProgress::CliProgress(std::string label, std::string unit)
    : m_label(std::move(label)), m_unit(std::move(unit)), m_terminal(isatty(STDERR_FILENO)),
      m_start(std::chrono::steady_clock::now()), m_lastPrint(m_start) {}

void CliProgress::update(long done, long total, const std::string& extra) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    const double fraction = total > 0 ? double(done) / double(total) : 0.0;
    const int decile = int(fraction * 10);
    const bool last = done >= total;
    if (m_terminal) {
        if (!last && std::chrono::duration<double>(now - m_lastPrint).count() < 0.1) return;
    } else if (decile == m_lastDecile && !last) {
        return;
    }
    m_lastPrint = now;
    m_lastDecile = decile;
    if (m_firstDone < 0) m_firstDone = done - 1;
    const double rate = elapsed > 0 ? (done - m_firstDone) / elapsed : 0.0;
    const double eta = rate > 0 ? (total - done) / rate : -1;
    const int width = 28;
    const int filled = int(fraction * width);
    std::string bar(filled, '#');
    bar.append(width - filled, '.');
    std::fprintf(stderr, "%s%s [%s] %3d%% %ld/%ld %.2f %s/s elapsed %s ETA %s%s%s", m_terminal ? "\r" : "",
                 m_label.c_str(), bar.c_str(), int(fraction * 100), done, total, rate, m_unit.c_str(),
                 formatDuration(elapsed).c_str(), formatDuration(eta).c_str(), extra.empty() ? "" : " ",
                 extra.c_str());
    if (!m_terminal) std::fputc('\n', stderr);
    std::fflush(stderr);
    m_printed = true;
}

void CliProgress::finish() {
    if (m_terminal && m_printed) std::fputc('\n', stderr);
}
