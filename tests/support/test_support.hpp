#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gridmap::test {

/// Real data the project did not write (tests/data/real: survey/ shapefiles, malformed/ files
/// from other projects' test suites). Read-only: copy before use.
std::filesystem::path real_data(const std::string& relative = {});
/// A file of the source tree, e.g. "data/osm/pois.geojson". Read-only: copy before use.
std::filesystem::path source_path(const std::string& relative);
/// Small fixtures kept in the repository (tests/data).
std::filesystem::path test_data(const std::string& relative = {});
/// The built `gridmap` command-line tool.
std::filesystem::path gridmap_binary();

/// A fresh directory removed (with its contents) when the object goes out of scope.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

/// Copies a file, or every file sharing its stem (a shapefile's .shp/.dbf/.shx/.prj/.cpg …),
/// into `dir`; returns the copied path of `file`.
std::filesystem::path copy_with_siblings(const std::filesystem::path& file,
                                         const std::filesystem::path& dir);

/// Result of running a program to completion.
struct RunResult {
    int exit_code = -1;  ///< -signal when killed by a signal
    std::string out;
    std::string err;
    long max_rss_kb = 0;             ///< the child's peak resident memory
    double seconds = 0;              ///< wall-clock time until it ended
    bool killed_for_memory = false;  ///< run() killed it for passing RunLimits::max_rss_bytes
    bool timed_out = false;          ///< run() killed it for passing RunLimits::timeout_s
};

/// Bounds for a child that may misbehave, so that a test of a runaway fails instead of taking
/// the machine down. Each works unprivileged and under the sanitizers (unlike RLIMIT_AS).
struct RunLimits {
    /// RLIMIT_FSIZE, with SIGXFSZ ignored: a write past it fails with EFBIG, as on a full disk.
    std::optional<std::uint64_t> max_file_bytes;
    /// The child is killed with SIGKILL once its resident memory passes this (polled every 10 ms).
    std::optional<std::uint64_t> max_rss_bytes;
    /// The child is killed with SIGKILL after this many seconds.
    std::optional<double> timeout_s;
    /// The child runs in a new user namespace, where file permissions apply even to root: a
    /// read-only folder means nothing to a process that may write anywhere. When the system
    /// allows no user namespaces the child exits with k_no_user_namespace.
    bool obey_file_permissions = false;
};

/// The exit code of a child that could not enter a user namespace (RunLimits).
constexpr int k_no_user_namespace = 125;

/// Runs `args[0]` with `args` (no shell), capturing stdout and stderr.
RunResult run(const std::vector<std::string>& args, const RunLimits& limits = {});

/// Runs `body` in a forked child of this (single-threaded) test process under `limits`; its
/// return value is the exit code, an exception exits with 99. For work that might crash, hang
/// or balloon, so that the test reports it instead of dying with it.
RunResult run_in_child(const std::function<int()>& body, const RunLimits& limits = {});

std::string read_file(const std::filesystem::path& path);

/// Creates the database `db` holding the demo district (data/demo/*.geojson) imported as
/// `layers`, as `scripts/run` does.
void import_demo(const std::filesystem::path& db,
                 const std::vector<std::string>& layers = {"grid_cells", "buildings", "stations", "roads"});

}  // namespace gridmap::test
