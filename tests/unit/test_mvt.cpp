// Tile math and the MVT encoder: decoded by GDAL's MVT driver for what a map client sees, and
// by a minimal protobuf reader here for the command structure the MVT 2.1 spec requires.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <protozero/pbf_reader.hpp>

#include "capi/gdal.hpp"
#include "geo/error.hpp"
#include "geo/tiles/tile.hpp"

namespace {

using geo::Feature;
using geo::Field;
using geo::FieldType;
using geo::Value;
using geo::tiles::encode_mvt;
using geo::tiles::MvtLayerInput;
using geo::tiles::MvtOptions;
using geo::tiles::TileId;

constexpr double k_half_world = 20037508.342789244;
constexpr double k_radius = 6378137.0;

// Lujiazui, Shanghai: lon 121.5, lat 31.24 lies in these tiles.
constexpr TileId k_lujiazui_z14{14, 13721, 6694};
constexpr TileId k_lujiazui_z16{16, 54886, 26776};

double tile_size_m(const TileId& t) { return 2 * k_half_world / std::ldexp(1.0, t.z); }

// ---------------------------------------------------------------------------------------------
// Input: WKB written by hand, positions given in tile units of a tile.

struct Pt {
    double x;
    double y;
};
using Ring = std::vector<Pt>;

// Tile units (x right, y down) → lon/lat, the inverse of what the encoder does.
Pt lonlat_of(const TileId& t, Pt p, double extent = 4096) {
    const double size = tile_size_m(t);
    const double mx = -k_half_world + t.x * size + p.x / extent * size;
    const double my = k_half_world - t.y * size - p.y / extent * size;
    return {
        mx / k_radius * 180 / std::numbers::pi,
        (2 * std::atan(std::exp(my / k_radius)) - std::numbers::pi / 2) * 180 / std::numbers::pi};
}

class Wkb {
  public:
    Wkb& u8(std::uint8_t v) {
        bytes.push_back(v);
        return *this;
    }
    Wkb& u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<unsigned char>(v >> (8 * i)));
        return *this;
    }
    Wkb& f64(double v) {
        unsigned char b[8];
        std::memcpy(b, &v, 8);
        bytes.insert(bytes.end(), b, b + 8);
        return *this;
    }
    Wkb& header(std::uint32_t type) { return u8(1).u32(type); }
    Wkb& lonlat(Pt p) { return f64(p.x).f64(p.y); }
    Wkb& point(const TileId& t, Pt p) { return lonlat(lonlat_of(t, p)); }
    Wkb& points(const TileId& t, const Ring& pts) {
        u32(static_cast<std::uint32_t>(pts.size()));
        for (const Pt& p : pts) point(t, p);
        return *this;
    }
    Wkb& ring(const TileId& t, Ring r) {
        r.push_back(r.front());
        return points(t, r);
    }
    Wkb& polygon(const TileId& t, const std::vector<Ring>& rings) {
        header(3).u32(static_cast<std::uint32_t>(rings.size()));
        for (const Ring& r : rings) ring(t, r);
        return *this;
    }
    std::vector<unsigned char> bytes;
};

std::vector<unsigned char> point_wkb(const TileId& t, Pt p) {
    return Wkb{}.header(1).point(t, p).bytes;
}
std::vector<unsigned char> line_wkb(const TileId& t, const Ring& pts) {
    return Wkb{}.header(2).points(t, pts).bytes;
}
std::vector<unsigned char> polygon_wkb(const TileId& t, const std::vector<Ring>& rings) {
    return Wkb{}.polygon(t, rings).bytes;
}
Ring square(double x, double y, double size) {
    return {{x, y}, {x + size, y}, {x + size, y + size}, {x, y + size}};
}

Feature feature(std::int64_t fid, std::vector<unsigned char> wkb, std::vector<Value> values = {}) {
    Feature f;
    f.fid = fid;
    f.wkb = std::move(wkb);
    f.values = std::move(values);
    return f;
}

// ---------------------------------------------------------------------------------------------
// A minimal decoder of our own, on protozero's reader.

struct RawValue {
    std::uint32_t tag = 0;  // which Value field was set
    std::string text;
    double real = 0;
    std::int64_t integer = 0;
};

struct RawFeature {
    std::optional<std::uint64_t> id;
    std::vector<std::uint32_t> tags;
    std::uint32_t type = 0;
    std::vector<std::uint32_t> geometry;
};

struct RawLayer {
    std::uint32_t version = 1;
    std::string name;
    std::uint32_t extent = 4096;
    std::vector<std::string> keys;
    std::vector<RawValue> values;
    std::vector<RawFeature> features;
};

RawValue decode_value(protozero::pbf_reader msg) {
    RawValue v;
    while (msg.next()) {
        v.tag = msg.tag();
        switch (msg.tag()) {
            case 1:
                v.text = msg.get_string();
                break;
            case 2:
                v.real = msg.get_float();
                break;
            case 3:
                v.real = msg.get_double();
                break;
            case 4:
                v.integer = msg.get_int64();
                break;
            case 5:
                v.integer = static_cast<std::int64_t>(msg.get_uint64());
                break;
            case 6:
                v.integer = msg.get_sint64();
                break;
            case 7:
                v.integer = msg.get_bool();
                break;
            default:
                msg.skip();
        }
    }
    return v;
}

RawFeature decode_feature(protozero::pbf_reader msg) {
    RawFeature f;
    while (msg.next()) {
        switch (msg.tag()) {
            case 1:
                f.id = msg.get_uint64();
                break;
            case 2: {
                const auto r = msg.get_packed_uint32();
                f.tags.assign(r.begin(), r.end());
                break;
            }
            case 3:
                f.type = static_cast<std::uint32_t>(msg.get_enum());
                break;
            case 4: {
                const auto r = msg.get_packed_uint32();
                f.geometry.assign(r.begin(), r.end());
                break;
            }
            default:
                msg.skip();
        }
    }
    return f;
}

std::vector<RawLayer> decode_raw(const std::string& tile) {
    std::vector<RawLayer> layers;
    protozero::pbf_reader msg{tile};
    while (msg.next()) {
        if (msg.tag() != 3) {
            msg.skip();
            continue;
        }
        RawLayer l;
        protozero::pbf_reader lm = msg.get_message();
        while (lm.next()) {
            switch (lm.tag()) {
                case 15:
                    l.version = lm.get_uint32();
                    break;
                case 1:
                    l.name = lm.get_string();
                    break;
                case 2:
                    l.features.push_back(decode_feature(lm.get_message()));
                    break;
                case 3:
                    l.keys.push_back(lm.get_string());
                    break;
                case 4:
                    l.values.push_back(decode_value(lm.get_message()));
                    break;
                case 5:
                    l.extent = lm.get_uint32();
                    break;
                default:
                    lm.skip();
            }
        }
        layers.push_back(std::move(l));
    }
    return layers;
}

using IPt = std::pair<std::int64_t, std::int64_t>;
using Part = std::vector<IPt>;

std::int64_t zigzag(std::uint32_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Decodes a feature's commands into parts (points: one part), checking the structure MVT 2.1
// asks for: MoveTo first, MoveTo(1) LineTo(n) [ClosePath] per line or ring, no zero-length
// LineTo, every coordinate within the tile plus buffer.
std::vector<Part> decode_geometry(const RawFeature& f, std::int64_t extent, std::int64_t buffer) {
    std::vector<Part> parts;
    const auto& g = f.geometry;
    std::int64_t x = 0;
    std::int64_t y = 0;
    std::uint32_t previous = 0;  // previous command id
    std::size_t i = 0;
    const auto next_point = [&]() -> bool {
        if (i + 2 > g.size()) {
            ADD_FAILURE() << "command parameters run past the end";
            return false;
        }
        x += zigzag(g[i++]);
        y += zigzag(g[i++]);
        EXPECT_GE(x, -buffer);
        EXPECT_LE(x, extent + buffer);
        EXPECT_GE(y, -buffer);
        EXPECT_LE(y, extent + buffer);
        return true;
    };
    EXPECT_FALSE(g.empty());
    while (i < g.size()) {
        const std::uint32_t id = g[i] & 7;
        const std::uint32_t count = g[i] >> 3;
        ++i;
        if (previous == 0) {
            EXPECT_EQ(id, 1u) << "the first command must be MoveTo";
        }
        EXPECT_GE(count, 1u);
        if (id == 1) {
            if (f.type == 1) {
                EXPECT_EQ(previous, 0u) << "a point feature has one MoveTo";
                parts.emplace_back();
            } else {
                EXPECT_EQ(count, 1u);
                EXPECT_TRUE(previous == 0 || previous == (f.type == 2 ? 2u : 7u));
                parts.emplace_back();
            }
            for (std::uint32_t k = 0; k < count; ++k) {
                if (!next_point()) return parts;
                parts.back().emplace_back(x, y);
            }
        } else if (id == 2) {
            EXPECT_NE(f.type, 1u);
            EXPECT_EQ(previous, 1u) << "LineTo follows MoveTo";
            if (f.type == 3) {
                EXPECT_GE(count, 2u) << "a ring has at least three points";
            }
            for (std::uint32_t k = 0; k < count; ++k) {
                const IPt before{x, y};
                if (!next_point()) return parts;
                EXPECT_NE(before, IPt(x, y)) << "zero-length LineTo";
                if (!parts.empty()) parts.back().emplace_back(x, y);
            }
        } else if (id == 7) {
            EXPECT_EQ(f.type, 3u) << "ClosePath only in polygons";
            EXPECT_EQ(count, 1u);
            EXPECT_EQ(previous, 2u) << "ClosePath follows LineTo";
        } else {
            ADD_FAILURE() << "unknown command " << id;
            return parts;
        }
        previous = id;
    }
    if (f.type == 2) {
        EXPECT_EQ(previous, 2u) << "a line ends with LineTo";
    } else if (f.type == 3) {
        EXPECT_EQ(previous, 7u) << "a ring ends with ClosePath";
    }
    return parts;
}

// The MVT spec's surveyor's formula: positive for exterior rings (clockwise with y down).
std::int64_t area2(const Part& ring) {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const IPt& a = ring[i];
        const IPt& b = ring[(i + 1) % ring.size()];
        s += a.first * b.second - b.first * a.second;
    }
    return s;
}

// Checks every feature of every layer and returns the tile decoded.
std::vector<RawLayer> decode_checked(const std::string& tile, const MvtOptions& o = {}) {
    auto layers = decode_raw(tile);
    for (const RawLayer& l : layers) {
        EXPECT_EQ(l.version, 2u);
        EXPECT_EQ(l.extent, o.extent);
        EXPECT_FALSE(l.features.empty()) << "layer " << l.name << " written with no feature";
        for (const RawFeature& f : l.features) {
            EXPECT_TRUE(f.type >= 1 && f.type <= 3);
            EXPECT_EQ(f.tags.size() % 2, 0u);
            for (std::size_t k = 0; k < f.tags.size(); k += 2) {
                EXPECT_LT(f.tags[k], l.keys.size());
                EXPECT_LT(f.tags[k + 1], l.values.size());
            }
            const auto parts = decode_geometry(f, o.extent, o.buffer);
            if (f.type == 3 && !parts.empty()) {
                EXPECT_GT(area2(parts.front()), 0) << "the first ring must be exterior";
                for (const Part& ring : parts) EXPECT_NE(area2(ring), 0);
            }
        }
    }
    return layers;
}

// ---------------------------------------------------------------------------------------------
// GDAL's MVT driver, reading the tile as a client would.

class GdalTile {
  public:
    GdalTile(const std::string& bytes, const TileId& t) {
        geo::capi::ensure_gdal();
        static std::atomic<int> counter{0};
        m_path = "/vsimem/test_mvt_" + std::to_string(counter++) + "/" + std::to_string(t.z) + "/" +
                 std::to_string(t.x) + "/" + std::to_string(t.y) + ".pbf";
        VSIFCloseL(VSIFileFromMemBuffer(m_path.c_str(),
                                        reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
                                        static_cast<vsi_l_offset>(bytes.size()), FALSE));
        const std::string x = "X=" + std::to_string(t.x);
        const std::string y = "Y=" + std::to_string(t.y);
        const std::string z = "Z=" + std::to_string(t.z);
        // CLIP=NO: the buffer GDAL would cut away is what some tests look at.
        const char* const options[] = {x.c_str(), y.c_str(), z.c_str(), "CLIP=NO", nullptr};
        const char* const drivers[] = {"MVT", nullptr};
        m_ds.reset(GDALDataset::Open(m_path.c_str(), GDAL_OF_VECTOR, drivers, options, nullptr));
    }
    ~GdalTile() {
        m_ds.reset();
        VSIUnlink(m_path.c_str());
    }
    GdalTile(const GdalTile&) = delete;
    GdalTile& operator=(const GdalTile&) = delete;

    GDALDataset* ds() const { return m_ds.get(); }
    std::vector<std::string> layer_names() const {
        std::vector<std::string> names;
        for (auto* l : m_ds->GetLayers()) names.emplace_back(l->GetName());
        return names;
    }
    std::vector<OGRFeatureUniquePtr> features(const std::string& layer) const {
        std::vector<OGRFeatureUniquePtr> out;
        OGRLayer* l = m_ds->GetLayerByName(layer.c_str());
        if (!l) return out;
        l->ResetReading();
        while (auto f = OGRFeatureUniquePtr(l->GetNextFeature())) out.push_back(std::move(f));
        return out;
    }

  private:
    std::string m_path;
    GDALDatasetUniquePtr m_ds;
};

std::vector<OGRPoint> vertices(const OGRGeometry* g) {
    std::vector<OGRPoint> out;
    if (!g) return out;
    switch (wkbFlatten(g->getGeometryType())) {
        case wkbPoint:
            out.push_back(*g->toPoint());
            break;
        case wkbLineString:
        case wkbLinearRing:
            for (const auto& p : *g->toSimpleCurve()) out.push_back(p);
            break;
        case wkbPolygon:
            for (const auto* r : *g->toPolygon()) {
                for (const auto& p : *r) out.push_back(p);
            }
            break;
        default:
            if (OGR_GT_IsSubClassOf(g->getGeometryType(), wkbGeometryCollection)) {
                for (const auto* part : *g->toGeometryCollection()) {
                    const auto v = vertices(part);
                    out.insert(out.end(), v.begin(), v.end());
                }
            }
    }
    return out;
}

Pt mercator(const TileId& t, Pt tile_units) {
    const Pt ll = lonlat_of(t, tile_units);
    double x = 0;
    double y = 0;
    geo::tiles::lonlat_to_mercator(ll.x, ll.y, x, y);
    return {x, y};
}

// ---------------------------------------------------------------------------------------------
// Tile math

TEST(TileMath, WorldTile) {
    const geo::BBox b = geo::tiles::bounds_mercator({0, 0, 0});
    EXPECT_NEAR(b.minx, -20037508.34, 0.01);
    EXPECT_NEAR(b.maxx, 20037508.34, 0.01);
    EXPECT_NEAR(b.miny, -20037508.34, 0.01);
    EXPECT_NEAR(b.maxy, 20037508.34, 0.01);
    const geo::BBox w = geo::tiles::bounds_wgs84({0, 0, 0});
    EXPECT_DOUBLE_EQ(w.minx, -180);
    EXPECT_DOUBLE_EQ(w.maxx, 180);
    EXPECT_NEAR(w.maxy, 85.0511287798, 1e-9);
    EXPECT_NEAR(w.miny, -85.0511287798, 1e-9);
}

TEST(TileMath, LujiazuiZ16ContainsItsPoint) {
    const double lon = 121.5;
    const double lat = 31.24;
    const TileId t = k_lujiazui_z16;
    const geo::BBox w = geo::tiles::bounds_wgs84(t);
    EXPECT_LE(w.minx, lon);
    EXPECT_GT(w.maxx, lon);
    EXPECT_LE(w.miny, lat);
    EXPECT_GT(w.maxy, lat);

    double x = 0;
    double y = 0;
    geo::tiles::lonlat_to_mercator(lon, lat, x, y);
    const geo::BBox m = geo::tiles::bounds_mercator(t);
    EXPECT_LE(m.minx, x);
    EXPECT_GT(m.maxx, x);
    EXPECT_LE(m.miny, y);
    EXPECT_GT(m.maxy, y);
    EXPECT_NEAR(m.maxx - m.minx, 611.4962, 1e-3);
    EXPECT_NEAR(m.maxy - m.miny, 611.4962, 1e-3);
    // Neighbours do not contain it.
    const geo::BBox east = geo::tiles::bounds_mercator({16, t.x + 1, t.y});
    EXPECT_GT(east.minx, x);
    const geo::BBox south = geo::tiles::bounds_mercator({16, t.x, t.y + 1});
    EXPECT_LT(south.maxy, y);
}

TEST(TileMath, LonLatToMercator) {
    double x = 0;
    double y = 0;
    geo::tiles::lonlat_to_mercator(180, 0, x, y);
    EXPECT_NEAR(x, k_half_world, 1e-6);
    EXPECT_NEAR(y, 0, 1e-6);
    geo::tiles::lonlat_to_mercator(-180, 90, x, y);  // clamped to the square world
    EXPECT_NEAR(x, -k_half_world, 1e-6);
    EXPECT_NEAR(y, k_half_world, 0.01);
    geo::tiles::lonlat_to_mercator(0, -90, x, y);
    EXPECT_NEAR(y, -k_half_world, 0.01);
    // `echo 31.24 121.5 | cs2cs -f %.4f EPSG:4326 EPSG:3857`
    geo::tiles::lonlat_to_mercator(121.5, 31.24, x, y);
    EXPECT_NEAR(x, 13525318.1314, 1e-3);
    EXPECT_NEAR(y, 3663957.0931, 1e-3);
}

TEST(TileMath, IsValid) {
    using geo::tiles::is_valid;
    EXPECT_TRUE(is_valid({0, 0, 0}));
    EXPECT_FALSE(is_valid({0, 1, 0}));
    EXPECT_FALSE(is_valid({0, 0, 1}));
    EXPECT_TRUE(is_valid({1, 1, 1}));
    EXPECT_FALSE(is_valid({1, 2, 0}));
    EXPECT_TRUE(is_valid({16, 65535, 65535}));
    EXPECT_FALSE(is_valid({16, 65536, 0}));
    EXPECT_FALSE(is_valid({16, 0, 65536}));
    EXPECT_TRUE(is_valid({24, (1u << 24) - 1, 0}));
    EXPECT_FALSE(is_valid({24, 1u << 24, 0}));
    EXPECT_FALSE(is_valid({25, 0, 0}));
    EXPECT_FALSE(is_valid({-1, 0, 0}));
    EXPECT_FALSE(is_valid({std::numeric_limits<int>::max(), 0, 0}));
    EXPECT_TRUE(is_valid(k_lujiazui_z14));
}

// ---------------------------------------------------------------------------------------------
// Encoding, read back by GDAL

TEST(Mvt, AttributesIdsAndTypesAsGdalReadsThem) {
    const TileId t = k_lujiazui_z16;
    MvtLayerInput stations;
    stations.name = "stations";
    stations.fields = {{"name", FieldType::text, ""},
                       {"households", FieldType::integer, ""},
                       {"floor_area_m2", FieldType::real, ""},
                       {"note", FieldType::text, ""}};
    const Pt p1{1000.3, 2000.7};
    const Pt p2{3000, 500};
    stations.features.push_back(feature(17, point_wkb(t, p1),
                                        {std::string("陆家嘴社区党群服务中心"),
                                         std::int64_t{1234567890123}, 150.5, std::monostate{}}));
    stations.features.push_back(
        feature(-5, point_wkb(t, p2),
                {std::string("卫生服务站"), std::int64_t{-42}, 0.25, std::string("二楼")}));

    const std::string tile = encode_mvt(t, {stations});
    ASSERT_FALSE(tile.empty());
    decode_checked(tile);

    GdalTile gdal{tile, t};
    ASSERT_NE(gdal.ds(), nullptr);
    ASSERT_EQ(gdal.layer_names(), std::vector<std::string>{"stations"});
    OGRLayer* layer = gdal.ds()->GetLayerByName("stations");
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    const auto field_type = [&](const char* name) {
        const int i = defn->GetFieldIndex(name);
        EXPECT_GE(i, 0) << name;
        return i < 0 ? OFTMaxType : defn->GetFieldDefn(i)->GetType();
    };
    EXPECT_EQ(field_type("name"), OFTString);
    EXPECT_EQ(field_type("households"), OFTInteger64);
    EXPECT_EQ(field_type("floor_area_m2"), OFTReal);
    EXPECT_EQ(field_type("note"), OFTString);

    const auto features = gdal.features("stations");
    ASSERT_EQ(features.size(), 2u);
    const OGRFeature& a = *features[0];
    EXPECT_STREQ(a.GetFieldAsString("name"), "陆家嘴社区党群服务中心");
    EXPECT_EQ(a.GetFieldAsInteger64("households"), 1234567890123);
    EXPECT_DOUBLE_EQ(a.GetFieldAsDouble("floor_area_m2"), 150.5);
    EXPECT_FALSE(a.IsFieldSetAndNotNull(defn->GetFieldIndex("note"))) << "null is left out";
    EXPECT_EQ(a.GetFieldAsInteger64("mvt_id"), 17);

    const OGRFeature& b = *features[1];
    EXPECT_STREQ(b.GetFieldAsString("name"), "卫生服务站");
    EXPECT_EQ(b.GetFieldAsInteger64("households"), -42);
    EXPECT_DOUBLE_EQ(b.GetFieldAsDouble("floor_area_m2"), 0.25);
    EXPECT_STREQ(b.GetFieldAsString("note"), "二楼");
    EXPECT_FALSE(b.IsFieldSetAndNotNull(defn->GetFieldIndex("mvt_id"))) << "negative fid: no id";

    // Positions: within one tile unit of the input, in EPSG:3857.
    const double unit = tile_size_m(t) / 4096;
    for (const auto& [f, p] : {std::pair{&a, p1}, std::pair{&b, p2}}) {
        const auto v = vertices(f->GetGeometryRef());
        ASSERT_EQ(v.size(), 1u);
        const Pt m = mercator(t, p);
        EXPECT_NEAR(v[0].getX(), m.x, unit);
        EXPECT_NEAR(v[0].getY(), m.y, unit);
    }
    const OGRSpatialReference* srs = layer->GetSpatialRef();
    ASSERT_NE(srs, nullptr);
    EXPECT_STREQ(srs->GetAuthorityCode(nullptr), "3857");
}

TEST(Mvt, LayersPolygonsAndLinesAsGdalReadsThem) {
    const TileId t = k_lujiazui_z14;
    const double unit = tile_size_m(t) / 4096;
    const geo::BBox tile = geo::tiles::bounds_mercator(t);

    MvtLayerInput buildings{"buildings", {{"name", FieldType::text, ""}}, {}};
    const Ring outer{{100.2, 100.4}, {900.6, 120.1}, {880.3, 700.9}, {90.7, 650.2}};
    const Ring hole{{300, 300}, {300, 400}, {400, 400}, {400, 300}};
    buildings.features.push_back(
        feature(1, polygon_wkb(t, {outer, hole}), {std::string("东方明珠")}));
    // Crosses the western edge: kept up to the buffer.
    buildings.features.push_back(
        feature(2, polygon_wkb(t, {square(-500, 1000, 800)}), {std::string("a")}));

    MvtLayerInput roads{"roads", {}, {}};
    roads.features.push_back(
        feature(10, line_wkb(t, {{10.5, 20.5}, {2000.2, 2100.8}, {4000, 10}})));

    MvtLayerInput elsewhere{"elsewhere", {}, {}};
    elsewhere.features.push_back(feature(1, polygon_wkb(t, {square(9000, 9000, 100)})));

    const std::string tile_bytes = encode_mvt(t, {buildings, elsewhere, roads});
    const auto raw = decode_checked(tile_bytes);
    ASSERT_EQ(raw.size(), 2u) << "a layer with no feature left is omitted";

    GdalTile gdal{tile_bytes, t};
    ASSERT_NE(gdal.ds(), nullptr);
    EXPECT_EQ(gdal.layer_names(), (std::vector<std::string>{"buildings", "roads"}));

    const auto b = gdal.features("buildings");
    ASSERT_EQ(b.size(), 2u);
    {
        const OGRGeometry* g = b[0]->GetGeometryRef();
        ASSERT_NE(g, nullptr);
        // GDAL reads a polygon layer as MultiPolygon.
        if (wkbFlatten(g->getGeometryType()) == wkbMultiPolygon) {
            ASSERT_EQ(g->toMultiPolygon()->getNumGeometries(), 1) << "one polygon with its hole";
            g = g->toMultiPolygon()->getGeometryRef(0);
        }
        ASSERT_EQ(wkbFlatten(g->getGeometryType()), wkbPolygon);
        EXPECT_EQ(g->toPolygon()->getNumInteriorRings(), 1);
        // Every input vertex comes back within one tile unit, and nothing else.
        std::vector<Pt> expected;
        for (const Pt& p : outer) expected.push_back(mercator(t, p));
        for (const Pt& p : hole) expected.push_back(mercator(t, p));
        const auto got = vertices(g);
        EXPECT_EQ(got.size(), expected.size() + 2) << "two closed rings";
        for (const Pt& e : expected) {
            const bool found = std::any_of(got.begin(), got.end(), [&](const OGRPoint& p) {
                return std::abs(p.getX() - e.x) <= unit && std::abs(p.getY() - e.y) <= unit;
            });
            EXPECT_TRUE(found) << e.x << " " << e.y;
        }
        EXPECT_NEAR(
            g->toPolygon()->get_Area(),
            (std::abs(area2({{100, 100}, {901, 120}, {880, 701}, {91, 650}})) / 2.0 - 100 * 100) *
                unit * unit,
            1000 * unit * unit);
        EXPECT_STREQ(b[0]->GetFieldAsString("name"), "东方明珠");
    }
    {
        OGREnvelope e;
        b[1]->GetGeometryRef()->getEnvelope(&e);
        EXPECT_NEAR(e.MinX, tile.minx - 64 * unit, unit * 0.01) << "clipped at the buffer";
        EXPECT_NEAR(e.MaxX, tile.minx + 300 * unit, unit * 0.01);
        EXPECT_NEAR(e.MaxY, tile.maxy - 1000 * unit, unit * 0.01);
        EXPECT_NEAR(e.MinY, tile.maxy - 1800 * unit, unit * 0.01);
    }

    const auto r = gdal.features("roads");
    ASSERT_EQ(r.size(), 1u);
    const auto rv = vertices(r[0]->GetGeometryRef());
    ASSERT_EQ(rv.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        const Pt e = mercator(t, std::vector<Pt>{{10.5, 20.5}, {2000.2, 2100.8}, {4000, 10}}[i]);
        EXPECT_NEAR(rv[i].getX(), e.x, unit);
        EXPECT_NEAR(rv[i].getY(), e.y, unit);
    }
    EXPECT_EQ(r[0]->GetFieldAsInteger64("mvt_id"), 10);
}

// ---------------------------------------------------------------------------------------------
// Geometry rules, checked on the raw tile

struct Decoded {
    std::uint32_t type;
    std::vector<Part> parts;
};

// Encodes one feature in one layer and decodes what is left of it.
std::optional<Decoded> encode_one(const TileId& t, std::vector<unsigned char> wkb,
                                  const MvtOptions& o = {}) {
    MvtLayerInput layer{"l", {}, {}};
    layer.features.push_back(feature(1, std::move(wkb)));
    const std::string tile = encode_mvt(t, {layer}, o);
    if (tile.empty()) return std::nullopt;
    const auto raw = decode_checked(tile, o);
    if (raw.size() != 1 || raw[0].features.size() != 1) {
        ADD_FAILURE() << "expected one feature";
        return std::nullopt;
    }
    return Decoded{raw[0].features[0].type,
                   decode_geometry(raw[0].features[0], o.extent, o.buffer)};
}

TEST(Mvt, ExteriorClockwiseHolesCounterClockwise) {
    const TileId t = k_lujiazui_z16;
    // Input wound both ways round: the output is always exterior > 0, hole < 0.
    for (const bool reverse_input : {false, true}) {
        Ring outer = square(100, 100, 1000);
        Ring hole = square(400, 400, 200);
        if (reverse_input) {
            std::reverse(outer.begin(), outer.end());
        } else {
            std::reverse(hole.begin(), hole.end());
        }
        const auto d = encode_one(t, polygon_wkb(t, {outer, hole}));
        ASSERT_TRUE(d);
        EXPECT_EQ(d->type, 3u);
        ASSERT_EQ(d->parts.size(), 2u);
        EXPECT_EQ(area2(d->parts[0]), 2 * 1000 * 1000);
        EXPECT_EQ(area2(d->parts[1]), -2 * 200 * 200);
    }
}

TEST(Mvt, MultiPolygonWithDroppedPartsAndHoles) {
    const TileId t = k_lujiazui_z16;
    Wkb w;
    w.header(6).u32(3);
    w.polygon(t, {square(100, 100, 500), square(200, 200, 100)});
    // Outside: its hole goes with it.
    w.polygon(t, {square(5000, 100, 500), square(5100, 200, 100)});
    // A hole smaller than min_area is left out.
    w.polygon(t, {square(1000, 1000, 500), square(1100, 1100, 1)});
    const auto d = encode_one(t, w.bytes);
    ASSERT_TRUE(d);
    ASSERT_EQ(d->parts.size(), 3u);
    EXPECT_GT(area2(d->parts[0]), 0);
    EXPECT_LT(area2(d->parts[1]), 0);
    EXPECT_EQ(area2(d->parts[2]), 2 * 500 * 500);
}

TEST(Mvt, ClippedToTheBuffer) {
    const TileId t = k_lujiazui_z16;
    MvtOptions o;
    o.buffer = 16;
    // A polygon bigger than the tile becomes the buffered square.
    const auto big = encode_one(t, polygon_wkb(t, {square(-3000, -3000, 10000)}), o);
    ASSERT_TRUE(big);
    ASSERT_EQ(big->parts.size(), 1u);
    EXPECT_EQ(big->parts[0].size(), 4u);
    EXPECT_EQ(area2(big->parts[0]), 2 * (4096 + 32) * (4096 + 32));
    for (const IPt& p : big->parts[0]) {
        EXPECT_TRUE(p.first == -16 || p.first == 4112);
        EXPECT_TRUE(p.second == -16 || p.second == 4112);
    }
    // A line leaving and coming back is cut in two.
    const auto line =
        encode_one(t, line_wkb(t, {{100, 100}, {5000, 100}, {5000, 200}, {100, 200}}), o);
    ASSERT_TRUE(line);
    EXPECT_EQ(line->type, 2u);
    ASSERT_EQ(line->parts.size(), 2u);
    EXPECT_EQ(line->parts[0], (Part{{100, 100}, {4112, 100}}));
    EXPECT_EQ(line->parts[1], (Part{{4112, 200}, {100, 200}}));
    // A line passing by outside leaves nothing.
    EXPECT_FALSE(encode_one(t, line_wkb(t, {{-100, -100}, {5000, -100}}), o));
    // A triangle cut at a corner.
    const auto corner =
        encode_one(t, polygon_wkb(t, {{{-100, -100}, {200, -100}, {-100, 200}}}), o);
    ASSERT_TRUE(corner);
    for (const IPt& p : corner->parts[0]) {
        EXPECT_GE(p.first, -16);
        EXPECT_GE(p.second, -16);
    }
}

TEST(Mvt, PointsInsideTheBufferOnly) {
    const TileId t = k_lujiazui_z16;
    Wkb w;
    w.header(4).u32(4);
    for (const Pt p : {Pt{10, 10}, Pt{-70, 10}, Pt{4100, 4150}, Pt{2000.4, 3000.6}}) {
        w.header(1).point(t, p);
    }
    const auto d = encode_one(t, w.bytes);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->type, 1u);
    ASSERT_EQ(d->parts.size(), 1u);
    EXPECT_EQ(d->parts[0], (Part{{10, 10}, {4100, 4150}, {2000, 3001}}));
    EXPECT_FALSE(encode_one(t, point_wkb(t, {-64.2, 100})));
    const auto edge = encode_one(t, point_wkb(t, {-63.8, 100}));
    ASSERT_TRUE(edge);
    EXPECT_EQ(edge->parts[0], (Part{{-64, 100}}));
}

TEST(Mvt, TooSmallToSeeIsDropped) {
    const TileId t = k_lujiazui_z16;
    EXPECT_FALSE(encode_one(t, polygon_wkb(t, {square(100, 100, 1.5)}))) << "2.25 units² < 4";
    EXPECT_TRUE(encode_one(t, polygon_wkb(t, {square(100, 100, 2.5)})));
    EXPECT_FALSE(encode_one(t, line_wkb(t, {{100, 100}, {101.5, 100}}))) << "1.5 units < 2";
    EXPECT_TRUE(encode_one(t, line_wkb(t, {{100, 100}, {103, 100}})));
    EXPECT_TRUE(encode_one(t, point_wkb(t, {100, 100}))) << "points are always kept";
    // Collapsed by rounding: a sliver has no area left.
    EXPECT_FALSE(encode_one(t, polygon_wkb(t, {{{100, 100}, {900, 100.2}, {100, 100.3}}})));
    // The threshold is in units of extent 4096: at extent 512 one unit is 64 of them.
    MvtOptions small;
    small.extent = 512;
    const TileId tt = k_lujiazui_z16;
    const auto d = encode_one(tt,
                              Wkb{}
                                  .header(3)
                                  .u32(1)
                                  .u32(5)
                                  .lonlat(lonlat_of(tt, {100, 100}, 512))
                                  .lonlat(lonlat_of(tt, {101, 100}, 512))
                                  .lonlat(lonlat_of(tt, {101, 101}, 512))
                                  .lonlat(lonlat_of(tt, {100, 101}, 512))
                                  .lonlat(lonlat_of(tt, {100, 100}, 512))
                                  .bytes,
                              small);
    ASSERT_TRUE(d);
    EXPECT_EQ(area2(d->parts[0]), 2);
    // No threshold at all.
    MvtOptions none;
    none.min_area_units = 0;
    EXPECT_TRUE(encode_one(t, polygon_wkb(t, {square(100, 100, 1)}), none));
}

TEST(Mvt, CollinearAndRepeatedPointsAreRemoved) {
    const TileId t = k_lujiazui_z16;
    // A square with midpoints, a repeated corner and a spike along an edge.
    const Ring ring{{100, 100}, {200, 100}, {300, 100}, {300, 100.2}, {300, 200},
                    {300, 300}, {200, 300}, {250, 300}, {100, 300},   {100, 200}};
    const auto d = encode_one(t, polygon_wkb(t, {ring}));
    ASSERT_TRUE(d);
    ASSERT_EQ(d->parts.size(), 1u);
    EXPECT_EQ(d->parts[0].size(), 4u);
    EXPECT_EQ(area2(d->parts[0]), 2 * 200 * 200);
    // The seam of the ring too: its first point lies mid-edge.
    const auto seam = encode_one(
        t, polygon_wkb(t, {{{200, 100}, {300, 100}, {300, 300}, {100, 300}, {100, 100}}}));
    ASSERT_TRUE(seam);
    EXPECT_EQ(seam->parts[0].size(), 4u);
    // Lines keep a turn back, but not a point between its neighbours.
    const auto line = encode_one(t, line_wkb(t, {{100, 100}, {200, 100}, {300, 100}, {150, 100}}));
    ASSERT_TRUE(line);
    EXPECT_EQ(line->parts[0], (Part{{100, 100}, {300, 100}, {150, 100}}));
}

TEST(Mvt, LongLinesAreSimplified) {
    const TileId t = k_lujiazui_z16;
    // A straight line with sub-unit wobble: Douglas–Peucker leaves its ends.
    Ring wobbly;
    for (int i = 0; i <= 1000; ++i) wobbly.push_back({100 + i * 3.0, 500 + (i % 2) * 0.3});
    const auto d = encode_one(t, line_wkb(t, wobbly));
    ASSERT_TRUE(d);
    ASSERT_EQ(d->parts.size(), 1u);
    EXPECT_EQ(d->parts[0], (Part{{100, 500}, {3100, 500}}));
    // A circle keeps its shape within a unit.
    Ring circle;
    for (int i = 0; i < 720; ++i) {
        const double a = i * std::numbers::pi / 360;
        circle.push_back({2048 + 1000 * std::cos(a), 2048 + 1000 * std::sin(a)});
    }
    const auto c = encode_one(t, polygon_wkb(t, {circle}));
    ASSERT_TRUE(c);
    EXPECT_LT(c->parts[0].size(), 200u);
    EXPECT_GT(c->parts[0].size(), 40u);
    for (const IPt& p : c->parts[0]) {
        EXPECT_NEAR(std::hypot(p.first - 2048.0, p.second - 2048.0), 1000, 1.2);
    }
    EXPECT_NEAR(area2(c->parts[0]) / 2.0, std::numbers::pi * 1000 * 1000,
                2 * std::numbers::pi * 1000);
}

TEST(Mvt, GeometryCollectionKeepsItsFirstMembersFamily) {
    const TileId t = k_lujiazui_z16;
    Wkb w;
    w.header(7).u32(3);
    w.polygon(t, {square(100, 100, 100)});
    w.header(1).point(t, {50, 50});
    w.header(6).u32(1).polygon(t, {square(1000, 1000, 100)});
    const auto d = encode_one(t, w.bytes);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->type, 3u);
    EXPECT_EQ(d->parts.size(), 2u);
}

TEST(Mvt, OtherWkbFlavoursAreRead) {
    const TileId t = k_lujiazui_z16;
    // Big-endian.
    const Pt ll = lonlat_of(t, {100, 200});
    std::vector<unsigned char> be = {0, 0, 0, 0, 1};
    for (const double v : {ll.x, ll.y}) {
        unsigned char b[8];
        std::memcpy(b, &v, 8);
        for (int i = 7; i >= 0; --i) be.push_back(b[i]);
    }
    const auto d = encode_one(t, be);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->parts[0], (Part{{100, 200}}));
    // ISO Point Z.
    const auto z = encode_one(t, Wkb{}.header(1001).point(t, {300, 400}).f64(12.5).bytes);
    ASSERT_TRUE(z);
    EXPECT_EQ(z->parts[0], (Part{{300, 400}}));
    // An empty point (NaN NaN) is nothing; in a MultiPoint it is skipped.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_FALSE(encode_one(t, Wkb{}.header(1).f64(nan).f64(nan).bytes));
    const auto mp = encode_one(
        t, Wkb{}.header(4).u32(2).header(1).f64(nan).f64(nan).header(1).point(t, {5, 6}).bytes);
    ASSERT_TRUE(mp);
    EXPECT_EQ(mp->parts[0], (Part{{5, 6}}));
}

TEST(Mvt, MalformedWkbIsSkipped) {
    const TileId t = k_lujiazui_z16;
    const auto valid = polygon_wkb(t, {square(100, 100, 500), square(200, 200, 100)});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();

    std::vector<std::pair<std::string, std::vector<unsigned char>>> cases;
    for (std::size_t n = 0; n < valid.size(); ++n) {
        cases.emplace_back("truncated to " + std::to_string(n),
                           std::vector<unsigned char>(valid.begin(), valid.begin() + n));
    }
    auto with_trailing = valid;
    with_trailing.push_back(0);
    cases.emplace_back("trailing byte", with_trailing);
    auto bad_order = valid;
    bad_order[0] = 2;
    cases.emplace_back("byte order 2", bad_order);
    for (const std::uint32_t type : {0u, 8u, 17u, 1008u, 4003u, 0x80000003u, 0x20000003u}) {
        auto v = valid;
        std::memcpy(&v[1], &type, 4);
        cases.emplace_back("type " + std::to_string(type), v);
    }
    for (const std::uint32_t count : {0xFFFFFFFFu, 0x10000000u, 3u}) {
        auto rings = valid;
        std::memcpy(&rings[5], &count, 4);
        cases.emplace_back("ring count " + std::to_string(count), rings);
        auto points = valid;
        std::memcpy(&points[9], &count, 4);
        cases.emplace_back("point count " + std::to_string(count), points);
    }
    cases.emplace_back("line count huge", Wkb{}.header(2).u32(0x7FFFFFFF).f64(1).f64(2).bytes);
    cases.emplace_back("multi count huge", Wkb{}.header(6).u32(0xFFFFFFFF).bytes);
    for (const double v : {nan, inf, -inf, 1e308, 361.0}) {
        cases.emplace_back("coordinate " + std::to_string(v),
                           Wkb{}.header(2).u32(2).f64(121.5).f64(31.24).f64(v).f64(31.24).bytes);
    }
    cases.emplace_back("NaN latitude only", Wkb{}.header(1).f64(121.5).f64(nan).bytes);
    cases.emplace_back("line in a MultiPolygon",
                       Wkb{}.header(6).u32(1).header(2).points(t, {{1, 1}, {500, 500}}).bytes);
    Wkb nested;
    for (int i = 0; i < 20; ++i) nested.header(7).u32(1);
    nested.header(1).point(t, {10, 10});
    cases.emplace_back("nested 20 deep", nested.bytes);

    for (const auto& [what, wkb] : cases) {
        SCOPED_TRACE(what);
        MvtLayerInput layer{"l", {{"n", FieldType::integer, ""}}, {}};
        layer.features.push_back(feature(1, valid, {std::int64_t{1}}));
        layer.features.push_back(feature(2, wkb, {std::int64_t{2}}));
        const auto raw = decode_checked(encode_mvt(t, {layer}));
        ASSERT_EQ(raw.size(), 1u);
        ASSERT_EQ(raw[0].features.size(), 1u);
        EXPECT_EQ(raw[0].features[0].id, 1u);
        EXPECT_EQ(raw[0].values.size(), 1u) << "a skipped feature adds no value";
    }

    // Mutated bytes of a valid MultiPolygon: anything may come out, but a well-formed tile.
    Wkb mp;
    mp.header(6).u32(2);
    mp.polygon(t, {square(-100, -100, 600), square(0, 0, 100)});
    mp.polygon(t, {{{1000, 1000}, {5000, 1200}, {3000, 4500}, {1500, 3000}, {1200, 2000}}});
    std::mt19937 rng{42};
    for (int i = 0; i < 3000; ++i) {
        auto v = mp.bytes;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            v[rng() % v.size()] = static_cast<unsigned char>(rng());
        }
        if (rng() % 8 == 0) v.resize(rng() % v.size());
        MvtLayerInput layer{"l", {}, {}};
        layer.features.push_back(feature(i, std::move(v)));
        decode_checked(encode_mvt(t, {layer}));
    }
}

TEST(Mvt, ValuesAndKeysAreShared) {
    const TileId t = k_lujiazui_z16;
    MvtLayerInput layer{"buildings",
                        {{"use", FieldType::text, ""},
                         {"floors", FieldType::integer, ""},
                         {"unused", FieldType::real, ""}},
                        {}};
    for (int i = 0; i < 10; ++i) {
        layer.features.push_back(
            feature(i, point_wkb(t, {i * 100.0, 100}),
                    {std::string(i % 2 ? "住宅" : "商业"), std::int64_t{i % 3}, std::monostate{}}));
    }
    const auto raw = decode_checked(encode_mvt(t, {layer}));
    ASSERT_EQ(raw.size(), 1u);
    EXPECT_EQ(raw[0].keys, (std::vector<std::string>{"use", "floors"}));
    ASSERT_EQ(raw[0].values.size(), 5u);  // two texts, three integers
    EXPECT_EQ(raw[0].features.size(), 10u);
    for (const RawFeature& f : raw[0].features) EXPECT_EQ(f.tags.size(), 4u);
    // Types: text as string_value, non-negative integers as int_value, reals as double_value,
    // negative integers as sint_value.
    EXPECT_EQ(raw[0].values[0].tag, 1u);
    EXPECT_EQ(raw[0].values[1].tag, 4u);
    MvtLayerInput typed{"t", {{"a", FieldType::integer, ""}, {"b", FieldType::real, ""}}, {}};
    typed.features.push_back(feature(1, point_wkb(t, {1, 1}), {std::int64_t{-7}, 2.5}));
    const auto raw2 = decode_checked(encode_mvt(t, {typed}));
    ASSERT_EQ(raw2[0].values.size(), 2u);
    EXPECT_EQ(raw2[0].values[0].tag, 6u);
    EXPECT_EQ(raw2[0].values[0].integer, -7);
    EXPECT_EQ(raw2[0].values[1].tag, 3u);
    EXPECT_EQ(raw2[0].values[1].real, 2.5);
}

TEST(Mvt, NothingLeftGivesAnEmptyTile) {
    const TileId t = k_lujiazui_z16;
    EXPECT_EQ(encode_mvt(t, {}), "");
    EXPECT_EQ(encode_mvt(t, {MvtLayerInput{"empty", {}, {}}}), "");
    MvtLayerInput far{"far", {}, {}};
    far.features.push_back(feature(1, point_wkb(t, {-5000, 100})));
    far.features.push_back(feature(2, {}));
    EXPECT_EQ(encode_mvt(t, {far}), "");
}

TEST(Mvt, BadArgumentsThrow) {
    const auto code = [](auto&& f) {
        try {
            f();
        } catch (const geo::Error& e) {
            return e.code();
        }
        return geo::Errc::internal;
    };
    EXPECT_EQ(code([] { encode_mvt({25, 0, 0}, {}); }), geo::Errc::invalid_argument);
    EXPECT_EQ(code([] { encode_mvt({3, 8, 0}, {}); }), geo::Errc::invalid_argument);
    MvtOptions o;
    o.extent = 0;
    EXPECT_EQ(code([&] { encode_mvt({3, 1, 1}, {}, o); }), geo::Errc::invalid_argument);
    const std::vector<MvtLayerInput> twice{{"a", {}, {}}, {"a", {}, {}}};
    EXPECT_EQ(code([&] { encode_mvt({3, 1, 1}, twice); }), geo::Errc::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Timing, printed and not asserted: the benchmarks hold the real comparison.

double best_ms(const TileId& t, const std::vector<MvtLayerInput>& layers, std::size_t& bytes) {
    double best = std::numeric_limits<double>::infinity();
    for (int run = 0; run < 7; ++run) {
        const auto start = std::chrono::steady_clock::now();
        const std::string tile = encode_mvt(t, layers);
        const std::chrono::duration<double, std::milli> ms =
            std::chrono::steady_clock::now() - start;
        best = std::min(best, ms.count());
        bytes = tile.size();
    }
    return best;
}

MvtLayerInput building_grid(const TileId& t, int per_side, double spacing, double size) {
    MvtLayerInput layer{"buildings",
                        {{"name", FieldType::text, ""},
                         {"households", FieldType::integer, ""},
                         {"floors", FieldType::integer, ""},
                         {"area_m2", FieldType::real, ""}},
                        {}};
    for (int i = 0; i < per_side; ++i) {
        for (int j = 0; j < per_side; ++j) {
            const double x = 20 + i * spacing + (j % 7) * 0.37;
            const double y = 20 + j * spacing + (i % 5) * 0.41;
            const int n = i * per_side + j;
            layer.features.push_back(
                feature(n,
                        polygon_wkb(t, {{{x, y},
                                         {x + size, y + 0.3},
                                         {x + size - 0.2, y + size},
                                         {x + 0.1, y + size + 0.2}}}),
                        {std::string("楼栋") + std::to_string(n), std::int64_t{n % 120},
                         std::int64_t{n % 33}, 100.0 + n % 500}));
        }
    }
    return layer;
}

TEST(MvtTiming, SmallBuildings) {
    std::size_t bytes = 0;
    const std::vector<MvtLayerInput> z14{building_grid(k_lujiazui_z14, 100, 40, 16)};
    const double ms14 = best_ms(k_lujiazui_z14, z14, bytes);
    const auto raw = decode_raw(encode_mvt(k_lujiazui_z14, z14));
    ASSERT_EQ(raw.size(), 1u);
    EXPECT_EQ(raw[0].features.size(), 10000u);
    std::cout << "[ timing ] z14, 10,000 small polygons: " << ms14 << " ms, " << bytes
              << " bytes\n";

    const std::vector<MvtLayerInput> z16{building_grid(k_lujiazui_z16, 26, 150, 60)};
    const double ms16 = best_ms(k_lujiazui_z16, z16, bytes);
    std::cout << "[ timing ] z16, " << 26 * 26 << " polygons: " << ms16 << " ms, " << bytes
              << " bytes\n";
}

}  // namespace
