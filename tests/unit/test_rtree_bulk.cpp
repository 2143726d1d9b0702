// The packed R*Tree written straight into SQLite's shadow tables must be a tree SQLite itself
// accepts: rtreecheck() passes, window queries agree with brute force, and later row-by-row
// inserts and deletes keep working.
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "capi/sqlite.hpp"
#include "store/rtree_bulk.hpp"
#include "support/test_support.hpp"

namespace {

using geo::capi::SpatialiteDb;
using geo::capi::Statement;
using geo::store::detail::RtreeBox;

std::string rtreecheck(SpatialiteDb& db) {
    Statement st(db.get(), "SELECT rtreecheck('r')");
    st.step();
    return st.column_text(0);
}

std::set<std::int64_t> query(SpatialiteDb& db, double x0, double y0, double x1, double y1) {
    Statement st(db.get(), "SELECT id FROM r WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?");
    st.bind(1, x0).bind(2, x1).bind(3, y0).bind(4, y1);
    std::set<std::int64_t> out;
    while (st.step()) out.insert(st.column_int(0));
    return out;
}

class RtreeBulk : public ::testing::TestWithParam<int> {};

TEST_P(RtreeBulk, SqliteAcceptsTheTree) {
    gridmap::test::TempDir dir;
    SpatialiteDb db((dir / "r.sqlite").string(), SpatialiteDb::Mode::create);
    db.exec("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)");
    std::mt19937 rng(GetParam());
    std::uniform_real_distribution<double> pos(114.2, 114.4);
    std::uniform_real_distribution<double> size(0.00005, 0.002);
    std::vector<RtreeBox> boxes;
    for (int i = 1; i <= GetParam(); ++i) {
        const double x = pos(rng);
        const double y = pos(rng) - 83.7;
        boxes.push_back({i * 3, x, x + size(rng), y, y + size(rng)});
    }
    db.exec("BEGIN");
    geo::store::detail::bulk_load_rtree(db.get(), "r", boxes);
    db.exec("COMMIT");
    EXPECT_EQ(rtreecheck(db), "ok");

    std::uniform_real_distribution<double> window(0.001, 0.05);
    for (int q = 0; q < 100; ++q) {
        const double x0 = pos(rng);
        const double y0 = pos(rng) - 83.7;
        const double x1 = x0 + window(rng);
        const double y1 = y0 + window(rng);
        std::set<std::int64_t> expected;
        for (const auto& b : boxes) {
            if (b.maxx >= x0 && b.minx <= x1 && b.maxy >= y0 && b.miny <= y1) expected.insert(b.id);
        }
        // float32 rounding only ever widens a box: everything expected is found, and any extra
        // hit touches the window within float precision.
        const auto found = query(db, x0, y0, x1, y1);
        for (auto id : expected) EXPECT_TRUE(found.contains(id)) << id;
        EXPECT_LE(found.size(), expected.size() + 2);
    }

    // SQLite keeps maintaining the tree: inserts (splitting full nodes) and deletes.
    Statement insert(db.get(), "INSERT INTO r VALUES (?, ?, ?, ?, ?)");
    for (int i = 0; i < 500; ++i) {
        const double x = pos(rng);
        const double y = pos(rng) - 83.7;
        insert.bind(1, static_cast<std::int64_t>(1000000 + i)).bind(2, x).bind(3, x + 0.001).bind(4, y).bind(5, y + 0.001);
        insert.run();
    }
    db.exec("DELETE FROM r WHERE id % 7 = 0");
    EXPECT_EQ(rtreecheck(db), "ok");
    Statement count(db.get(), "SELECT count(*) FROM r");
    count.step();
    std::int64_t expected_count = 0;
    for (int i = 0; i < 500; ++i) expected_count += ((1000000 + i) % 7 != 0);
    for (const auto& b : boxes) expected_count += (b.id % 7 != 0);
    EXPECT_EQ(count.column_int(0), expected_count);
}

// One leaf, exactly one full root, two levels, three levels.
INSTANTIATE_TEST_SUITE_P(Sizes, RtreeBulk, ::testing::Values(1, 51, 52, 3000, 60000));

}  // namespace
