#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "geo/types.hpp"

namespace geo::analysis {

/// A point in a plane: metres in a LocalFrame, or (lon, lat) degrees where a function says so.
struct XY {
    double x = 0;
    double y = 0;
};

/// A metric plane for one district: a transverse Mercator centred on the centre of a lon/lat
/// box, on the CGCS2000 (GRS80) ellipsoid, scale 1 at the central meridian. Within 20 km of
/// the centre, plane distances are true to better than 1e-5 (5e-6 at 10 km), so lengths of
/// roads and walking distances can be computed as plain Euclidean sums. CGCS2000 and WGS84
/// (EPSG:4326) agree to centimetres, so stored lon/lat is taken as is.
///
/// Owns its PROJ context: use one LocalFrame per thread (copies are not allowed; moves are).
class LocalFrame {
public:
    /// `bbox_wgs84`: the district's extent in lon/lat degrees. Throws geo::Error
    /// (invalid_argument) when it is empty, not finite, or outside lon ±180 / lat ±85.
    explicit LocalFrame(const BBox& bbox_wgs84);
    ~LocalFrame();
    LocalFrame(LocalFrame&&) noexcept;
    LocalFrame& operator=(LocalFrame&&) noexcept;
    LocalFrame(const LocalFrame&) = delete;
    LocalFrame& operator=(const LocalFrame&) = delete;

    /// The projection's origin (the box centre), lon/lat degrees.
    double centre_lon() const noexcept { return m_lon0; }
    double centre_lat() const noexcept { return m_lat0; }

    /// lon/lat degrees → metres east/north of the centre. Throws geo::Error (invalid_argument)
    /// for NaN or infinite input.
    XY to_metres(double lon, double lat) const;
    /// Metres → lon/lat degrees. Throws geo::Error (invalid_argument) for non-finite input.
    void to_lonlat(XY p, double& lon, double& lat) const;

    /// In place, many at once: each XY holds (lon, lat) on entry, metres on return.
    /// Throws geo::Error (invalid_argument) when a point is not finite (values then unspecified).
    void to_metres(std::span<XY> points) const;
    /// In place: metres on entry, (lon, lat) on return.
    void to_lonlat(std::span<XY> points) const;

    /// Reads a LineString or MultiLineString as ISO WKB (either byte order; Z and M
    /// are dropped) in lon/lat and returns its parts in metres, one polyline per part.
    /// Throws geo::Error (invalid_argument) for malformed WKB or another geometry type.
    std::vector<std::vector<XY>> lines_to_metres(std::span<const unsigned char> wkb_lonlat) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    double m_lon0 = 0;
    double m_lat0 = 0;
};

}  // namespace geo::analysis
