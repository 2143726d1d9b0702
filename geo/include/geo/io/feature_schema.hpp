#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "geo/store/store.hpp"
#include "geo/types.hpp"

// JSON Schemas (draft 2020-12) of a layer's features as the GeoJSON writers emit them, for OGC
// API – Features Part 3 (queryables) and Part 5 (schemas). Types follow the column types:
// integer → "integer", real → "number", text → "string"; a value a feature lacks is written
// as null, so no property is "required".
namespace geo::io {

/// The name filters and schemas give the geometry of every layer.
inline constexpr std::string_view k_geometry_property = "geom";

/// The Part 5 format of a stored geometry type: "geometry-point", "geometry-multipolygon", …;
/// "geometry-any" for GEOMETRY or a type it does not know.
std::string geometry_format(std::string_view geometry_type);

/// The schema of one attribute: type, title (what a core field means, else the source field's
/// name) and, where known, a description of where its values come from.
nlohmann::ordered_json field_schema(const LayerInfo& layer, const Field& field);

/// Every attribute (field_schema, in table order) and then the geometry as
/// {"format": geometry_format(…), "x-ogc-role": "primary-geometry"}: the "properties" of both
/// the queryables and the schema of a collection.
nlohmann::ordered_json property_schemas(const LayerInfo& layer);

/// The schema of one GeoJSON Feature of `layer` (type, id, geometry, properties with
/// field_schema each), as GDAL's OAPIF driver reads a collection's "describedBy" schema to type
/// its fields. GDAL 3.6 makes every schema integer a 32-bit field and would clip larger values,
/// so an integer column holding a value beyond 32 bits is declared {"type": "number",
/// "format": "int64"} here (every integer is a number): it reaches GDAL whole as a Real.
/// `store` answers that question for the caller's scope. Throws what the store throws.
nlohmann::ordered_json geojson_feature_schema(store::Store& store, const LayerInfo& layer);

}  // namespace geo::io
