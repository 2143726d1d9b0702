#include "import/geometry.hpp"

#include <cmath>

#include <ogr_spatialref.h>

#include "geo/error.hpp"

namespace geo::import::detail {

const char* stored_type(Family f) {
    switch (f) {
        case Family::point: return "POINT";
        case Family::multipoint: return "MULTIPOINT";
        case Family::line: return "MULTILINESTRING";
        case Family::polygon: return "MULTIPOLYGON";
        case Family::any: return "GEOMETRY";
    }
    return "GEOMETRY";
}

std::optional<Family> family_of(OGRwkbGeometryType layer_type) {
    switch (wkbFlatten(layer_type)) {
        case wkbNone: return std::nullopt;
        case wkbPoint: return Family::point;
        case wkbMultiPoint: return Family::multipoint;
        case wkbLineString:
        case wkbMultiLineString:
        case wkbCircularString:
        case wkbCompoundCurve:
        case wkbMultiCurve: return Family::line;
        case wkbPolygon:
        case wkbMultiPolygon:
        case wkbCurvePolygon:
        case wkbMultiSurface:
        case wkbTIN:
        case wkbPolyhedralSurface:
        case wkbTriangle: return Family::polygon;
        default: return Family::any;
    }
}

// An OGR coordinate transformation that reprojects with our PROJ transformer and, on the
// way, refuses non-finite input, failed transformations and results outside lon/lat range,
// and records the extent. OGR hands it every coordinate of a geometry.
struct GeometryCleaner::Reprojection final : public OGRCoordinateTransformation {
    enum class Failure { none, non_finite, transform, range };

    explicit Reprojection(const crs::Transformer& t) : transformer(&t) {}

    OGRSpatialReference* GetSourceCS() override { return nullptr; }
    OGRSpatialReference* GetTargetCS() override { return nullptr; }
    OGRCoordinateTransformation* Clone() const override { return new Reprojection(*this); }
    OGRCoordinateTransformation* GetInverse() const override { return nullptr; }

    int Transform(int n, double* x, double* y, double*, double*, int* success) override {
        const auto count = static_cast<std::size_t>(n);
        bool ok = true;
        buffer.resize(count * 2);
        for (size_t i = 0; i < count; ++i) {
            if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
                failure = Failure::non_finite;
                ok = false;
            }
            buffer[2 * i] = x[i];
            buffer[2 * i + 1] = y[i];
        }
        if (ok && !transformer->is_noop() && !transformer->transform(buffer.data(), count)) {
            failure = Failure::transform;
            ok = false;
        }
        for (size_t i = 0; ok && i < count; ++i) {
            const double lon = buffer[2 * i];
            const double lat = buffer[2 * i + 1];
            if (!(lon >= -180.0 && lon <= 180.0 && lat >= -90.0 && lat <= 90.0)) {
                failure = Failure::range;
                ok = false;
                break;
            }
            x[i] = lon;
            y[i] = lat;
            bbox.extend(lon, lat);
        }
        if (success) {
            for (size_t i = 0; i < count; ++i) success[i] = ok ? TRUE : FALSE;
        }
        return ok ? TRUE : FALSE;
    }

    const crs::Transformer* transformer;
    std::vector<double> buffer;
    Failure failure = Failure::none;
    BBox bbox;
};

namespace {

std::unique_ptr<OGRGeometry> to_family(std::unique_ptr<OGRGeometry> g, Family family) {
    if (g->hasCurveGeometry()) g.reset(g->getLinearGeometry());
    g->flattenTo2D();
    OGRwkbGeometryType target = wkbUnknown;
    switch (family) {
        case Family::point: target = wkbPoint; break;
        case Family::multipoint: target = wkbMultiPoint; break;
        case Family::line: target = wkbMultiLineString; break;
        case Family::polygon: target = wkbMultiPolygon; break;
        case Family::any: return g;
    }
    if (family == Family::point && wkbFlatten(g->getGeometryType()) == wkbMultiPoint) {
        auto* mp = g->toMultiPoint();
        if (mp->getNumGeometries() != 1) return g;  // refused by the caller
        return std::unique_ptr<OGRGeometry>(mp->getGeometryRef(0)->clone());
    }
    return std::unique_ptr<OGRGeometry>(OGRGeometryFactory::forceTo(g.release(), target));
}

// Line parts with fewer than two points cannot be drawn or routed over; they are removed.
void drop_degenerate_lines(OGRGeometry* g) {
    if (wkbFlatten(g->getGeometryType()) != wkbMultiLineString) return;
    auto* ml = g->toMultiLineString();
    for (int i = ml->getNumGeometries() - 1; i >= 0; --i) {
        if (ml->getGeometryRef(i)->getNumPoints() < 2) ml->removeGeometry(i);
    }
}

}  // namespace

GeometryCleaner::GeometryCleaner(Family family, const crs::Transformer& transformer,
                                 bool want_point_on_surface)
    : m_family(family),
      m_want_pos(want_point_on_surface),
      m_transform(std::make_unique<Reprojection>(transformer)) {
    m_make_valid = GEOSMakeValidParams_create_r(m_geos.get());
    // STRUCTURE keeps polygonal input polygonal; collapsed parts are dropped.
    GEOSMakeValidParams_setMethod_r(m_geos.get(), m_make_valid, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(m_geos.get(), m_make_valid, 0);
}

GeometryCleaner::~GeometryCleaner() { GEOSMakeValidParams_destroy_r(m_geos.get(), m_make_valid); }

Cleaned GeometryCleaner::clean(std::unique_ptr<OGRGeometry> g) {
    Cleaned out;
    if (!g) {
        out.skip_reason = "no geometry";
        return out;
    }
    const std::string original_type = OGRGeometryTypeToName(g->getGeometryType());
    g = to_family(std::move(g), m_family);
    const auto type = g ? wkbFlatten(g->getGeometryType()) : wkbUnknown;
    const bool fits = g && (m_family == Family::any ||
                            (m_family == Family::point && type == wkbPoint) ||
                            (m_family == Family::multipoint && type == wkbMultiPoint) ||
                            (m_family == Family::line && type == wkbMultiLineString) ||
                            (m_family == Family::polygon && type == wkbMultiPolygon));
    if (!fits) {
        out.skip_reason = "geometry type " + original_type + " does not fit a " +
                          stored_type(m_family) + " layer";
        return out;
    }
    if (m_family == Family::line) drop_degenerate_lines(g.get());
    if (g->IsEmpty()) {
        out.skip_reason = "empty geometry";
        return out;
    }
    m_transform->failure = Reprojection::Failure::none;
    m_transform->bbox = BBox{};
    if (g->transform(m_transform.get()) != OGRERR_NONE) {
        switch (m_transform->failure) {
            case Reprojection::Failure::non_finite:
                out.skip_reason = "NaN or infinite coordinates";
                break;
            case Reprojection::Failure::range:
                out.skip_reason = "coordinates outside lon -180..180, lat -90..90 after reprojection "
                                  "(wrong CRS?)";
                break;
            default:
                out.skip_reason = "coordinates cannot be reprojected from the source CRS";
        }
        return out;
    }
    const BBox feature_bbox = m_transform->bbox;

    out.wkb.resize(static_cast<std::size_t>(g->WkbSize()));
    g->exportToWkb(wkbNDR, out.wkb.data(), wkbVariantIso);

    if (m_family == Family::polygon) {
        capi::GeosGeom geom = capi::geos_from_wkb(m_geos, out.wkb);
        if (!geom) {
            out.wkb.clear();
            out.skip_reason = "unreadable polygon (" + m_geos.last_error() + ")";
            return out;
        }
        if (GEOSisValid_r(m_geos.get(), geom.get()) != 1) {
            capi::GeosGeom fixed(m_geos.get(),
                                 GEOSMakeValidWithParams_r(m_geos.get(), geom.get(), m_make_valid));
            if (!fixed || GEOSisEmpty_r(m_geos.get(), fixed.get()) == 1) {
                out.wkb.clear();
                out.skip_reason = "invalid polygon with no area left after repair";
                return out;
            }
            if (GEOSGeomTypeId_r(m_geos.get(), fixed.get()) == GEOS_POLYGON) {
                GEOSGeometry* parts[] = {fixed.release()};
                fixed = capi::GeosGeom(m_geos.get(), GEOSGeom_createCollection_r(
                                                         m_geos.get(), GEOS_MULTIPOLYGON, parts, 1));
            }
            if (GEOSGeomTypeId_r(m_geos.get(), fixed.get()) != GEOS_MULTIPOLYGON) {
                out.wkb.clear();
                out.skip_reason = "invalid polygon that GEOS could not repair into polygons";
                return out;
            }
            geom = std::move(fixed);
            out.wkb = capi::geos_to_wkb(m_geos, geom.get());
            out.repaired = true;
        }
        if (m_want_pos) {
            capi::GeosGeom pos(m_geos.get(), GEOSPointOnSurface_r(m_geos.get(), geom.get()));
            double x = 0;
            double y = 0;
            if (pos && GEOSGeomGetX_r(m_geos.get(), pos.get(), &x) == 1 &&
                GEOSGeomGetY_r(m_geos.get(), pos.get(), &y) == 1) {
                out.point_on_surface = std::make_pair(x, y);
            }
        }
    }
    m_extent.extend(feature_bbox);
    return out;
}

}  // namespace geo::import::detail
