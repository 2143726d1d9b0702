// kill -9 in the middle of a large import, at several points (while reading, while building
// the spatial index and committing): the database must pass SQLite's integrity check and the
// spatial index checks, keep every earlier layer intact, and hold no half layer.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <gtest/gtest.h>

#include "import/import_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using gridmap::test::gridmap;

constexpr int k_features = 200000;

/// Writes a shapefile of `n` small square buildings in EPSG:4549 with GBK names.
void write_large_shapefile(const fs::path& path, int n) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
    GDALDatasetUniquePtr ds(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    ASSERT_TRUE(ds);
    OGRSpatialReference srs;
    srs.importFromEPSG(4549);
    const char* options[] = {"ENCODING=CP936", nullptr};
    OGRLayer* layer = ds->CreateLayer("big", &srs, wkbPolygon, const_cast<char**>(options));
    ASSERT_TRUE(layer);
    OGRFieldDefn name("名称", OFTString);
    name.SetWidth(40);
    layer->CreateField(&name);
    OGRFieldDefn floors("层数", OFTInteger);
    layer->CreateField(&floors);
    const int per_row = 400;
    for (int i = 0; i < n; ++i) {
        OGRFeature feature(layer->GetLayerDefn());
        const std::string label = "测试楼" + std::to_string(i);
        feature.SetField(0, label.c_str());
        feature.SetField(1, 1 + i % 30);
        const double x = 600000 + (i % per_row) * 25.0;
        const double y = 3400000 + (i / per_row) * 25.0;
        OGRLinearRing ring;
        ring.addPoint(x, y);
        ring.addPoint(x + 15, y);
        ring.addPoint(x + 15, y + 15);
        ring.addPoint(x, y + 15);
        ring.addPoint(x, y);
        OGRPolygon polygon;
        polygon.addRing(&ring);
        feature.SetGeometry(&polygon);
        ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
    }
}

/// Starts `gridmap import` and kills it with SIGKILL at the first progress line (plain lines
/// on stderr, "...: NN% (...") that reports at least `percent`. Returns false when the import
/// ended before that.
bool import_and_kill_at(const std::vector<std::string>& args, int percent) {
    int err_pipe[2];
    if (pipe(err_pipe) != 0) return false;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(err_pipe[1], STDERR_FILENO);
        close(err_pipe[0]);
        close(err_pipe[1]);
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        std::vector<std::string> all = {gridmap::test::gridmap_binary().string()};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(err_pipe[1]);
    std::string pending;
    char buf[4096];
    bool killed = false;
    while (!killed) {
        const ssize_t n = read(err_pipe[0], buf, sizeof buf);
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
        for (auto eol = pending.find('\n'); eol != std::string::npos; eol = pending.find('\n')) {
            const std::string line = pending.substr(0, eol);
            pending.erase(0, eol + 1);
            const auto colon = line.find(": ");
            const auto pct = line.find('%');
            if (colon == std::string::npos || pct == std::string::npos || pct < colon) continue;
            if (std::atoi(line.c_str() + colon + 2) >= percent) {
                kill(pid, SIGKILL);
                killed = true;
                break;
            }
        }
    }
    close(err_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

class KillDuringImport : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new gridmap::test::TempDir;
        write_large_shapefile(s_dir->path() / "big.shp", k_features);
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static fs::path big() { return s_dir->path() / "big.shp"; }
    static gridmap::test::TempDir* s_dir;
};

gridmap::test::TempDir* KillDuringImport::s_dir = nullptr;

void expect_sound(const std::string& db) {
    auto check = gridmap({"check", "--db", db});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(check.out, "ok\n");
}

TEST_F(KillDuringImport, NewLayerLeavesNoTrace) {
    gridmap::test::TempDir dir;
    const std::string db = (dir / "g.sqlite").string();
    ASSERT_EQ(gridmap({"import", gridmap::test::real_data("survey/sh_poi_4490_cpg936.shp").string(),
                       "--layer", "stations", "--db", db})
                  .exit_code,
              0);
    const auto before = gridmap::test::database_fingerprint(db);
    int kills = 0;
    for (int marker : {10, 40, 70, 100}) {
        if (import_and_kill_at({"import", big().string(), "--layer", "buildings", "--db", db}, marker)) {
            ++kills;
        }
        expect_sound(db);
        auto after = gridmap::test::database_fingerprint(db);
        EXPECT_TRUE(after.at("stations") == before.at("stations")) << "after a kill at " << marker << "%";
        // A kill that lands after the commit leaves the whole layer; any earlier one, nothing.
        if (after.contains("buildings")) {
            EXPECT_EQ(geo::store::open_store(db, false)->layer("buildings")->feature_count, k_features)
                << "a half layer after a kill at " << marker << "%";
            break;
        }
        EXPECT_EQ(after.size(), before.size()) << "after a kill at " << marker << "%";
    }
    EXPECT_GE(kills, 3) << "the import finished before it could be killed";
}

TEST_F(KillDuringImport, ReplaceKeepsTheOldLayer) {
    gridmap::test::TempDir dir;
    const std::string db = (dir / "g.sqlite").string();
    ASSERT_EQ(gridmap({"import", gridmap::test::real_data("survey/sh_bldg_4549_cm120_ldid4d.shp").string(),
                       "--layer", "buildings", "--db", db})
                  .exit_code,
              0);
    const auto before = gridmap::test::database_fingerprint(db);
    int kills = 0;
    for (int marker : {20, 90, 100}) {
        if (import_and_kill_at({"import", big().string(), "--layer", "buildings", "--db", db}, marker)) {
            ++kills;
        }
        expect_sound(db);
        auto store = geo::store::open_store(db, false);
        const auto count = store->layer("buildings")->feature_count;
        if (count == k_features) break;  // the kill landed after the commit: the whole new layer
        EXPECT_TRUE(gridmap::test::database_fingerprint(db) == before)
            << "the old layer changed after a kill at " << marker << "%";
    }
    EXPECT_GE(kills, 2);
    // The database still takes the full import afterwards.
    auto done = gridmap({"import", big().string(), "--layer", "buildings", "--db", db});
    ASSERT_EQ(done.exit_code, 0) << done.err;
    auto store = geo::store::open_store(db, false);
    EXPECT_EQ(store->layer("buildings")->feature_count, k_features);
    expect_sound(db);
}

}  // namespace
