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

// Reads WKB polygons and sums their signed-ring areas in the plane.
class AreaReader {
  public:
    AreaReader(std::span<const unsigned char> wkb, const LocalFrame& frame) : m_wkb(wkb), m_frame(frame) {}

    double read() {
        double area = 0;
        if (!geometry(area, 0) || m_pos != m_wkb.size()) return 0;
        return area;
    }

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
    // Shoelace area of one ring in the plane; |area| since ring orientation varies by writer.
    bool ring(double& area) {
        std::uint32_t n = 0;
        if (!u32(n) || n > (m_wkb.size() - m_pos) / 16) return false;
        std::vector<XY> pts(n);
        for (auto& p : pts) {
            if (!f64(p.x) || !f64(p.y)) return false;
        }
        m_frame.to_metres(pts);
        double twice = 0;
        for (std::size_t i = 0; i + 1 < pts.size(); ++i) twice += pts[i].x * pts[i + 1].y - pts[i + 1].x * pts[i].y;
        area = std::fabs(twice) / 2;
        return true;
    }
    bool polygon(double& area) {
        std::uint32_t rings = 0;
        if (!u32(rings)) return false;
        for (std::uint32_t r = 0; r < rings; ++r) {
            double a = 0;
            if (!ring(a)) return false;
            area += r == 0 ? a : -a;  // the first ring is the shell, the others holes
        }
        return true;
    }
    bool geometry(double& area, int depth) {
        std::uint32_t type = 0;
        if (depth > 2 || !header(type)) return false;
        if (type == 3) return polygon(area);
        if (type != 6 && type != 7) return false;
        std::uint32_t parts = 0;
        if (!u32(parts)) return false;
        for (std::uint32_t i = 0; i < parts; ++i) {
            if (!geometry(area, depth + 1)) return false;
        }
        return true;
    }

    std::span<const unsigned char> m_wkb;
    const LocalFrame& m_frame;
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

double area_m2(std::span<const unsigned char> wkb_lonlat, const LocalFrame& frame) {
    return AreaReader(wkb_lonlat, frame).read();
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
