#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "geo/tiles/tile.hpp"

namespace geo::tiles::detail {

/// A point in tile coordinates: x to the right, y down, 0 … extent across the tile.
struct TilePoint {
    std::int32_t x = 0;
    std::int32_t y = 0;
    friend bool operator==(const TilePoint&, const TilePoint&) = default;
};

/// MVT geometry types, with their values in the protobuf.
enum class GeomType : std::uint32_t { none = 0, point = 1, linestring = 2, polygon = 3 };

/// [begin, end) into TileGeometry::points().
struct PartRange {
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};

/// A geometry in tile units: parts() of TileGeometry, owned.
struct TileShape {
    std::vector<TilePoint> points;
    std::vector<PartRange> parts;
};

/// Turns one feature's WKB (2D or Z/M ISO WKB, either byte order, EPSG:4326) into the
/// geometry of one tile: projected, clipped to the tile plus buffer, simplified, rounded to
/// integers, with collapsed or too small parts dropped and rings wound the MVT way. Keeps its
/// buffers between features; use one per thread.
///
/// A GeometryCollection keeps the parts of its first member's family (point, line or polygon);
/// members of other families are left out. Malformed WKB (bad byte order or type, counts beyond
/// the data, non-finite coordinates, |lon| > 360, trailing bytes, nesting deeper than 8) gives
/// GeomType::none.
class TileGeometry {
  public:
    /// @pre is_valid(t), 1 <= options.extent <= 2^20, options.buffer <= 2^20
    TileGeometry(const TileId& t, const MvtOptions& options);

    /// Builds the geometry of `wkb`; none when nothing is left or the WKB is malformed.
    GeomType build(std::span<const unsigned char> wkb);

    /// Points of the last build: for POINT one part holding every point; for LINESTRING one part
    /// per line; for POLYGON one part per ring, each exterior ring (positive area by the MVT
    /// formula) followed by its holes (negative area). No part repeats a point consecutively and
    /// no ring repeats its first point at the end.
    const std::vector<TilePoint>& points() const noexcept { return m_out; }
    const std::vector<PartRange>& parts() const noexcept { return m_out_parts; }

    /// The box of the last build's whole geometry before clipping, in tile units; empty for
    /// malformed WKB. The same feature gives the same box (shifted) in every tile of a zoom.
    const BBox& raw_bounds() const noexcept { return m_raw_bounds; }
    /// Of the last build's exterior rings that meet the clip rectangle, the largest and the sum
    /// of their areas after clipping, in units² at extent 4096, measured before the too-small
    /// test: a polygon dropped as too small to see has 0 < largest_ring_area() < min_area_units.
    double largest_ring_area() const noexcept { return m_largest_ring_area; }
    double ring_area() const noexcept { return m_ring_area; }

  private:
    struct DPoint {
        double x;
        double y;
        friend bool operator==(const DPoint&, const DPoint&) = default;
    };
    enum class Role : std::uint8_t { point, line, exterior, interior };
    enum class Family : std::uint8_t { none, point, line, polygon };
    struct RawPart {
        std::uint32_t begin;
        std::uint32_t end;
        Role role;
        double minx, miny, maxx, maxy;
    };
    class Reader;

    bool parse_geometry(Reader& r, int depth, std::uint32_t expected_type);
    bool parse_points(Reader& r, bool big, int dims, std::uint32_t count, Role role);
    bool read_point(Reader& r, bool big, int dims, DPoint& p, bool& empty) const;
    void close_raw_part(std::size_t begin, Role role);

    void build_points();
    void build_lines();
    void build_polygons();

    void clip_line(std::span<const DPoint> line, double& length);
    void emit_line(std::span<const DPoint> line, double& length);
    bool emit_ring(std::span<const DPoint> ring, const RawPart& part, bool exterior);
    std::span<const DPoint> clip_ring(std::span<const DPoint> ring, const RawPart& part);
    std::span<const DPoint> simplify(std::span<const DPoint> pts, bool ring);

    void push_point(std::size_t begin, TilePoint p, bool ring);
    std::size_t close_ring(std::size_t begin);
    bool inside(const RawPart& part) const noexcept;
    bool outside(const RawPart& part) const noexcept;
    TilePoint round(const DPoint& p) const noexcept;

    // Projection of lon/lat to tile units.
    double m_origin_x;
    double m_origin_y;
    double m_scale;
    // The clip rectangle: the tile plus buffer, in tile units.
    double m_lo;
    double m_hi;
    double m_area_scale;    // tile units² → units² at extent 4096
    double m_length_scale;  // tile units → units at extent 4096
    double m_min_area;
    double m_min_length;
    BBox m_raw_bounds;
    double m_largest_ring_area = 0;
    double m_ring_area = 0;

    Family m_family = Family::none;
    std::vector<DPoint> m_raw;
    std::vector<RawPart> m_raw_parts;
    std::vector<DPoint> m_clip_a;
    std::vector<DPoint> m_clip_b;
    std::vector<DPoint> m_simplified;
    std::vector<std::uint8_t> m_keep;
    std::vector<PartRange> m_stack;
    std::vector<TilePoint> m_out;
    std::vector<PartRange> m_out_parts;
};

}  // namespace geo::tiles::detail
