#include "analysis/wkb.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>

namespace geo::analysis::detail {

namespace {

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
    if constexpr (std::endian::native == std::endian::big) v = swap_bytes(v);
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    out.insert(out.end(), p, p + 4);
}

void put_f64(std::vector<unsigned char>& out, double d) {
    std::uint64_t v = std::bit_cast<std::uint64_t>(d);
    if constexpr (std::endian::native == std::endian::big) v = swap_bytes(v);
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    out.insert(out.end(), p, p + 8);
}

// Reads the polygons of 2D WKB (Polygon, MultiPolygon, or a collection of them).
class PolygonReader {
  public:
    explicit PolygonReader(std::span<const unsigned char> wkb) : m_wkb(wkb) {}

    bool read(std::vector<Rings>& out) { return geometry(out, 0) && m_pos == m_wkb.size(); }

  private:
    bool u32(std::uint32_t& v) {
        if (m_wkb.size() - m_pos < 4) return false;
        std::memcpy(&v, m_wkb.data() + m_pos, 4);
        if (m_little != (std::endian::native == std::endian::little)) v = swap_bytes(v);
        m_pos += 4;
        return true;
    }
    bool f64(double& d) {
        if (m_wkb.size() - m_pos < 8) return false;
        std::uint64_t v;
        std::memcpy(&v, m_wkb.data() + m_pos, 8);
        if (m_little != (std::endian::native == std::endian::little)) v = swap_bytes(v);
        d = std::bit_cast<double>(v);
        m_pos += 8;
        return true;
    }
    bool header(std::uint32_t& type) {
        if (m_pos >= m_wkb.size() || m_wkb[m_pos] > 1) return false;
        m_little = m_wkb[m_pos++] == 1;
        return u32(type) && type < 1000;  // 2D only: what the store holds
    }
    bool polygon(Rings& rings) {
        std::uint32_t n = 0;
        if (!u32(n)) return false;
        rings.resize(n);
        for (auto& ring : rings) {
            std::uint32_t points = 0;
            if (!u32(points) || points > (m_wkb.size() - m_pos) / 16) return false;
            ring.resize(points);
            for (auto& p : ring) {
                if (!f64(p.x) || !f64(p.y)) return false;
            }
        }
        return true;
    }
    bool geometry(std::vector<Rings>& out, int depth) {
        std::uint32_t type = 0;
        if (depth > 2 || !header(type)) return false;
        if (type == 3) return polygon(out.emplace_back());
        if (type != 6 && type != 7) return false;
        std::uint32_t parts = 0;
        if (!u32(parts)) return false;
        for (std::uint32_t i = 0; i < parts; ++i) {
            if (!geometry(out, depth + 1)) return false;
        }
        return true;
    }

    std::span<const unsigned char> m_wkb;
    std::size_t m_pos = 0;
    bool m_little = true;
};

}  // namespace

std::vector<unsigned char> disc_wkb(XY centre_m, double radius_m, const LocalFrame& frame, int segments) {
    // Vertices on radius / cos(π/n): the chords then touch the circle from outside.
    const double outer = radius_m / std::cos(std::numbers::pi / segments);
    std::vector<XY> ring(static_cast<std::size_t>(segments) + 1);
    for (int i = 0; i < segments; ++i) {
        const double a = 2 * std::numbers::pi * i / segments;  // counter-clockwise: a shell
        ring[static_cast<std::size_t>(i)] = XY{centre_m.x + outer * std::cos(a), centre_m.y + outer * std::sin(a)};
    }
    ring.back() = ring.front();
    frame.to_lonlat(ring);
    ring.back() = ring.front();  // closed exactly, whatever the round trip did

    std::vector<unsigned char> out;
    out.reserve(22 + ring.size() * 16);
    out.push_back(1);
    put_u32(out, 6);  // MultiPolygon
    put_u32(out, 1);
    out.push_back(1);
    put_u32(out, 3);  // Polygon
    put_u32(out, 1);
    put_u32(out, static_cast<std::uint32_t>(ring.size()));
    for (const XY& p : ring) {
        put_f64(out, p.x);
        put_f64(out, p.y);
    }
    return out;
}

std::optional<std::vector<Rings>> read_polygons(std::span<const unsigned char> wkb) {
    std::vector<Rings> out;
    if (!PolygonReader(wkb).read(out)) return std::nullopt;
    return out;
}

double area_m2(std::span<const unsigned char> wkb_lonlat, const LocalFrame& frame) {
    auto polygons = read_polygons(wkb_lonlat);
    if (!polygons) return 0;
    double area = 0;
    for (auto& rings : *polygons) {
        for (std::size_t r = 0; r < rings.size(); ++r) {
            auto& pts = rings[r];
            frame.to_metres(pts);
            // Shoelace; |area| since ring orientation varies by writer. The first ring is the
            // shell, the others holes.
            double twice = 0;
            for (std::size_t i = 0; i + 1 < pts.size(); ++i) twice += pts[i].x * pts[i + 1].y - pts[i + 1].x * pts[i].y;
            area += (r == 0 ? 1 : -1) * std::fabs(twice) / 2;
        }
    }
    return area;
}

std::vector<unsigned char> point_wkb(double lon, double lat) {
    std::vector<unsigned char> out;
    out.reserve(21);
    out.push_back(1);
    put_u32(out, 1);
    put_f64(out, lon);
    put_f64(out, lat);
    return out;
}

}  // namespace geo::analysis::detail
