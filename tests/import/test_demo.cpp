// The demo district end to end: data/demo imports as ./scripts/run does, and the derived links
// agree with the totals the demo generator computed independently (scripts/make-demo).
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "geo/import/import.hpp"
#include "import/import_helpers.hpp"

namespace {

namespace fs = std::filesystem;

fs::path demo(const std::string& file) { return fs::path(GRIDMAP_SOURCE_DIR) / "data/demo" / file; }

std::map<std::string, std::pair<std::int64_t, std::int64_t>> cell_totals(geo::store::Store& store) {
    const auto info = *store.layer("grid_cells");
    const auto code = gridmap::test::field_index(info, "code");
    const auto hh = gridmap::test::field_index(info, "households");
    const auto pop = gridmap::test::field_index(info, "population");
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
    store.read_features("grid_cells", {}, [&](const geo::Feature& f) {
        out[std::get<std::string>(f.values[code])] = {std::get<std::int64_t>(f.values[hh]),
                                                      std::get<std::int64_t>(f.values[pop])};
        return true;
    });
    return out;
}

TEST(Demo, ImportsAndLinksMatchTheGenerator) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "demo.sqlite").string(), true);
    auto import = [&](const std::string& layer) {
        geo::import::ImportOptions options;
        options.path = demo(layer + ".geojson").string();
        options.layer = layer;
        const auto r = geo::import::import_file(*store, options);
        EXPECT_EQ(r.skipped, 0) << layer;
        return r;
    };
    import("grid_cells");
    const auto from_generator = cell_totals(*store);  // the file's totals, no buildings yet
    EXPECT_EQ(import("buildings").imported, 1450);
    import("stations");
    EXPECT_EQ(import("roads").imported, 1094);

    const auto derived = cell_totals(*store);
    ASSERT_EQ(derived.size(), 72u);
    EXPECT_EQ(derived, from_generator) << "point-on-surface links disagree with the generator";
    std::int64_t households = 0;
    for (const auto& [code, totals] : derived) {
        // data/README.md: one cell stays at 283 households, no neighbour could take it.
        EXPECT_GE(totals.first, 280) << code;
        EXPECT_LE(totals.first, 500) << code;
        households += totals.first;
    }
    EXPECT_EQ(households, 28288);

    const auto buildings = *store->layer("buildings");
    const auto grid_code = gridmap::test::field_index(buildings, "grid_code");
    int unlinked = 0;
    store->read_features("buildings", {}, [&](const geo::Feature& f) {
        if (std::holds_alternative<std::monostate>(f.values[grid_code])) ++unlinked;
        return true;
    });
    EXPECT_EQ(unlinked, 0) << "the grid cells cover the whole district";
    EXPECT_GE(store->layer("stations")->feature_count, 15);
    EXPECT_TRUE(store->check().empty());
}

}  // namespace
