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

/// Writes a layer as CSV (RFC 4180, UTF-8): fid, every attribute, then the geometry as WKT.
void write_csv(store::Store& store, const std::string& layer, const store::FeatureQuery& query,
               std::ostream& out);

/// The catalog entry of a layer as JSON (name, title, geometry_type, feature_count,
/// extent [minx, miny, maxx, maxy] in EPSG:4326, source, fields).
nlohmann::json layer_json(const LayerInfo& info);

/// A geometry as a GeoJSON object from 2D WKB; null JSON when the WKB cannot be read.
nlohmann::json wkb_to_geojson(const std::vector<unsigned char>& wkb);

}  // namespace geo::io
