#pragma once

// The little WKB the analyses write and read back: discs as MultiPolygons, and areas of the
// polygons GEOS hands back, measured in the district's plane.

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "geo/analysis/frame.hpp"

namespace geo::analysis::detail {

/// `v` with its bytes in the other order (std::byteswap is C++23).
template <class T>
T swap_bytes(T v) noexcept {
    unsigned char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    std::reverse(b, b + sizeof(T));
    std::memcpy(&v, b, sizeof(T));
    return v;
}

/// A disc of `radius_m` around `centre_m` as a 2D little-endian ISO WKB MultiPolygon in
/// lon/lat: a `segments`-gon whose edges stay outside the circle (vertices on a slightly
/// larger circle), so every point within the radius lies inside the polygon.
std::vector<unsigned char> disc_wkb(XY centre_m, double radius_m, const LocalFrame& frame, int segments = 128);

/// A polygon's rings: the shell first, then its holes; coordinates as stored.
using Rings = std::vector<std::vector<XY>>;

/// The polygons of 2D WKB: a Polygon, a MultiPolygon or a collection of them (either byte
/// order); nullopt for malformed WKB or another geometry type.
std::optional<std::vector<Rings>> read_polygons(std::span<const unsigned char> wkb);

/// The area in m² of a (Multi)Polygon given as WKB in lon/lat, measured in `frame` (holes
/// subtracted). 0 for other geometry types or malformed WKB.
double area_m2(std::span<const unsigned char> wkb_lonlat, const LocalFrame& frame);

/// A 2D little-endian ISO WKB Point.
std::vector<unsigned char> point_wkb(double lon, double lat);

}  // namespace geo::analysis::detail
