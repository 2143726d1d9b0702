#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace gridmap::cli {

/// Shows progress on stderr: a redrawn bar on a terminal, a plain line per 10% otherwise.
class ProgressBar {
public:
    explicit ProgressBar(std::string label);
    ~ProgressBar();
    void update(std::int64_t done, std::int64_t total);
    /// For work measured in stages rather than features: a fraction 0…1 and what runs now.
    void update_stage(double fraction, std::string_view stage);
    void finish();

private:
    void draw(double fraction, const std::string& what);

    std::string m_label;
    bool m_tty;
    int m_last_decile = -1;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start;
};

}  // namespace gridmap::cli
