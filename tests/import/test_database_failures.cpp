// The database side of hostile conditions: a disk that fills up during an import (simulated
// unprivileged with RLIMIT_FSIZE in the child: writes fail as on a full disk), and `gridmap
// check`, which must read a database without writing to it, even one in a read-only folder.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "geo/import/import.hpp"
#include "import/import_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using gridmap::test::gridmap;
using gridmap::test::real_data;
using gridmap::test::TempDir;

const fs::path k_demo = fs::path(GRIDMAP_SOURCE_DIR) / "data/demo";

/// A file's bytes and modification time (to the nanosecond), or nothing when it is missing.
struct FileState {
    bool exists = false;
    std::string bytes;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileState&) const = default;
};

FileState state_of(const fs::path& file) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) return {};
    return {true, gridmap::test::read_file(file),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

TEST(FullDisk, AnImportStopsWithAClearMessageAndChangesNothing) {
    TempDir dir;
    const fs::path db = dir / "g.sqlite";
    gridmap::test::import_demo(db);
    const auto before = gridmap::test::database_fingerprint(db);

    // The survey's 1,450 buildings need megabytes of WAL; 256 KiB is reached part-way.
    gridmap::test::RunLimits limits;
    limits.max_file_bytes = 256 * 1024;
    const auto r = gridmap({"import", real_data("survey/sh_bldg_4528_zone40_cpg.shp").string(),
                            "--layer", "buildings", "--mode", "replace", "--db", db.string()},
                           limits);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("gridmap import: error: the disk is full"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("while writing " + fs::absolute(db).string() + "; nothing was changed"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("cannot use"), std::string::npos) << r.err;

    EXPECT_EQ(gridmap::test::database_fingerprint(db), before) << "a layer changed";
    const auto check = gridmap({"check", "--db", db.string()});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(check.out, "ok\n");
}

TEST(FullDisk, ANewDatabaseIsNotLeftBehind) {
    TempDir dir;
    const fs::path db = dir / "new.sqlite";
    gridmap::test::RunLimits limits;
    limits.max_file_bytes = 16 * 1024;  // less than SpatiaLite's metadata tables need
    const auto r = gridmap({"import", (k_demo / "stations.geojson").string(), "--layer", "stations",
                            "--db", db.string()},
                           limits);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("the disk is full"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("cannot use"), std::string::npos) << r.err;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        EXPECT_FALSE(fs::exists(db.string() + suffix)) << suffix;
    }
}

TEST(Check, ReadsTheDatabaseWithoutWritingToIt) {
    TempDir dir;
    const fs::path db = dir / "g.sqlite";
    gridmap::test::import_demo(db, {"grid_cells", "stations"});
    const FileState before = state_of(db);
    ASSERT_TRUE(before.exists);
    for (int i = 0; i < 2; ++i) {
        const auto r = gridmap({"check", "--db", db.string()});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_EQ(r.out, "ok\n");
        EXPECT_EQ(r.err, "") << "printed behind the user's back";
    }
    EXPECT_TRUE(state_of(db) == before) << "gridmap check wrote to the database";
    // A reader of a WAL database may create SQLite's -wal and -shm files; it writes nothing into
    // the -wal.
    const FileState wal = state_of(db.string() + "-wal");
    EXPECT_TRUE(!wal.exists || wal.bytes.empty());
}

TEST(Check, LeavesAnotherWritersWalAsItWas) {
    TempDir dir;
    const fs::path db = dir / "g.sqlite";
    gridmap::test::import_demo(db, {"stations"});
    // This connection stays open, so its committed import stays in the -wal, not yet in the file.
    auto store = geo::store::open_store(db.string(), false);
    geo::import::ImportOptions options;
    options.path = gridmap::test::test_data("grid_links.geojson").string();
    options.layer = "grid_cells";
    geo::import::import_file(*store, options);
    const FileState db_before = state_of(db);
    const FileState wal_before = state_of(db.string() + "-wal");
    ASSERT_TRUE(wal_before.exists && !wal_before.bytes.empty());

    const auto r = gridmap({"check", "--db", db.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "ok\n");
    const auto layers = gridmap({"layers", "--db", db.string()});
    EXPECT_NE(layers.out.find("grid_cells"), std::string::npos) << "the -wal was not read";
    EXPECT_TRUE(state_of(db) == db_before) << "the database file changed";
    EXPECT_TRUE(state_of(db.string() + "-wal") == wal_before) << "the -wal changed";
}

/// Makes a folder and a file read-only for the object's lifetime (and writable again after, so
/// that the temporary folder can be removed).
class ReadOnly {
public:
    ReadOnly(fs::path folder, fs::path file)
        : m_folder(std::move(folder)), m_file(std::move(file)) {
        fs::permissions(m_file,
                        fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
        fs::permissions(m_folder, fs::perms::owner_read | fs::perms::owner_exec |
                                      fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
    }
    ~ReadOnly() {
        std::error_code ec;
        fs::permissions(m_folder, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::permissions(m_file, fs::perms::owner_write, fs::perm_options::add, ec);
    }

private:
    fs::path m_folder;
    fs::path m_file;
};

TEST(Check, WorksOnAReadOnlyFileInAReadOnlyFolder) {
    TempDir dir;
    const fs::path folder = dir / "archive";
    fs::create_directory(folder);
    const fs::path db = folder / "g.sqlite";
    gridmap::test::import_demo(db, {"stations"});
    // No -wal or -shm beside it, and SQLite may not create them: the hard case for a reader.
    ASSERT_FALSE(fs::exists(db.string() + "-wal"));
    ASSERT_FALSE(fs::exists(db.string() + "-shm"));
    fs::copy_file(db, dir / "copy.sqlite");
    const auto before = gridmap::test::database_fingerprint((dir / "copy.sqlite").string());
    const FileState file_before = state_of(db);

    ReadOnly read_only(folder, db);
    gridmap::test::RunLimits limits;
    limits.obey_file_permissions = geteuid() == 0;  // root may write anywhere otherwise
    const auto r = gridmap({"check", "--db", db.string()}, limits);
    if (r.exit_code == gridmap::test::k_no_user_namespace) {
        GTEST_SKIP() << "running as root without user namespaces: cannot make a folder read-only";
    }
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "ok\n");
    const auto layers = gridmap({"layers", "--db", db.string()}, limits);
    EXPECT_EQ(layers.exit_code, 0) << layers.err;
    EXPECT_NE(layers.out.find("stations (服务站): 19 features"), std::string::npos) << layers.out;

    const auto import = gridmap({"import", (k_demo / "stations.geojson").string(), "--layer",
                                 "stations", "--db", db.string()},
                                limits);
    EXPECT_EQ(import.exit_code, 1) << import.out;
    EXPECT_NE(import.err.find("read-only"), std::string::npos) << import.err;
    EXPECT_NE(import.err.find("nothing was changed"), std::string::npos) << import.err;
    EXPECT_EQ(import.err.find("cannot use"), std::string::npos) << import.err;
    EXPECT_EQ(std::count(import.err.begin(), import.err.end(), '\n'), 1) << import.err;

    EXPECT_TRUE(state_of(db) == file_before);
    EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 1)
        << "a file was created beside the database";
    EXPECT_EQ(gridmap::test::database_fingerprint(db), before);
}

}  // namespace
