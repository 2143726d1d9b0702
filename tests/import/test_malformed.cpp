// Every awkward or broken file in tests/data/real/malformed either imports with a report or is
// refused with a clear message and exit code 1 — never a crash, a sanitizer finding (the
// sanitizer build runs this too), a usage error, or any change to the database on refusal.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "import/import_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using gridmap::test::gridmap;
using gridmap::test::real_data;

std::vector<std::string> malformed_files() {
    std::vector<std::string> out;
    const fs::path root = real_data("malformed");
    if (!fs::exists(root)) return out;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) continue;
        const std::string name = entry.path().filename().string();
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        const bool dataset = lower.ends_with(".shp") || lower.ends_with(".zip") ||
                             lower.ends_with(".tar") || lower.ends_with(".tar.gz") ||
                             lower.ends_with(".dbf");
        // A .dbf beside a .shp is part of that shapefile, not a dataset of its own.
        const bool has_shp = lower.ends_with(".dbf") &&
                             (fs::exists(entry.path().parent_path() / (entry.path().stem().string() + ".shp")) ||
                              fs::exists(entry.path().parent_path() / (entry.path().stem().string() + ".SHP")));
        if (dataset && !has_shp) out.push_back(fs::relative(entry.path(), root).string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class Malformed : public ::testing::TestWithParam<std::string> {};

TEST_P(Malformed, ImportsWithAReportOrIsRefusedCleanly) {
    gridmap::test::TempDir dir;
    const fs::path copy = gridmap::test::copy_with_siblings(real_data("malformed/" + GetParam()),
                                                            dir.path());
    const std::string db = (dir / "g.sqlite").string();
    ASSERT_EQ(gridmap({"import", real_data("survey/sh_poi_4490_cpg936.shp").string(), "--layer",
                       "stations", "--db", db})
                  .exit_code,
              0);
    const auto before = gridmap::test::database_fingerprint(db);

    // Some of these files have no .prj: give one, as a user would after the first refusal.
    auto result = gridmap({"import", copy.string(), "--layer", "m", "--db", db});
    if (result.exit_code == 1 && result.err.find("no .prj") != std::string::npos) {
        result = gridmap({"import", copy.string(), "--layer", "m", "--db", db, "--srs", "EPSG:4326"});
        if (result.exit_code == 1 && result.err.find("outside lon") != std::string::npos) {
            result = gridmap({"import", copy.string(), "--layer", "m", "--db", db, "--srs", "EPSG:3857"});
        }
    }
    ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1)
        << "exit " << result.exit_code << "\n" << result.err;
    if (result.exit_code == 0) {
        EXPECT_NE(result.out.find("Imported"), std::string::npos) << result.out;
    } else {
        EXPECT_NE(result.err.find("error: "), std::string::npos) << result.err;
        EXPECT_EQ(result.err.find("internal"), std::string::npos) << result.err;
        EXPECT_EQ(gridmap::test::database_fingerprint(db), before) << "a refusal changed the database";
    }
    auto check = gridmap({"check", "--db", db});
    EXPECT_EQ(check.exit_code, 0) << check.out;
    auto after = gridmap::test::database_fingerprint(db);
    EXPECT_EQ(after.at("stations"), before.at("stations")) << "another layer was damaged";
}

INSTANTIATE_TEST_SUITE_P(Files, Malformed, ::testing::ValuesIn(malformed_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param;
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

TEST(MalformedSet, IsThere) { EXPECT_GT(malformed_files().size(), 60u); }

}  // namespace
