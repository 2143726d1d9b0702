#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>

namespace geo::tiles::detail {

// Spherical (Web) Mercator, EPSG:3857.
constexpr double k_earth_radius_m = 6378137.0;
constexpr double k_half_world_m = std::numbers::pi * k_earth_radius_m;
constexpr double k_max_latitude = 85.0511287798;

inline double tile_size_m(int z) noexcept { return 2.0 * k_half_world_m / std::ldexp(1.0, z); }

inline double lon_to_mercator_x(double lon) noexcept {
    return k_earth_radius_m * lon * (std::numbers::pi / 180.0);
}

inline double lat_to_mercator_y(double lat) noexcept {
    const double phi =
        std::clamp(lat, -k_max_latitude, k_max_latitude) * (std::numbers::pi / 180.0);
    return k_earth_radius_m * std::log(std::tan(std::numbers::pi / 4.0 + phi / 2.0));
}

}  // namespace geo::tiles::detail
