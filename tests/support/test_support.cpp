#include "support/test_support.hpp"

#include "geo/import/import.hpp"
#include "geo/store/store.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace gridmap::test {

namespace fs = std::filesystem;

fs::path real_data(const std::string& relative) { return fs::path(GRIDMAP_TEST_DATA_DIR) / "real" / relative; }
fs::path source_path(const std::string& relative) { return fs::path(GRIDMAP_SOURCE_DIR) / relative; }
fs::path test_data(const std::string& relative) { return fs::path(GRIDMAP_TEST_DATA_DIR) / relative; }
fs::path gridmap_binary() { return fs::path(GRIDMAP_BINARY); }

TempDir::TempDir() {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        fs::path candidate = fs::temp_directory_path() / ("gridmap-test-" + std::to_string(rd()));
        std::error_code ec;
        if (fs::create_directory(candidate, ec)) {
            m_path = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

fs::path copy_with_siblings(const fs::path& file, const fs::path& dir) {
    const fs::path parent = file.parent_path();
    const std::string stem = file.stem().string();
    for (const auto& entry : fs::directory_iterator(parent)) {
        if (entry.is_regular_file() && entry.path().stem().string() == stem) {
            const fs::path target = dir / entry.path().filename();
            fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
            fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write,
                            fs::perm_options::add);
        }
    }
    return dir / file.filename();
}

namespace {

/// Resident memory of a running process in bytes, from /proc (0 once it has gone).
std::uint64_t resident_bytes(pid_t pid) {
    std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) return 0;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

/// Forks; the child redirects its output into pipes, applies `limits` and calls `child` (which
/// must not return); the parent collects the output and watches memory and time.
RunResult spawn(const std::function<void()>& child, const RunLimits& limits) {
    int out_pipe[2];
    int err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
    const auto started = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        close(out_pipe[0]);
        close(err_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        if (limits.max_file_bytes) {
            signal(SIGXFSZ, SIG_IGN);  // kept across exec: writes fail with EFBIG instead
            const rlimit fsize{*limits.max_file_bytes, *limits.max_file_bytes};
            if (setrlimit(RLIMIT_FSIZE, &fsize) != 0) _exit(126);
        }
        if (limits.obey_file_permissions && unshare(CLONE_NEWUSER) != 0) _exit(k_no_user_namespace);
        child();
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    RunResult result;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    const bool watch = limits.max_rss_bytes || limits.timeout_s;
    bool killed = false;
    while (open_fds > 0) {
        if (poll(fds, 2, watch ? 10 : -1) < 0) break;
        if (watch && !killed) {
            const double elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (limits.max_rss_bytes && resident_bytes(pid) > *limits.max_rss_bytes) {
                result.killed_for_memory = true;
            } else if (limits.timeout_s && elapsed > *limits.timeout_s) {
                result.timed_out = true;
            }
            if (result.killed_for_memory || result.timed_out) {
                kill(pid, SIGKILL);
                killed = true;
            }
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    result.max_rss_kb = usage.ru_maxrss;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return result;
}

}  // namespace

RunResult run(const std::vector<std::string>& args, const RunLimits& limits) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    return spawn([&] { execv(argv[0], argv.data()); }, limits);
}

RunResult run_in_child(const std::function<int()>& body, const RunLimits& limits) {
    return spawn(
        [&] {
            int code = 99;
            try {
                code = body();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "exception: %s\n", e.what());
            } catch (...) {
                std::fprintf(stderr, "unknown exception\n");
            }
            std::fflush(stdout);
            std::fflush(stderr);
            _exit(code);
        },
        limits);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void import_demo(const std::filesystem::path& db, const std::vector<std::string>& layers) {
    auto store = geo::store::open_store(db.string(), true);
    for (const auto& layer : layers) {
        geo::import::ImportOptions options;
        options.path = (std::filesystem::path(GRIDMAP_SOURCE_DIR) / "data/demo" / (layer + ".geojson")).string();
        options.layer = layer;
        geo::import::import_file(*store, options);
    }
}

}  // namespace gridmap::test
