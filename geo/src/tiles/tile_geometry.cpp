#include "tiles/tile_geometry.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "tiles/mercator.hpp"

namespace geo::tiles::detail {

namespace {

constexpr int k_max_depth = 8;
// Longitudes beyond one turn are garbage, and bounding them keeps every tile coordinate far
// from overflow.
constexpr double k_max_abs_lon = 360.0;
// The smallest WKB member: byte order, type and a count (or a 2D point's first ordinate).
constexpr std::size_t k_min_member_bytes = 9;

// Douglas–Peucker runs on parts with more points than this; smaller ones are buildings whose
// corners are all visible, and only the exact collinear pass touches them.
constexpr std::size_t k_simplify_min_points = 8;
// Half a tile unit: below the rounding error, so invisible at any display size.
constexpr double k_simplify_tolerance2 = 0.5 * 0.5;
// Douglas–Peucker is quadratic on zig-zags; past this many distance tests per point the rest
// of the part is kept as it is.
constexpr std::size_t k_simplify_work_per_point = 32;

constexpr std::uint32_t swap32(std::uint32_t v) noexcept {
    return ((v & 0xFFu) << 24) | ((v & 0xFF00u) << 8) | ((v >> 8) & 0xFF00u) | (v >> 24);
}

constexpr std::uint64_t swap64(std::uint64_t v) noexcept {
    return (std::uint64_t{swap32(static_cast<std::uint32_t>(v))} << 32) |
           swap32(static_cast<std::uint32_t>(v >> 32));
}

constexpr bool k_host_big = std::endian::native == std::endian::big;

bool clip_t(double p, double q, double& t0, double& t1) noexcept {
    if (p == 0) return q >= 0;
    const double r = q / p;
    if (p < 0) {
        if (r > t1) return false;
        if (r > t0) t0 = r;
    } else {
        if (r < t0) return false;
        if (r < t1) t1 = r;
    }
    return true;
}

// Exactly collinear in integers; on a line only a point between its neighbours is redundant,
// in a ring a spike (a zero-width there-and-back) is too.
bool redundant(const TilePoint& a, const TilePoint& b, const TilePoint& c, bool ring) noexcept {
    const std::int64_t abx = std::int64_t{b.x} - a.x;
    const std::int64_t aby = std::int64_t{b.y} - a.y;
    const std::int64_t bcx = std::int64_t{c.x} - b.x;
    const std::int64_t bcy = std::int64_t{c.y} - b.y;
    if (abx * bcy - aby * bcx != 0) return false;
    return ring || abx * bcx + aby * bcy > 0;
}

}  // namespace

class TileGeometry::Reader {
  public:
    explicit Reader(std::span<const unsigned char> data) noexcept
        : m_p(data.data()), m_end(data.data() + data.size()) {}

    std::size_t remaining() const noexcept { return static_cast<std::size_t>(m_end - m_p); }

    bool u8(std::uint8_t& v) noexcept {
        if (m_p == m_end) return false;
        v = *m_p++;
        return true;
    }

    bool u32(bool big, std::uint32_t& v) noexcept {
        if (remaining() < 4) return false;
        std::memcpy(&v, m_p, 4);
        m_p += 4;
        if (big != k_host_big) v = swap32(v);
        return true;
    }

    /// @pre remaining() >= 8
    double f64(bool big) noexcept {
        std::uint64_t bits;
        std::memcpy(&bits, m_p, 8);
        m_p += 8;
        if (big != k_host_big) bits = swap64(bits);
        return std::bit_cast<double>(bits);
    }

    /// @pre remaining() >= n
    void skip(std::size_t n) noexcept { m_p += n; }

  private:
    const unsigned char* m_p;
    const unsigned char* m_end;
};

TileGeometry::TileGeometry(const TileId& t, const MvtOptions& options) {
    const BBox b = bounds_mercator(t);
    const double extent = options.extent;
    m_origin_x = b.minx;
    m_origin_y = b.maxy;
    m_scale = extent / tile_size_m(t.z);
    m_lo = -static_cast<double>(options.buffer);
    m_hi = extent + options.buffer;
    m_length_scale = 4096.0 / extent;
    m_area_scale = m_length_scale * m_length_scale;
    m_min_area = options.min_area_units;
    m_min_length = options.min_area_units > 0 ? std::sqrt(options.min_area_units) : 0.0;
}

GeomType TileGeometry::build(std::span<const unsigned char> wkb) {
    m_family = Family::none;
    m_raw.clear();
    m_raw_parts.clear();
    m_out.clear();
    m_out_parts.clear();
    m_raw_bounds = BBox{};
    m_largest_ring_area = 0;
    m_ring_area = 0;

    Reader r{wkb};
    if (!parse_geometry(r, 0, 0) || r.remaining() != 0) return GeomType::none;
    for (const RawPart& part : m_raw_parts) {
        if (part.end > part.begin) {
            m_raw_bounds.extend(part.minx, part.miny);
            m_raw_bounds.extend(part.maxx, part.maxy);
        }
    }

    switch (m_family) {
        case Family::point:
            build_points();
            return m_out_parts.empty() ? GeomType::none : GeomType::point;
        case Family::line:
            build_lines();
            return m_out_parts.empty() ? GeomType::none : GeomType::linestring;
        case Family::polygon:
            build_polygons();
            return m_out_parts.empty() ? GeomType::none : GeomType::polygon;
        case Family::none:
            break;
    }
    return GeomType::none;
}

bool TileGeometry::parse_geometry(Reader& r, int depth, std::uint32_t expected_type) {
    std::uint8_t order = 0;
    std::uint32_t type = 0;
    if (!r.u8(order) || order > 1) return false;
    const bool big = order == 0;
    if (!r.u32(big, type) || type >= 4000) return false;
    const std::uint32_t base = type % 1000;
    const std::uint32_t zm = type / 1000;  // ISO: 1 Z, 2 M, 3 ZM
    const int dims = 2 + (zm == 1 || zm == 2 ? 1 : zm == 3 ? 2 : 0);
    if (expected_type != 0 && base != expected_type) return false;

    Family family = Family::none;
    switch (base) {
        case 1:
        case 4:
            family = Family::point;
            break;
        case 2:
        case 5:
            family = Family::line;
            break;
        case 3:
        case 6:
            family = Family::polygon;
            break;
        case 7:
            break;
        default:
            return false;
    }
    if (m_family == Family::none) m_family = family;
    const std::size_t raw_size = m_raw.size();
    const std::size_t parts_size = m_raw_parts.size();

    std::uint32_t count = 0;
    switch (base) {
        case 1:
            if (!parse_points(r, big, dims, 1, Role::point)) return false;
            break;
        case 2:
            if (!r.u32(big, count) || !parse_points(r, big, dims, count, Role::line)) return false;
            break;
        case 3:
            if (!r.u32(big, count) || count > r.remaining() / 4) return false;
            for (std::uint32_t i = 0; i < count; ++i) {
                std::uint32_t n = 0;
                if (!r.u32(big, n) ||
                    !parse_points(r, big, dims, n, i == 0 ? Role::exterior : Role::interior)) {
                    return false;
                }
            }
            break;
        default:  // MultiPoint, MultiLineString, MultiPolygon, GeometryCollection
            if (depth >= k_max_depth) return false;
            if (!r.u32(big, count) || count > r.remaining() / k_min_member_bytes) return false;
            for (std::uint32_t i = 0; i < count; ++i) {
                if (!parse_geometry(r, depth + 1, base == 7 ? 0 : base - 3)) return false;
            }
            break;
    }
    if (family != Family::none && family != m_family) {
        m_raw.resize(raw_size);
        m_raw_parts.resize(parts_size);
    }
    return true;
}

bool TileGeometry::parse_points(Reader& r, bool big, int dims, std::uint32_t count, Role role) {
    const std::size_t point_bytes = static_cast<std::size_t>(dims) * 8;
    if (count > r.remaining() / point_bytes) return false;
    const std::size_t begin = m_raw.size();
    for (std::uint32_t i = 0; i < count; ++i) {
        DPoint p{};
        bool empty = false;
        if (!read_point(r, big, dims, p, empty)) return false;
        if (empty) {
            if (role != Role::point) return false;
            continue;
        }
        m_raw.push_back(p);
    }
    close_raw_part(begin, role);
    return true;
}

bool TileGeometry::read_point(Reader& r, bool big, int dims, DPoint& p, bool& empty) const {
    const double lon = r.f64(big);
    const double lat = r.f64(big);
    r.skip(static_cast<std::size_t>(dims - 2) * 8);
    empty = std::isnan(lon) && std::isnan(lat);
    if (empty) return true;
    if (!std::isfinite(lon) || !std::isfinite(lat) || std::abs(lon) > k_max_abs_lon) return false;
    p.x = (lon_to_mercator_x(lon) - m_origin_x) * m_scale;
    p.y = (m_origin_y - lat_to_mercator_y(lat)) * m_scale;
    return true;
}

void TileGeometry::close_raw_part(std::size_t begin, Role role) {
    if ((role == Role::exterior || role == Role::interior) && m_raw.size() - begin >= 2 &&
        m_raw.back() == m_raw[begin]) {
        m_raw.pop_back();
    }
    RawPart part{static_cast<std::uint32_t>(begin),
                 static_cast<std::uint32_t>(m_raw.size()),
                 role,
                 std::numeric_limits<double>::infinity(),
                 std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity()};
    for (std::size_t i = begin; i < m_raw.size(); ++i) {
        part.minx = std::min(part.minx, m_raw[i].x);
        part.miny = std::min(part.miny, m_raw[i].y);
        part.maxx = std::max(part.maxx, m_raw[i].x);
        part.maxy = std::max(part.maxy, m_raw[i].y);
    }
    m_raw_parts.push_back(part);
}

bool TileGeometry::inside(const RawPart& part) const noexcept {
    return part.minx >= m_lo && part.maxx <= m_hi && part.miny >= m_lo && part.maxy <= m_hi;
}

bool TileGeometry::outside(const RawPart& part) const noexcept {
    return part.maxx < m_lo || part.minx > m_hi || part.maxy < m_lo || part.miny > m_hi;
}

// Callers pass only points inside the clip rectangle (give or take rounding), so the
// conversion cannot overflow.
TilePoint TileGeometry::round(const DPoint& p) const noexcept {
    return {static_cast<std::int32_t>(std::floor(p.x + 0.5)),
            static_cast<std::int32_t>(std::floor(p.y + 0.5))};
}

void TileGeometry::build_points() {
    for (const DPoint& p : m_raw) {
        if (p.x >= m_lo && p.x <= m_hi && p.y >= m_lo && p.y <= m_hi) m_out.push_back(round(p));
    }
    if (!m_out.empty()) m_out_parts.push_back({0, static_cast<std::uint32_t>(m_out.size())});
}

void TileGeometry::build_lines() {
    double length = 0;
    for (const RawPart& part : m_raw_parts) {
        if (part.end - part.begin < 2 || outside(part)) continue;
        const std::span<const DPoint> line{m_raw.data() + part.begin, m_raw.data() + part.end};
        if (inside(part)) {
            emit_line(line, length);
        } else {
            clip_line(line, length);
        }
    }
    if (length * m_length_scale < m_min_length) {
        m_out.clear();
        m_out_parts.clear();
    }
}

// Liang–Barsky per segment; a line that leaves and re-enters the rectangle becomes several.
void TileGeometry::clip_line(std::span<const DPoint> line, double& length) {
    auto& piece = m_clip_a;
    piece.clear();
    const auto flush = [&] {
        if (piece.size() >= 2) emit_line(piece, length);
        piece.clear();
    };
    for (std::size_t i = 0; i + 1 < line.size(); ++i) {
        const DPoint a = line[i];
        const DPoint b = line[i + 1];
        const double dx = b.x - a.x;
        const double dy = b.y - a.y;
        double t0 = 0;
        double t1 = 1;
        if (!clip_t(-dx, a.x - m_lo, t0, t1) || !clip_t(dx, m_hi - a.x, t0, t1) ||
            !clip_t(-dy, a.y - m_lo, t0, t1) || !clip_t(dy, m_hi - a.y, t0, t1)) {
            flush();
            continue;
        }
        if (piece.empty() || t0 > 0) {
            flush();
            piece.push_back(t0 > 0 ? DPoint{a.x + t0 * dx, a.y + t0 * dy} : a);
        }
        piece.push_back(t1 < 1 ? DPoint{a.x + t1 * dx, a.y + t1 * dy} : b);
        if (t1 < 1) flush();
    }
    flush();
}

void TileGeometry::emit_line(std::span<const DPoint> line, double& length) {
    const std::span<const DPoint> src = simplify(line, false);
    const std::size_t begin = m_out.size();
    for (const DPoint& p : src) push_point(begin, round(p), false);
    if (m_out.size() - begin < 2) {
        m_out.resize(begin);
        return;
    }
    // Measured before rounding, like polygon areas, so that the threshold does not jump.
    for (std::size_t i = 1; i < src.size(); ++i) {
        length += std::hypot(src[i].x - src[i - 1].x, src[i].y - src[i - 1].y);
    }
    m_out_parts.push_back(
        {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(m_out.size())});
}

void TileGeometry::build_polygons() {
    bool exterior_kept = false;
    for (const RawPart& part : m_raw_parts) {
        const std::span<const DPoint> ring{m_raw.data() + part.begin, m_raw.data() + part.end};
        if (part.role == Role::exterior) {
            exterior_kept = emit_ring(ring, part, true);
        } else if (exterior_kept) {
            emit_ring(ring, part, false);
        }
    }
}

// Sutherland–Hodgman, only against the sides the ring's box crosses.
std::span<const TileGeometry::DPoint> TileGeometry::clip_ring(std::span<const DPoint> ring,
                                                              const RawPart& part) {
    std::span<const DPoint> cur = ring;
    std::vector<DPoint>* out = &m_clip_a;
    std::vector<DPoint>* spare = &m_clip_b;
    const auto side = [&](auto is_in, auto cross) {
        out->clear();
        if (cur.empty()) return;
        DPoint prev = cur.back();
        bool prev_in = is_in(prev);
        for (const DPoint& p : cur) {
            const bool in = is_in(p);
            if (in != prev_in) out->push_back(cross(prev, p));
            if (in) out->push_back(p);
            prev = p;
            prev_in = in;
        }
        cur = *out;
        std::swap(out, spare);
    };
    const auto at_x = [](double x) {
        return [x](const DPoint& a, const DPoint& b) {
            return DPoint{x, a.y + (x - a.x) / (b.x - a.x) * (b.y - a.y)};
        };
    };
    const auto at_y = [](double y) {
        return [y](const DPoint& a, const DPoint& b) {
            return DPoint{a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x), y};
        };
    };
    const double lo = m_lo;
    const double hi = m_hi;
    if (part.minx < lo) side([lo](const DPoint& p) { return p.x >= lo; }, at_x(lo));
    if (part.maxx > hi) side([hi](const DPoint& p) { return p.x <= hi; }, at_x(hi));
    if (part.miny < lo) side([lo](const DPoint& p) { return p.y >= lo; }, at_y(lo));
    if (part.maxy > hi) side([hi](const DPoint& p) { return p.y <= hi; }, at_y(hi));
    return cur;
}

bool TileGeometry::emit_ring(std::span<const DPoint> ring, const RawPart& part, bool exterior) {
    if (ring.size() < 3 || outside(part)) return false;
    const std::span<const DPoint> clipped = inside(part) ? ring : clip_ring(ring, part);
    if (clipped.size() < 3) return false;

    double area2 = 0;
    const DPoint o = clipped.front();
    for (std::size_t i = 1; i + 1 < clipped.size(); ++i) {
        area2 += (clipped[i].x - o.x) * (clipped[i + 1].y - o.y) -
                 (clipped[i + 1].x - o.x) * (clipped[i].y - o.y);
    }
    const double area = std::abs(area2) * 0.5 * m_area_scale;
    if (exterior) {
        m_largest_ring_area = std::max(m_largest_ring_area, area);
        m_ring_area += area;
    }
    if (area < m_min_area) return false;

    const std::span<const DPoint> src = simplify(clipped, true);
    const std::size_t begin = m_out.size();
    for (const DPoint& p : src) push_point(begin, round(p), true);
    const std::size_t start = close_ring(begin);
    m_out.erase(m_out.begin() + static_cast<std::ptrdiff_t>(begin),
                m_out.begin() + static_cast<std::ptrdiff_t>(start));
    if (m_out.size() - begin < 3) {
        m_out.resize(begin);
        return false;
    }

    // Unsigned so that absurd rings wrap instead of overflowing; the sum is exact whenever
    // the true area fits in 63 bits.
    std::uint64_t sum = 0;
    for (std::size_t i = begin; i < m_out.size(); ++i) {
        const TilePoint& a = m_out[i];
        const TilePoint& b = m_out[i + 1 < m_out.size() ? i + 1 : begin];
        sum += static_cast<std::uint64_t>(std::int64_t{a.x} * b.y) -
               static_cast<std::uint64_t>(std::int64_t{b.x} * a.y);
    }
    const auto int_area2 = static_cast<std::int64_t>(sum);
    if (int_area2 == 0) {
        m_out.resize(begin);
        return false;
    }
    if ((int_area2 > 0) != exterior) {
        std::reverse(m_out.begin() + static_cast<std::ptrdiff_t>(begin), m_out.end());
    }
    m_out_parts.push_back(
        {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(m_out.size())});
    return true;
}

// Douglas–Peucker with an explicit stack; a ring is run as a closed line from its first point
// back to it.
std::span<const TileGeometry::DPoint> TileGeometry::simplify(std::span<const DPoint> pts,
                                                             bool ring) {
    const std::size_t n = pts.size();
    if (n <= k_simplify_min_points) return pts;
    const std::size_t last = ring ? n : n - 1;
    const auto at = [&](std::size_t i) -> const DPoint& { return pts[i == n ? 0 : i]; };

    m_keep.assign(n, 0);
    m_keep[0] = 1;
    m_keep[n - 1] |= ring ? 0 : 1;
    m_stack.clear();
    m_stack.push_back({0, static_cast<std::uint32_t>(last)});
    std::size_t budget = n * k_simplify_work_per_point;
    while (!m_stack.empty()) {
        const PartRange range = m_stack.back();
        m_stack.pop_back();
        if (range.end - range.begin < 2) continue;
        if (range.end - range.begin - 1 > budget) {
            std::fill(m_keep.begin() + range.begin + 1, m_keep.begin() + range.end, 1);
            continue;
        }
        budget -= range.end - range.begin - 1;

        const DPoint& a = at(range.begin);
        const DPoint& b = at(range.end);
        const double dx = b.x - a.x;
        const double dy = b.y - a.y;
        const double len2 = dx * dx + dy * dy;
        double max_d2 = -1;
        std::uint32_t max_i = range.begin;
        for (std::uint32_t i = range.begin + 1; i < range.end; ++i) {
            const DPoint& p = pts[i];
            double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0.0;
            t = std::clamp(t, 0.0, 1.0);
            const double ex = a.x + t * dx - p.x;
            const double ey = a.y + t * dy - p.y;
            const double d2 = ex * ex + ey * ey;
            if (d2 > max_d2) {
                max_d2 = d2;
                max_i = i;
            }
        }
        if (max_d2 > k_simplify_tolerance2) {
            m_keep[max_i] = 1;
            m_stack.push_back({range.begin, max_i});
            m_stack.push_back({max_i, range.end});
        }
    }
    m_simplified.clear();
    for (std::size_t i = 0; i < n; ++i) {
        if (m_keep[i]) m_simplified.push_back(pts[i]);
    }
    return m_simplified;
}

void TileGeometry::push_point(std::size_t begin, TilePoint p, bool ring) {
    if (m_out.size() > begin && m_out.back() == p) return;
    while (m_out.size() - begin >= 2 && redundant(m_out[m_out.size() - 2], m_out.back(), p, ring)) {
        m_out.pop_back();
        if (m_out.back() == p) return;
    }
    m_out.push_back(p);
}

// Removes what repeats or is redundant across the ring's seam; returns where the ring now
// starts (points before it are to be dropped).
std::size_t TileGeometry::close_ring(std::size_t begin) {
    std::size_t start = begin;
    for (;;) {
        const std::size_t n = m_out.size() - start;
        if (n >= 2 && m_out.back() == m_out[start]) {
            m_out.pop_back();
        } else if (n >= 3 && redundant(m_out[m_out.size() - 2], m_out.back(), m_out[start], true)) {
            m_out.pop_back();
        } else if (n >= 3 && redundant(m_out.back(), m_out[start], m_out[start + 1], true)) {
            ++start;
        } else {
            return start;
        }
    }
}

}  // namespace geo::tiles::detail
