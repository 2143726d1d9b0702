// Shapefiles that cannot be read whole — a DBF cut short or with an absurd record length, a .shp
// or .shx whose lengths or entries disagree with the files, parts whose record counts disagree —
// are refused before GDAL reads them, with one plain line naming the file and what is wrong,
// and every layer stays as it was. Each broken file is made here from the demo stations (19
// points) by cutting or patching bytes; then hostile headers that must neither make the import
// allocate without bound nor crash or hang it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>

#include <cpl_error.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <gtest/gtest.h>

#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "import/import_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using gridmap::test::gridmap;
using gridmap::test::TempDir;

const fs::path k_stations = fs::path(GRIDMAP_SOURCE_DIR) / "data/demo/stations.geojson";

/// Writes the demo stations as `stem`.shp/.shx/.dbf/.prj/.cpg (UTF-8 text, EPSG:4326).
void write_stations_shapefile(const fs::path& stem) {
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);  // field names are shortened to 10 bytes
    GDALDatasetH src = GDALOpenEx(k_stations.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    const char* argv[] = {"-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", nullptr};
    GDALVectorTranslateOptions* options =
        GDALVectorTranslateOptionsNew(const_cast<char**>(argv), nullptr);
    const std::string shp = stem.string() + ".shp";
    GDALDatasetH out = GDALVectorTranslate(shp.c_str(), nullptr, 1, &src, options, nullptr);
    GDALVectorTranslateOptionsFree(options);
    if (out) GDALClose(out);
    if (src) GDALClose(src);
    CPLPopErrorHandler();
    if (!out) throw std::runtime_error("cannot write " + shp);
}

fs::path part(const fs::path& stem, const char* ext) { return stem.string() + ext; }

void copy_parts(const fs::path& from_stem, const fs::path& to_stem) {
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
        fs::copy_file(part(from_stem, ext), part(to_stem, ext),
                      fs::copy_options::overwrite_existing);
    }
}

void patch(const fs::path& file, std::uint64_t offset, const std::vector<unsigned char>& bytes) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot patch " + file.string());
}

void patch_be32(const fs::path& file, std::uint64_t offset, std::uint32_t v) {
    patch(file, offset,
          {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
           static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)});
}

void patch_le16(const fs::path& file, std::uint64_t offset, std::uint32_t v) {
    patch(file, offset, {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8)});
}

void patch_le32(const fs::path& file, std::uint64_t offset, std::uint32_t v) {
    patch(file, offset,
          {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
           static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)});
}

void cut(const fs::path& file, std::int64_t bytes_off_the_end) {
    fs::resize_file(file, fs::file_size(file) - static_cast<std::uintmax_t>(bytes_off_the_end));
}

// The demo stations as a shapefile: 19 points, each .shp record 8 + 20 bytes from byte 100.
constexpr int k_records = 19;
constexpr std::uint64_t k_point_record = 28;
std::uint64_t record_at(int n) { return 100 + k_point_record * static_cast<std::uint64_t>(n - 1); }
std::uint64_t index_entry_at(int n) { return 100 + 8 * static_cast<std::uint64_t>(n - 1); }

struct Damage {
    std::string name;
    std::function<void(const fs::path& stem)> apply;
    std::vector<std::string> says;  ///< what the error message must contain
};

void PrintTo(const Damage& d, std::ostream* os) { *os << d.name; }

fs::path dbf(const fs::path& stem) { return part(stem, ".dbf"); }
fs::path shp(const fs::path& stem) { return part(stem, ".shp"); }
fs::path shx(const fs::path& stem) { return part(stem, ".shx"); }

std::vector<Damage> damages() {
    return {
        {"dbf_cut_short",
         [](const fs::path& s) { fs::resize_file(dbf(s), 1000); },
         {"broken.dbf is cut short", "announces 19 records", "room for 1 whole record"}},
        {"dbf_record_length_ffff",
         [](const fs::path& s) { patch_le16(dbf(s), 10, 0xFFFF); },
         {"broken.dbf is cut short", "19 records of 65535 bytes", "does not match its fields"}},
        {"dbf_record_length_zero",
         [](const fs::path& s) { patch_le16(dbf(s), 10, 0); },
         {"broken.dbf has a damaged header: its record length is 0"}},
        {"dbf_record_shorter_than_its_fields",
         [](const fs::path& s) { patch_le16(dbf(s), 10, 100); },
         {"broken.dbf has a damaged header: its fields take",
          "more than its record length of 100"}},
        {"dbf_header_longer_than_the_file",
         [](const fs::path& s) { patch_le16(dbf(s), 8, 0xFFFF); },
         {"broken.dbf has a damaged header", "header length of 65535 bytes"}},
        {"dbf_announces_fewer_records",
         [](const fs::path& s) { patch_le32(dbf(s), 4, 18); },
         {"broken.shp holds 19 shapes but broken.dbf 18 records"}},
        {"dbf_announces_more_records",
         [](const fs::path& s) { patch_le32(dbf(s), 4, 20); },
         {"broken.dbf is cut short", "announces 20 records", "room for 19 whole records"}},
        {"shp_cut_short",
         [](const fs::path& s) { cut(shp(s), k_point_record); },
         {"broken.shp is cut short: its header gives a length of"}},
        {"shp_not_a_shapefile",
         [](const fs::path& s) { patch_be32(shp(s), 0, 0); },
         {"broken.shp is not a shapefile part"}},
        {"shx_cut_short", [](const fs::path& s) { cut(shx(s), 8); }, {"broken.shx is cut short"}},
        {"shx_announces_fewer_records",
         [](const fs::path& s) { patch_be32(shx(s), 24, (100 + 8 * (k_records - 1)) / 2); },
         {"broken.shx holds 19 index entries but its header announces 18"}},
        {"shx_length_not_whole_entries",
         [](const fs::path& s) { patch_be32(shx(s), 24, (100 + 8 * k_records) / 2 - 2); },
         {"broken.shx has a damaged header", "whole number of 8-byte index entries"}},
        {"shx_entry_past_the_end",
         [](const fs::path& s) { patch_be32(shx(s), index_entry_at(5), 0x100000); },
         {"record 5 of broken.shp starts at byte 2097152, past the end of the file"}},
        {"shx_entry_into_the_header",
         [](const fs::path& s) { patch_be32(shx(s), index_entry_at(1), 10); },
         {"entry 1 of broken.shx points into the header of broken.shp"}},
        {"shp_record_runs_past_the_end",
         [](const fs::path& s) { patch_be32(shp(s), record_at(3) + 4, 0x7FFFFFF0); },
         {"record 3 of broken.shp (at byte 156) claims 4294967264 bytes of content, running past "
          "the end of the file"}},
        {"no_shx_record_runs_past_the_end",
         [](const fs::path& s) {
             fs::remove(shx(s));
             patch_be32(shp(s), record_at(2) + 4, 1000);
         },
         {"record 2 of broken.shp (at byte 128) claims 2000 bytes of content"}},
        {"no_shx_negative_record_length",
         [](const fs::path& s) {
             fs::remove(shx(s));
             patch_be32(shp(s), record_at(1) + 4, 0x80000000);
         },
         {"record 1 of broken.shp (at byte 100) claims"}},
        {"no_shx_last_record_cut",
         [](const fs::path& s) {
             fs::remove(shx(s));
             cut(shp(s), 10);
             patch_be32(shp(s), 24, static_cast<std::uint32_t>(fs::file_size(shp(s)) / 2));
         },
         {"record 19 of broken.shp", "running past the end of the file"}},
    };
}

class DamagedShapefile : public ::testing::TestWithParam<Damage> {
protected:
    static void SetUpTestSuite() {
        s_dir = new TempDir;
        write_stations_shapefile(s_dir->path() / "stations");
        gridmap::test::import_demo(reference_db(), {"stations"});
        s_reference = new std::map<std::string, std::string>(
            gridmap::test::database_fingerprint(reference_db()));
    }
    static void TearDownTestSuite() {
        delete s_reference;
        delete s_dir;
    }
    static fs::path pristine() { return s_dir->path() / "stations"; }
    static fs::path reference_db() { return s_dir->path() / "reference.sqlite"; }

    /// A copy of the reference database (the demo stations as layer `stations`) in `dir`.
    static std::string database_in(const TempDir& dir) {
        fs::copy_file(reference_db(), dir / "g.sqlite");
        return (dir / "g.sqlite").string();
    }

    static TempDir* s_dir;
    static std::map<std::string, std::string>* s_reference;
};

TempDir* DamagedShapefile::s_dir = nullptr;
std::map<std::string, std::string>* DamagedShapefile::s_reference = nullptr;

TEST_P(DamagedShapefile, IsRefusedAndEveryLayerStaysAsItWas) {
    TempDir dir;
    const std::string db = database_in(dir);
    const fs::path stem = dir / "broken";
    copy_parts(pristine(), stem);
    GetParam().apply(stem);

    const auto r = gridmap({"import", part(stem, ".shp").string(), "--layer", "stations", "--mode",
                            "replace", "--db", db});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.err.rfind("gridmap import: error: ", 0), 0u) << r.err;
    for (const auto& words : GetParam().says)
        EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << r.err;
    // One plain line: no stack trace, no GDAL chatter.
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(gridmap::test::database_fingerprint(db), *s_reference)
        << "a refusal changed the database";
    const auto check = gridmap({"check", "--db", db});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

INSTANTIATE_TEST_SUITE_P(Damages, DamagedShapefile, ::testing::ValuesIn(damages()),
                         [](const ::testing::TestParamInfo<Damage>& info) {
                             return info.param.name;
                         });

TEST_F(DamagedShapefile, TheUndamagedCopyImportsWhole) {
    TempDir dir;
    const std::string db = database_in(dir);
    copy_parts(pristine(), dir / "whole");
    const auto r =
        gridmap({"import", (dir / "whole.shp").string(), "--layer", "stations", "--db", db});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Imported 19 of 19 features"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;
}

TEST_F(DamagedShapefile, MissingShxIsRebuiltFromTheRecords) {
    TempDir dir;
    const std::string db = database_in(dir);
    copy_parts(pristine(), dir / "whole");
    copy_parts(pristine(), dir / "noindex");
    fs::remove(dir / "noindex.shx");
    ASSERT_EQ(
        gridmap({"import", (dir / "whole.shp").string(), "--layer", "whole", "--db", db}).exit_code,
        0);
    const auto r =
        gridmap({"import", (dir / "noindex.shp").string(), "--layer", "noindex", "--db", db});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Imported 19 of 19 features"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("the .shx index was missing; it was rebuilt in memory"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(dir / "noindex.shx")) << "the user's folder was written to";
    auto store = geo::store::open_store(db, false);
    EXPECT_EQ(gridmap::test::layer_fingerprint(*store, "noindex"),
              gridmap::test::layer_fingerprint(*store, "whole"));
}

TEST_F(DamagedShapefile, DeletedRecordsAreLeftOutAndSaid) {
    TempDir dir;
    const std::string db = database_in(dir);
    const fs::path stem = dir / "deleted";
    copy_parts(pristine(), stem);
    std::ifstream in(part(stem, ".dbf"), std::ios::binary);
    unsigned char header[12];
    in.read(reinterpret_cast<char*>(header), sizeof header);
    const std::uint64_t header_length = header[8] | (header[9] << 8);
    const std::uint64_t record_length = header[10] | (header[11] << 8);
    patch(part(stem, ".dbf"), header_length + 3 * record_length, {'*'});  // the 4th record

    const auto r =
        gridmap({"import", part(stem, ".shp").string(), "--layer", "stations", "--db", db});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Imported 18 of 18 features"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 record marked deleted in the DBF left out"), std::string::npos)
        << r.out;
    EXPECT_EQ(geo::store::open_store(db, false)->layer("stations")->feature_count, 18);
}

TEST_F(DamagedShapefile, AnEmptyFileDoesNotReplaceALayer) {
    TempDir dir;
    const std::string db = database_in(dir);
    const fs::path stem = dir / "empty";
    copy_parts(pristine(), stem);
    // A well-formed shapefile with no records: headers of 100 bytes, a DBF of its header alone.
    fs::resize_file(part(stem, ".shp"), 100);
    patch_be32(part(stem, ".shp"), 24, 50);
    fs::resize_file(part(stem, ".shx"), 100);
    patch_be32(part(stem, ".shx"), 24, 50);
    std::ifstream in(part(stem, ".dbf"), std::ios::binary);
    unsigned char header[10];
    in.read(reinterpret_cast<char*>(header), sizeof header);
    fs::resize_file(part(stem, ".dbf"), header[8] | (header[9] << 8));
    patch_le32(part(stem, ".dbf"), 4, 0);

    const auto r =
        gridmap({"import", part(stem, ".shp").string(), "--layer", "stations", "--db", db});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(
        r.err.find("empty.shp holds no features; an empty file does not replace layer stations "
                   "(19 features)"),
        std::string::npos)
        << r.err;
    EXPECT_EQ(gridmap::test::database_fingerprint(db), *s_reference);
    // As a new layer it is simply empty.
    const auto fresh =
        gridmap({"import", part(stem, ".shp").string(), "--layer", "nothing_yet", "--db", db});
    EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
    EXPECT_NE(fresh.out.find("Imported 0 of 0 features"), std::string::npos) << fresh.out;
}

// GDAL's GeoJSON count (5 here) leaves out objects without "type": "Feature" that its reader
// still delivers (7): that is no loss, and the file imports with the skipped ones reported.
TEST(ReadWhole, GeoJsonObjectsOutsideGdalsCountAreNoLoss) {
    TempDir dir;
    const fs::path file = dir / "odd.geojson";
    std::ofstream(file) << R"({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a"}, "geometry": {"type": "Point", "coordinates": [121.5, 31.2]}},
        {"type": "Feature", "properties": {"name": "b"}, "geometry": {"type": "Point", "coordinates": "bad"}},
        {"type": "Feature", "properties": {"name": "c"}, "geometry": null},
        {"type": "Feature", "properties": {"name": "d"}},
        {"type": "Thing", "properties": {"name": "e"}, "geometry": {"type": "Point", "coordinates": [121.5, 31.2]}},
        {"properties": {"name": "f"}, "geometry": {"type": "Point", "coordinates": [121.5, 31.2]}},
        {"type": "Feature", "properties": {"name": "g"}, "geometry": {"type": "Polygon", "coordinates": [[1, 2]]}}]})";
    const auto r =
        gridmap({"import", file.string(), "--layer", "odd", "--db", (dir / "g.sqlite").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Imported 3 of 7 features"), std::string::npos) << r.out;
}

// A 156-byte .shp with no .shx whose only record claims 0x7FFFFFF0 16-bit words: GDAL's own
// rebuild of the index (SHAPE_RESTORE_SHX) allocated for that claim at about 200 MB/s until the
// machine's limit. The child is watched and killed past 512 MiB, so a regression fails here in
// about two seconds instead of taking the machine down.
TEST(HostileHeaders, ARecordClaimingGigabytesIsRefusedWithoutAllocatingForIt) {
    TempDir dir;
    std::string bytes(156, '\0');
    const auto put_be32 = [&](std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(v >> (24 - 8 * i));
    };
    put_be32(0, 9994);      // file code
    put_be32(24, 156 / 2);  // file length in 16-bit words
    bytes[28] = '\xE8';     // version 1000, little-endian
    bytes[29] = '\x03';
    bytes[32] = 1;              // point
    put_be32(100, 1);           // record number
    put_be32(104, 0x7FFFFFF0);  // content length in 16-bit words: about 4 GiB
    bytes[108] = 1;
    const fs::path shp = dir / "huge.shp";
    std::ofstream(shp, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

    gridmap::test::RunLimits limits;
    limits.max_rss_bytes = 512ULL << 20;
    limits.timeout_s = 30;
    const auto r = gridmap({"import", shp.string(), "--layer", "m", "--db",
                            (dir / "g.sqlite").string(), "--srs", "EPSG:4326"},
                           limits);
    ASSERT_FALSE(r.killed_for_memory) << "memory passed 512 MiB after " << r.seconds << " s";
    ASSERT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("record 1 of huge.shp (at byte 100) claims 4294967264 bytes of content, "
                         "running past the end of the file (156 bytes)"),
              std::string::npos)
        << r.err;
    EXPECT_LT(r.max_rss_kb, 256 * 1024) << "peak memory";
    EXPECT_LT(r.seconds, 5.0);
    EXPECT_FALSE(fs::exists(dir / "g.sqlite")) << "a refused first import left a database behind";
}

// Every value of the bytes that carry a length, a count, an offset or a type in the headers of
// the .shp (with and without its .shx), the .shx and the DBF: each import either succeeds or is
// refused with geo::Error — never a crash, an abort, a hang or memory without bound. The sweep
// runs in a child process that is killed past 1 GiB or two minutes.
TEST(HostileHeaders, NoHeaderValueCanCrashHangOrBalloonAnImport) {
    TempDir dir;
    write_stations_shapefile(dir / "base");
    struct Spot {
        const char* ext;
        std::uint64_t offset;
    };
    std::vector<Spot> spots;
    const auto add = [&](const char* ext, std::uint64_t from, std::uint64_t to) {
        for (std::uint64_t o = from; o < to; ++o) spots.push_back({ext, o});
    };
    add(".shp", 0, 4);                             // file code
    add(".shp", 24, 36);                           // file length, version, shape type
    add(".shp", record_at(1), record_at(1) + 12);  // record number, content length, type
    add(".shp", record_at(2) + 4, record_at(2) + 8);
    add(".shx", 0, 4);
    add(".shx", 24, 28);
    add(".shx", index_entry_at(1), index_entry_at(3));  // offsets and content lengths
    add(".dbf", 0, 1);                                  // version
    add(".dbf", 4, 12);                                 // record count, header and record length
    add(".dbf", 32 + 11, 32 + 12);                      // first field's type
    add(".dbf", 32 + 16, 32 + 18);                      // its width and decimals

    gridmap::test::RunLimits limits;
    limits.max_rss_bytes = 1ULL << 30;
    limits.timeout_s = 120;
    const auto r = gridmap::test::run_in_child(
        [&] {
            auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
            int imported = 0, refused = 0;
            for (const bool with_shx : {true, false}) {
                for (const Spot& spot : spots) {
                    if (!with_shx && std::string(spot.ext) != ".shp") continue;
                    for (const unsigned char value : {0x00, 0x80, 0xFF}) {
                        const fs::path stem = dir / "case";
                        copy_parts(dir / "base", stem);
                        if (!with_shx) fs::remove(part(stem, ".shx"));
                        patch(part(stem, spot.ext), spot.offset, {value});
                        geo::import::ImportOptions options;
                        options.path = part(stem, ".shp").string();
                        options.layer = "sweep";
                        try {
                            geo::import::import_file(*store, options);
                            ++imported;
                        } catch (const geo::Error&) {
                            ++refused;
                        }
                    }
                }
            }
            const auto problems = store->check();
            for (const auto& p : problems) std::fprintf(stderr, "check: %s\n", p.c_str());
            std::printf("%d imported, %d refused\n", imported, refused);
            return problems.empty() ? 0 : 1;
        },
        limits);
    EXPECT_FALSE(r.killed_for_memory) << "memory passed 1 GiB";
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("refused"), std::string::npos) << r.out;
    std::printf("%s", r.out.c_str());
}

}  // namespace
