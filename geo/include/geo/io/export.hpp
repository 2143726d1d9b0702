#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "geo/store/store.hpp"

namespace geo::io {

/// Writes a layer's features as an RFC 7946 GeoJSON FeatureCollection (EPSG:4326, 7
/// decimals, "id" = fid), streaming: memory does not grow with the layer.
/// Throws geo::Error (not_found) for an unknown layer.
void write_geojson(store::Store& store, const std::string& layer, const store::FeatureQuery& query,
                   std::ostream& out);

/// Writes a layer as CSV (RFC 4180, UTF-8; see CsvWriter): fid, every attribute, then the
/// geometry as WKT. Reals with 15 significant digits; text a spreadsheet would run as a
/// formula gets a leading '. Throws geo::Error (not_found) for an unknown layer.
void write_csv(store::Store& store, const std::string& layer, const store::FeatureQuery& query,
               std::ostream& out);

/// The catalog entry of a layer as JSON (name, title, geometry_type, feature_count,
/// extent [minx, miny, maxx, maxy] in EPSG:4326, source, fields).
nlohmann::json layer_json(const LayerInfo& info);

/// How coordinates are written: the stored lon/lat, lat/lon (EPSG:4326 and 4490 axis order, as
/// OGC API – Features Part 2 requires for those CRS), or Web Mercator metres (EPSG:3857).
enum class OutputCrs { crs84, epsg4326, epsg4490, epsg3857 };

/// A feature as a GeoJSON Feature object. `properties`: the fields to include (all when
/// empty); names not in the layer are ignored.
nlohmann::ordered_json feature_json(const LayerInfo& layer, const Feature& feature, OutputCrs crs,
                                    const std::vector<std::string>& properties = {});

/// Appends the same Feature as GeoJSON text, written straight from the WKB (fast; for pages of
/// many features). Coordinates with 7 decimals (2 in EPSG:3857); malformed WKB → null geometry.
void append_feature_geojson(std::string& out, const LayerInfo& layer, const Feature& feature, OutputCrs crs,
                            const std::vector<std::string>& properties = {});

/// EPSG:3857 metres → EPSG:4326 lon/lat.
void mercator_to_lonlat(double x, double y, double& lon, double& lat) noexcept;

}  // namespace geo::io
