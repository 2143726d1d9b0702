#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ogr_geometry.h>

#include "capi/geos.hpp"
#include "geo/crs/crs.hpp"
#include "geo/types.hpp"

namespace geo::import::detail {

/// The geometry family every feature of a layer is brought to.
enum class Family { point, multipoint, line, polygon, any };

/// The stored geometry type for a family (POINT, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON,
/// GEOMETRY).
const char* stored_type(Family f);
/// The family of an OGR layer's declared type; nullopt when it has no geometry.
std::optional<Family> family_of(OGRwkbGeometryType layer_type);

/// A feature's geometry ready to store, or the reason it cannot be.
struct Cleaned {
    std::vector<unsigned char> wkb;  ///< 2D ISO WKB, EPSG:4326; empty when skipped
    std::string skip_reason;         ///< set when skipped
    bool repaired = false;           ///< an invalid polygon was made valid
    std::optional<std::pair<double, double>> point_on_surface;  ///< lon, lat (polygons)
};

/// Brings each geometry to the layer's family, drops Z and M, refuses empty and non-finite
/// geometries, reprojects to EPSG:4326 and repairs invalid polygons with GEOS MakeValid.
/// One per thread (owns a GEOS context).
class GeometryCleaner {
public:
    GeometryCleaner(Family family, const crs::Transformer& transformer, bool want_point_on_surface);
    ~GeometryCleaner();
    GeometryCleaner(const GeometryCleaner&) = delete;
    GeometryCleaner& operator=(const GeometryCleaner&) = delete;

    /// Consumes `geometry` (may be null).
    Cleaned clean(std::unique_ptr<OGRGeometry> geometry);
    /// Extent of every geometry accepted so far, EPSG:4326.
    const BBox& extent() const noexcept { return m_extent; }

private:
    struct Reprojection;
    Family m_family;
    bool m_want_pos;
    capi::GeosContext m_geos;
    GEOSMakeValidParams* m_make_valid = nullptr;
    std::unique_ptr<Reprojection> m_transform;
    BBox m_extent;
};

}  // namespace geo::import::detail
