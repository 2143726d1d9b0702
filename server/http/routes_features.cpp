// OGC API – Features, Part 1 (Core, GeoJSON), Part 2 (CRS by reference), Part 3 (filters and
// queryables) and Part 5 (schemas).
#include <set>

#include <nlohmann/json.hpp>

#include "geo/error.hpp"
#include "geo/text/encoding.hpp"
#include "geo/io/export.hpp"
#include "geo/io/feature_schema.hpp"
#include "geo/query/cql2.hpp"
#include "http/params.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace gridmap::http {

namespace {

using nlohmann::ordered_json;

constexpr const char* k_geojson = "application/geo+json";
constexpr const char* k_json = "application/json";
constexpr const char* k_schema_json = "application/schema+json";
constexpr const char* k_rel_queryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables";
constexpr const char* k_rel_schema = "http://www.opengis.net/def/rel/ogc/1.0/schema";

// Parameters of /items that are not attribute filters.
const std::set<std::string> k_item_params = {"bbox", "bbox-crs", "limit", "offset", "properties",
                                             "crs", "f", "filter", "filter-lang", "filter-crs"};

ordered_json link(const std::string& href, const std::string& rel, const std::string& type,
                  const std::string& title = "") {
    ordered_json l = {{"href", href}, {"rel", rel}, {"type", type}};
    if (!title.empty()) l["title"] = title;
    return l;
}

std::string url_encode(const std::string& s) {
    std::string out;
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

geo::LayerInfo require_layer(RequestContext& ctx, const std::string& id) {
    auto info = ctx.store().layer(id);
    if (!info) throw geo::Error(geo::Errc::not_found, "no collection named \"" + geo::text::printable(id) + "\"");
    return *info;
}

ordered_json collection_json(const geo::LayerInfo& info, const std::string& base) {
    const std::string self = base + "/collections/" + info.name;
    ordered_json c = {
        {"id", info.name},
        {"title", info.title},
        {"description", info.title + " (" + info.geometry_type + ", " + std::to_string(info.feature_count) +
                            " features; source " + info.source_file + ", " + info.source_crs + ")"},
        {"itemType", "feature"},
        {"crs", supported_crs_uris()},
        {"storageCrs", crs_uri(geo::io::OutputCrs::crs84)},
    };
    if (!info.extent.empty()) {
        c["extent"] = {{"spatial",
                        {{"bbox", {{info.extent.minx, info.extent.miny, info.extent.maxx, info.extent.maxy}}},
                         {"crs", crs_uri(geo::io::OutputCrs::crs84)}}}};
    }
    c["links"] = {link(self, "self", k_json, info.title),
                  link(self + "/items", "items", k_geojson, "features"),
                  link(self + "/queryables", k_rel_queryables, k_schema_json, "what filters can use"),
                  link(self + "/schema", k_rel_schema, k_schema_json, "the properties of the features"),
                  // GDAL's OAPIF driver types its fields from this link, matching the relation
                  // "describedBy" as written here (relation names are case-insensitive, RFC 8288).
                  link(self + "/schema/geojson", "describedBy", k_schema_json, "schema of one GeoJSON feature"),
                  link(base + "/tiles/" + info.name + ".json", "tiles", k_json, "TileJSON")};
    return c;
}

void landing(Server&, RequestContext& ctx) {
    const std::string& b = ctx.base_url;
    ordered_json body = {
        {"title", "Gridmap"},
        {"description", "Community grid management layers: buildings, grid cells, service stations, roads."},
        {"links",
         {link(b + "/", "self", k_json, "this document"),
          link(b + "/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "the API definition"),
          link(b + "/conformance", "conformance", k_json, "conformance classes"),
          link(b + "/collections", "data", k_json, "collections")}},
    };
    ctx.res.set_content(json_text(body), k_json);
}

void conformance(Server&, RequestContext& ctx) {
    ordered_json body = {{"conformsTo",
                          {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                           "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                           "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
                           "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
                           "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
                           "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
                           "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
                           "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
                           "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
                           "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
                           "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
                           "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
                           "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions"}}};
    ctx.res.set_content(json_text(body), k_json);
}

void collections(RequestContext& ctx) {
    ordered_json list = ordered_json::array();
    for (const auto& info : ctx.store().layers()) list.push_back(collection_json(info, ctx.base_url));
    ordered_json body = {{"links", {link(ctx.base_url + "/collections", "self", k_json)}},
                         {"collections", list}};
    ctx.res.set_content(json_text(body), k_json);
}

void collection(RequestContext& ctx) {
    const auto info = require_layer(ctx, ctx.req.matches[1]);
    ctx.res.set_content(json_text(collection_json(info, ctx.base_url)), k_json);
}

// A JSON Schema document about a collection: $schema, $id (its own URL), type, title.
ordered_json schema_document(const RequestContext& ctx, const geo::LayerInfo& info, const std::string& path,
                             const std::string& title) {
    return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
            {"$id", ctx.base_url + "/collections/" + info.name + path},
            {"type", "object"},
            {"title", title}};
}

// The properties of a collection's features as a JSON Schema: what Part 3's queryables (every
// property a filter and a ?name=value parameter can use) and Part 5's schema both answer, under
// their own $id and title.
void property_schema(RequestContext& ctx, const std::string& suffix, const std::string& what) {
    const auto info = require_layer(ctx, ctx.req.matches[1]);
    ordered_json body = schema_document(ctx, info, suffix, info.title + " (" + info.name + ")" + what);
    body["properties"] = geo::io::property_schemas(info);
    body["additionalProperties"] = false;
    ctx.res.set_content(json_text(body), k_schema_json);
}

// One GeoJSON feature of the collection, for clients that type their fields from it (GDAL).
void feature_schema(RequestContext& ctx) {
    const auto info = require_layer(ctx, ctx.req.matches[1]);
    ordered_json body = schema_document(ctx, info, "/schema/geojson", info.title + " (" + info.name + "): GeoJSON feature");
    body.update(geo::io::geojson_feature_schema(ctx.store(), info));
    ctx.res.set_content(json_text(body), k_schema_json);
}

geo::io::OutputCrs output_crs(RequestContext& ctx) {
    const auto crs = ctx.req.has_param("crs") ? parse_crs("crs", ctx.req.get_param_value("crs"))
                                              : geo::io::OutputCrs::crs84;
    ctx.res.set_header("Content-Crs", "<" + crs_uri(crs) + ">");
    return crs;
}

void items(Server& server, RequestContext& ctx) {
    const auto info = require_layer(ctx, ctx.req.matches[1]);
    const auto& config = server.config();
    geo::store::FeatureQuery query;
    query.limit = ctx.req.has_param("limit")
                      ? parse_int("limit", ctx.req.get_param_value("limit"), 1, config.items_max_limit)
                      : config.items_default_limit;
    query.offset = ctx.req.has_param("offset")
                       ? parse_int("offset", ctx.req.get_param_value("offset"), 0, 1LL << 40)
                       : 0;
    if (ctx.req.has_param("bbox")) {
        const auto bbox_crs = ctx.req.has_param("bbox-crs")
                                  ? parse_crs("bbox-crs", ctx.req.get_param_value("bbox-crs"))
                                  : geo::io::OutputCrs::crs84;
        query.bbox = parse_bbox(ctx.req.get_param_value("bbox"), bbox_crs);
    } else if (ctx.req.has_param("bbox-crs")) {
        throw geo::Error(geo::Errc::invalid_argument, "bbox-crs is given without bbox");
    }
    std::vector<std::string> properties;
    if (ctx.req.has_param("properties")) {
        properties = split_list(ctx.req.get_param_value("properties"));
        for (const auto& p : properties) {
            const bool known = std::any_of(info.fields.begin(), info.fields.end(),
                                           [&](const geo::Field& f) { return f.name == p; });
            if (!known) {
                throw geo::Error(geo::Errc::invalid_argument, "properties: collection " + info.name +
                                                                  " has no property \"" + p + "\"");
            }
        }
    }
    std::vector<geo::query::Expr> conditions;
    for (const auto& [name, value] : ctx.req.params) {
        if (k_item_params.contains(name)) continue;
        if (name == geo::io::k_geometry_property) {
            conditions.push_back(geo::query::parse_intersects_parameter(name, value));
            continue;
        }
        const bool known = std::any_of(info.fields.begin(), info.fields.end(),
                                       [&](const geo::Field& f) { return f.name == name; });
        if (!known) {
            throw geo::Error(geo::Errc::invalid_argument,
                             "unknown parameter \"" + name + "\": not a query parameter and not a property of " +
                                 info.name);
        }
        query.equals.emplace_back(name, value);
    }
    if (ctx.req.has_param("filter")) {
        const std::string lang = ctx.req.has_param("filter-lang") ? ctx.req.get_param_value("filter-lang") : "cql2-text";
        // cql-text is the name drafts of Part 3 gave the language, and the one GDAL 3.6 sends.
        if (lang != "cql2-text" && lang != "cql-text") {
            throw geo::Error(geo::Errc::invalid_argument, "filter-lang: only cql2-text is supported, not \"" + lang + "\"");
        }
        if (ctx.req.has_param("filter-crs") &&
            parse_crs("filter-crs", ctx.req.get_param_value("filter-crs")) != geo::io::OutputCrs::crs84) {
            throw geo::Error(geo::Errc::invalid_argument, "filter-crs: filters are in CRS84 (lon, lat)");
        }
        conditions.push_back(geo::query::parse_cql2_text(ctx.req.get_param_value("filter")));
    }
    if (conditions.size() == 1) {
        query.filter = std::make_shared<const geo::query::Expr>(std::move(conditions.front()));
    } else if (conditions.size() > 1) {
        query.filter = std::make_shared<const geo::query::Expr>(geo::query::Expr{geo::query::And{std::move(conditions)}});
    }
    const auto crs = output_crs(ctx);

    std::string features;
    std::int64_t returned = 0;
    ctx.store().read_features(info.name, query, [&](const geo::Feature& f) {
        if (returned++ > 0) features += ',';
        geo::io::append_feature_geojson(features, info, f, crs, properties);
        return true;
    });
    // A page that is not full ends the matches, which spares a second pass to count them.
    const bool last_page = returned < query.limit && (returned > 0 || query.offset == 0);
    const std::int64_t matched = last_page ? query.offset + returned : ctx.store().count_features(info.name, query);

    // Links keep every parameter but offset.
    std::string kept;
    for (const auto& [name, value] : ctx.req.params) {
        if (name == "offset") continue;
        kept += (kept.empty() ? "" : "&") + url_encode(name) + "=" + url_encode(value);
    }
    const std::string items_url = ctx.base_url + "/collections/" + info.name + "/items";
    auto page = [&](std::int64_t offset) {
        return items_url + "?" + kept + (kept.empty() ? "" : "&") + "offset=" + std::to_string(offset);
    };
    ordered_json links = ordered_json::array();
    links.push_back(link(page(query.offset), "self", k_geojson, "this page"));
    if (query.offset + returned < matched) links.push_back(link(page(query.offset + query.limit), "next", k_geojson, "next page"));
    if (query.offset > 0) {
        links.push_back(link(page(std::max<std::int64_t>(0, query.offset - query.limit)), "prev", k_geojson, "previous page"));
    }
    links.push_back(link(ctx.base_url + "/collections/" + info.name, "collection", k_json, info.title));

    ordered_json head = {{"type", "FeatureCollection"},
                         {"numberMatched", matched},
                         {"numberReturned", returned},
                         {"links", links}};
    // The features are already GeoJSON text: splice them in rather than re-parse them.
    std::string body = json_text(head);
    body.pop_back();
    body += ",\"features\":[";
    body += features;
    body += "]}";
    ctx.res.set_content(std::move(body), k_geojson);
}

void item(RequestContext& ctx) {
    const auto info = require_layer(ctx, ctx.req.matches[1]);
    geo::store::FeatureQuery query;
    query.fid = parse_int("featureId", ctx.req.matches[2], 0, INT64_MAX);
    const auto crs = output_crs(ctx);
    std::optional<ordered_json> found;
    ctx.store().read_features(info.name, query, [&](const geo::Feature& f) {
        found = geo::io::feature_json(info, f, crs);
        return false;
    });
    if (!found) {
        throw geo::Error(geo::Errc::not_found, "collection " + info.name + " has no feature " +
                                                   std::string(ctx.req.matches[2]));
    }
    const std::string self = ctx.base_url + "/collections/" + info.name + "/items/" + std::string(ctx.req.matches[2]);
    (*found)["links"] = {link(self, "self", k_geojson), link(ctx.base_url + "/collections/" + info.name, "collection", k_json)};
    ctx.res.set_content(found->dump(), k_geojson);
}

}  // namespace

void register_feature_routes(Server& server) {
    server.get("/", R"(/)", Role::worker, [&server](RequestContext& ctx) { landing(server, ctx); });
    server.get("/conformance", R"(/conformance)", Role::worker, [&server](RequestContext& ctx) { conformance(server, ctx); });
    server.get("/collections", R"(/collections)", Role::worker, [](RequestContext& ctx) { collections(ctx); });
    server.get("/collections/{id}", R"(/collections/([^/]+))", Role::worker,
               [](RequestContext& ctx) { collection(ctx); });
    server.get("/collections/{id}/queryables", R"(/collections/([^/]+)/queryables)", Role::worker,
               [](RequestContext& ctx) { property_schema(ctx, "/queryables", ": queryables"); });
    server.get("/collections/{id}/schema", R"(/collections/([^/]+)/schema)", Role::worker,
               [](RequestContext& ctx) { property_schema(ctx, "/schema", ""); });
    server.get("/collections/{id}/schema/geojson", R"(/collections/([^/]+)/schema/geojson)", Role::worker,
               [](RequestContext& ctx) { feature_schema(ctx); });
    server.get("/collections/{id}/items", R"(/collections/([^/]+)/items)", Role::worker,
               [&server](RequestContext& ctx) { items(server, ctx); });
    server.del("/collections/{id}", R"(/collections/([^/]+))", Role::admin, [&server](RequestContext& ctx) {
        const std::string id = ctx.req.matches[1];
        try {
            ctx.store().drop_layer(id);
        } catch (const geo::Error& e) {
            server.audit(ctx.caller, "drop_layer", geo::text::printable(id), "failed", e.what());
            throw;
        }
        server.audit(ctx.caller, "drop_layer", id, "ok", "");
        ctx.res.status = 204;
    });
    server.get("/collections/{id}/items/{featureId}", R"(/collections/([^/]+)/items/([^/]+))", Role::worker,
               [](RequestContext& ctx) { item(ctx); });
}

}  // namespace gridmap::http
