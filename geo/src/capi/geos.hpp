#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <geos_c.h>

namespace geo::capi {

/// A GEOS context for the calling thread, collecting GEOS's error messages.
/// Geometries made with it must not outlive it or cross to another thread.
class GeosContext {
public:
    GeosContext();
    ~GeosContext();
    GeosContext(const GeosContext&) = delete;
    GeosContext& operator=(const GeosContext&) = delete;

    GEOSContextHandle_t get() const noexcept { return m_handle; }
    /// GEOS's last error message ("" when none).
    const std::string& last_error() const noexcept { return m_last_error; }
    /// A WKB writer set to 2D little-endian output, reused for every geometry.
    GEOSWKBWriter* wkb_writer() const noexcept { return m_writer; }

private:
    static void on_error(const char* message, void* self);
    GEOSContextHandle_t m_handle;
    GEOSWKBWriter* m_writer = nullptr;
    std::string m_last_error;
};

/// Owner of a GEOSGeometry made in a given context.
class GeosGeom {
public:
    GeosGeom() = default;
    GeosGeom(GEOSContextHandle_t ctx, GEOSGeometry* g) : m_ctx(ctx), m_g(g) {}
    ~GeosGeom() { reset(); }
    GeosGeom(GeosGeom&& o) noexcept : m_ctx(o.m_ctx), m_g(o.m_g) { o.m_g = nullptr; }
    GeosGeom& operator=(GeosGeom&& o) noexcept {
        if (this != &o) {
            reset();
            m_ctx = o.m_ctx;
            m_g = o.m_g;
            o.m_g = nullptr;
        }
        return *this;
    }
    GeosGeom(const GeosGeom&) = delete;
    GeosGeom& operator=(const GeosGeom&) = delete;

    GEOSGeometry* get() const noexcept { return m_g; }
    GEOSGeometry* release() noexcept {
        auto* g = m_g;
        m_g = nullptr;
        return g;
    }
    explicit operator bool() const noexcept { return m_g != nullptr; }
    void reset() noexcept {
        if (m_g) GEOSGeom_destroy_r(m_ctx, m_g);
        m_g = nullptr;
    }

private:
    GEOSContextHandle_t m_ctx = nullptr;
    GEOSGeometry* m_g = nullptr;
};

/// Owner of a prepared geometry.
class GeosPrepared {
public:
    GeosPrepared(GEOSContextHandle_t ctx, const GEOSPreparedGeometry* p) : m_ctx(ctx), m_p(p) {}
    ~GeosPrepared() {
        if (m_p) GEOSPreparedGeom_destroy_r(m_ctx, m_p);
    }
    GeosPrepared(GeosPrepared&& o) noexcept : m_ctx(o.m_ctx), m_p(o.m_p) { o.m_p = nullptr; }
    GeosPrepared& operator=(GeosPrepared&&) = delete;
    GeosPrepared(const GeosPrepared&) = delete;
    GeosPrepared& operator=(const GeosPrepared&) = delete;
    const GEOSPreparedGeometry* get() const noexcept { return m_p; }

private:
    GEOSContextHandle_t m_ctx;
    const GEOSPreparedGeometry* m_p;
};

/// Reads WKB into GEOS; empty owner when GEOS rejects it (see GeosContext::last_error).
GeosGeom geos_from_wkb(const GeosContext& ctx, std::span<const unsigned char> wkb);

/// Writes a geometry as 2D little-endian WKB.
std::vector<unsigned char> geos_to_wkb(const GeosContext& ctx, const GEOSGeometry* g);

}  // namespace geo::capi
