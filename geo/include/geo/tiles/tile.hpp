#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geo/types.hpp"

namespace geo::tiles {

/// A Web Mercator (EPSG:3857) XYZ tile: x from the antimeridian eastwards, y from the north
/// southwards, both in 0 … 2^z − 1.
struct TileId {
    int z = 0;
    std::uint32_t x = 0;
    std::uint32_t y = 0;
};

constexpr int k_max_zoom = 24;

/// True when 0 <= z <= k_max_zoom and x, y < 2^z.
bool is_valid(const TileId& t) noexcept;

/// The tile's bounds in EPSG:3857 metres (spherical Mercator, R = 6378137 m). @pre is_valid(t)
BBox bounds_mercator(const TileId& t) noexcept;
/// The tile's bounds in EPSG:4326 degrees (lon, lat). @pre is_valid(t)
BBox bounds_wgs84(const TileId& t) noexcept;

/// EPSG:4326 → EPSG:3857 (latitude clamped to ±85.0511287798°).
void lonlat_to_mercator(double lon, double lat, double& x, double& y) noexcept;

/// One layer of an MVT tile: its name, the attribute names and the features to encode.
struct MvtLayerInput {
    std::string name;
    std::vector<Field> fields;      ///< names and types of Feature::values
    std::vector<Feature> features;  ///< geometry as 2D WKB in EPSG:4326
};

/// Options of the encoder.
struct MvtOptions {
    std::uint32_t extent = 4096;  ///< tile coordinate range
    std::uint32_t buffer = 64;    ///< in tile units, kept around the tile when clipping
    /// Polygons (and holes) smaller than this many square tile units (at extent 4096) are
    /// dropped, lines shorter than its square root: features too small to see at this zoom.
    /// Points are always kept; 0 keeps everything that survives rounding.
    double min_area_units = 4.0;
};

/// Encodes layers as a Mapbox Vector Tile 2.1 (protobuf) for tile `t`: geometries projected
/// to tile coordinates, clipped to the tile plus buffer, simplified to the tile grid (integer
/// coordinates, no repeated or collinear points, collapsed parts dropped; parts of more than 8
/// points also Douglas–Peucker within half a unit), exterior rings clockwise and holes
/// counter-clockwise in tile coordinates (y down), attributes as typed values (null values are
/// left out), feature id = fid when fid >= 0. Layers with no feature left are left out. Returns
/// an empty string when nothing remains (the caller answers 204).
///
/// WKB may be 2D or ISO Z/M/ZM (extra ordinates ignored), in either byte order. A feature whose
/// WKB is malformed (truncated, unknown type, counts beyond the data, non-finite coordinates,
/// |lon| > 360, trailing bytes) is skipped. A GeometryCollection is encoded as the family
/// (points, lines or polygons) of its first member; members of other families are left out.
/// Throws geo::Error (invalid_argument) when !is_valid(t), extent is 0 or above 2^20, buffer is
/// above 2^20, or two layers share a name.
std::string encode_mvt(const TileId& t, const std::vector<MvtLayerInput>& layers,
                       const MvtOptions& options = {});

}  // namespace geo::tiles
