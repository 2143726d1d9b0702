// Isochrone polygons: reachable lines buffered with GEOS, written as lon/lat WKB.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <geos_c.h>

#include "capi/geos.hpp"
#include "geo/analysis/network.hpp"
#include "geo/error.hpp"

namespace geo::analysis {

namespace {

using capi::GeosContext;
using capi::GeosGeom;

GeosGeom line_string(const GeosContext& ctx, const std::vector<XY>& line) {
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(
        ctx.get(), &line[0].x, static_cast<unsigned>(line.size()), 0, 0);
    if (!seq) throw Error(Errc::internal, "GEOS could not make a coordinate sequence: " + ctx.last_error());
    GeosGeom g(ctx.get(), GEOSGeom_createLineString_r(ctx.get(), seq));
    if (!g) throw Error(Errc::internal, "GEOS could not make a line: " + ctx.last_error());
    return g;
}

class WkbWriter {
public:
    void byte(std::uint8_t b) { m_out.push_back(b); }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) m_out.push_back(static_cast<unsigned char>(v >> (8 * i)));
    }
    void f64(double d) {
        std::uint64_t v;
        std::memcpy(&v, &d, sizeof v);
        for (int i = 0; i < 8; ++i) m_out.push_back(static_cast<unsigned char>(v >> (8 * i)));
    }
    std::vector<unsigned char>& bytes() { return m_out; }

private:
    std::vector<unsigned char> m_out;
};

std::vector<XY> ring_coords(const GeosContext& ctx, const GEOSGeometry* ring) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx.get(), ring);
    unsigned int size = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx.get(), seq, &size)) {
        throw Error(Errc::internal, "GEOS could not read a ring: " + ctx.last_error());
    }
    std::vector<XY> pts(size);
    if (size > 0 && !GEOSCoordSeq_copyToBuffer_r(ctx.get(), seq, &pts[0].x, 0, 0)) {
        throw Error(Errc::internal, "GEOS could not read a ring: " + ctx.last_error());
    }
    return pts;
}

// Writes every polygon of a (multi)polygon, or of a collection holding some, in lon/lat.
void collect_polygons(const GeosContext& ctx, const GEOSGeometry* g,
                      std::vector<const GEOSGeometry*>& out) {
    const int type = GEOSGeomTypeId_r(ctx.get(), g);
    if (type == GEOS_POLYGON) {
        if (!GEOSisEmpty_r(ctx.get(), g)) out.push_back(g);
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(ctx.get(), g);
        for (int i = 0; i < n; ++i) collect_polygons(ctx, GEOSGetGeometryN_r(ctx.get(), g, i), out);
    }
}

}  // namespace

std::vector<unsigned char> buffer_lines_wkb(const std::vector<std::vector<XY>>& lines_m,
                                            double buffer_m, const LocalFrame& frame,
                                            int quadrant_segments) {
    if (!(buffer_m > 0) || !std::isfinite(buffer_m)) {
        throw Error(Errc::invalid_argument, "the isochrone buffer must be a finite width > 0 m");
    }
    if (quadrant_segments < 1) quadrant_segments = 1;

    WkbWriter wkb;
    wkb.byte(1);
    wkb.u32(6);  // MultiPolygon
    const std::size_t count_at = wkb.bytes().size();
    wkb.u32(0);

    std::vector<const std::vector<XY>*> usable;
    for (const auto& line : lines_m) {
        if (line.size() >= 2) usable.push_back(&line);
    }
    if (usable.empty()) return std::move(wkb.bytes());

    GeosContext ctx;
    // One buffer per piece, then a cascaded union: on a city's street grid this is about ten
    // times faster than buffering the whole MultiLineString, whose overlay of heavily
    // overlapping offset curves dominates (measured 65 against 780 ms for ~380 pieces).
    std::vector<GeosGeom> owned;
    owned.reserve(usable.size());
    for (const auto* line : usable) {
        const GeosGeom g = line_string(ctx, *line);
        GeosGeom b(ctx.get(), GEOSBufferWithStyle_r(ctx.get(), g.get(), buffer_m, quadrant_segments,
                                                    GEOSBUF_CAP_ROUND, GEOSBUF_JOIN_ROUND, 5.0));
        if (!b) throw Error(Errc::internal, "GEOS could not buffer a line: " + ctx.last_error());
        owned.push_back(std::move(b));
    }
    std::vector<GEOSGeometry*> buffers;
    buffers.reserve(owned.size());
    for (auto& b : owned) buffers.push_back(b.release());
    GeosGeom collection(ctx.get(), GEOSGeom_createCollection_r(ctx.get(), GEOS_GEOMETRYCOLLECTION,
                                                               buffers.data(),
                                                               static_cast<unsigned>(buffers.size())));
    if (!collection) {
        for (GEOSGeometry* g : buffers) GEOSGeom_destroy_r(ctx.get(), g);
        throw Error(Errc::internal, "GEOS could not collect the buffers: " + ctx.last_error());
    }
    GeosGeom area(ctx.get(), GEOSUnaryUnion_r(ctx.get(), collection.get()));
    if (!area) throw Error(Errc::internal, "GEOS could not union the buffers: " + ctx.last_error());
    if (GEOSisValid_r(ctx.get(), area.get()) != 1) {
        area = GeosGeom(ctx.get(), GEOSMakeValid_r(ctx.get(), area.get()));
        if (!area) throw Error(Errc::internal, "GEOS could not repair the buffer: " + ctx.last_error());
    }

    std::vector<const GEOSGeometry*> polygons;
    collect_polygons(ctx, area.get(), polygons);
    std::uint32_t written = 0;
    for (const GEOSGeometry* poly : polygons) {
        std::vector<std::vector<XY>> rings;
        rings.push_back(ring_coords(ctx, GEOSGetExteriorRing_r(ctx.get(), poly)));
        const int holes = GEOSGetNumInteriorRings_r(ctx.get(), poly);
        for (int h = 0; h < holes; ++h) {
            rings.push_back(ring_coords(ctx, GEOSGetInteriorRingN_r(ctx.get(), poly, h)));
        }
        wkb.byte(1);
        wkb.u32(3);  // Polygon
        wkb.u32(static_cast<std::uint32_t>(rings.size()));
        for (auto& ring : rings) {
            frame.to_lonlat(ring);
            wkb.u32(static_cast<std::uint32_t>(ring.size()));
            for (const XY& p : ring) {
                wkb.f64(p.x);
                wkb.f64(p.y);
            }
        }
        ++written;
    }
    auto& bytes = wkb.bytes();
    for (int i = 0; i < 4; ++i) bytes[count_at + static_cast<std::size_t>(i)] = static_cast<unsigned char>(written >> (8 * i));
    return std::move(bytes);
}

std::vector<unsigned char> RoadNetwork::isochrone_wkb(const Origin& origin, double limit_m,
                                                      double buffer_m, const LocalFrame& frame,
                                                      int quadrant_segments) const {
    if (!(buffer_m > 0) || !std::isfinite(buffer_m)) {
        throw Error(Errc::invalid_argument, "the isochrone buffer must be a finite width > 0 m");
    }
    return buffer_lines_wkb(reachable_lines(origin, limit_m), buffer_m, frame, quadrant_segments);
}

}  // namespace geo::analysis
