#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <cairo/cairo.h>
#include <gtest/gtest.h>

#include "geo/analysis/report_map.hpp"
#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "geo/store/store.hpp"
#include "geo/style/style.hpp"
#include "support/test_support.hpp"

namespace {

using geo::analysis::MapOverlay;
using geo::analysis::ReportMapOptions;
using geo::analysis::Rgba;

struct Rgb {
    int r, g, b;
};

Rgb to_rgb(const Rgba& c) {
    return {static_cast<int>(std::lround(c.r * 255)), static_cast<int>(std::lround(c.g * 255)),
            static_cast<int>(std::lround(c.b * 255))};
}

// A decoded PNG, read back with Cairo the way a viewer would.
class Image {
public:
    explicit Image(const std::string& png) {
        struct Source {
            const std::string* data;
            std::size_t pos;
        } source{&png, 0};
        const auto read = [](void* closure, unsigned char* out, unsigned int length) {
            auto* s = static_cast<Source*>(closure);
            if (s->pos + length > s->data->size()) return CAIRO_STATUS_READ_ERROR;
            std::memcpy(out, s->data->data() + s->pos, length);
            s->pos += length;
            return CAIRO_STATUS_SUCCESS;
        };
        m_surface.reset(cairo_image_surface_create_from_png_stream(read, &source));
        if (cairo_surface_status(m_surface.get()) != CAIRO_STATUS_SUCCESS) throw std::runtime_error("not a PNG");
    }
    int width() const { return cairo_image_surface_get_width(m_surface.get()); }
    int height() const { return cairo_image_surface_get_height(m_surface.get()); }
    Rgb at(int x, int y) const {
        const unsigned char* row = cairo_image_surface_get_data(m_surface.get()) +
                                   static_cast<std::ptrdiff_t>(y) * cairo_image_surface_get_stride(m_surface.get());
        std::uint32_t px;
        std::memcpy(&px, row + 4 * x, 4);
        return {static_cast<int>(px >> 16 & 0xff), static_cast<int>(px >> 8 & 0xff), static_cast<int>(px & 0xff)};
    }
    // Pixels within `tolerance` per channel of `c` inside [x0, x1) × [y0, y1).
    int count(Rgb c, int x0, int y0, int x1, int y1, int tolerance = 2) const {
        int n = 0;
        for (int y = std::max(y0, 0); y < std::min(y1, height()); ++y) {
            for (int x = std::max(x0, 0); x < std::min(x1, width()); ++x) {
                const Rgb p = at(x, y);
                if (std::abs(p.r - c.r) <= tolerance && std::abs(p.g - c.g) <= tolerance && std::abs(p.b - c.b) <= tolerance) ++n;
            }
        }
        return n;
    }
    int count(Rgb c) const { return count(c, 0, 0, width(), height()); }

private:
    struct Destroy {
        void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
    };
    std::unique_ptr<cairo_surface_t, Destroy> m_surface;
};

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
void put_f64(std::vector<unsigned char>& out, double v) {
    unsigned char b[8];
    std::memcpy(b, &v, 8);
    out.insert(out.end(), b, b + 8);
}
std::vector<unsigned char> point_wkb(double lon, double lat) {
    std::vector<unsigned char> out{1};
    put_u32(out, 1);
    put_f64(out, lon);
    put_f64(out, lat);
    return out;
}
// An axis-aligned square polygon around (lon, lat), `half` degrees each way.
std::vector<unsigned char> square_wkb(double lon, double lat, double half) {
    std::vector<unsigned char> out{1};
    put_u32(out, 3);
    put_u32(out, 1);
    put_u32(out, 5);
    const double xs[] = {-1, 1, 1, -1, -1};
    const double ys[] = {-1, -1, 1, 1, -1};
    for (int i = 0; i < 5; ++i) {
        put_f64(out, lon + xs[i] * half);
        put_f64(out, lat + ys[i] * half);
    }
    return out;
}

// Where test maps are kept for a person to look at: $GRIDMAP_REPORT_MAP_DIR, else nowhere.
void keep(const std::string& name, const std::string& png) {
    const char* dir = std::getenv("GRIDMAP_REPORT_MAP_DIR");
    if (!dir || !*dir) return;
    std::filesystem::create_directories(dir);
    std::ofstream(std::filesystem::path(dir) / name, std::ios::binary) << png;
}

constexpr Rgba k_gap_fill{0.55, 0.10, 0.75, 1};     // opaque, so its pixels are exact
constexpr Rgba k_station_fill{0.05, 0.60, 0.30, 1};
constexpr Rgb k_major_road{0xf6, 0xc9, 0x65};       // styles/gridmap.json roads-major, opaque

class ReportMap : public testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = std::make_unique<gridmap::test::TempDir>();
        gridmap::test::import_demo(*s_dir / "demo.sqlite");
        s_store = geo::store::open_store((*s_dir / "demo.sqlite").string(), false);
        s_style = std::make_unique<geo::style::Style>(
            geo::style::load_style_file(std::filesystem::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json"));
        s_extent = s_store->layer("grid_cells")->extent;
    }
    static void TearDownTestSuite() {
        s_store.reset();
        s_style.reset();
        s_dir.reset();
    }

    // Two gap polygons and five stations inside the demo district, titled in Chinese.
    static ReportMapOptions gaps_map() {
        const geo::BBox& e = s_extent;
        const double cx = (e.minx + e.maxx) / 2;
        const double cy = (e.miny + e.maxy) / 2;
        const double w = e.maxx - e.minx;
        const double h = e.maxy - e.miny;
        ReportMapOptions o;
        o.width_px = 1200;
        o.height_px = 900;
        o.title = "10分钟便民服务圈覆盖率";
        o.subtitle = "陆家嘴街道 · 社区服务站 500 m";
        MapOverlay gaps;
        gaps.legend = "未覆盖区域";
        gaps.wkb = {square_wkb(cx, cy, h * 0.08), square_wkb(e.minx + w * 0.25, e.miny + h * 0.7, h * 0.05)};
        gaps.fill = k_gap_fill;
        gaps.stroke = {0.3, 0.0, 0.45, 1};
        gaps.stroke_width_px = 2;
        gaps.labels = {"+512户", "+87户"};
        MapOverlay stations;
        stations.legend = "拟建服务站";
        for (int i = 0; i < 5; ++i) stations.wkb.push_back(point_wkb(e.minx + w * (0.15 + 0.17 * i), e.miny + h * 0.3));
        stations.fill = k_station_fill;
        stations.stroke = {1, 1, 1, 1};
        stations.stroke_width_px = 2;
        stations.point_radius_px = 7;
        o.overlays = {gaps, stations};
        return o;
    }

    static inline std::unique_ptr<gridmap::test::TempDir> s_dir;
    static inline std::unique_ptr<geo::store::Store> s_store;
    static inline std::unique_ptr<geo::style::Style> s_style;
    static inline geo::BBox s_extent;
};

TEST_F(ReportMap, DrawsOverlaysOverBaseLayersWithLegend) {
    const ReportMapOptions options = gaps_map();
    const std::string png = geo::analysis::render_report_map(*s_store, *s_style, options);
    keep("gaps.png", png);
    const Image image(png);
    ASSERT_EQ(image.width(), 1200);
    ASSERT_EQ(image.height(), 900);

    const auto layout = geo::analysis::layout_report_map(*s_store, options);
    // The default area is the district (overlays ∪ grid cells), fitted inside the frame.
    const auto sw = layout.to_pixel(s_extent.minx, s_extent.miny);
    const auto ne = layout.to_pixel(s_extent.maxx, s_extent.maxy);
    EXPECT_GE(sw.x, layout.frame.x);
    EXPECT_LE(ne.x, layout.frame.x + layout.frame.width);
    EXPECT_GE(ne.y, layout.frame.y);
    EXPECT_LE(sw.y, layout.frame.y + layout.frame.height);
    EXPECT_GT(layout.zoom, 12);
    EXPECT_LT(layout.zoom, 17);

    // The big gap's interior has the overlay's fill, exactly (it is opaque), wherever it is
    // not covered by its own label.
    const double cx = (s_extent.minx + s_extent.maxx) / 2;
    const double cy = (s_extent.miny + s_extent.maxy) / 2;
    const double half = (s_extent.maxy - s_extent.miny) * 0.08;
    const auto inside = layout.to_pixel(cx - half * 0.7, cy + half * 0.7);
    const Rgb fill = to_rgb(k_gap_fill);
    const Rgb got = image.at(static_cast<int>(inside.x), static_cast<int>(inside.y));
    EXPECT_NEAR(got.r, fill.r, 2);
    EXPECT_NEAR(got.g, fill.g, 2);
    EXPECT_NEAR(got.b, fill.b, 2);
    // Just outside it, the fill is gone.
    const auto outside = layout.to_pixel(cx - half * 1.3, cy);
    EXPECT_EQ(image.count(fill, static_cast<int>(outside.x) - 1, static_cast<int>(outside.y) - 1,
                          static_cast<int>(outside.x) + 2, static_cast<int>(outside.y) + 2),
              0);

    // The legend box holds both swatches.
    const auto& box = layout.legend;
    ASSERT_GT(box.width, 0);
    const int x0 = static_cast<int>(box.x), y0 = static_cast<int>(box.y);
    const int x1 = static_cast<int>(box.x + box.width), y1 = static_cast<int>(box.y + box.height);
    EXPECT_GT(image.count(fill, x0, y0, x1, y1), 50);
    EXPECT_GT(image.count(to_rgb(k_station_fill), x0, y0, x1, y1), 10);
    EXPECT_GE(box.x + box.width, layout.frame.x + layout.frame.width * 0.5) << "legend in the lower right";
    EXPECT_GE(box.y, layout.frame.y + layout.frame.height * 0.5);

    // The base layers are drawn with the style: major roads in their colour.
    EXPECT_GT(image.count(k_major_road), 200);
    // A station is drawn where it is.
    const auto station = layout.to_pixel(s_extent.minx + (s_extent.maxx - s_extent.minx) * 0.15,
                                         s_extent.miny + (s_extent.maxy - s_extent.miny) * 0.3);
    EXPECT_GT(image.count(to_rgb(k_station_fill), static_cast<int>(station.x) - 3, static_cast<int>(station.y) - 3,
                          static_cast<int>(station.x) + 4, static_cast<int>(station.y) + 4),
              20);
}

TEST_F(ReportMap, BaseLayersCanBeLeftOut) {
    ReportMapOptions options = gaps_map();
    options.base_layers = {};
    const Image image(geo::analysis::render_report_map(*s_store, *s_style, options));
    EXPECT_EQ(image.count(k_major_road), 0);
    EXPECT_GT(image.count(to_rgb(k_gap_fill)), 1000);

    options.base_layers = {"roads", "no_such_layer"};  // missing layers are skipped
    const Image roads(geo::analysis::render_report_map(*s_store, *s_style, options));
    EXPECT_GT(roads.count(k_major_road), 200);
}

TEST_F(ReportMap, TitleAndLegendTextAreDrawn) {
    ReportMapOptions options = gaps_map();
    const auto layout = geo::analysis::layout_report_map(*s_store, options);
    const Image with(geo::analysis::render_report_map(*s_store, *s_style, options));
    // Dark title pixels above the frame.
    const Rgb ink{20, 20, 20};
    EXPECT_GT(with.count(ink, 0, 0, with.width(), static_cast<int>(layout.frame.y), 40), 300);
    // Legend text: dark pixels right of the swatches.
    const auto& box = layout.legend;
    EXPECT_GT(with.count(ink, static_cast<int>(box.x + box.width * 0.45), static_cast<int>(box.y),
                         static_cast<int>(box.x + box.width), static_cast<int>(box.y + box.height), 40),
              100);
    options.title.clear();
    options.subtitle.clear();
    const auto bare = geo::analysis::layout_report_map(*s_store, options);
    EXPECT_LT(bare.frame.y, layout.frame.y) << "no header without a title";
}

TEST_F(ReportMap, FitsAGivenBBoxAndScalesWithTheImage) {
    ReportMapOptions options;
    options.bbox = geo::BBox{121.50, 31.22, 121.52, 31.24};
    options.width_px = 800;
    options.height_px = 800;
    const auto small = geo::analysis::layout_report_map(*s_store, options);
    const auto sw = small.to_pixel(121.50, 31.22);
    const auto ne = small.to_pixel(121.52, 31.24);
    // Square-ish area in a square frame: the longer side fills the frame less the margins.
    const double used = std::max(ne.x - sw.x, sw.y - ne.y);
    EXPECT_NEAR(used, std::min(small.frame.width, small.frame.height) * 0.9, 1.0);
    // Ground metres per pixel agree with the bbox's width at its latitude.
    const double width_m = 0.02 * 111319.49 * std::cos(31.23 * 3.14159265358979 / 180);
    EXPECT_NEAR(small.metres_per_px * (ne.x - sw.x), width_m, width_m * 0.005);

    options.width_px = 1600;
    options.height_px = 1600;
    const auto big = geo::analysis::layout_report_map(*s_store, options);
    EXPECT_NEAR(big.zoom, small.zoom + 1, 0.05);
    EXPECT_EQ(Image(geo::analysis::render_report_map(*s_store, *s_style, options)).width(), 1600);
}

TEST_F(ReportMap, RejectsBadSizesAndAreas) {
    const auto code_of = [&](const ReportMapOptions& o) {
        try {
            geo::analysis::render_report_map(*s_store, *s_style, o);
        } catch (const geo::Error& e) {
            return e.code();
        }
        return geo::Errc::internal;  // nothing thrown
    };
    for (const auto& [w, h] : std::vector<std::pair<int, int>>{{199, 800}, {800, 6001}, {0, 0}, {-5, 800}, {100000, 100000}}) {
        ReportMapOptions o = gaps_map();
        o.width_px = w;
        o.height_px = h;
        EXPECT_EQ(code_of(o), geo::Errc::invalid_argument) << w << " × " << h;
    }
    for (const geo::BBox& b : std::vector<geo::BBox>{{121.5, 31.2, 121.4, 31.3},
                                                     {0, 0, std::nan(""), 1},
                                                     {-200, 0, 10, 10},
                                                     {0, -89, 10, 10}}) {
        ReportMapOptions o;
        o.bbox = b;
        EXPECT_EQ(code_of(o), geo::Errc::invalid_argument);
    }
    // Nothing to show in an empty store.
    gridmap::test::TempDir dir;
    auto empty = geo::store::open_store((dir / "empty.sqlite").string(), true);
    EXPECT_THROW(geo::analysis::render_report_map(*empty, *s_style, {}), geo::Error);
}

TEST_F(ReportMap, OneBuildingStillShowsOnADistrictMap) {
    // A polygon far under a pixel is drawn as a dot, so a single result is not lost.
    ReportMapOptions options;
    options.width_px = 600;
    options.height_px = 400;
    options.base_layers = {};
    const double lon = (s_extent.minx + s_extent.maxx) / 2;
    const double lat = (s_extent.miny + s_extent.maxy) / 2;
    MapOverlay one;
    one.wkb = {square_wkb(lon, lat, 0.00001)};
    one.fill = k_gap_fill;
    one.stroke_width_px = 0;
    one.point_radius_px = 4;
    options.overlays = {one};
    options.bbox = s_extent;
    const Image image(geo::analysis::render_report_map(*s_store, *s_style, options));
    const auto p = geo::analysis::layout_report_map(*s_store, options).to_pixel(lon, lat);
    EXPECT_GT(image.count(to_rgb(k_gap_fill), static_cast<int>(p.x) - 3, static_cast<int>(p.y) - 3,
                          static_cast<int>(p.x) + 4, static_cast<int>(p.y) + 4),
              25);
}

TEST_F(ReportMap, MalformedOverlayGeometryIsSkipped) {
    ReportMapOptions options = gaps_map();
    options.overlays[0].wkb.push_back({1, 3, 0, 0, 0, 200, 200, 200, 200});  // ring count past the end
    options.overlays[0].wkb.push_back({});
    EXPECT_GT(Image(geo::analysis::render_report_map(*s_store, *s_style, options)).count(to_rgb(k_gap_fill)), 1000);
}

// A circle of `radius_m` around (lon, lat) as a 64-gon, in local metres turned into degrees.
std::vector<unsigned char> circle_wkb(double lon, double lat, double radius_m) {
    constexpr double k_m_per_deg = 111319.49;
    const double pi = std::acos(-1.0);
    std::vector<unsigned char> out{1};
    put_u32(out, 3);
    put_u32(out, 1);
    put_u32(out, 65);
    for (int i = 0; i <= 64; ++i) {
        const double a = 2 * pi * (i % 64) / 64;
        put_f64(out, lon + radius_m * std::cos(a) / (k_m_per_deg * std::cos(lat * pi / 180)));
        put_f64(out, lat + radius_m * std::sin(a) / k_m_per_deg);
    }
    return out;
}

// What the coverage analysis will hand over: 500 m circles of the community service stations and
// the buildings outside all of them (by their box centre), drawn over the whole district.
TEST_F(ReportMap, DistrictCoverageMap) {
    constexpr double k_m_per_deg = 111319.49;
    MapOverlay circles;
    circles.legend = "服务站 500 m 服务圈";
    circles.fill = {0.16, 0.5, 0.85, 0.18};
    circles.stroke = {0.1, 0.35, 0.7, 0.9};
    circles.stroke_width_px = 1.5;
    MapOverlay stations;
    stations.legend = "社区服务站";
    stations.fill = {0.84, 0.16, 0.16, 1};
    stations.stroke = {1, 1, 1, 1};
    stations.stroke_width_px = 2;
    stations.point_radius_px = 7;
    std::vector<std::pair<double, double>> centres;
    const int type = [&] {
        const auto info = s_store->layer("stations");
        for (std::size_t i = 0; i < info->fields.size(); ++i) {
            if (info->fields[i].name == "type") return static_cast<int>(i);
        }
        return -1;
    }();
    ASSERT_GE(type, 0);
    s_store->read_features("stations", {}, [&](const geo::Feature& f) {
        const auto* t = std::get_if<std::string>(&f.values[static_cast<std::size_t>(type)]);
        if (!t || *t != "community_service_centre") return true;
        double lon, lat;
        std::memcpy(&lon, f.wkb.data() + 5, 8);
        std::memcpy(&lat, f.wkb.data() + 13, 8);
        centres.emplace_back(lon, lat);
        circles.wkb.push_back(circle_wkb(lon, lat, 500));
        stations.wkb.push_back(f.wkb);
        stations.labels.push_back("服务站 " + std::to_string(centres.size()));
        return true;
    });
    ASSERT_FALSE(centres.empty());
    MapOverlay gaps;
    gaps.legend = "未覆盖楼栋";
    gaps.fill = {0.85, 0.1, 0.1, 0.85};
    gaps.stroke = {0.55, 0, 0, 1};
    gaps.stroke_width_px = 1;
    s_store->read_features("buildings", {}, [&](const geo::Feature& f) {
        geo::BBox b;
        // The ring's coordinates of a one-part multipolygon: byte order, type, count, then per polygon.
        std::uint32_t n = 0;
        std::memcpy(&n, f.wkb.data() + 18, 4);
        for (std::uint32_t i = 0; i < n && 22 + 16 * (i + 1) <= f.wkb.size(); ++i) {
            double xy[2];
            std::memcpy(xy, f.wkb.data() + 22 + 16 * i, 16);
            b.extend(xy[0], xy[1]);
        }
        const double lon = (b.minx + b.maxx) / 2, lat = (b.miny + b.maxy) / 2;
        for (const auto& [x, y] : centres) {
            const double dx = (lon - x) * k_m_per_deg * std::cos(lat * 3.14159265358979 / 180);
            const double dy = (lat - y) * k_m_per_deg;
            if (dx * dx + dy * dy <= 500.0 * 500.0) return true;
        }
        gaps.wkb.push_back(f.wkb);
        return true;
    });
    ASSERT_FALSE(gaps.wkb.empty());
    ReportMapOptions options;
    options.title = "陆家嘴街道 社区服务站10分钟服务圈覆盖";
    options.subtitle = "欧氏距离 500 m · 未覆盖楼栋 " + std::to_string(gaps.wkb.size()) + " 栋";
    options.overlays = {circles, gaps, stations};
    const std::string png = geo::analysis::render_report_map(*s_store, *s_style, options);
    keep("district-coverage.png", png);
    const Image image(png);
    EXPECT_EQ(image.width(), 1600);
    EXPECT_EQ(image.height(), 1200);
    const auto layout = geo::analysis::layout_report_map(*s_store, options);
    const auto p = layout.to_pixel(centres[0].first, centres[0].second);
    EXPECT_GT(image.count(to_rgb(stations.fill), static_cast<int>(p.x) - 4, static_cast<int>(p.y) - 4,
                          static_cast<int>(p.x) + 5, static_cast<int>(p.y) + 5),
              30);
}


}  // namespace
