// Health, metrics and the OpenAPI description of every route.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/params.hpp"
#include "geo/analysis/run.hpp"
#include "geo/error.hpp"
#include "geo/io/feature_schema.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace gridmap::http {

namespace {

using nlohmann::ordered_json;

ordered_json param(const std::string& name, const std::string& in, const std::string& description,
                   ordered_json schema, bool required = false) {
    return {{"name", name}, {"in", in}, {"description", description}, {"required", required}, {"schema", schema}};
}

ordered_json problem_response(const std::string& description) {
    return {{"description", description},
            {"content", {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

ordered_json json_response(const std::string& description, const std::string& type = "application/json") {
    return {{"description", description}, {"content", {{type, {{"schema", {{"type", "object"}}}}}}}};
}

ordered_json operation(const std::string& summary, ordered_json parameters, ordered_json responses) {
    return {{"get", {{"summary", summary}, {"parameters", parameters}, {"responses", responses}}}};
}

// POST /analysis/{kind}: the body's parameters per kind come from the library's own list.
ordered_json analysis_operation() {
    ordered_json kinds = ordered_json::object();
    for (auto kind : {geo::analysis::AnalysisKind::coverage, geo::analysis::AnalysisKind::load, geo::analysis::AnalysisKind::siting,
                      geo::analysis::AnalysisKind::norms, geo::analysis::AnalysisKind::circles}) {
        ordered_json properties = ordered_json::object();
        for (const auto& [name, help] : geo::analysis::analysis_parameters(kind)) {
            properties[name] = {{"description", help}, {"oneOf", {{{"type", "string"}}, {{"type", "number"}}, {{"type", "boolean"}}}}};
        }
        kinds[std::string(geo::analysis::to_string(kind))] = {{"type", "object"}, {"additionalProperties", false}, {"properties", properties}};
    }
    ordered_json op = operation(
        "start an analysis (coverage, load, siting, norms, circles) as a job; the body holds its parameters (see "
        "x-parameters-by-kind); 202 with Location: /jobs/{id}",
        {param("kind", "path", "coverage, load, siting, norms or circles",
               {{"type", "string"}, {"enum", {"coverage", "load", "siting", "norms", "circles"}}}, true)},
        {{"202", json_response("the job, queued")},
         {"400", problem_response("bad parameter")},
         {"404", problem_response("no such analysis or stations layer")},
         {"503", problem_response("too many analyses waiting")}});
    ordered_json post = op["get"];
    post["requestBody"] = {{"required", false}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    post["x-parameters-by-kind"] = kinds;
    return {{"post", post}};
}

// GET and DELETE /jobs/{id}.
ordered_json jobs_operations() {
    const auto id = param("id", "path", "job id from POST /analysis/{kind}", {{"type", "string"}}, true);
    ordered_json ops = operation(
        "an analysis job: status (queued, running, succeeded, failed, cancelled), progress 0-1, stage, "
        "cancel_requested, result links",
        {id}, {{"200", json_response("the job")}, {"404", problem_response("no such job (finished jobs are kept for a while)")}});
    ops["delete"] = operation("cancel a queued or running job (what it would write is not written), or forget a finished one and its result",
                              {id},
                              {{"200", json_response("the job, cancelled")},
                               {"202", json_response("the job, running: it stops at its next step (cancel_requested is true)")},
                               {"204", {{"description", "the finished job and its result are forgotten"}}},
                               {"404", problem_response("no such job")}})["get"];
    return ops;
}

// POST, GET and DELETE /session: a browser's login with a token.
ordered_json session_operations() {
    ordered_json ops = operation("who the caller is: role, name, grids (workers), expires_at, and whether the server is --open",
                                 ordered_json::array(), {{"200", json_response("the caller")}});
    ordered_json login = operation("log in: the body {\"token\": \"gm_…\"} becomes an HttpOnly, SameSite=Strict session cookie "
                                   "(gridmap_session); the answer is the caller",
                                   ordered_json::array(),
                                   {{"200", json_response("the caller; Set-Cookie holds the session")},
                                    {"400", problem_response("the body is not {\"token\": \"…\"}")},
                                    {"401", problem_response("the token is unknown, expired or revoked")}})["get"];
    login["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    ops["post"] = login;
    ops["delete"] = operation("log out: the session cookie is cleared", ordered_json::array(),
                              {{"204", {{"description", "logged out"}}}})["get"];
    return ops;
}

// The route name (as registered, for roles) of an OpenAPI path.
std::string route_name_of(std::string path) {
    const std::pair<std::string, std::string> renames[] = {{"{collectionId}", "{id}"}, {"result.{format}", "result"}};
    for (const auto& [from, to] : renames) {
        if (const auto at = path.find(from); at != std::string::npos) path.replace(at, from.size(), to);
    }
    return path;
}

// Every operation says which role it needs (x-minimum-role, from the roles the server enforces)
// and, unless anonymous callers may use it, that it answers 401 and 403.
ordered_json with_roles(ordered_json paths, const std::map<std::string, Role>& roles) {
    for (auto& [path, item] : paths.items()) {
        for (auto& [method, op] : item.items()) {
            std::string upper = method;
            for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
            const auto it = roles.find(upper + " " + route_name_of(path));
            if (it == roles.end()) continue;
            op["x-minimum-role"] = geo::access::to_string(it->second);
            if (it->second == Role::anonymous) {
                op["security"] = ordered_json::array();
                continue;
            }
            op["responses"]["401"] = problem_response("no token, or one that is unknown, expired or revoked (WWW-Authenticate: Bearer)");
            op["responses"]["403"] = problem_response(std::string("a role below ") + geo::access::to_string(it->second) +
                                                      (op["responses"].contains("403") ? "; or " + op["responses"]["403"]["description"].get<std::string>() : ""));
        }
    }
    return paths;
}

// Each operation's operationId: stable names for code generators, unique in the document.
const std::map<std::string, std::string>& operation_ids() {
    static const std::map<std::string, std::string> ids = {
        {"get /", "getLandingPage"},
        {"get /conformance", "getConformance"},
        {"get /collections", "getCollections"},
        {"get /collections/{collectionId}", "getCollection"},
        {"delete /collections/{collectionId}", "deleteCollection"},
        {"get /collections/{collectionId}/items", "getFeatures"},
        {"get /collections/{collectionId}/items/{featureId}", "getFeature"},
        {"get /collections/{collectionId}/queryables", "getQueryables"},
        {"get /collections/{collectionId}/schema", "getSchema"},
        {"get /collections/{collectionId}/schema/geojson", "getGeoJsonFeatureSchema"},
        {"get /tiles/{layers}.json", "getTileJson"},
        {"get /tiles/{layers}/{z}/{x}/{y}.mvt", "getVectorTile"},
        {"get /tiles/{layers}/{z}/{x}/{y}.png", "getRasterTile"},
        {"get /styles/gridmap.json", "getStyle"},
        {"get /query/at", "queryAt"},
        {"get /query/cell", "queryCell"},
        {"get /query/search", "search"},
        {"get /health", "getHealth"},
        {"get /metrics", "getMetrics"},
        {"get /openapi.json", "getOpenApi"},
        {"get /problems", "getProblemTypes"},
        {"get /problems/{name}", "getProblemType"},
        {"get /session", "getSession"},
        {"post /session", "createSession"},
        {"delete /session", "deleteSession"},
        {"post /imports", "startImport"},
        {"get /jobs/{id}/report", "getImportReport"},
        {"post /analysis/{kind}", "startAnalysis"},
        {"get /jobs/{id}", "getJob"},
        {"delete /jobs/{id}", "cancelJob"},
        {"get /jobs/{id}/result.{format}", "getJobResult"},
    };
    return ids;
}

// Every operation gets its operationId, and a 404 where a path parameter names something.
ordered_json with_operation_ids(ordered_json paths) {
    for (auto& [path, item] : paths.items()) {
        for (auto& [method, op] : item.items()) {
            const auto it = operation_ids().find(method + " " + path);
            if (it == operation_ids().end()) {
                throw geo::Error(geo::Errc::internal, "openapi: no operationId for " + method + " " + path);
            }
            op["operationId"] = it->second;
            if (path.find('{') != std::string::npos && !op["responses"].contains("404")) {
                op["responses"]["404"] = problem_response("nothing by this name or id");
            }
        }
    }
    return paths;
}

// "grid_cells" → "GridCells", for operationIds.
std::string pascal_case(const std::string& name) {
    std::string out;
    bool upper = true;
    for (char c : name) {
        if (c == '_') {
            upper = true;
            continue;
        }
        out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        upper = false;
    }
    return out;
}

// /collections/{name}/items for each layer, as the generic operation but with the layer's own
// properties as query parameters (type and title from its schema): clients that read the
// document to learn what the server filters (GDAL's OAPIF driver, QGIS) find them there.
void add_collection_items_paths(ordered_json& paths, const std::vector<geo::LayerInfo>& layers) {
    const ordered_json generic = paths["/collections/{collectionId}/items"]["get"];
    std::set<std::string> ids;
    for (const auto& [path, item] : paths.items()) {
        for (const auto& [method, op] : item.items()) ids.insert(op["operationId"].get<std::string>());
    }
    for (const auto& layer : layers) {
        ordered_json op = generic;
        ordered_json parameters = ordered_json::array();
        for (const auto& p : generic["parameters"]) {
            if (p["in"] != "path" && p["name"] != "{property}") parameters.push_back(p);
        }
        const ordered_json properties = geo::io::property_schemas(layer);
        for (const auto& [name, schema] : properties.items()) {
            ordered_json s = schema;
            std::string description;
            if (name == geo::io::k_geometry_property) {
                s = {{"type", "string"}};
                description = "only features whose geometry intersects this WKT geometry or BBOX(minx, miny, maxx, maxy) (lon/lat)";
            } else {
                description = "only features whose " + name + " (" + schema["title"].get<std::string>() + ") equals the value";
                s.erase("title");
                s.erase("description");
            }
            parameters.push_back(param(name, "query", description, s));
        }
        op["parameters"] = parameters;
        op["summary"] = "features of " + layer.name + " (" + layer.title + ")";
        std::string id = "get" + pascal_case(layer.name) + "Features";
        for (int n = 2; ids.contains(id); ++n) id = "get" + pascal_case(layer.name) + "Features" + std::to_string(n);
        ids.insert(id);
        op["operationId"] = id;
        op["responses"].erase("404");
        paths["/collections/" + layer.name + "/items"] = {{"get", op}};
    }
}

// What the connection loop answers before any route (see the README's "Limits").
ordered_json common_responses() {
    return {{"400", problem_response("malformed request: request line, header fields, %-escapes, UTF-8, Host")},
            {"403", problem_response("a write (POST, DELETE) from a page on another site (Origin)")},
            {"408", problem_response("the request did not arrive whole within read_timeout_s")},
            {"411", problem_response("a chunked request body (send Content-Length)")},
            {"413", problem_response("the request body is over max_body_bytes (max_upload_bytes for /imports)")},
            {"414", problem_response("the request target is over 8 KiB")},
            {"415", problem_response("a compressed request body, or a body that is not application/json")},
            {"405", problem_response("a method this path does not have; Allow lists those it has")},
            {"421", problem_response("a Host name the server does not answer for (allowed_hosts)")},
            {"431", problem_response("header fields over 8 KiB each, 32 KiB or 100 in all")},
            {"501", problem_response("a method the server does not implement")},
            {"503", problem_response("too many connections or requests waiting; Retry-After says when to come back")},
            {"505", problem_response("an HTTP version other than 1.0 and 1.1")}};
}

// Every operation can meet the connection loop's refusals; an operation's own meaning of a
// status (a 503 for no style, say) is kept.
ordered_json with_common_responses(ordered_json paths) {
    const ordered_json common = common_responses();
    for (auto& [path, item] : paths.items()) {
        for (auto& [method, op] : item.items()) {
            const bool writes = method == "post" || method == "delete";
            for (const auto& [status, response] : common.items()) {
                const bool body_only = status == "403" || status == "411" || status == "413" || status == "415";
                if ((writes || !body_only) && !op["responses"].contains(status)) op["responses"][status] = response;
            }
        }
    }
    return paths;
}

ordered_json openapi_document(const ServerConfig& config, const std::map<std::string, Role>& roles, const std::string& base_url,
                              const std::vector<geo::LayerInfo>& layers) {
    const auto collection_id = param("collectionId", "path", "layer name, e.g. buildings", {{"type", "string"}}, true);
    const auto crs = param("crs", "query", "output CRS URI (default CRS84 lon/lat)",
                           {{"type", "string"}, {"enum", supported_crs_uris()}});
    const ordered_json errors = {{"400", problem_response("bad parameter")}, {"404", problem_response("no such collection or feature")}};
    ordered_json items_responses = {{"200", json_response("a page of features", "application/geo+json")}};
    items_responses.update(errors);
    ordered_json paths = {
        {"/", operation("landing page", ordered_json::array(), {{"200", json_response("links to the API")}})},
        {"/conformance", operation("conformance classes", ordered_json::array(), {{"200", json_response("conformsTo")}})},
        {"/collections", operation("the layers as collections", ordered_json::array(), {{"200", json_response("collections")}})},
        {"/collections/{collectionId}", [&] {
             ordered_json ops = operation("one collection", {collection_id},
                                          {{"200", json_response("the collection")}, {"404", problem_response("no such collection")}});
             ops["delete"] = operation("delete the layer (admin; written to the audit log)", {collection_id},
                                       {{"204", {{"description", "deleted"}}}, {"404", problem_response("no such collection")}})["get"];
             return ops;
         }()},
        {"/collections/{collectionId}/items",
         operation("features of a collection",
                   {collection_id,
                    param("bbox", "query", "minx,miny,maxx,maxy in bbox-crs (default CRS84)", {{"type", "string"}}),
                    param("bbox-crs", "query", "CRS of bbox", {{"type", "string"}, {"enum", supported_crs_uris()}}),
                    param("limit", "query", "page size",
                          {{"type", "integer"}, {"minimum", 1}, {"maximum", config.items_max_limit}, {"default", config.items_default_limit}}),
                    param("offset", "query", "features to skip", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}),
                    param("properties", "query", "comma-separated properties to include", {{"type", "string"}}),
                    crs,
                    param("filter", "query",
                          "CQL2-text filter: comparisons, AND/OR/NOT, LIKE, IN, BETWEEN, IS NULL, "
                          "S_INTERSECTS(geom, BBOX(…) or WKT); values are bound, never pasted into SQL",
                          {{"type", "string"}}),
                    param("filter-lang", "query", "cql2-text; cql-text, the name drafts of Part 3 used, is read as cql2-text",
                          {{"type", "string"}, {"enum", {"cql2-text", "cql-text"}}, {"default", "cql2-text"}}),
                    param("{property}", "query",
                          "any queryable (see /collections/{collectionId}/queryables): only features whose property equals the "
                          "value; geom=WKT only those whose geometry intersects it. The paths /collections/{name}/items list "
                          "each collection's own",
                          {{"type", "string"}})},
                   items_responses)},
        {"/collections/{collectionId}/queryables",
         operation("the properties a filter and a ?name=value parameter can use, as a JSON Schema (OGC API – Features Part 3)",
                   {collection_id},
                   {{"200", json_response("the queryables", "application/schema+json")}, {"404", problem_response("no such collection")}})},
        {"/collections/{collectionId}/schema",
         operation("the properties of the collection's features with their types, as a JSON Schema (OGC API – Features Part 5)",
                   {collection_id},
                   {{"200", json_response("the schema", "application/schema+json")}, {"404", problem_response("no such collection")}})},
        {"/collections/{collectionId}/schema/geojson",
         operation("JSON Schema of one GeoJSON feature of the collection (the collection's describedBy link), from which "
                   "GDAL types its fields",
                   {collection_id},
                   {{"200", json_response("the schema", "application/schema+json")}, {"404", problem_response("no such collection")}})},
        {"/collections/{collectionId}/items/{featureId}",
         operation("one feature", {collection_id, param("featureId", "path", "feature id (fid)", {{"type", "integer"}}, true), crs},
                   {{"200", json_response("the feature", "application/geo+json")}, {"400", problem_response("bad parameter")},
                    {"404", problem_response("no such feature")}})},
        {"/tiles/{layers}.json",
         operation("TileJSON 3.0 of one layer, several (a,b) or all", {param("layers", "path", "layer, a,b,… or all", {{"type", "string"}}, true)},
                   {{"200", json_response("TileJSON")}, {"404", problem_response("no such layer")}})},
        {"/tiles/{layers}/{z}/{x}/{y}.mvt",
         operation("Mapbox Vector Tile (Web Mercator XYZ)",
                   {param("layers", "path", "layer, a,b,… or all", {{"type", "string"}}, true),
                    param("z", "path", "zoom, within the layer's range", {{"type", "integer"}, {"minimum", 0}, {"maximum", 24}}, true),
                    param("x", "path", "column, 0 … 2^z−1", {{"type", "integer"}, {"minimum", 0}}, true),
                    param("y", "path", "row from the north, 0 … 2^z−1", {{"type", "integer"}, {"minimum", 0}}, true)},
                   {{"200", {{"description", "the tile"}, {"content", {{"application/vnd.mapbox-vector-tile", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}}},
                    {"204", {{"description", "nothing to draw in this tile"}}},
                    {"400", problem_response("zoom outside the layer's range, x or y outside the tile grid")},
                    {"404", problem_response("no such layer")}})},
        {"/tiles/{layers}/{z}/{x}/{y}.png",
         operation("raster tile (256 px; …@2x.png for 512 px) drawn from styles/gridmap.json",
                   {param("layers", "path", "layer, a,b,… or all", {{"type", "string"}}, true),
                    param("z", "path", "zoom", {{"type", "integer"}}, true), param("x", "path", "column", {{"type", "integer"}}, true),
                    param("y", "path", "row", {{"type", "integer"}}, true)},
                   {{"200", {{"description", "the tile (fully transparent where nothing is drawn)"},
                              {"content", {{"image/png", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}}},
                    {"400", problem_response("bad tile coordinates")},
                    {"404", problem_response("no such layer, or the server has no map style")}})},
        {"/styles/gridmap.json",
         operation("the MapLibre style; its sources are absolute URLs on the server's public base URL",
                   ordered_json::array(), {{"200", json_response("style")}, {"404", problem_response("the server has no map style")}})},
        {"/problems", operation("every problem type this server answers with", ordered_json::array(),
                                {{"200", json_response("the problem types: type, title, status, description")}})},
        {"/problems/{name}",
         operation("what a problem type means (the type of a problem+json answer points here)",
                   {param("name", "path", "the problem type's name (not-found, invalid-request, …)", {{"type", "string"}}, true)},
                   {{"200", json_response("type, title, status, description")}, {"404", problem_response("no problem type by this name")}})},
        {"/query/at",
         operation("what is here: the grid cell, community, buildings at the point and the nearest stations of each type "
                   "(straight-line distance_m, and walking_distance_m over the roads layer or null)",
                   {param("lon", "query", "longitude (WGS84)", {{"type", "number"}, {"minimum", -180}, {"maximum", 180}}, true),
                    param("lat", "query", "latitude (WGS84)", {{"type", "number"}, {"minimum", -90}, {"maximum", 90}}, true),
                    param("stations_per_type", "query", "nearest stations per type", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10}, {"default", 1}})},
                   {{"200", json_response("grid_cell, community, buildings, stations (distance_m)")}, {"400", problem_response("bad lon/lat")}})},
        {"/query/cell",
         operation("which grid cell holds the point (answered from memory, for a phone's every GPS fix); grid_cell is null outside every cell",
                   {param("lon", "query", "longitude (WGS84)", {{"type", "number"}, {"minimum", -180}, {"maximum", 180}}, true),
                    param("lat", "query", "latitude (WGS84)", {{"type", "number"}, {"minimum", -90}, {"maximum", 90}}, true)},
                   {{"200", json_response("grid_cell (code, name, community, street, worker, households, population) or null")},
                    {"400", problem_response("bad lon/lat")}})},
        {"/query/search",
         operation("search building and station names, addresses, grid codes and names (Chinese substring, prefix first)",
                   {param("q", "query", "1-64 characters", {{"type", "string"}}, true),
                    param("limit", "query", "hits", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}, {"default", 20}})},
                   {{"200", json_response("hits")}, {"400", problem_response("empty or too long q")}})},
        {"/health", operation("liveness and database check", ordered_json::array(), {{"200", json_response("status ok")}, {"503", problem_response("database unavailable")}})},
        {"/metrics", operation("Prometheus metrics", ordered_json::array(),
                               {{"200", {{"description", "metrics"}, {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}})},
        {"/openapi.json", operation("this document", ordered_json::array(), {{"200", json_response("OpenAPI 3.0")}})},
        {"/session", session_operations()},
        {"/imports", [&] {
             ordered_json post = operation(
                 "import a file into a layer as a job (admin): the body is a zipped shapefile (application/zip), a GeoPackage "
                 "(application/geopackage+sqlite3), GeoJSON (application/geo+json) or multipart/form-data with one file part; "
                 "it is streamed to a private file, never held in memory. 202 with Location: /jobs/{id}; the report is at "
                 "/jobs/{id}/report",
                 {param("layer", "query", "the layer to write", {{"type", "string"}}, true),
                  param("mode", "query", "replace (default) or append", {{"type", "string"}, {"enum", {"replace", "append"}}}),
                  param("srs", "query", "the source CRS, when the file has no .prj or a wrong one", {{"type", "string"}}),
                  param("encoding", "query", "the attribute encoding (GBK, GB18030, UTF-8, …)", {{"type", "string"}}),
                  param("filename", "query", "the file's name for the report and catalog (raw bodies)", {{"type", "string"}})},
                 {{"202", json_response("the job, queued")},
                  {"400", problem_response("no file, a bad layer name or mode, a malformed multipart body")},
                  {"409", problem_response("an import into this layer is under way")},
                  {"413", problem_response("the upload is over max_upload_bytes")},
                  {"507", problem_response("the server's disk is full")}})["get"];
             post["requestBody"] = {{"required", true},
                                    {"content", {{"application/zip", ordered_json::object()},
                                                 {"application/geopackage+sqlite3", ordered_json::object()},
                                                 {"application/geo+json", ordered_json::object()},
                                                 {"multipart/form-data", ordered_json::object()}}}};
             return ordered_json{{"post", post}};
         }()},
        {"/jobs/{id}/report",
         operation("what an import did, as gridmap import --report writes it: features read, imported, repaired, skipped with "
                   "reasons, encoding and CRS and where each came from, field mapping",
                   {param("id", "path", "job id", {{"type", "string"}}, true)},
                   {{"200", json_response("the import report")},
                    {"400", problem_response("the import failed: the detail says why")},
                    {"404", problem_response("no such job, or not an import")},
                    {"409", problem_response("the import has not finished, or was cancelled")}})},
        {"/analysis/{kind}", analysis_operation()},
        {"/jobs/{id}", jobs_operations()},
        {"/jobs/{id}/result.{format}",
         operation("an analysis result: json, csv, geojson, or png (a map for reports, width and height 200-4000 px)",
                   {param("id", "path", "job id", {{"type", "string"}}, true),
                    param("format", "path", "json, csv, geojson or png", {{"type", "string"}, {"enum", {"json", "csv", "geojson", "png"}}}, true),
                    param("width", "query", "png width", {{"type", "integer"}, {"default", 1600}}),
                    param("height", "query", "png height", {{"type", "integer"}, {"default", 1200}})},
                   {{"200", {{"description", "the result"}}},
                    {"400", problem_response("the analysis failed: the detail says why")},
                    {"404", problem_response("no such job")},
                    {"409", problem_response("the job has not finished yet, or was cancelled")}})},
    };
    ordered_json all_paths = with_operation_ids(with_roles(with_common_responses(paths), roles));
    add_collection_items_paths(all_paths, layers);
    return {
        {"openapi", "3.0.3"},
        {"info", {{"title", "Gridmap"}, {"version", "0.1.0"},
                  {"description", "GIS server for community grid management: OGC API – Features, vector and raster tiles, "
                                  "point queries, planners' analyses as jobs, health and metrics. Deny by default: every operation "
                                  "but /health and /session needs a bearer token (x-minimum-role: worker, planner or admin). "
                                  "Errors are application/problem+json (RFC 9457). Every path answers OPTIONS (Allow, and a CORS "
                                  "preflight for origins in cors_origins); answers to other origins carry "
                                  "Access-Control-Allow-Origin."}}},
        {"servers", {{{"url", base_url}, {"description", "this server, as the client reached it"}}}},
        {"paths", all_paths},
        {"security", {{{"bearerAuth", ordered_json::array()}}, {{"sessionCookie", ordered_json::array()}}}},
        {"components",
         {{"securitySchemes",
           {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"},
                            {"description", "a token from gridmap token create; never in the URL"}}},
            {"sessionCookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "gridmap_session"},
                               {"description", "set by POST /session"}}}}},
          {"schemas",
           {{"Problem",
             {{"type", "object"},
              {"properties", {{"type", {{"type", "string"}}}, {"title", {{"type", "string"}}}, {"status", {{"type", "integer"}}},
                              {"detail", {{"type", "string"}}}, {"instance", {{"type", "string"}}}}}}}}}}},
    };
}

}  // namespace

void register_system_routes(Server& server) {
    server.get("/health", R"(/health)", Role::anonymous, [](RequestContext& ctx) {
        const auto layers = ctx.store().layers();
        ordered_json body = {{"status", "ok"}, {"layers", layers.size()}};
        ctx.res.set_content(json_text(body), "application/json");
    });
    server.get("/metrics", R"(/metrics)", Role::admin, [&server](RequestContext& ctx) {
        std::string text = server.metrics().prometheus_text();
        text += "# HELP gridmap_http_open_connections Client connections open now (slow, idle and keep-alive ones included).\n"
                "# TYPE gridmap_http_open_connections gauge\n"
                "gridmap_http_open_connections " + std::to_string(server.open_connections()) + "\n";
        ctx.res.set_content(text, "text/plain; version=0.0.4");
    });
    server.get("/openapi.json", R"(/openapi.json)", Role::worker, [&server](RequestContext& ctx) {
        const auto document = openapi_document(server.config(), server.route_roles(), ctx.base_url, ctx.store().layers());
        ctx.res.set_content(json_text(document), "application/vnd.oai.openapi+json;version=3.0");
    });
}

}  // namespace gridmap::http
