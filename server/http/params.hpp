#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geo/io/export.hpp"
#include "geo/types.hpp"

namespace gridmap::http {

/// Parsing of query parameters. Each throws geo::Error (invalid_argument) with a message
/// naming the parameter, which becomes a 400.

/// A whole number in [min, max].
std::int64_t parse_int(const std::string& name, const std::string& text, std::int64_t min, std::int64_t max);

/// A finite decimal number.
double parse_double(const std::string& name, const std::string& text);

/// "a,b,c" → {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& text);

/// An OGC CRS URI (or "EPSG:n") that Gridmap can write: CRS84, EPSG:4326, EPSG:4490, EPSG:3857.
geo::io::OutputCrs parse_crs(const std::string& name, const std::string& text);
/// The URI of an output CRS.
std::string crs_uri(geo::io::OutputCrs crs);
/// Every CRS URI the server offers.
std::vector<std::string> supported_crs_uris();

/// `minx,miny,maxx,maxy` in `crs` (axis order per the CRS: lat,lon for EPSG:4326 and 4490),
/// returned as lon/lat in EPSG:4326. Degrees must be in range, min <= max.
geo::BBox parse_bbox(const std::string& text, geo::io::OutputCrs crs);

}  // namespace gridmap::http
