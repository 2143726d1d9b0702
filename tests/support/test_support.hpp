#pragma once

#include <filesystem>
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
};

/// Runs `args[0]` with `args` (no shell), capturing stdout and stderr.
RunResult run(const std::vector<std::string>& args);

std::string read_file(const std::filesystem::path& path);

/// Creates the database `db` holding the demo district (data/demo/*.geojson) imported as
/// `layers`, as `scripts/run` does.
void import_demo(const std::filesystem::path& db,
                 const std::vector<std::string>& layers = {"grid_cells", "buildings", "stations", "roads"});

}  // namespace gridmap::test
