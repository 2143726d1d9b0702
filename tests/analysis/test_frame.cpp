#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <geodesic.h>
#include <gtest/gtest.h>

#include "geo/analysis/frame.hpp"
#include "geo/error.hpp"

namespace {

using geo::analysis::LocalFrame;
using geo::analysis::XY;

// CGCS2000 uses the GRS80 ellipsoid.
constexpr double grs80_a = 6378137.0;
constexpr double grs80_f = 1 / 298.257222101;

geo::BBox box(double minx, double miny, double maxx, double maxy) {
    geo::BBox b;
    b.extend(minx, miny);
    b.extend(maxx, maxy);
    return b;
}

double geodesic_m(double lon1, double lat1, double lon2, double lat2) {
    geod_geodesic g;
    geod_init(&g, grs80_a, grs80_f);
    double s12 = 0, azi1 = 0, azi2 = 0;
    geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, &azi1, &azi2);
    return s12;
}

TEST(LocalFrame, OneDegreeOfMeridianNearLatitude31) {
    const LocalFrame frame(box(121.0, 30.5, 122.0, 31.5));
    const XY south = frame.to_metres(121.5, 30.5);
    const XY north = frame.to_metres(121.5, 31.5);
    const double plane = std::hypot(north.x - south.x, north.y - south.y);
    // 111,132.954 − 559.822·cos 62° + 1.175·cos 124° ≈ 110,869.5 m per degree at 31°N.
    EXPECT_GT(plane, 110860.0);
    EXPECT_LT(plane, 110880.0);
    // On the central meridian the scale is exactly 1.
    EXPECT_NEAR(plane, geodesic_m(121.5, 30.5, 121.5, 31.5), 0.01);
    EXPECT_NEAR(south.x, 0.0, 1e-6);
}

TEST(LocalFrame, TenKilometreBaselinesMatchTheGeodesic) {
    // A district of about 20 × 22 km around Shanghai's centre.
    const LocalFrame frame(box(121.37, 31.13, 121.57, 31.33));
    geod_geodesic g;
    geod_init(&g, grs80_a, grs80_f);
    const double starts[][2] = {{121.40, 31.15}, {121.47, 31.23}, {121.55, 31.30}};
    for (const auto& s : starts) {
        for (double azimuth = 0; azimuth < 360; azimuth += 30) {
            double lat2 = 0, lon2 = 0, azi2 = 0;
            geod_direct(&g, s[1], s[0], azimuth, 10000.0, &lat2, &lon2, &azi2);
            const XY a = frame.to_metres(s[0], s[1]);
            const XY b = frame.to_metres(lon2, lat2);
            EXPECT_NEAR(std::hypot(b.x - a.x, b.y - a.y), 10000.0, 0.1)
                << "from " << s[0] << "," << s[1] << " azimuth " << azimuth;
        }
    }
}

TEST(LocalFrame, RoundTripReturnsWithinANanodegree) {
    const LocalFrame frame(box(114.2, 30.5, 114.4, 30.7));
    EXPECT_DOUBLE_EQ(frame.centre_lon(), 114.3);
    EXPECT_DOUBLE_EQ(frame.centre_lat(), 30.6);
    std::vector<XY> bulk;
    for (double lon = 114.15; lon <= 114.45; lon += 0.0137) {
        for (double lat = 30.45; lat <= 30.75; lat += 0.0111) {
            const XY m = frame.to_metres(lon, lat);
            double lon2 = 0, lat2 = 0;
            frame.to_lonlat(m, lon2, lat2);
            EXPECT_NEAR(lon2, lon, 1e-9);
            EXPECT_NEAR(lat2, lat, 1e-9);
            bulk.push_back({lon, lat});
        }
    }
    // The bulk variants agree with the single-point ones.
    std::vector<XY> metres = bulk;
    frame.to_metres(metres);
    for (std::size_t i = 0; i < bulk.size(); ++i) {
        const XY m = frame.to_metres(bulk[i].x, bulk[i].y);
        EXPECT_EQ(metres[i].x, m.x);
        EXPECT_EQ(metres[i].y, m.y);
    }
    frame.to_lonlat(metres);
    for (std::size_t i = 0; i < bulk.size(); ++i) {
        EXPECT_NEAR(metres[i].x, bulk[i].x, 1e-9);
        EXPECT_NEAR(metres[i].y, bulk[i].y, 1e-9);
    }
}

TEST(LocalFrame, CentreIsTheOriginAndAxesPointEastAndNorth) {
    const LocalFrame frame(box(121.4, 31.1, 121.6, 31.3));
    const XY c = frame.to_metres(121.5, 31.2);
    EXPECT_NEAR(c.x, 0, 1e-6);
    EXPECT_NEAR(c.y, 0, 1e-6);
    EXPECT_GT(frame.to_metres(121.51, 31.2).x, 900);
    EXPECT_GT(frame.to_metres(121.5, 31.21).y, 1000);
}

TEST(LocalFrame, RejectsBadInput) {
    EXPECT_THROW(LocalFrame(geo::BBox{}), geo::Error);
    EXPECT_THROW(LocalFrame(geo::BBox{0, 0, 1, NAN}), geo::Error);
    EXPECT_THROW(LocalFrame(geo::BBox{0, 0, 1, INFINITY}), geo::Error);
    EXPECT_THROW(LocalFrame(box(500000, 3000000, 510000, 3010000)), geo::Error);
    const LocalFrame frame(box(121.4, 31.1, 121.6, 31.3));
    EXPECT_THROW(frame.to_metres(NAN, 31.2), geo::Error);
    double lon = 0, lat = 0;
    EXPECT_THROW(frame.to_lonlat(XY{INFINITY, 0}, lon, lat), geo::Error);
    std::vector<XY> pts{{121.5, 31.2}, {121.5, NAN}};
    EXPECT_THROW(frame.to_metres(pts), geo::Error);
}

std::vector<unsigned char> wkb_multiline(const std::vector<std::vector<XY>>& lines, bool z) {
    std::vector<unsigned char> out;
    const auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
    };
    const auto f64 = [&](double d) {
        std::uint64_t v;
        std::memcpy(&v, &d, 8);
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
    };
    out.push_back(1);
    u32(z ? 1005 : 5);
    u32(static_cast<std::uint32_t>(lines.size()));
    for (const auto& line : lines) {
        out.push_back(1);
        u32(z ? 1002 : 2);
        u32(static_cast<std::uint32_t>(line.size()));
        for (const XY& p : line) {
            f64(p.x);
            f64(p.y);
            if (z) f64(12.5);
        }
    }
    return out;
}

TEST(LocalFrame, ReadsLineWkbIntoMetres) {
    const LocalFrame frame(box(121.4, 31.1, 121.6, 31.3));
    const std::vector<std::vector<XY>> lonlat{{{121.5, 31.2}, {121.5, 31.21}},
                                              {{121.49, 31.2}, {121.5, 31.2}, {121.5, 31.19}}};
    for (bool z : {false, true}) {
        const auto lines = frame.lines_to_metres(wkb_multiline(lonlat, z));
        ASSERT_EQ(lines.size(), 2u);
        ASSERT_EQ(lines[0].size(), 2u);
        ASSERT_EQ(lines[1].size(), 3u);
        EXPECT_NEAR(lines[0][0].x, 0, 1e-6);
        EXPECT_NEAR(lines[0][1].y, geodesic_m(121.5, 31.2, 121.5, 31.21), 1e-3);
        EXPECT_NEAR(lines[1][2].y, -geodesic_m(121.5, 31.2, 121.5, 31.19), 1e-3);
    }
    auto truncated = wkb_multiline(lonlat, false);
    truncated.resize(truncated.size() - 3);
    EXPECT_THROW(frame.lines_to_metres(truncated), geo::Error);
    const std::vector<unsigned char> point{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_THROW(frame.lines_to_metres(point), geo::Error);
}

}  // namespace
