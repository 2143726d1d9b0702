#include "cli/progress.hpp"

#include <unistd.h>

namespace gridmap::cli {

ProgressBar::ProgressBar(std::string label)
    : m_label(std::move(label)), m_tty(isatty(STDERR_FILENO) == 1),
      m_start(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::int64_t done, std::int64_t total) {
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    draw(fraction, std::to_string(done) + "/" + std::to_string(total) + " features");
}

void ProgressBar::update_stage(double fraction, std::string_view stage) {
    draw(fraction < 0 ? 0 : fraction > 1 ? 1 : fraction, std::string(stage));
}

void ProgressBar::draw(double fraction, const std::string& what) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    if (m_tty) {
        constexpr int width = 30;
        std::string bar(static_cast<std::size_t>(fraction * width), '#');
        bar.resize(width, '.');
        // Padded, so that a shorter text overwrites a longer one.
        std::fprintf(stderr, "\r%s [%s] %3d%%  %-36s %.1f s", m_label.c_str(), bar.c_str(),
                     static_cast<int>(fraction * 100), what.c_str(), seconds);
        std::fflush(stderr);
        m_drawn = true;
        return;
    }
    const int decile = static_cast<int>(fraction * 10);
    if (decile > m_last_decile) {
        m_last_decile = decile;
        std::fprintf(stderr, "%s: %d%% (%s, %.1f s)\n", m_label.c_str(), decile * 10, what.c_str(), seconds);
        std::fflush(stderr);
    }
}

void ProgressBar::finish() {
    if (m_tty && m_drawn) {
        std::fputc('\n', stderr);
        m_drawn = false;
    }
}

}  // namespace gridmap::cli
