#include "geo/io/feature_schema.hpp"

#include <cstdint>
#include <limits>
#include <memory>

#include "geo/query/cql2.hpp"
#include "geo/schema.hpp"

namespace geo::io {

namespace {

using nlohmann::ordered_json;

const char* json_type(FieldType type) {
    switch (type) {
        case FieldType::integer: return "integer";
        case FieldType::real: return "number";
        case FieldType::text: return "string";
    }
    return "string";
}

const schema::CoreField* core_field(const LayerInfo& layer, const Field& field) {
    const auto* core = schema::core_layer(layer.name);
    if (!core) return nullptr;
    for (const auto& f : core->fields) {
        if (f.name == field.name) return &f;
    }
    return nullptr;
}

// GeoJSON geometry type names by the catalog's upper-case ones.
std::string geojson_type(std::string_view geometry_type) {
    if (geometry_type == "POINT") return "Point";
    if (geometry_type == "MULTIPOINT") return "MultiPoint";
    if (geometry_type == "LINESTRING") return "LineString";
    if (geometry_type == "MULTILINESTRING") return "MultiLineString";
    if (geometry_type == "POLYGON") return "Polygon";
    if (geometry_type == "MULTIPOLYGON") return "MultiPolygon";
    return "";
}

// True when some value of the integer column `field` needs more than 32 bits.
bool needs_64_bits(store::Store& store, const LayerInfo& layer, const std::string& field) {
    using namespace query;
    Or beyond;
    beyond.terms.push_back(Expr{Comparison{field, CompareOp::gt, std::int64_t{std::numeric_limits<std::int32_t>::max()}}});
    beyond.terms.push_back(Expr{Comparison{field, CompareOp::lt, std::int64_t{std::numeric_limits<std::int32_t>::min()}}});
    store::FeatureQuery q;
    q.filter = std::make_shared<const Expr>(Expr{std::move(beyond)});
    q.limit = 1;
    q.geometry = false;
    q.fields = {field};
    bool found = false;
    store.read_features(layer.name, q, [&](const Feature&) {
        found = true;
        return false;
    });
    return found;
}

}  // namespace

std::string geometry_format(std::string_view geometry_type) {
    const std::string type = geojson_type(geometry_type);
    if (type.empty()) return "geometry-any";
    std::string lower;
    for (char c : type) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return "geometry-" + lower;
}

ordered_json field_schema(const LayerInfo& layer, const Field& field) {
    ordered_json s = {{"type", json_type(field.type)}};
    if (const auto* core = core_field(layer, field)) {
        s["title"] = std::string(core->meaning);
        if (core->derived) {
            s["description"] = "computed by Gridmap";
        } else if (!field.source_name.empty() && field.source_name != field.name) {
            s["description"] = "from the source field " + field.source_name;
        }
    } else {
        s["title"] = field.source_name.empty() ? field.name : field.source_name;
    }
    return s;
}

ordered_json property_schemas(const LayerInfo& layer) {
    ordered_json properties = ordered_json::object();
    for (const auto& f : layer.fields) properties[f.name] = field_schema(layer, f);
    properties[std::string(k_geometry_property)] = {{"title", "geometry"},
                                                    {"description", "WGS84 longitude, latitude; filter it with S_INTERSECTS"},
                                                    {"format", geometry_format(layer.geometry_type)},
                                                    {"x-ogc-role", "primary-geometry"}};
    return properties;
}

ordered_json geojson_feature_schema(store::Store& store, const LayerInfo& layer) {
    ordered_json attributes = ordered_json::object();
    for (const auto& f : layer.fields) {
        ordered_json s = field_schema(layer, f);
        if (f.type == FieldType::integer && needs_64_bits(store, layer, f.name)) {
            s["type"] = "number";
            s["format"] = "int64";
        }
        attributes[f.name] = s;
    }
    ordered_json geometry = {{"type", "object"}, {"required", {"type", "coordinates"}}};
    if (const std::string type = geojson_type(layer.geometry_type); !type.empty()) {
        geometry["properties"] = {{"type", {{"type", "string"}, {"enum", {type}}}}, {"coordinates", {{"type", "array"}}}};
    }
    return {{"type", "object"},
            {"title", layer.title},
            {"required", {"type", "geometry", "properties"}},
            {"properties",
             {{"type", {{"type", "string"}, {"enum", {"Feature"}}}},
              {"id", {{"type", "integer"}, {"description", "the feature id (fid)"}}},
              {"geometry", {{"oneOf", {{{"type", "null"}}, geometry}}}},
              {"properties", {{"type", "object"}, {"properties", attributes}}},
              {"links", {{"type", "array"}}}}}};
}

}  // namespace geo::io
