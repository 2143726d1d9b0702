// Queryables (OGC API – Features Part 3), schemas (Part 5), typed GeoJSON properties and the
// OpenAPI document's servers, operationIds and per-collection parameters, over real HTTP.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/server_fixture.hpp"

namespace {

using nlohmann::json;

json get_json(const std::string& path, const std::string& type = "", int status = 200) {
    auto client = gridmap::test::demo_server().client();
    auto res = client.Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, status) << path << "\n" << res->body;
    if (!type.empty()) { EXPECT_EQ(res->get_header_value("Content-Type"), type) << path; }
    return json::parse(res->body, nullptr, false);
}

std::string base_url() { return "http://127.0.0.1:" + std::to_string(gridmap::test::demo_server().port()); }

const char* const k_layers[] = {"buildings", "grid_cells", "stations", "roads"};

// True when `value` is what a property of JSON Schema type `type` may hold (or null: a feature
// without the value).
bool matches(const json& value, const std::string& type) {
    if (value.is_null()) return true;
    if (type == "integer") return value.is_number_integer();
    if (type == "number") return value.is_number();
    if (type == "string") return value.is_string();
    if (type == "boolean") return value.is_boolean();
    return false;
}

TEST(Queryables, BuildingsListTheRealAttributesWithTheirTypes) {
    const auto q = get_json("/collections/buildings/queryables", "application/schema+json");
    EXPECT_EQ(q["$schema"], "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(q["$id"], base_url() + "/collections/buildings/queryables");
    EXPECT_EQ(q["type"], "object");
    EXPECT_FALSE(q["title"].get<std::string>().empty());
    EXPECT_EQ(q["additionalProperties"], false);
    const auto& p = q["properties"];
    const std::map<std::string, std::string> expected = {
        {"floors", "integer"}, {"households", "integer"}, {"population", "integer"}, {"osm_id", "integer"},
        {"height_m", "number"}, {"pos_lon", "number"}, {"pos_lat", "number"},
        {"name", "string"},    {"use", "string"},        {"grid_code", "string"}};
    for (const auto& [name, type] : expected) {
        ASSERT_TRUE(p.contains(name)) << name << " in " << p.dump();
        EXPECT_EQ(p[name]["type"], type) << name;
        EXPECT_TRUE(p[name].contains("title")) << name;
    }
    EXPECT_EQ(p["floors"]["title"], "floors above ground");
    ASSERT_TRUE(p.contains("geom"));
    EXPECT_EQ(p["geom"]["x-ogc-role"], "primary-geometry");
    EXPECT_EQ(p["geom"]["format"], "geometry-multipolygon");

    // Exactly the properties the features carry, plus the geometry.
    const auto items = get_json("/collections/buildings/items?limit=1");
    std::set<std::string> names;
    for (const auto& [name, value] : items["features"][0]["properties"].items()) names.insert(name);
    names.insert("geom");
    std::set<std::string> queryable;
    for (const auto& [name, value] : p.items()) queryable.insert(name);
    EXPECT_EQ(queryable, names);

    // Every queryable works in a filter.
    for (const auto& name : queryable) {
        if (name == "geom") continue;
        get_json("/collections/buildings/items?limit=1&filter=" + name + "%20IS%20NOT%20NULL");
    }
}

TEST(Queryables, StationsAndPointGeometry) {
    const auto q = get_json("/collections/stations/queryables", "application/schema+json");
    EXPECT_EQ(q["properties"]["floor_area_m2"]["type"], "number");
    EXPECT_EQ(q["properties"]["floor_area_m2"]["title"], "floor area in m²");
    EXPECT_EQ(q["properties"]["geom"]["format"], "geometry-point");
}

TEST(Queryables, UnknownCollectionIs404Problem) {
    for (const char* path : {"/collections/nope/queryables", "/collections/nope/schema", "/collections/nope/schema/geojson"}) {
        auto client = gridmap::test::demo_server().client();
        auto res = client.Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 404) << path;
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json") << path;
        const auto body = json::parse(res->body, nullptr, false);
        EXPECT_EQ(body["status"], 404);
        EXPECT_NE(body["detail"].get<std::string>().find("nope"), std::string::npos) << res->body;
    }
}

TEST(Queryables, CollectionsLinkQueryablesAndSchemas) {
    const auto c = get_json("/collections/buildings");
    std::map<std::string, std::string> href_by_rel;
    for (const auto& l : c["links"]) href_by_rel[l["rel"]] = l["href"];
    EXPECT_EQ(href_by_rel["http://www.opengis.net/def/rel/ogc/1.0/queryables"], base_url() + "/collections/buildings/queryables");
    EXPECT_EQ(href_by_rel["http://www.opengis.net/def/rel/ogc/1.0/schema"], base_url() + "/collections/buildings/schema");
    EXPECT_EQ(href_by_rel["describedBy"], base_url() + "/collections/buildings/schema/geojson");
    const auto conformance = get_json("/conformance")["conformsTo"];
    for (const char* cls : {"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
                            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
                            "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas"}) {
        EXPECT_NE(std::find(conformance.begin(), conformance.end(), cls), conformance.end()) << cls;
    }
}

TEST(Schema, PropertiesWithTypesAndTheGeoJsonFeatureSchema) {
    const auto s = get_json("/collections/stations/schema", "application/schema+json");
    EXPECT_EQ(s["$id"], base_url() + "/collections/stations/schema");
    EXPECT_EQ(s["type"], "object");
    EXPECT_EQ(s["properties"]["floor_area_m2"]["type"], "number");
    EXPECT_EQ(s["properties"]["osm_id"]["type"], "integer");
    EXPECT_EQ(s["properties"]["name"]["type"], "string");
    EXPECT_EQ(s["properties"]["geom"]["x-ogc-role"], "primary-geometry");

    const auto f = get_json("/collections/stations/schema/geojson", "application/schema+json");
    EXPECT_EQ(f["type"], "object");
    EXPECT_EQ(f["properties"]["type"]["enum"][0], "Feature");
    const auto& attributes = f["properties"]["properties"]["properties"];
    EXPECT_EQ(attributes["floor_area_m2"]["type"], "number");
    // Stations hold OSM node ids past 2^31 (4685439390): declared as numbers so that GDAL,
    // which makes schema integers 32-bit fields, keeps them whole.
    EXPECT_EQ(attributes["osm_id"]["type"], "number");
    EXPECT_EQ(attributes["osm_id"]["format"], "int64");
    const auto b = get_json("/collections/buildings/schema/geojson");
    EXPECT_EQ(b["properties"]["properties"]["properties"]["osm_id"]["type"], "integer");
    EXPECT_EQ(b["properties"]["properties"]["properties"]["floors"]["type"], "integer");
}

TEST(Items, PropertiesAreTypedAsTheSchemaSays) {
    for (const char* layer : k_layers) {
        const auto schema = get_json(std::string("/collections/") + layer + "/schema")["properties"];
        json features = json::array();
        for (int offset = 0;; offset += 1000) {
            const auto page = get_json(std::string("/collections/") + layer + "/items?limit=1000&offset=" + std::to_string(offset));
            ASSERT_TRUE(page.contains("features")) << layer;
            for (const auto& f : page["features"]) features.push_back(f);
            if (page["features"].size() < 1000) break;
        }
        ASSERT_GT(features.size(), 0u) << layer;
        std::map<std::string, int> non_null;
        for (const auto& feature : features) {
            for (const auto& [name, value] : feature["properties"].items()) {
                ASSERT_TRUE(schema.contains(name)) << layer << "." << name;
                const std::string type = schema[name]["type"];
                EXPECT_TRUE(matches(value, type)) << layer << "." << name << " = " << value.dump() << ", schema " << type;
                if (!value.is_null()) ++non_null[name];
            }
        }
        if (std::string(layer) == "buildings") {
            EXPECT_GT(non_null["floors"], 1000);
            EXPECT_GT(non_null["height_m"], 500);
        }
    }
    // A number, not text: the values GDAL and QGIS sort and sum.
    const auto one = get_json("/collections/buildings/items?limit=1&filter=height_m%20%3E%2030");
    EXPECT_TRUE(one["features"][0]["properties"]["height_m"].is_number_float() ||
                one["features"][0]["properties"]["height_m"].is_number_integer());
    EXPECT_GT(one["features"][0]["properties"]["height_m"].get<double>(), 30.0);
}

TEST(Items, QueryablesAsQueryParameters) {
    const auto six = get_json("/collections/buildings/items?floors=6&limit=500");
    ASSERT_GT(six["numberMatched"].get<int>(), 0);
    for (const auto& f : six["features"]) EXPECT_EQ(f["properties"]["floors"], 6);
    const auto all = get_json("/collections/buildings/items?limit=1");
    EXPECT_LT(six["numberMatched"].get<int>(), all["numberMatched"].get<int>());

    // geom=WKT: features whose geometry intersects it; the same as the CQL2 filter.
    const std::string box = "POLYGON((121.49 31.23,121.50 31.23,121.50 31.24,121.49 31.24,121.49 31.23))";
    std::string encoded;
    for (char c : box) encoded += c == ' ' ? std::string("%20") : c == '(' ? std::string("%28") : c == ')' ? std::string("%29") : std::string(1, c);
    const auto by_param = get_json("/collections/buildings/items?limit=1&geom=" + encoded);
    const auto by_filter = get_json("/collections/buildings/items?limit=1&filter=S_INTERSECTS(geom,%20" + encoded + ")");
    EXPECT_GT(by_param["numberMatched"].get<int>(), 0);
    EXPECT_EQ(by_param["numberMatched"], by_filter["numberMatched"]);
    const auto both = get_json("/collections/buildings/items?limit=1&floors=6&geom=" + encoded);
    EXPECT_LE(both["numberMatched"].get<int>(), by_param["numberMatched"].get<int>());

    // Text that is more than one geometry is refused, not read as a filter.
    const auto bad = get_json("/collections/buildings/items?geom=POINT(1%202))%20OR%20(floors%20%3D%206", "application/problem+json", 400);
    EXPECT_EQ(bad["status"], 400);

    // GDAL 3.6 names the language cql-text.
    const auto gdal = get_json("/collections/buildings/items?limit=1&filter=floors%20%3D%206&filter-lang=cql-text");
    EXPECT_EQ(gdal["numberMatched"], six["numberMatched"]);
}

TEST(OpenApi, ServersOperationIdsAndPerCollectionParameters) {
    const auto api = get_json("/openapi.json");
    ASSERT_TRUE(api.is_object() && api.contains("servers") && api.contains("paths")) << api.dump().substr(0, 500);
    ASSERT_TRUE(api["servers"].is_array());
    EXPECT_EQ(api["servers"][0]["url"], base_url());
    const auto landing = get_json("/");
    for (const auto& l : landing["links"]) {
        if (l["rel"] == "self") { EXPECT_EQ(l["href"], api["servers"][0]["url"].get<std::string>() + "/"); }
    }

    std::set<std::string> ids;
    int operations = 0;
    for (const auto& [path, item] : api["paths"].items()) {
        for (const auto& [method, op] : item.items()) {
            ++operations;
            ASSERT_TRUE(op.contains("operationId")) << method << " " << path;
            const std::string id = op["operationId"];
            EXPECT_TRUE(ids.insert(id).second) << "duplicate operationId " << id;
            ASSERT_FALSE(id.empty());
            EXPECT_TRUE(id[0] >= 'a' && id[0] <= 'z' && id.find_first_of("_- ") == std::string::npos) << id;
            bool has_4xx = false;
            for (const auto& [status, response] : op["responses"].items()) has_4xx |= status[0] == '4';
            EXPECT_TRUE(has_4xx) << method << " " << path;
            if (path.find('{') != std::string::npos) { EXPECT_TRUE(op["responses"].contains("404")) << method << " " << path; }
        }
    }
    EXPECT_EQ(static_cast<int>(ids.size()), operations);
    EXPECT_TRUE(ids.contains("getFeatures") && ids.contains("getQueryables") && ids.contains("getGridCellsFeatures"));
    EXPECT_TRUE(api["paths"].contains("/collections/{collectionId}/queryables"));
    EXPECT_TRUE(api["paths"].contains("/collections/{collectionId}/schema"));

    for (const char* layer : k_layers) {
        const std::string path = std::string("/collections/") + layer + "/items";
        ASSERT_TRUE(api["paths"].contains(path)) << path;
        const auto& op = api["paths"][path]["get"];
        std::map<std::string, json> params;
        for (const auto& p : op["parameters"]) params[p["name"]] = p;
        const auto queryables = get_json(std::string("/collections/") + layer + "/queryables")["properties"];
        for (const auto& [name, schema] : queryables.items()) {
            ASSERT_TRUE(params.contains(name)) << path << " lacks " << name;
            EXPECT_EQ(params[name]["in"], "query");
            if (name != "geom") { EXPECT_EQ(params[name]["schema"]["type"], schema["type"]) << path << " " << name; }
        }
        for (const char* p : {"bbox", "limit", "offset", "filter", "filter-lang", "crs"}) EXPECT_TRUE(params.contains(p)) << path << " " << p;
        EXPECT_FALSE(params.contains("collectionId"));
        EXPECT_TRUE(op["responses"].contains("401"));
    }
    const auto& buildings = api["paths"]["/collections/buildings/items"]["get"];
    bool floors_integer = false;
    for (const auto& p : buildings["parameters"]) floors_integer |= p["name"] == "floors" && p["schema"]["type"] == "integer";
    EXPECT_TRUE(floors_integer);
}

}  // namespace
