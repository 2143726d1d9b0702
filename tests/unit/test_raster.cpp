// PNG tiles: geometry drawn where it belongs (holes, multi-parts, clipping, malformed WKB) on a
// store of hand-made features, and the demo district drawn with styles/gridmap.json.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <numbers>

#include <cairo/cairo.h>
#include <gtest/gtest.h>

#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "geo/style/style.hpp"
#include "geo/tiles/raster.hpp"
#include "support/test_support.hpp"
#include "unit/style_forms.hpp"

namespace {

namespace fs = std::filesystem;
using geo::tiles::TileId;

// ---------------------------------------------------------------------------------------------
// Helpers: tiles and pixels, PNG decoding, WKB writing, a store of given features.

constexpr double k_earth_radius_m = 6378137.0;

TileId tile_at(double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z);
    TileId t;
    t.z = z;
    t.x = static_cast<std::uint32_t>((lon + 180) / 360 * n);
    t.y = static_cast<std::uint32_t>((1 - std::asinh(std::tan(lat * std::numbers::pi / 180)) / std::numbers::pi) / 2 * n);
    return t;
}

struct PixelPos {
    double x;
    double y;
};

// Where lon/lat falls in tile `t` drawn `size` pixels wide.
PixelPos pixel_of(const TileId& t, double lon, double lat, int size) {
    const double n = std::ldexp(1.0, t.z);
    const double x = (lon + 180) / 360 * n;
    const double y = (1 - std::asinh(std::tan(lat * std::numbers::pi / 180)) / std::numbers::pi) / 2 * n;
    return {(x - t.x) * size, (y - t.y) * size};
}

// The lon/lat of pixel position (px, py) of a 256-pixel tile.
std::pair<double, double> lonlat_of(const TileId& t, double px, double py) {
    const geo::BBox b = geo::tiles::bounds_mercator(t);
    const double mx = b.minx + px / 256 * (b.maxx - b.minx);
    const double my = b.maxy - py / 256 * (b.maxy - b.miny);
    return {mx / k_earth_radius_m * 180 / std::numbers::pi,
            std::atan(std::sinh(my / k_earth_radius_m)) * 180 / std::numbers::pi};
}

struct Rgba {
    int r = 0, g = 0, b = 0, a = 0;
    friend bool operator==(const Rgba&, const Rgba&) = default;
};

std::ostream& operator<<(std::ostream& os, const Rgba& c) {
    return os << "rgba(" << c.r << "," << c.g << "," << c.b << "," << c.a << ")";
}

class Image {
public:
    explicit Image(const std::string& png) {
        struct Source {
            const std::string* data;
            std::size_t pos;
        } source{&png, 0};
        const auto read = [](void* closure, unsigned char* out, unsigned int length) {
            auto* s = static_cast<Source*>(closure);
            if (s->data->size() - s->pos < length) return CAIRO_STATUS_READ_ERROR;
            std::memcpy(out, s->data->data() + s->pos, length);
            s->pos += length;
            return CAIRO_STATUS_SUCCESS;
        };
        m_surface.reset(cairo_image_surface_create_from_png_stream(read, &source));
        if (cairo_surface_status(m_surface.get()) != CAIRO_STATUS_SUCCESS) throw std::runtime_error("not a PNG");
    }
    int width() const { return cairo_image_surface_get_width(m_surface.get()); }
    int height() const { return cairo_image_surface_get_height(m_surface.get()); }

    // Straight (un-premultiplied) colour of pixel (x, y).
    Rgba at(int x, int y) const {
        const auto* row = cairo_image_surface_get_data(m_surface.get()) +
                          static_cast<std::ptrdiff_t>(y) * cairo_image_surface_get_stride(m_surface.get());
        std::uint32_t p;
        std::memcpy(&p, row + 4 * x, 4);
        const bool has_alpha = cairo_image_surface_get_format(m_surface.get()) == CAIRO_FORMAT_ARGB32;
        const int a = has_alpha ? static_cast<int>(p >> 24) : 255;
        const auto ch = [&](int shift) {
            const int v = static_cast<int>((p >> shift) & 255);
            return a == 0 ? 0 : (v * 255 + a / 2) / a;
        };
        return {ch(16), ch(8), ch(0), a};
    }

private:
    struct Destroy {
        void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
    };
    std::unique_ptr<cairo_surface_t, Destroy> m_surface;
};

Rgba rgba(const geo::style::Color& c) {
    const auto ch = [](double v) { return static_cast<int>(std::lround(v * 255)); };
    return {ch(c.r), ch(c.g), ch(c.b), ch(c.a)};
}

// `top` at `opacity` over opaque `bottom`.
Rgba over(const Rgba& bottom, const geo::style::Color& top, double opacity) {
    const double a = top.a * opacity;
    const auto mix = [&](int b, double t) { return static_cast<int>(std::lround(t * 255 * a + b * (1 - a))); };
    return {mix(bottom.r, top.r), mix(bottom.g, top.g), mix(bottom.b, top.b), 255};
}

::testing::AssertionResult near(const Rgba& actual, const Rgba& expected, int tolerance = 3) {
    if (std::abs(actual.r - expected.r) <= tolerance && std::abs(actual.g - expected.g) <= tolerance &&
        std::abs(actual.b - expected.b) <= tolerance && std::abs(actual.a - expected.a) <= tolerance) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << actual << " is not " << expected;
}

// Little- or big-endian 2D ISO WKB.
class Wkb {
public:
    explicit Wkb(bool big_endian = false) : m_big(big_endian) { }
    Wkb& header(std::uint32_t type) {
        m_bytes.push_back(m_big ? 0 : 1);
        return u32(type);
    }
    Wkb& u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            const int shift = m_big ? 24 - 8 * i : 8 * i;
            m_bytes.push_back(static_cast<unsigned char>(v >> shift));
        }
        return *this;
    }
    Wkb& f64(double v) {
        unsigned char b[8];
        std::memcpy(b, &v, 8);
        if (m_big) std::reverse(b, b + 8);
        m_bytes.insert(m_bytes.end(), b, b + 8);
        return *this;
    }
    // A ring given in tile pixels of `t` (closed here).
    Wkb& ring(const TileId& t, std::vector<PixelPos> px) {
        px.push_back(px.front());
        u32(static_cast<std::uint32_t>(px.size()));
        for (const auto& p : px) {
            const auto [lon, lat] = lonlat_of(t, p.x, p.y);
            f64(lon).f64(lat);
        }
        return *this;
    }
    std::vector<unsigned char> bytes() const { return m_bytes; }

private:
    bool m_big;
    std::vector<unsigned char> m_bytes;
};

std::vector<PixelPos> box(double x0, double y0, double x1, double y1) {
    return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};  // clockwise on screen
}

// A Store holding given features; read_features hands out all of them (the renderer must cull).
class MemoryStore : public geo::store::Store {
public:
    void add_layer(const std::string& name, std::vector<geo::Field> fields) {
        geo::LayerInfo info;
        info.name = name;
        info.geometry_type = "GEOMETRY";
        info.fields = std::move(fields);
        m_layers[name].first = info;
    }
    void add(const std::string& layer, std::vector<geo::Value> values, std::vector<unsigned char> wkb) {
        auto& features = m_layers.at(layer).second;
        features.push_back({static_cast<std::int64_t>(features.size() + 1), std::move(values), std::move(wkb), {}});
    }

    std::vector<geo::LayerInfo> layers() override {
        std::vector<geo::LayerInfo> out;
        for (const auto& [name, layer] : m_layers) out.push_back(layer.first);
        return out;
    }
    std::optional<geo::LayerInfo> layer(std::string_view name) override {
        const auto it = m_layers.find(std::string(name));
        if (it == m_layers.end()) return std::nullopt;
        return it->second.first;
    }
    std::map<std::string, std::int64_t> layer_versions() override {
        std::map<std::string, std::int64_t> out;
        for (const auto& [name, layer] : m_layers) out[name] = 1;
        return out;
    }
    std::unique_ptr<geo::store::LayerWriter> write_layer(const geo::store::NewLayer&, geo::store::WriteMode) override {
        throw geo::Error(geo::Errc::unsupported, "read-only");
    }
    void read_features(std::string_view layer, const geo::store::FeatureQuery&,
                       const std::function<bool(const geo::Feature&)>& visit) override {
        const auto it = m_layers.find(std::string(layer));
        if (it == m_layers.end()) throw geo::Error(geo::Errc::not_found, "no layer");
        for (const auto& f : it->second.second) {
            if (!visit(f)) return;
        }
    }
    std::int64_t count_features(std::string_view layer, const geo::store::FeatureQuery&) override {
        return static_cast<std::int64_t>(m_layers.at(std::string(layer)).second.size());
    }
    void drop_layer(std::string_view layer) override { m_layers.erase(std::string(layer)); }
    std::vector<std::string> check() override { return {}; }
    // The renderer never touches tokens or the audit log.
    std::int64_t add_token(const geo::access::TokenRecord&) override { throw geo::Error(geo::Errc::unsupported, "read-only"); }
    std::vector<geo::access::TokenRecord> tokens() override { return {}; }
    bool revoke_token(std::int64_t) override { return false; }
    std::int64_t tokens_version() override { return 0; }
    void append_audit(const geo::access::AuditEntry&) override { throw geo::Error(geo::Errc::unsupported, "read-only"); }
    std::vector<geo::access::AuditEntry> audit(std::string_view, std::int64_t) override { return {}; }
    void save_job(const geo::store::JobRecord&) override { throw geo::Error(geo::Errc::unsupported, "read-only"); }
    std::optional<geo::store::JobRecord> job(std::string_view) override { return std::nullopt; }
    std::int64_t fail_unfinished_jobs(std::string_view) override { return 0; }

private:
    std::map<std::string, std::pair<geo::LayerInfo, std::vector<geo::Feature>>> m_layers;
};

// ---------------------------------------------------------------------------------------------
// Geometry on hand-made features

constexpr const char* k_test_style = R"({
    "version": 8, "sources": {"s": {"type": "vector", "url": "/tiles/all.json"}},
    "layers": [
        {"id": "bg", "type": "background", "paint": {"background-color": "#ffffff"}},
        {"id": "areas", "type": "fill", "source": "s", "source-layer": "areas",
         "paint": {"fill-color": ["match", ["get", "kind"], "b", "#0000ff", "#ff0000"]}},
        {"id": "edges", "type": "line", "source": "s", "source-layer": "edges",
         "paint": {"line-color": "#00ff00", "line-width": 4}},
        {"id": "pts", "type": "circle", "source": "s", "source-layer": "pts",
         "paint": {"circle-color": "#000000", "circle-radius": 10}}
    ]})";

const Rgba k_white{255, 255, 255, 255};
const Rgba k_red{255, 0, 0, 255};
const Rgba k_blue{0, 0, 255, 255};
const Rgba k_green{0, 255, 0, 255};
const Rgba k_black{0, 0, 0, 255};

class HandMade : public ::testing::Test {
protected:
    void SetUp() override {
        m_store.add_layer("areas", {{"kind", geo::FieldType::text, ""}});
        m_store.add_layer("edges", {});
        m_store.add_layer("pts", {});
    }
    std::string render(int scale = 1, const std::vector<std::string>& layers = {}) {
        return geo::tiles::render_png(m_store, m_style, m_tile, scale, layers);
    }

    MemoryStore m_store;
    geo::style::Style m_style = geo::style::load_style(k_test_style);
    TileId m_tile = tile_at(121.4995, 31.2397, 16);
};

TEST_F(HandMade, PolygonsWithHolesAndMultiPolygons) {
    // A square with a square hole, both rings wound the same way round (as some files have them).
    m_store.add("areas", {std::string("a")},
                Wkb().header(3).u32(2).ring(m_tile, box(20.25, 20, 120, 120)).ring(m_tile, box(50, 50, 90, 90)).bytes());
    // Two squares in one MultiPolygon, big-endian.
    Wkb multi(true);
    multi.header(6).u32(2);
    multi.header(3).u32(1).ring(m_tile, box(150, 20, 180, 50));
    multi.header(3).u32(1).ring(m_tile, box(200, 20, 230, 50));
    m_store.add("areas", {std::string("b")}, multi.bytes());

    for (const int scale : {1, 2}) {
        SCOPED_TRACE(scale);
        const Image img(render(scale));
        ASSERT_EQ(img.width(), 256 * scale);
        ASSERT_EQ(img.height(), 256 * scale);
        const auto at = [&](int x, int y) { return img.at(x * scale, y * scale); };
        EXPECT_EQ(at(30, 30), k_red);
        EXPECT_EQ(at(110, 100), k_red);
        EXPECT_EQ(at(70, 70), k_white) << "the hole stays empty";
        EXPECT_EQ(at(165, 35), k_blue);
        EXPECT_EQ(at(215, 35), k_blue);
        EXPECT_EQ(at(190, 35), k_white);
        EXPECT_EQ(at(10, 200), k_white);
        // Edges are antialiased: a pixel the boundary crosses is a mix.
        const Rgba edge = img.at(static_cast<int>(20.25 * scale), 60 * scale);
        EXPECT_EQ(edge.r, 255);
        EXPECT_GT(edge.g, 0);
        EXPECT_LT(edge.g, 255);
    }
}

TEST_F(HandMade, LinesAndCirclesScaleWithTheTile) {
    Wkb line;
    line.header(2).u32(2);
    for (const auto& p : {PixelPos{10, 200}, PixelPos{246, 200}}) {
        const auto [lon, lat] = lonlat_of(m_tile, p.x, p.y);
        line.f64(lon).f64(lat);
    }
    m_store.add("edges", {}, line.bytes());
    const auto [lon, lat] = lonlat_of(m_tile, 200, 150);
    m_store.add("pts", {}, Wkb().header(1).f64(lon).f64(lat).bytes());

    const Image one(render(1));
    EXPECT_EQ(one.at(128, 199), k_green);  // 4 px wide around y = 200
    EXPECT_EQ(one.at(128, 195), k_white);
    EXPECT_EQ(one.at(200, 150), k_black);  // radius 10
    EXPECT_EQ(one.at(200, 158), k_black);
    EXPECT_EQ(one.at(200, 162), k_white);

    const Image two(render(2));
    EXPECT_EQ(two.at(256, 397), k_green);  // 8 px wide around y = 400
    EXPECT_EQ(two.at(256, 390), k_white);
    EXPECT_EQ(two.at(400, 316), k_black);  // radius 20
    EXPECT_EQ(two.at(400, 324), k_white);

    // Only the layers asked for.
    const Image pts(render(1, {"pts"}));
    EXPECT_EQ(pts.at(128, 199), k_white);
    EXPECT_EQ(pts.at(200, 150), k_black);
}

TEST_F(HandMade, GeometryFarBeyondTheTileIsClipped) {
    // A polygon hundreds of kilometres across and a line crossing it: millions of pixels at z16.
    Wkb huge;
    huge.header(3).u32(1).u32(5);
    for (const auto& [lon, lat] : {std::pair{100.0, 20.0}, std::pair{140.0, 20.0}, std::pair{140.0, 40.0},
                                   std::pair{100.0, 40.0}, std::pair{100.0, 20.0}}) {
        huge.f64(lon).f64(lat);
    }
    m_store.add("areas", {std::string("a")}, huge.bytes());
    const auto [lon, lat] = lonlat_of(m_tile, 128, 128);
    m_store.add("edges", {}, Wkb().header(2).u32(2).f64(lon).f64(0).f64(lon).f64(60).bytes());

    const Image img(render(1));
    EXPECT_EQ(img.at(0, 0), k_red);
    EXPECT_EQ(img.at(255, 255), k_red);
    EXPECT_EQ(img.at(40, 10), k_red);
    EXPECT_EQ(img.at(127, 10), k_green);
    EXPECT_EQ(img.at(128, 250), k_green);
}

TEST_F(HandMade, MalformedWkbIsSkipped) {
    const auto good = Wkb().header(3).u32(1).ring(m_tile, box(20, 20, 60, 60)).bytes();
    std::vector<std::vector<unsigned char>> bad = {
        {},
        {1},
        {7, 3, 0, 0, 0},                                                 // byte order 7
        Wkb().header(99).bytes(),                                        // no such type
        Wkb().header(3).u32(1).u32(0xffffffffu).bytes(),                 // a count past the data
        Wkb().header(3).u32(0x7fffffffu).bytes(),                        // rings past the data
        Wkb().header(1).f64(std::nan("")).f64(1).bytes(),                // half-empty point
        Wkb().header(1).f64(HUGE_VAL).f64(31).bytes(),                   // infinite coordinate
        Wkb().header(2).u32(2).f64(121.5).f64(31.2).f64(121.6).bytes(),  // cut short
    };
    auto trailing = good;
    trailing.push_back(0);
    bad.push_back(trailing);
    auto truncated = good;
    truncated.resize(truncated.size() - 3);
    bad.push_back(truncated);
    std::vector<unsigned char> nested;
    for (int i = 0; i < 20; ++i) {  // collections nested too deeply
        const auto level = Wkb().header(7).u32(1).bytes();
        nested.insert(nested.end(), level.begin(), level.end());
    }
    nested.insert(nested.end(), good.begin(), good.end());
    bad.push_back(nested);

    // Deterministic mutations of a valid MultiPolygon: flipped bytes and cut ends.
    Wkb multi;
    multi.header(6).u32(2);
    multi.header(3).u32(2).ring(m_tile, box(0, 0, 300, 300)).ring(m_tile, box(10, 10, 20, 20));
    multi.header(3).u32(1).ring(m_tile, box(-500, -500, -400, 900));
    const auto base = multi.bytes();
    std::uint64_t state = 42;
    const auto next = [&] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::size_t>(state >> 33);
    };
    for (int i = 0; i < 300; ++i) {
        auto m = base;
        for (int k = 0; k < 1 + i % 3; ++k) m[next() % m.size()] = static_cast<unsigned char>(next());
        if (i % 4 == 0) m.resize(next() % m.size());
        bad.push_back(std::move(m));
    }

    // Drawn first, so that a mutation parsed as a valid but different shape cannot hide the check.
    for (const auto& wkb : bad) m_store.add("areas", {std::string("b")}, wkb);
    m_store.add("areas", {std::string("a")}, good);
    const Image img(render(1));
    EXPECT_EQ(img.at(40, 40), k_red) << "the good feature is drawn last, over anything else";
}

TEST_F(HandMade, NothingDrawnGivesAnEmptyResult) {
    m_store.add("areas", {std::string("a")}, Wkb().header(3).u32(1).ring(m_tile, box(20, 20, 60, 60)).bytes());
    EXPECT_FALSE(render(1).empty());
    TileId far = m_tile;
    far.x += 3;  // the features lie three tiles west
    EXPECT_EQ(geo::tiles::render_png(m_store, m_style, far, 1, {}), "");
    EXPECT_EQ(geo::tiles::render_png(m_store, m_style, far, 2, {}), "");
    EXPECT_EQ(render(1, {"pts"}), "") << "background alone counts as nothing";
}

TEST_F(HandMade, BadRequestsThrow) {
    const auto code = [&](const TileId& t, int scale, const std::vector<std::string>& layers) {
        try {
            geo::tiles::render_png(m_store, m_style, t, scale, layers);
        } catch (const geo::Error& e) {
            return e.code();
        }
        return geo::Errc::internal;
    };
    EXPECT_EQ(code({16, 1u << 16, 0}, 1, {}), geo::Errc::invalid_argument);
    EXPECT_EQ(code({25, 0, 0}, 1, {}), geo::Errc::invalid_argument);
    EXPECT_EQ(code(m_tile, 3, {}), geo::Errc::invalid_argument);
    EXPECT_EQ(code(m_tile, 0, {}), geo::Errc::invalid_argument);
    EXPECT_EQ(code(m_tile, 1, {"nope"}), geo::Errc::not_found);
}

// ---------------------------------------------------------------------------------------------
// The demo district with the committed style

// A point 12 px inside building OSM 526005642 (a commercial block in Lujiazui) at z16, away from
// roads, cell edges and other buildings.
constexpr double k_building_lon = 121.4985538;
constexpr double k_building_lat = 31.2378096;

class DemoTiles : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = std::make_unique<gridmap::test::TempDir>();
        s_store = geo::store::open_store((*s_dir / "demo.sqlite").string(), true);
        for (const char* layer : {"grid_cells", "buildings", "stations", "roads"}) {
            geo::import::ImportOptions options;
            options.path = (fs::path(GRIDMAP_SOURCE_DIR) / "data/demo" / (std::string(layer) + ".geojson")).string();
            options.layer = layer;
            geo::import::import_file(*s_store, options);
        }
        s_style = std::make_unique<geo::style::Style>(
            geo::style::load_style_file(fs::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json"));
    }
    static void TearDownTestSuite() {
        s_style.reset();
        s_store.reset();
        s_dir.reset();
    }

    static const geo::style::Rule& rule(const std::string& id) {
        for (const auto& r : s_style->rules) {
            if (r.id == id) return r;
        }
        throw std::runtime_error("no rule " + id);
    }

    // Best of `runs` wall-clock milliseconds.
    static double time_ms(const TileId& t, int scale, int runs = 10) {
        double best = 1e9;
        for (int i = 0; i < runs; ++i) {
            const auto start = std::chrono::steady_clock::now();
            const auto png = geo::tiles::render_png(*s_store, *s_style, t, scale, {});
            best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        return best;
    }

    static inline std::unique_ptr<gridmap::test::TempDir> s_dir;
    static inline std::unique_ptr<geo::store::Store> s_store;
    static inline std::unique_ptr<geo::style::Style> s_style;
};

TEST_F(DemoTiles, LujiazuiAtScaleOneAndTwo) {
    const TileId t = tile_at(121.4995, 31.2397, 16);

    // The building's expected colour, from the style: its fill over the grid cell's over the ground.
    std::string use;
    geo::store::FeatureQuery query;
    query.equals = {{"osm_id", "526005642"}};
    const auto info = *s_store->layer("buildings");
    const auto use_index = static_cast<std::size_t>(
        std::find_if(info.fields.begin(), info.fields.end(), [](const geo::Field& f) { return f.name == "use"; }) -
        info.fields.begin());
    s_store->read_features("buildings", query, [&](const geo::Feature& f) {
        use = std::get<std::string>(f.values.at(use_index));
        return false;
    });
    ASSERT_EQ(use, "commercial");
    const double zoom = 15;  // a 256-pixel z16 tile shows MapLibre zoom 15
    geo::style::FeatureData data(*s_style);
    data.set("use", use);
    const auto ground = geo::style::evaluate_paint(rule("background"), zoom, data);
    const auto cell = geo::style::evaluate_paint(rule("grid-cells-fill"), zoom, data);
    const auto building = geo::style::evaluate_paint(rule("buildings-fill"), zoom, data);
    const Rgba plain = over(rgba(ground.background_color), cell.fill_color, cell.fill_opacity);
    const Rgba expected = over(plain, building.fill_color, building.fill_opacity);

    for (const int scale : {1, 2}) {
        SCOPED_TRACE(scale);
        const std::string png = geo::tiles::render_png(*s_store, *s_style, t, scale, {});
        ASSERT_GT(png.size(), 8u);
        EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
        const Image img(png);
        const int size = 256 * scale;
        ASSERT_EQ(img.width(), size);
        ASSERT_EQ(img.height(), size);

        // Much of the tile shows features, not the plain cell-covered ground.
        std::map<std::uint32_t, int> counts;
        int not_plain = 0;
        int not_opaque = 0;
        for (int y = 0; y < size; ++y) {
            for (int x = 0; x < size; ++x) {
                const Rgba c = img.at(x, y);
                if (c.a != 255) ++not_opaque;
                ++counts[static_cast<std::uint32_t>(c.r << 16 | c.g << 8 | c.b)];
                if (!near(c, plain, 2)) ++not_plain;
            }
        }
        EXPECT_EQ(not_opaque, 0) << "the background covers the tile";
        const double share = static_cast<double>(not_plain) / (size * size);
        EXPECT_GT(share, 0.15) << "share of pixels with features";
        EXPECT_GT(counts.size(), 100u) << "distinct colours (antialiasing and several fills)";

        const PixelPos p = pixel_of(t, k_building_lon, k_building_lat, size);
        EXPECT_TRUE(near(img.at(static_cast<int>(p.x), static_cast<int>(p.y)), expected))
            << "inside building 526005642 at pixel " << p.x << "," << p.y;
    }

    // Just the buildings: the same building over the bare ground.
    const Image only(geo::tiles::render_png(*s_store, *s_style, t, 1, {"buildings"}));
    const PixelPos p = pixel_of(t, k_building_lon, k_building_lat, 256);
    EXPECT_TRUE(near(only.at(static_cast<int>(p.x), static_cast<int>(p.y)),
                     over(rgba(ground.background_color), building.fill_color, building.fill_opacity)));
}

// The style's filters are `match` expressions (QGIS 3.22 reads them; it skips `in`): the PNG
// tiles are pixel for pixel what the `in` filters they replaced drew, and the filters matter in
// these tiles (without them every road layer draws every road).
TEST_F(DemoTiles, MatchFiltersDrawWhatTheInFiltersDrew) {
    using gridmap::test::FilterForm;
    const std::string text = gridmap::test::read_file(fs::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json");
    const auto before = geo::style::load_style(gridmap::test::style_with_filters(text, FilterForm::in));
    const auto unfiltered = geo::style::load_style(gridmap::test::style_with_filters(text, FilterForm::none));
    ASSERT_TRUE(before.warnings.empty()) << before.warnings.front();

    int differ_without_filters = 0;
    for (const int z : {14, 15, 16, 17}) {
        for (const int scale : {1, 2}) {
            SCOPED_TRACE(std::to_string(z) + "@" + std::to_string(scale));
            const TileId t = tile_at(121.4995, 31.2397, z);
            const std::string now_png = geo::tiles::render_png(*s_store, *s_style, t, scale, {});
            const std::string before_png = geo::tiles::render_png(*s_store, before, t, scale, {});
            ASSERT_FALSE(now_png.empty());
            ASSERT_FALSE(before_png.empty());
            const Image now(now_png);
            const Image then(before_png);
            ASSERT_EQ(now.width(), then.width());
            int different = 0;
            for (int y = 0; y < now.height(); ++y) {
                for (int x = 0; x < now.width(); ++x) different += now.at(x, y) == then.at(x, y) ? 0 : 1;
            }
            EXPECT_EQ(different, 0) << "pixels that differ from the in-filter rendering";

            const Image bare(geo::tiles::render_png(*s_store, unfiltered, t, scale, {}));
            int changed = 0;
            for (int y = 0; y < now.height(); ++y) {
                for (int x = 0; x < now.width(); ++x) changed += now.at(x, y) == bare.at(x, y) ? 0 : 1;
            }
            if (changed > now.width() * now.height() / 100) ++differ_without_filters;
        }
    }
    EXPECT_EQ(differ_without_filters, 8) << "tiles where dropping the filters changes over 1% of the pixels";
}

TEST_F(DemoTiles, EmptyFarAwayAndTimings) {
    EXPECT_EQ(geo::tiles::render_png(*s_store, *s_style, tile_at(0.5, 0.5, 16), 1, {}), "");
    EXPECT_EQ(geo::tiles::render_png(*s_store, *s_style, tile_at(121.4995, 31.2397, 5), 1, {}), "")
        << "below every layer's zoom range";

    const TileId z14 = tile_at(121.4995, 31.2397, 14);
    EXPECT_FALSE(geo::tiles::render_png(*s_store, *s_style, z14, 1, {}).empty());
    const TileId z16 = tile_at(121.4995, 31.2397, 16);
    std::cout << "[ timing   ] demo PNG best of 10: z16 " << time_ms(z16, 1) << " ms, z16@2x " << time_ms(z16, 2)
              << " ms, z14 " << time_ms(z14, 1) << " ms, z14@2x " << time_ms(z14, 2) << " ms\n";
}

}  // namespace
