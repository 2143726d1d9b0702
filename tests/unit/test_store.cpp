// The SpatiaLite store: catalog, all-or-nothing writes, append/replace, reads by bbox.
#include <cerrno>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "capi/sqlite.hpp"
#include "geo/error.hpp"
#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace {

using geo::store::FeatureRow;
using geo::store::NewLayer;
using geo::store::WriteMode;

// 2D little-endian WKB of POINT(x y).
std::vector<unsigned char> point_wkb(double x, double y) {
    std::vector<unsigned char> wkb = {1, 1, 0, 0, 0};
    const auto* px = reinterpret_cast<const unsigned char*>(&x);
    const auto* py = reinterpret_cast<const unsigned char*>(&y);
    wkb.insert(wkb.end(), px, px + 8);
    wkb.insert(wkb.end(), py, py + 8);
    return wkb;
}

NewLayer points_layer(const std::string& name) {
    NewLayer l;
    l.name = name;
    l.title = "服务站";
    l.geometry_type = "POINT";
    l.fields = {{"name", geo::FieldType::text, "名称"}, {"floor_area_m2", geo::FieldType::real, ""}};
    l.source_file = "test.shp";
    l.source_crs = "EPSG:4490";
    l.encoding = "GB18030";
    return l;
}

void write_points(geo::store::Store& store, const std::string& layer, int n, WriteMode mode,
                  double x0 = 121.5) {
    auto writer = store.write_layer(points_layer(layer), mode);
    for (int i = 0; i < n; ++i) {
        writer->add({{std::string("站") + std::to_string(i), 150.0 + i}, point_wkb(x0 + i * 0.001, 31.2)});
    }
    writer->commit();
}

TEST(Store, CreatesCatalogAndReadsBack) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    write_points(*store, "stations", 3, WriteMode::replace);

    const auto info = store->layer("stations");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->feature_count, 3);
    EXPECT_EQ(info->geometry_type, "POINT");
    EXPECT_EQ(info->title, "服务站");
    EXPECT_EQ(info->source_crs, "EPSG:4490");
    EXPECT_DOUBLE_EQ(info->extent.minx, 121.5);
    EXPECT_DOUBLE_EQ(info->extent.maxx, 121.502);
    ASSERT_EQ(info->fields.size(), 2u);
    EXPECT_EQ(info->fields[0].source_name, "名称");

    std::vector<std::string> names;
    store->read_features("stations", {}, [&](const geo::Feature& f) {
        names.push_back(std::get<std::string>(f.values[0]));
        EXPECT_EQ(f.wkb.size(), 21u);
        return true;
    });
    EXPECT_EQ(names, (std::vector<std::string>{"站0", "站1", "站2"}));
    EXPECT_TRUE(store->check().empty());
}

TEST(Store, BboxLimitAndOffset) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    write_points(*store, "stations", 10, WriteMode::replace);
    geo::store::FeatureQuery q;
    q.bbox = geo::BBox{121.5025, 31.1, 121.5065, 31.3};  // x = 121.503 … 121.506
    std::vector<std::int64_t> fids;
    store->read_features("stations", q, [&](const geo::Feature& f) {
        fids.push_back(f.fid);
        return true;
    });
    EXPECT_EQ(fids, (std::vector<std::int64_t>{4, 5, 6, 7}));
    q.limit = 2;
    q.offset = 1;
    fids.clear();
    store->read_features("stations", q, [&](const geo::Feature& f) {
        fids.push_back(f.fid);
        return true;
    });
    EXPECT_EQ(fids, (std::vector<std::int64_t>{5, 6}));
}

TEST(Store, ReadsChosenFieldsWithoutGeometry) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    write_points(*store, "stations", 3, WriteMode::replace);
    geo::store::FeatureQuery q;
    q.fields = {"floor_area_m2", "name"};
    q.geometry = false;
    std::vector<std::pair<double, std::string>> rows;
    store->read_features("stations", q, [&](const geo::Feature& f) {
        EXPECT_EQ(f.values.size(), 2u);
        EXPECT_TRUE(f.wkb.empty());
        rows.emplace_back(std::get<double>(f.values[0]), std::get<std::string>(f.values[1]));
        return true;
    });
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[2], (std::pair<double, std::string>{152.0, "站2"}));

    q.fields = {"name", "no_such_field"};
    try {
        store->read_features("stations", q, [](const geo::Feature&) { return true; });
        FAIL() << "an unknown field must be refused";
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("no_such_field"), std::string::npos);
    }
}

TEST(Store, WriterWithoutCommitChangesNothing) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    write_points(*store, "stations", 2, WriteMode::replace);
    {
        auto writer = store->write_layer(points_layer("stations"), WriteMode::replace);
        writer->add({{std::string("new"), 1.0}, point_wkb(1, 1)});
        // destroyed without commit: as if the import failed half-way
    }
    {
        auto writer = store->write_layer(points_layer("other"), WriteMode::replace);
        writer->add({{std::string("x"), 1.0}, point_wkb(1, 1)});
    }
    EXPECT_EQ(store->layer("stations")->feature_count, 2);
    EXPECT_FALSE(store->layer("other"));
    EXPECT_TRUE(store->check().empty());
}

TEST(Store, AppendAddsAndReplaceSwaps) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    write_points(*store, "stations", 2, WriteMode::replace);
    write_points(*store, "stations", 3, WriteMode::append, 122.0);
    auto info = store->layer("stations");
    EXPECT_EQ(info->feature_count, 5);
    EXPECT_DOUBLE_EQ(info->extent.maxx, 122.002);
    write_points(*store, "stations", 1, WriteMode::replace);
    EXPECT_EQ(store->layer("stations")->feature_count, 1);
    EXPECT_TRUE(store->check().empty());
}

TEST(Store, AppendOfAnotherGeometryTypeIsAConflict) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    write_points(*store, "stations", 1, WriteMode::replace);
    NewLayer polygons = points_layer("stations");
    polygons.geometry_type = "MULTIPOLYGON";
    try {
        store->write_layer(polygons, WriteMode::append);
        FAIL() << "expected a conflict";
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::conflict);
    }
    EXPECT_EQ(store->layer("stations")->feature_count, 1);
}

TEST(Store, RejectsBadNamesAndDuplicateFields) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    for (const char* bad : {"", "Buildings", "1st", "idx_x", "gridmap_layers", "a b", "spatial_ref_sys"}) {
        EXPECT_THROW(store->write_layer(points_layer(bad), WriteMode::replace), geo::Error) << bad;
    }
    NewLayer dup = points_layer("stations");
    dup.fields.push_back({"NAME", geo::FieldType::text, ""});
    EXPECT_THROW(store->write_layer(dup, WriteMode::replace), geo::Error);
    NewLayer reserved = points_layer("stations");
    reserved.fields.push_back({"fid", geo::FieldType::integer, ""});
    EXPECT_THROW(store->write_layer(reserved, WriteMode::replace), geo::Error);
}

TEST(Store, IdentifiersAreQuoted) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    NewLayer l = points_layer("select_from");
    l.fields = {{"select", geo::FieldType::text, ""}, {"a\"b; DROP TABLE x", geo::FieldType::text, ""},
                {"高度", geo::FieldType::integer, ""}};
    auto writer = store->write_layer(l, WriteMode::replace);
    writer->add({{std::string("1"), std::string("2"), std::int64_t{3}}, point_wkb(121, 31)});
    writer->commit();
    int rows = 0;
    store->read_features("select_from", {}, [&](const geo::Feature& f) {
        EXPECT_EQ(std::get<std::string>(f.values[1]), "2");
        EXPECT_EQ(std::get<std::int64_t>(f.values[2]), 3);
        ++rows;
        return true;
    });
    EXPECT_EQ(rows, 1);
}

TEST(Store, UnknownLayerAndMissingDatabase) {
    gridmap::test::TempDir dir;
    EXPECT_THROW(geo::store::open_store((dir / "missing.sqlite").string(), false), geo::Error);
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    try {
        store->read_features("nope", {}, [](const geo::Feature&) { return true; });
        FAIL();
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::not_found);
    }
}

TEST(Store, DropLayer) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    write_points(*store, "stations", 2, WriteMode::replace);
    store->drop_layer("stations");
    EXPECT_FALSE(store->layer("stations"));
    EXPECT_TRUE(store->check().empty());
    write_points(*store, "stations", 2, WriteMode::replace);
    EXPECT_EQ(store->layer("stations")->feature_count, 2);
}

}  // namespace

namespace {

TEST(Store, ReadersSeeTheOldLayerUntilCommitAndWritersQueue) {
    gridmap::test::TempDir dir;
    const std::string path = (dir / "s.sqlite").string();
    auto writer_store = geo::store::open_store(path, true);
    write_points(*writer_store, "stations", 2, WriteMode::replace);

    auto reader = geo::store::open_store(path, false);
    auto writer = writer_store->write_layer(points_layer("stations"), WriteMode::replace);
    for (int i = 0; i < 5; ++i) writer->add({{std::string("新"), 1.0}, point_wkb(121, 31)});
    int seen = 0;
    reader->read_features("stations", {}, [&](const geo::Feature&) {
        ++seen;
        return true;
    });
    EXPECT_EQ(seen, 2) << "a reader saw an uncommitted replace";

    // A second writer waits for the first, then gives up with a conflict.
    auto second = geo::store::open_store(path, false);
    try {
        second->write_layer(points_layer("other"), WriteMode::replace);
        FAIL() << "two writers at once";
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::conflict) << e.what();
    }
    writer->commit();
    EXPECT_EQ(reader->layer("stations")->feature_count, 5);
}

}  // namespace

namespace {

TEST(Store, RefusesSomeoneElsesDatabase) {
    gridmap::test::TempDir dir;
    const std::string path = (dir / "other.sqlite").string();
    {
        geo::capi::SpatialiteDb db(path, geo::capi::SpatialiteDb::Mode::create);
        db.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)");
    }
    try {
        geo::store::open_store(path, true);
        FAIL() << "opened a database that is not Gridmap's";
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
    }
    geo::capi::SpatialiteDb db(path, geo::capi::SpatialiteDb::Mode::read_only);
    geo::capi::Statement tables(db.get(), "SELECT count(*) FROM sqlite_master");
    tables.step();
    EXPECT_EQ(tables.column_int(0), 1) << "the foreign database was changed";
}

}  // namespace

namespace {

TEST(Store, RefusesAFileThatIsNoDatabase) {
    gridmap::test::TempDir dir;
    const auto path = dir / "notes.sqlite";
    std::ofstream(path) << "these are not the pages of an SQLite database, just text long enough "
                           "to fill the first hundred bytes that SQLite reads as its header.....";
    try {
        geo::store::open_store(path.string(), true);
        FAIL();
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument) << e.what();
    }
}

}  // namespace

namespace {

TEST(Store, UpgradesACatalogFromAnEarlierVersion) {
    gridmap::test::TempDir dir;
    const std::string path = (dir / "old.sqlite").string();
    write_points(*geo::store::open_store(path, true), "stations", 2, WriteMode::replace);
    {
        // A catalog as the first release wrote it: no per-layer version.
        geo::capi::SpatialiteDb db(path, geo::capi::SpatialiteDb::Mode::read_write);
        db.exec("ALTER TABLE gridmap_layers DROP COLUMN version");
    }
    auto store = geo::store::open_store(path, false);
    ASSERT_TRUE(store->layer("stations"));
    EXPECT_EQ(store->layer("stations")->feature_count, 2);
    const auto before = store->layer_versions().at("stations");
    write_points(*store, "stations", 3, WriteMode::replace);
    EXPECT_GT(store->layer_versions().at("stations"), before);
}

}  // namespace

namespace {

TEST(Store, CheckFindsASpatialIndexThatDisagreesWithItsTable) {
    gridmap::test::TempDir dir;
    const std::string path = (dir / "s.sqlite").string();
    auto store = geo::store::open_store(path, true);
    write_points(*store, "stations", 3, WriteMode::replace);
    EXPECT_TRUE(store->check().empty());
    {
        geo::capi::SpatialiteDb db(path, geo::capi::SpatialiteDb::Mode::read_write);
        db.exec("UPDATE idx_stations_geom SET xmax = xmax + 0.5 WHERE pkid = 2");
    }
    auto problems = store->check();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0],
              "layer stations: spatial index does not match the table (1 rows differ)");
    {
        geo::capi::SpatialiteDb db(path, geo::capi::SpatialiteDb::Mode::read_write);
        db.exec("DELETE FROM idx_stations_geom WHERE pkid = 3;"
                "INSERT INTO idx_stations_geom VALUES (99, 121, 122, 31, 32)");
    }
    problems = store->check();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0],
              "layer stations: spatial index does not match the table (3 rows differ)");
}

TEST(Store, AReadOnlyStoreReadsAndRefusesToWrite) {
    gridmap::test::TempDir dir;
    const std::string path = (dir / "s.sqlite").string();
    write_points(*geo::store::open_store(path, true), "stations", 2, WriteMode::replace);
    auto store = geo::store::open_store_read_only(path);
    EXPECT_EQ(store->layer("stations")->feature_count, 2);
    EXPECT_TRUE(store->check().empty());
    for (const auto& attempt : std::vector<std::function<void()>>{
             [&] { store->write_layer(points_layer("other"), WriteMode::replace); },
             [&] { store->drop_layer("stations"); }}) {
        try {
            attempt();
            FAIL() << "wrote through a read-only store";
        } catch (const geo::Error& e) {
            EXPECT_EQ(e.code(), geo::Errc::unavailable) << e.what();
            EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(store->layer("stations")->feature_count, 2);
    EXPECT_THROW(geo::store::open_store_read_only((dir / "missing.sqlite").string()), geo::Error);
}

TEST(Store, SqliteFailuresAreSaidPlainly) {
    using geo::capi::describe_failure;
    const std::string db = "/data/g.sqlite";
    EXPECT_EQ(describe_failure(SQLITE_FULL, 0, db, "running SQL", "database or disk is full"),
              "the disk is full while writing /data/g.sqlite; nothing was changed");
    EXPECT_EQ(describe_failure(SQLITE_IOERR_WRITE, ENOSPC, db, "running SQL", "disk I/O error"),
              "the disk is full while writing /data/g.sqlite; nothing was changed");
    EXPECT_EQ(describe_failure(SQLITE_IOERR_WRITE, EFBIG, db, "running SQL", "disk I/O error"),
              "the disk is full or the file size limit was reached while writing /data/g.sqlite; "
              "nothing was changed");
    EXPECT_NE(describe_failure(SQLITE_IOERR_FSYNC, EIO, db, "", "disk I/O error")
                  .find("input/output error"),
              std::string::npos);
    EXPECT_NE(describe_failure(SQLITE_READONLY, 0, db, "", "attempt to write a readonly database")
                  .find("cannot write /data/g.sqlite: the file or its folder is read-only"),
              std::string::npos);
    EXPECT_NE(describe_failure(SQLITE_CANTOPEN, ENOENT, db, "", "unable to open database file")
                  .find("cannot open /data/g.sqlite (No such file or directory)"),
              std::string::npos);
    EXPECT_NE(describe_failure(SQLITE_BUSY, 0, db, "", "database is locked")
                  .find("another process"),
              std::string::npos);
    EXPECT_EQ(describe_failure(SQLITE_NOTADB, 0, db, "", "file is not a database"),
              "/data/g.sqlite is not an SQLite database");
    EXPECT_EQ(describe_failure(SQLITE_ERROR, 0, db, "running SQL", "no such table: x"),
              "running SQL: no such table: x");
}

}  // namespace
