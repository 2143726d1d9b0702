// OGC API – Features and the rest of the HTTP contract, over real HTTP on loopback.
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/server_fixture.hpp"

namespace {

using nlohmann::json;

json get_json(const std::string& path, int expected_status = 200, const std::string& type = "") {
    auto client = gridmap::test::demo_server().client();
    auto res = client.Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, expected_status) << path << "\n" << res->body;
    if (!type.empty()) {
        EXPECT_EQ(res->get_header_value("Content-Type"), type) << path;
    }
    return json::parse(res->body, nullptr, false);
}

void expect_problem(const std::string& path, int status, const std::string& detail_part) {
    auto client = gridmap::test::demo_server().client();
    auto res = client.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, status) << path << "\n" << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json") << path;
    const auto body = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << res->body;
    EXPECT_EQ(body["status"], status);
    EXPECT_TRUE(body.contains("title") && body.contains("type") && body.contains("instance"));
    EXPECT_NE(body["detail"].get<std::string>().find(detail_part), std::string::npos)
        << path << ": " << body["detail"];
    EXPECT_FALSE(res->get_header_value("X-Request-Id").empty());
}

TEST(Http, HealthAndLanding) {
    const auto health = get_json("/health", 200, "application/json");
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["layers"], 4);
    const auto landing = get_json("/");
    std::set<std::string> rels;
    for (const auto& l : landing["links"]) rels.insert(l["rel"]);
    for (const char* rel : {"self", "service-desc", "conformance", "data"}) EXPECT_TRUE(rels.contains(rel)) << rel;
    const auto conformance = get_json("/conformance");
    EXPECT_NE(conformance["conformsTo"].dump().find("ogcapi-features-1/1.0/conf/core"), std::string::npos);
}

TEST(Http, Collections) {
    const auto body = get_json("/collections");
    ASSERT_EQ(body["collections"].size(), 4u);
    std::map<std::string, json> by_id;
    for (const auto& c : body["collections"]) by_id[c["id"]] = c;
    ASSERT_TRUE(by_id.contains("buildings"));
    const auto bbox = by_id["buildings"]["extent"]["spatial"]["bbox"][0];
    EXPECT_NEAR(bbox[0].get<double>(), 121.4802, 1e-3);
    EXPECT_NEAR(bbox[3].get<double>(), 31.2510, 1e-3);
    EXPECT_EQ(by_id["buildings"]["title"], "楼栋");
    const auto one = get_json("/collections/stations");
    EXPECT_EQ(one["id"], "stations");
    expect_problem("/collections/nope", 404, "nope");
}

TEST(Http, ItemsPagingAndCounts) {
    const auto page = get_json("/collections/buildings/items?limit=10", 200, "application/geo+json");
    EXPECT_EQ(page["type"], "FeatureCollection");
    EXPECT_EQ(page["numberMatched"], 1450);
    EXPECT_EQ(page["numberReturned"], 10);
    ASSERT_EQ(page["features"].size(), 10u);
    std::string next;
    for (const auto& l : page["links"]) {
        if (l["rel"] == "next") next = l["href"];
    }
    ASSERT_FALSE(next.empty());
    EXPECT_NE(next.find("offset=10"), std::string::npos);
    const auto second = get_json(next.substr(next.find("/collections")));
    EXPECT_EQ(second["features"][0]["id"], page["features"][9]["id"].get<int>() + 1);
    const auto last = get_json("/collections/buildings/items?limit=100&offset=1400");
    EXPECT_EQ(last["numberReturned"], 50);
    for (const auto& l : last["links"]) EXPECT_NE(l["rel"], "next");
    const auto defaults = get_json("/collections/buildings/items");
    EXPECT_EQ(defaults["numberReturned"], 100);  // the default limit
}

TEST(Http, ItemsBboxPropertiesAndEquality) {
    // A box around 东方明珠 in Lujiazui.
    const auto box = get_json("/collections/buildings/items?bbox=121.494,31.239,121.498,31.243&limit=1000");
    const int matched = box["numberMatched"];
    EXPECT_GT(matched, 5);
    EXPECT_LT(matched, 200);
    EXPECT_EQ(box["numberReturned"], matched);
    const auto cell = get_json("/collections/grid_cells/items?code=310115005-001-01");
    ASSERT_EQ(cell["numberReturned"], 1);
    EXPECT_EQ(cell["features"][0]["properties"]["street"], "陆家嘴街道");
    EXPECT_GE(cell["features"][0]["properties"]["households"].get<int>(), 280);
    const auto slim = get_json("/collections/stations/items?properties=name,type&limit=1");
    EXPECT_EQ(slim["features"][0]["properties"].size(), 2u);
    EXPECT_TRUE(slim["features"][0]["properties"].contains("name"));
    const auto in_cell = get_json("/collections/buildings/items?grid_code=310115005-001-01&limit=1000");
    EXPECT_EQ(in_cell["numberMatched"], in_cell["numberReturned"]);
    for (const auto& f : in_cell["features"]) EXPECT_EQ(f["properties"]["grid_code"], "310115005-001-01");
}

TEST(Http, ItemsInOtherCrs) {
    auto client = gridmap::test::demo_server().client();
    auto res = client.Get("/collections/stations/items?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4326");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("Content-Crs"), "<http://www.opengis.net/def/crs/EPSG/0/4326>");
    const auto latlon = json::parse(res->body)["features"][0]["geometry"]["coordinates"];
    const auto lonlat = get_json("/collections/stations/items?limit=1")["features"][0]["geometry"]["coordinates"];
    EXPECT_DOUBLE_EQ(latlon[0].get<double>(), lonlat[1].get<double>());  // EPSG:4326 is lat, lon
    EXPECT_DOUBLE_EQ(latlon[1].get<double>(), lonlat[0].get<double>());
    const auto merc = get_json("/collections/stations/items?limit=1&crs=EPSG:3857")["features"][0]["geometry"]["coordinates"];
    EXPECT_NEAR(merc[0].get<double>(), lonlat[0].get<double>() * 20037508.342789244 / 180.0, 0.01);
    EXPECT_GT(merc[1].get<double>(), 3.6e6);
    // bbox in EPSG:4326 is lat,lon.
    const auto a = get_json("/collections/buildings/items?bbox=121.494,31.239,121.498,31.243");
    const auto b = get_json("/collections/buildings/items?bbox=31.239,121.494,31.243,121.498&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326");
    EXPECT_EQ(a["numberMatched"], b["numberMatched"]);
}

TEST(Http, OneItem) {
    const auto f = get_json("/collections/stations/items/1", 200, "application/geo+json");
    EXPECT_EQ(f["type"], "Feature");
    EXPECT_EQ(f["id"], 1);
    EXPECT_EQ(f["geometry"]["type"], "Point");
    expect_problem("/collections/stations/items/99999", 404, "99999");
    expect_problem("/collections/stations/items/abc", 400, "featureId");
}

TEST(Http, BadInputIsA4xxProblem) {
    expect_problem("/collections/buildings/items?limit=0", 400, "limit");
    expect_problem("/collections/buildings/items?limit=abc", 400, "limit");
    expect_problem("/collections/buildings/items?limit=100000000", 400, "limit");
    expect_problem("/collections/buildings/items?offset=-1", 400, "offset");
    expect_problem("/collections/buildings/items?bbox=1,2,3", 400, "four numbers");
    expect_problem("/collections/buildings/items?bbox=3,2,1,4", 400, "minimum");
    expect_problem("/collections/buildings/items?bbox=0,0,500,1", 400, "-180..180");
    expect_problem("/collections/buildings/items?bbox=a,b,c,d", 400, "not a number");
    expect_problem("/collections/buildings/items?bbox=1e999,0,1,1", 400, "not a number");
    expect_problem("/collections/buildings/items?crs=EPSG:2000", 400, "unsupported CRS");
    expect_problem("/collections/buildings/items?nosuchfield=1", 400, "nosuchfield");
    expect_problem("/collections/buildings/items?properties=name,bogus", 400, "bogus");
    expect_problem("/no/such/route", 404, "no such resource");
}

TEST(Http, LargeBodyIsRefused) {
    auto client = gridmap::test::demo_server().client();
    const std::string body(200 * 1024, 'x');
    auto res = client.Post("/collections", body, "application/octet-stream");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
}

TEST(Http, MetricsAndOpenApi) {
    get_json("/health");
    auto client = gridmap::test::demo_server().client();
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    EXPECT_NE(metrics->body.find("gridmap_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"}"),
              std::string::npos);
    EXPECT_NE(metrics->body.find("gridmap_http_request_duration_seconds_bucket"), std::string::npos);
    const auto api = get_json("/openapi.json");
    EXPECT_EQ(api["openapi"], "3.0.3");
    for (const char* path : {"/", "/conformance", "/collections", "/collections/{collectionId}",
                             "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}",
                             "/tiles/{layers}.json", "/tiles/{layers}/{z}/{x}/{y}.mvt", "/health", "/metrics",
                             "/openapi.json", "/query/at", "/query/cell", "/query/search", "/tiles/{layers}/{z}/{x}/{y}.png", "/styles/gridmap.json",
                             "/analysis/{kind}", "/jobs/{id}", "/jobs/{id}/result.{format}"}) {
        EXPECT_TRUE(api["paths"].contains(path)) << path;
    }
    EXPECT_TRUE(api["paths"]["/analysis/{kind}"]["post"]["x-parameters-by-kind"]["coverage"]["properties"].contains("minutes"));
}

}  // namespace

namespace {

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

TEST(Http, Cql2Filter) {
    const auto health = get_json("/collections/stations/items?filter=" +
                                 url_encode("type = 'health_station'"));
    EXPECT_EQ(health["numberMatched"], 3);
    for (const auto& f : health["features"]) EXPECT_EQ(f["properties"]["type"], "health_station");
    const auto either = get_json("/collections/stations/items?filter=" +
                                 url_encode("type IN ('police_room','health_station') AND NOT name LIKE '%医院%'"));
    EXPECT_GE(either["numberMatched"].get<int>(), 3);
    const auto near_pearl = get_json("/collections/buildings/items?limit=1000&filter=" +
                                     url_encode("S_INTERSECTS(geom, BBOX(121.494,31.239,121.498,31.243)) AND floors >= 10"));
    const auto box = get_json("/collections/buildings/items?limit=1000&bbox=121.494,31.239,121.498,31.243");
    EXPECT_GT(near_pearl["numberMatched"].get<int>(), 0);
    EXPECT_LT(near_pearl["numberMatched"].get<int>(), box["numberMatched"].get<int>());
    for (const auto& f : near_pearl["features"]) EXPECT_GE(f["properties"]["floors"].get<int>(), 10);
    expect_problem("/collections/stations/items?filter=" + url_encode("type = "), 400, "position");
    expect_problem("/collections/stations/items?filter=" + url_encode("bogus = 1"), 400, "bogus");
    expect_problem("/collections/stations/items?filter-lang=cql2-json&filter=x", 400, "cql2-text");
    // An injection attempt is only a string that matches nothing.
    const auto injected = get_json("/collections/stations/items?filter=" +
                                   url_encode("name = 'x'' OR 1=1 --'"));
    EXPECT_EQ(injected["numberMatched"], 0);
}

}  // namespace

namespace {

TEST(Http, WhatIsHereAndSearch) {
    // The point on surface of 国金中心二期, found through search first, as a grid worker would.
    const auto found = get_json("/query/search?q=" + url_encode("国金"));
    ASSERT_FALSE(found["hits"].empty());
    const auto hit = found["hits"][0];
    EXPECT_EQ(hit["layer"], "buildings");
    EXPECT_NE(hit["text"].get<std::string>().find("国金"), std::string::npos);
    char path[128];
    std::snprintf(path, sizeof path, "/query/at?lon=%.7f&lat=%.7f", hit["lon"].get<double>(), hit["lat"].get<double>());
    const auto here = get_json(path);
    ASSERT_FALSE(here["buildings"].empty());
    EXPECT_EQ(here["buildings"][0]["fid"], hit["fid"]);
    ASSERT_TRUE(here["grid_cell"].is_object());
    EXPECT_EQ(here["grid_cell"]["code"], here["buildings"][0]["grid_code"]);
    EXPECT_EQ(here["community"], here["grid_cell"]["community"]);
    ASSERT_FALSE(here["stations"].empty());
    int walked = 0;
    for (const auto& group : here["stations"]) {
        ASSERT_FALSE(group["nearest"].empty());
        const auto& s = group["nearest"][0];
        EXPECT_GT(s["distance_m"].get<double>(), 0.0);
        EXPECT_LT(s["distance_m"].get<double>(), 5000.0);
        // On foot is never shorter than the straight line (a decimetre for rounding).
        if (!s["walking_distance_m"].is_null()) {
            ++walked;
            EXPECT_GE(s["walking_distance_m"].get<double>(), s["distance_m"].get<double>() - 0.1) << s.dump();
            EXPECT_LE(s["walking_distance_m"].get<double>(), 3000.0);
        }
    }
    EXPECT_GT(walked, 0) << "Lujiazui's roads reach some station within 3 km";
    const auto codes = get_json("/query/search?q=310115005-001");
    ASSERT_FALSE(codes["hits"].empty());
    EXPECT_EQ(codes["hits"][0]["layer"], "grid_cells");
    expect_problem("/query/at?lon=200&lat=31", 400, "lon");
    expect_problem("/query/at?lon=abc&lat=31", 400, "not a number");
    expect_problem("/query/at?lat=31", 400, "lon");
    expect_problem("/query/search?q=", 400, "");
    expect_problem("/query/search", 400, "q");
}

TEST(Http, QueryCellAgreesWithWhatIsHere) {
    // A lattice of points over the demo district, some outside every cell: the in-memory index
    // gives the same cell as the store's own point-in-polygon test.
    int inside = 0, outside = 0;
    for (int i = 0; i < 12; ++i) {
        for (int j = 0; j < 12; ++j) {
            const double lon = 121.478 + i * 0.0035, lat = 31.218 + j * 0.0025;
            char cell_path[128], at_path[128];
            std::snprintf(cell_path, sizeof cell_path, "/query/cell?lon=%.6f&lat=%.6f", lon, lat);
            std::snprintf(at_path, sizeof at_path, "/query/at?lon=%.6f&lat=%.6f&stations_per_type=0", lon, lat);
            const auto cell = get_json(cell_path);
            const auto here = get_json(at_path);
            ASSERT_EQ(cell["grid_cell"].is_null(), here["grid_cell"].is_null()) << cell_path;
            if (cell["grid_cell"].is_null()) {
                ++outside;
                continue;
            }
            ++inside;
            EXPECT_EQ(cell["grid_cell"]["code"], here["grid_cell"]["code"]) << cell_path;
            EXPECT_EQ(cell["grid_cell"]["households"], here["grid_cell"]["households"]) << cell_path;
        }
    }
    EXPECT_GT(inside, 50);
    EXPECT_GT(outside, 0);
    expect_problem("/query/cell?lon=181&lat=31", 400, "lon");
    expect_problem("/query/cell?lon=121.5", 400, "lat");
}

}  // namespace
