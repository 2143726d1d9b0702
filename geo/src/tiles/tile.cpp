#include "geo/tiles/tile.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tiles/mercator.hpp"

namespace geo::tiles {

bool is_valid(const TileId& t) noexcept {
    if (t.z < 0 || t.z > k_max_zoom) return false;
    const std::uint64_t n = std::uint64_t{1} << t.z;
    return t.x < n && t.y < n;
}

BBox bounds_mercator(const TileId& t) noexcept {
    const double size = detail::tile_size_m(t.z);
    BBox b;
    b.minx = -detail::k_half_world_m + t.x * size;
    b.maxx = b.minx + size;
    b.maxy = detail::k_half_world_m - t.y * size;
    b.miny = b.maxy - size;
    return b;
}

BBox bounds_wgs84(const TileId& t) noexcept {
    const double n = std::ldexp(1.0, t.z);
    const auto lon = [n](double x) { return x / n * 360.0 - 180.0; };
    const auto lat = [n](double y) {
        return std::atan(std::sinh(std::numbers::pi * (1.0 - 2.0 * y / n))) * 180.0 /
               std::numbers::pi;
    };
    BBox b;
    b.minx = lon(t.x);
    b.maxx = lon(t.x + 1.0);
    b.maxy = lat(t.y);
    b.miny = lat(t.y + 1.0);
    return b;
}

void lonlat_to_mercator(double lon, double lat, double& x, double& y) noexcept {
    x = detail::lon_to_mercator_x(lon);
    y = detail::lat_to_mercator_y(lat);
}

}  // namespace geo::tiles
