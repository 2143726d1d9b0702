#include "geo/analysis/frame.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <proj.h>

#include "capi/free.hpp"
#include "geo/error.hpp"

namespace geo::analysis {

struct LocalFrame::Impl {
    // Declared before the PJ so that it is destroyed after it.
    capi::Owned<PJ_CONTEXT, proj_context_destroy> context;
    capi::Owned<PJ, proj_destroy> operation;
};

namespace {

bool finite(XY p) { return std::isfinite(p.x) && std::isfinite(p.y); }

void transform(PJ* op, PJ_DIRECTION dir, std::span<XY> points, const char* what) {
    for (const XY& p : points) {
        if (!finite(p)) throw Error(Errc::invalid_argument, std::string(what) + " is not finite");
    }
    if (points.empty()) return;
    constexpr std::size_t stride = sizeof(XY);
    static_assert(sizeof(XY) == 2 * sizeof(double));
    proj_trans_generic(op, dir, &points[0].x, stride, points.size(), &points[0].y, stride,
                       points.size(), nullptr, 0, 0, nullptr, 0, 0);
    for (const XY& p : points) {
        // PROJ marks a point it cannot transform with HUGE_VAL.
        if (!finite(p)) {
            throw Error(Errc::invalid_argument,
                        std::string(what) + " is too far from the district to be projected");
        }
    }
}

class WkbReader {
public:
    explicit WkbReader(std::span<const unsigned char> wkb) : m_wkb(wkb) {}

    std::uint8_t byte() {
        need(1);
        return m_wkb[m_pos++];
    }
    std::uint32_t u32(bool little) {
        need(4);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const std::uint32_t b = m_wkb[m_pos + static_cast<std::size_t>(little ? i : 3 - i)];
            v |= b << (8 * i);
        }
        m_pos += 4;
        return v;
    }
    double f64(bool little) {
        need(8);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) {
            const std::uint64_t b = m_wkb[m_pos + static_cast<std::size_t>(little ? i : 7 - i)];
            v |= b << (8 * i);
        }
        m_pos += 8;
        double d;
        std::memcpy(&d, &v, sizeof d);
        return d;
    }
    std::size_t remaining() const { return m_wkb.size() - m_pos; }

private:
    void need(std::size_t n) const {
        if (m_wkb.size() - m_pos < n) throw Error(Errc::invalid_argument, "WKB is truncated");
    }
    std::span<const unsigned char> m_wkb;
    std::size_t m_pos = 0;
};

// Reads one (Multi)LineString header: returns the base type and the number of ordinates per
// point (2 for XY, 3 for XYZ or XYM, 4 for XYZM), ISO or EWKB flags alike.
struct Header {
    bool little;
    std::uint32_t type;
    int dims;
};

Header read_header(WkbReader& r) {
    const std::uint8_t order = r.byte();
    if (order > 1) throw Error(Errc::invalid_argument, "WKB has an invalid byte-order mark");
    const bool little = order == 1;
    std::uint32_t code = r.u32(little);
    int dims = 2;
    if (code & 0x80000000u) ++dims;  // EWKB Z
    if (code & 0x40000000u) ++dims;  // EWKB M
    if (code & 0x20000000u) r.u32(little);  // EWKB SRID
    code &= 0x0FFFFFFFu;
    if (code >= 3000) dims = 4;
    else if (code >= 1000) dims = 3;
    return {little, code % 1000, dims};
}

void read_line(WkbReader& r, const Header& h, std::vector<XY>& out) {
    const std::uint32_t n = r.u32(h.little);
    if (static_cast<std::size_t>(n) > r.remaining() / (8u * static_cast<unsigned>(h.dims))) {
        throw Error(Errc::invalid_argument, "WKB is truncated");
    }
    out.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        XY p;
        p.x = r.f64(h.little);
        p.y = r.f64(h.little);
        for (int d = 2; d < h.dims; ++d) r.f64(h.little);
        out.push_back(p);
    }
}

}  // namespace

LocalFrame::LocalFrame(const BBox& bbox_wgs84) : m_impl(std::make_unique<Impl>()) {
    const BBox& b = bbox_wgs84;
    if (b.empty() || !std::isfinite(b.minx) || !std::isfinite(b.maxx) || !std::isfinite(b.miny) ||
        !std::isfinite(b.maxy)) {
        throw Error(Errc::invalid_argument, "the district's extent is empty or not finite");
    }
    if (b.minx < -180 || b.maxx > 180 || b.miny < -85 || b.maxy > 85) {
        throw Error(Errc::invalid_argument,
                    "the district's extent is not lon/lat degrees within ±180° / ±85°");
    }
    m_lon0 = (b.minx + b.maxx) / 2;
    m_lat0 = (b.miny + b.maxy) / 2;

    m_impl->context.reset(proj_context_create());
    PJ_CONTEXT* ctx = m_impl->context.get();
    if (!ctx) throw Error(Errc::internal, "could not create a PROJ context");
    proj_log_level(ctx, PJ_LOG_NONE);
    proj_context_set_enable_network(ctx, 0);

    // A pipeline takes degrees directly, so bulk transforms need no radian pass of their own.
    char definition[256];
    std::snprintf(definition, sizeof definition,
                  "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
                  "+step +proj=tmerc +lat_0=%.12f +lon_0=%.12f +k=1 +x_0=0 +y_0=0 "
                  "+ellps=GRS80 +units=m",
                  m_lat0, m_lon0);
    m_impl->operation.reset(proj_create(ctx, definition));
    if (!m_impl->operation) {
        throw Error(Errc::internal, std::string("PROJ rejected the local frame: ") +
                                        proj_context_errno_string(ctx, proj_context_errno(ctx)));
    }
}

LocalFrame::~LocalFrame() = default;
LocalFrame::LocalFrame(LocalFrame&&) noexcept = default;
LocalFrame& LocalFrame::operator=(LocalFrame&&) noexcept = default;

XY LocalFrame::to_metres(double lon, double lat) const {
    XY p{lon, lat};
    to_metres(std::span<XY>(&p, 1));
    return p;
}

void LocalFrame::to_lonlat(XY p, double& lon, double& lat) const {
    to_lonlat(std::span<XY>(&p, 1));
    lon = p.x;
    lat = p.y;
}

void LocalFrame::to_metres(std::span<XY> points) const {
    transform(m_impl->operation.get(), PJ_FWD, points, "a lon/lat coordinate");
}

void LocalFrame::to_lonlat(std::span<XY> points) const {
    transform(m_impl->operation.get(), PJ_INV, points, "a coordinate in metres");
}

std::vector<std::vector<XY>> LocalFrame::lines_to_metres(
    std::span<const unsigned char> wkb_lonlat) const {
    WkbReader r(wkb_lonlat);
    const Header h = read_header(r);
    std::vector<std::vector<XY>> lines;
    if (h.type == 2) {
        lines.emplace_back();
        read_line(r, h, lines.back());
    } else if (h.type == 5) {
        const std::uint32_t n = r.u32(h.little);
        if (n > r.remaining() / 9) throw Error(Errc::invalid_argument, "WKB is truncated");
        lines.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            const Header part = read_header(r);
            if (part.type != 2) {
                throw Error(Errc::invalid_argument,
                            "a MultiLineString in WKB holds something other than LineStrings");
            }
            lines.emplace_back();
            read_line(r, part, lines.back());
        }
    } else {
        throw Error(Errc::invalid_argument,
                    "expected a LineString or MultiLineString in WKB, got type " +
                        std::to_string(h.type));
    }
    for (auto& line : lines) to_metres(line);
    return lines;
}

}  // namespace geo::analysis
