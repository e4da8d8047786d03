// A terminal progress bar with rate and ETA on stderr (one line per 10% when stderr is not a terminal).
#pragma once

#include <chrono>
#include <string>

class CliProgress {
  public:
    CliProgress(std::string label, std::string unit);
    void update(long done, long total, const std::string& extra = {});
    void finish();

  private:
    std::string m_label, m_unit;
    bool m_terminal;
    std::chrono::steady_clock::time_point m_start, m_lastPrint;
    int m_lastDecile = -1;
    long m_firstDone = -1; // work done before this process (a resumed run) does not count toward the rate
    bool m_printed = false;
};

std::string formatDuration(double seconds);
