#include "capi/geos.hpp"

#include <cstdlib>

#include "geo/error.hpp"

namespace geo::capi {

GeosContext::GeosContext() : m_handle(GEOS_init_r()) {
    if (!m_handle) throw Error(Errc::internal, "cannot create a GEOS context");
    GEOSContext_setErrorMessageHandler_r(m_handle, &GeosContext::on_error, this);
    m_writer = GEOSWKBWriter_create_r(m_handle);
    if (!m_writer) {
        GEOS_finish_r(m_handle);
        throw Error(Errc::internal, "cannot create a GEOS WKB writer");
    }
    GEOSWKBWriter_setOutputDimension_r(m_handle, m_writer, 2);
    GEOSWKBWriter_setByteOrder_r(m_handle, m_writer, GEOS_WKB_NDR);
}

GeosContext::~GeosContext() {
    GEOSWKBWriter_destroy_r(m_handle, m_writer);
    GEOS_finish_r(m_handle);
}

void GeosContext::on_error(const char* message, void* self) {
    static_cast<GeosContext*>(self)->m_last_error = message ? message : "";
}

GeosGeom geos_from_wkb(const GeosContext& ctx, std::span<const unsigned char> wkb) {
    return GeosGeom(ctx.get(), GEOSGeomFromWKB_buf_r(ctx.get(), wkb.data(), wkb.size()));
}

std::vector<unsigned char> geos_to_wkb(const GeosContext& ctx, const GEOSGeometry* g) {
    std::size_t size = 0;
    unsigned char* buf = GEOSWKBWriter_write_r(ctx.get(), ctx.wkb_writer(), g, &size);
    if (!buf) throw Error(Errc::internal, "GEOS could not write WKB: " + ctx.last_error());
    std::vector<unsigned char> out(buf, buf + size);
    GEOSFree_r(ctx.get(), buf);
    return out;
}

}  // namespace geo::capi
