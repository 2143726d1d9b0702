#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace geo::crs {

/// A coordinate reference system as Gridmap records it.
struct CrsInfo {
    std::optional<int> epsg;  ///< EPSG code when the definition matches one
    std::string name;         ///< human-readable name, e.g. "CGCS2000 / 3-degree Gauss-Kruger zone 40"
    std::string definition;   ///< "EPSG:4528" when epsg is known, else the WKT as given
    bool geographic = false;  ///< lon/lat in degrees (else projected, in metres)
};

/// Identifies a CRS from WKT, OGC or ESRI flavour (a .prj), matching it to an EPSG code
/// where PROJ's database has one with high confidence. ESRI names of CGCS2000 Gauss-Krüger
/// zones ("CGCS2000_3_Degree_GK_Zone_40", "CGCS2000_3_Degree_GK_CM_120E") match 4513–4554.
/// Throws geo::Error (invalid_argument) when the text is not a CRS.
CrsInfo identify(const std::string& wkt_or_definition);

/// Parses a user's `--srs` value: "EPSG:4528", "4528", "epsg:4490", a WKT or a PROJ string.
/// Throws geo::Error (invalid_argument) with a hint when it is not a CRS.
CrsInfo from_user(const std::string& text);

/// A guess of the CRS from a layer's extent, offered when a file has no .prj.
struct Guess {
    int epsg;
    std::string reason;  ///< e.g. "8-digit eastings 40 6xx xxx carry the zone number 40"
};

/// An easting whose millions are a CGCS2000 3° zone number (25–45) → EPSG:4513–4533; an
/// extent inside lon −180…180 / lat −90…90 → EPSG:4490 (CGCS2000 geographic) when it lies in
/// China, else EPSG:4326. nullopt when nothing is plain (e.g. 6-digit eastings, whose central
/// meridian cannot be known).
std::optional<Guess> guess_from_extent(double minx, double miny, double maxx, double maxy);

/// Transforms coordinates from one CRS to another with PROJ, in the traditional GIS axis
/// order (x = easting or longitude, y = northing or latitude) whatever the EPSG axis order.
/// Owns its PROJ context: use one per thread.
class Transformer {
public:
    /// `source` and `target` are definitions as in CrsInfo::definition. Throws geo::Error
    /// (unsupported) when PROJ has no transformation between them.
    Transformer(const std::string& source, const std::string& target = "EPSG:4326");
    ~Transformer();
    Transformer(Transformer&&) noexcept;
    Transformer& operator=(Transformer&&) noexcept;

    /// Transforms `count` interleaved x,y pairs in place. Returns false when any point
    /// could not be transformed (then the values are unspecified).
    bool transform(double* xy, std::size_t count) const;

    /// True when source and target are the same CRS and transform() is a no-op.
    bool is_noop() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace geo::crs
