// Deny by default, roles and grid-cell scopes, over HTTP against the demo district: every route
// × every kind of caller from one table, then what each scope may see in items, tiles, the
// point queries and search, and that a worker's cached tile never reaches another worker.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "access/access_fixture.hpp"
#include "geo/store/store.hpp"

namespace {

using gridmap::test::access_server;
using gridmap::test::AccessServer;
using nlohmann::json;

// The z16 tile holding (lon, lat), as "16/x/y".
std::string tile_at(double lon, double lat) {
    const double n = 65536;
    const int x = static_cast<int>((lon + 180) / 360 * n);
    const double r = lat * M_PI / 180;
    const int y = static_cast<int>((1 - std::log(std::tan(r) + 1 / std::cos(r)) / M_PI) / 2 * n);
    return "16/" + std::to_string(x) + "/" + std::to_string(y);
}

// Each kind of caller, and the answer it gets.
struct Expect {
    int anonymous, bogus, expired, revoked, worker, planner, admin;
};

struct RouteCase {
    std::string method;
    std::string target;
    std::string body;  // POST only
    Expect status;
};

// Every route, once per minimum role. Bodies and ids are chosen so that an authorized caller
// gets a definite answer without starting work (a 400 or 404 past the role check).
std::vector<RouteCase> route_table() {
    const std::string tile = tile_at(121.481, 31.227);
    const Expect open_to_all{200, 200, 200, 200, 200, 200, 200};
    const Expect workers_up{401, 401, 401, 401, 200, 200, 200};
    const Expect planners_up_404{401, 401, 401, 401, 403, 404, 404};
    const Expect planners_up_400{401, 401, 401, 401, 403, 400, 400};
    const Expect admins_404{401, 401, 401, 401, 403, 403, 404};
    const Expect admins_200{401, 401, 401, 401, 403, 403, 200};
    return {
        {"GET", "/health", "", open_to_all},
        {"GET", "/session", "", open_to_all},
        {"GET", "/problems", "", open_to_all},
        {"GET", "/problems/not-found", "", open_to_all},
        {"POST", "/session", "{}", {400, 400, 400, 400, 400, 400, 400}},
        {"DELETE", "/session", "", {204, 204, 204, 204, 204, 204, 204}},
        {"GET", "/", "", workers_up},
        {"GET", "/conformance", "", workers_up},
        {"GET", "/openapi.json", "", workers_up},
        {"GET", "/collections", "", workers_up},
        {"GET", "/collections/buildings", "", workers_up},
        {"GET", "/collections/buildings/items?limit=3", "", workers_up},
        {"GET", "/collections/buildings/items/1", "", workers_up},
        {"GET", "/collections/buildings/queryables", "", workers_up},
        {"GET", "/collections/buildings/schema", "", workers_up},
        {"GET", "/collections/buildings/schema/geojson", "", workers_up},
        {"GET", "/tiles/all.json", "", workers_up},
        {"GET", "/tiles/buildings/" + tile + ".mvt", "", workers_up},
        {"GET", "/tiles/all/" + tile + ".png", "", workers_up},
        {"GET", "/styles/gridmap.json", "", workers_up},
        {"GET", "/query/at?lon=121.481&lat=31.227", "", workers_up},
        {"GET", "/query/cell?lon=121.481&lat=31.227", "", workers_up},
        {"GET", "/query/search?q=%E7%BD%91%E6%A0%BC", "", workers_up},
        {"POST", "/analysis/coverage", R"({"minutes": "ten"})", planners_up_400},
        {"GET", "/jobs/00000000-0000-0000-0000-000000000000", "", planners_up_404},
        {"DELETE", "/jobs/00000000-0000-0000-0000-000000000000", "", planners_up_404},
        {"GET", "/jobs/00000000-0000-0000-0000-000000000000/result.json", "", planners_up_404},
        {"GET", "/jobs/00000000-0000-0000-0000-000000000000/report", "", planners_up_404},
        {"GET", "/metrics", "", admins_200},
        {"POST", "/imports", "", {401, 401, 401, 401, 403, 403, 400}},
        {"DELETE", "/collections/no_such_layer", "", admins_404},
    };
}

TEST(Access, EveryRouteForEveryKindOfCaller) {
    auto& server = access_server();
    for (const auto& c : route_table()) {
        const std::pair<const char*, int> callers[] = {
            {"anonymous", c.status.anonymous}, {"bogus", c.status.bogus},     {"expired", c.status.expired},
            {"revoked", c.status.revoked},     {"worker", c.status.worker},   {"planner", c.status.planner},
            {"admin", c.status.admin}};
        for (const auto& [who, expected] : callers) {
            const auto res = c.method == "GET"    ? server.get(who, c.target)
                             : c.method == "POST" ? server.post(who, c.target, c.body)
                                                  : server.del(who, c.target);
            ASSERT_TRUE(res) << c.method << " " << c.target << " as " << who;
            EXPECT_EQ(res->status, expected) << c.method << " " << c.target << " as " << who << ": " << res->body;
            if (res->status == 401) {
                EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
                const std::string challenge = res->get_header_value("WWW-Authenticate");
                EXPECT_TRUE(challenge.starts_with("Bearer")) << challenge;
                // A token that was presented and refused says so; no token at all does not.
                EXPECT_EQ(challenge.find("invalid_token") != std::string::npos, std::string(who) != "anonymous")
                    << who << ": " << challenge;
            }
        }
    }
}

TEST(Access, TheRouteTableCoversEveryRegisteredRoute) {
    // A route added without a row here would go untested: compare with what the server registered.
    gridmap::http::ServerConfig config;
    config.db = access_server().db();
    gridmap::http::Server server(config);
    std::set<std::string> tested;
    for (const auto& c : route_table()) {
        std::string path = c.target.substr(0, c.target.find('?'));
        tested.insert(c.method + " " + path);
    }
    const std::map<std::string, std::string> names = {
        {"/collections/{id}", "/collections/buildings"},
        {"/collections/{id}/items", "/collections/buildings/items"},
        {"/collections/{id}/items/{featureId}", "/collections/buildings/items/1"},
        {"/collections/{id}/queryables", "/collections/buildings/queryables"},
        {"/collections/{id}/schema", "/collections/buildings/schema"},
        {"/collections/{id}/schema/geojson", "/collections/buildings/schema/geojson"},
        {"/tiles/{layers}.json", "/tiles/all.json"},
        {"/problems/{name}", "/problems/not-found"},
        {"/analysis/{kind}", "/analysis/coverage"},
        {"/jobs/{id}", "/jobs/00000000-0000-0000-0000-000000000000"},
        {"/jobs/{id}/result", "/jobs/00000000-0000-0000-0000-000000000000/result.json"},
        {"/jobs/{id}/report", "/jobs/00000000-0000-0000-0000-000000000000/report"},
    };
    for (const auto& [route, role] : server.route_roles()) {
        const auto space = route.find(' ');
        const std::string method = route.substr(0, space);
        std::string name = route.substr(space + 1);
        if (names.contains(name)) name = names.at(name);
        if (method == "DELETE" && name == "/collections/buildings") name = "/collections/no_such_layer";
        if (name.starts_with("/tiles/{layers}/")) continue;  // tile paths carry coordinates; listed above
        EXPECT_TRUE(tested.contains(method + " " + name)) << route << " is not in the route table";
    }
}

// The buildings a caller gets from /items, by fid.
std::map<std::int64_t, json> buildings_as(const std::string& who) {
    const auto res = access_server().get(who, "/collections/buildings/items?limit=10000");
    EXPECT_TRUE(res && res->status == 200);
    std::map<std::int64_t, json> out;
    const json body = json::parse(res->body);
    for (const auto& f : body["features"]) out[f["id"].get<std::int64_t>()] = f;
    return out;
}

TEST(Access, WorkersSeeBuildingDetailOnlyInsideTheirCells) {
    const auto planner = buildings_as("planner");
    const auto worker = buildings_as("worker");
    const auto nobody = buildings_as("worker_none");
    ASSERT_GT(planner.size(), 100u);
    // Everyone gets every building's geometry: the map stays usable.
    ASSERT_EQ(worker.size(), planner.size());
    ASSERT_EQ(nobody.size(), planner.size());
    int inside = 0, outside = 0;
    for (const auto& [fid, f] : planner) {
        EXPECT_EQ(worker.at(fid)["geometry"], f["geometry"]);
        EXPECT_TRUE(nobody.at(fid)["properties"].empty()) << "a worker without cells sees geometry only";
        if (f["properties"]["grid_code"] == AccessServer::k_cell_a) {
            ++inside;
            EXPECT_EQ(worker.at(fid)["properties"], f["properties"]);
        } else {
            ++outside;
            // Left out, not null.
            EXPECT_TRUE(worker.at(fid)["properties"].empty()) << worker.at(fid).dump();
        }
    }
    EXPECT_GT(inside, 5);
    EXPECT_GT(outside, 100);
}

TEST(Access, WorkersSeeCellDetailOnlyForTheirCells) {
    const auto res = access_server().get("worker", "/collections/grid_cells/items?limit=1000");
    ASSERT_TRUE(res && res->status == 200);
    int own = 0, others = 0;
    const json body = json::parse(res->body);
    for (const auto& f : body["features"]) {
        const auto& p = f["properties"];
        ASSERT_TRUE(p.contains("code") && p.contains("name") && p.contains("community") && p.contains("street")) << p.dump();
        if (p["code"] == AccessServer::k_cell_a) {
            ++own;
            EXPECT_TRUE(p.contains("worker") && p.contains("households") && p.contains("population")) << p.dump();
        } else {
            ++others;
            EXPECT_FALSE(p.contains("worker") || p.contains("households") || p.contains("population")) << p.dump();
        }
    }
    EXPECT_EQ(own, 1);
    EXPECT_GT(others, 10);
    // Stations are public.
    const auto stations = access_server().get("worker_none", "/collections/stations/items?limit=1");
    ASSERT_TRUE(stations && stations->status == 200);
    EXPECT_TRUE(json::parse(stations->body)["features"][0]["properties"].contains("name"));
}

TEST(Access, FiltersAndSearchCannotFindWhatAWorkerMayNotSee) {
    const auto planner = buildings_as("planner");
    // Buildings with households, inside and outside cell A, as a planner sees them.
    std::int64_t with_households_inside = 0;
    std::string outside_name;
    for (const auto& [fid, f] : planner) {
        const auto& p = f["properties"];
        if (p["grid_code"] == AccessServer::k_cell_a && p["households"].is_number() && p["households"].get<double>() > 0) {
            ++with_households_inside;
        }
        if (p["grid_code"] != AccessServer::k_cell_a && p["name"].is_string() && p["name"].get<std::string>().size() >= 9 &&
            outside_name.empty()) {
            outside_name = p["name"];
        }
    }
    ASSERT_GT(with_households_inside, 0);
    ASSERT_FALSE(outside_name.empty());
    const auto filtered = access_server().get("worker", "/collections/buildings/items?limit=10000&filter=households%20%3E%200");
    ASSERT_TRUE(filtered && filtered->status == 200) << (filtered ? filtered->body : "");
    const auto body = json::parse(filtered->body);
    EXPECT_EQ(body["numberMatched"].get<std::int64_t>(), with_households_inside);
    EXPECT_EQ(static_cast<std::int64_t>(body["features"].size()), with_households_inside);

    const std::string q = "/query/search?q=" + httplib::detail::encode_query_param(outside_name);
    const auto as_planner = access_server().get("planner", q);
    const auto as_worker = access_server().get("worker", q);
    ASSERT_TRUE(as_planner && as_worker);
    EXPECT_FALSE(json::parse(as_planner->body)["hits"].empty()) << as_planner->body;
    EXPECT_TRUE(json::parse(as_worker->body)["hits"].empty()) << as_worker->body;
}

// A point on surface of some building in and out of cell A, from the planner's view.
std::pair<json, json> building_points() {
    json in, out;
    for (const auto& [fid, f] : buildings_as("planner")) {
        const auto& p = f["properties"];
        if (!p["pos_lon"].is_number() || !p["households"].is_number()) continue;
        if (p["grid_code"] == AccessServer::k_cell_a && in.is_null()) in = p;
        if (p["grid_code"] == AccessServer::k_cell_b && out.is_null()) out = p;
    }
    return {in, out};
}

TEST(Access, PointQueriesLeaveOutWhatAWorkerMayNotSee) {
    const auto [in, out] = building_points();
    ASSERT_FALSE(in.is_null());
    ASSERT_FALSE(out.is_null());
    const auto at = [](const std::string& who, const json& p) {
        const auto res = access_server().get(who, "/query/at?lon=" + std::to_string(p["pos_lon"].get<double>()) +
                                                       "&lat=" + std::to_string(p["pos_lat"].get<double>()));
        EXPECT_TRUE(res && res->status == 200);
        return json::parse(res->body);
    };
    const json own = at("worker", in);
    ASSERT_FALSE(own["buildings"].empty());
    EXPECT_TRUE(own["buildings"][0].contains("households"));
    EXPECT_TRUE(own["grid_cell"].contains("worker"));
    const json other = at("worker", out);
    ASSERT_FALSE(other["buildings"].empty());
    EXPECT_FALSE(other["buildings"][0].contains("households")) << other.dump();
    EXPECT_FALSE(other["buildings"][0].contains("address")) << other.dump();
    EXPECT_EQ(other["grid_cell"]["code"], AccessServer::k_cell_b);
    EXPECT_FALSE(other["grid_cell"].contains("worker")) << other.dump();
    // The same point for the worker of cell B.
    EXPECT_TRUE(at("worker_b", out)["buildings"][0].contains("households"));

    const auto cell = [](const std::string& who, const json& p) {
        const auto res = access_server().get(who, "/query/cell?lon=" + std::to_string(p["pos_lon"].get<double>()) +
                                                       "&lat=" + std::to_string(p["pos_lat"].get<double>()));
        EXPECT_TRUE(res && res->status == 200);
        return json::parse(res->body)["grid_cell"];
    };
    EXPECT_TRUE(cell("worker", in).contains("worker"));
    EXPECT_FALSE(cell("worker", out).contains("worker"));
    EXPECT_FALSE(cell("worker", out).contains("households"));
    EXPECT_EQ(cell("worker", out)["name"], cell("planner", out)["name"]);
}

TEST(Access, TilesAreCutToTheScopeAndNeverSharedBetweenScopes) {
    const auto keys_as = [&](const std::string& who, const std::string& path) {
        const auto res = access_server().get(who, path);
        EXPECT_TRUE(res && res->status == 200) << who << " " << path;
        return gridmap::test::mvt_feature_keys(res ? res->body : "", "buildings");
    };
    const std::string z16 = "/tiles/buildings/" + tile_at(121.482, 31.227) + ".mvt";
    // The planner first, so that a scope-blind cache would hand its tile to the workers.
    const auto planner = keys_as("planner", z16);
    const auto worker_a = keys_as("worker", z16);
    const auto worker_b = keys_as("worker_b", z16);
    const auto worker_none = keys_as("worker_none", z16);
    ASSERT_GT(planner.size(), 10u);
    ASSERT_EQ(worker_a.size(), planner.size());
    int detailed_a = 0, detailed_b = 0, detailed_planner = 0;
    for (const auto& [id, keys] : planner) detailed_planner += keys.contains("households");
    for (const auto& [id, keys] : worker_a) detailed_a += keys.contains("households");
    for (const auto& [id, keys] : worker_b) detailed_b += keys.contains("households");
    for (const auto& [id, keys] : worker_none) EXPECT_TRUE(keys.empty()) << "feature " << id;
    EXPECT_GT(detailed_a, 0);
    EXPECT_GT(detailed_b, 0);
    EXPECT_LT(detailed_a + detailed_b, detailed_planner + 1);
    EXPECT_LT(detailed_a, detailed_planner);
    // Asked again (from the cache now), each still gets its own.
    EXPECT_EQ(keys_as("worker", z16), worker_a);
    EXPECT_EQ(keys_as("worker_b", z16), worker_b);
    EXPECT_EQ(keys_as("planner", z16), planner);
}

TEST(Access, TokensAreRefusedInUrlsAndNeverLogged) {
    auto& server = access_server();
    testing::internal::CaptureStderr();
    const auto in_url = server.get("anonymous", "/collections?access_token=" + server.token("planner"));
    const auto in_header = server.get("planner", "/collections");
    const auto refused = server.get("bogus", "/collections");
    const std::string log = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(in_url && in_header && refused);
    EXPECT_EQ(in_url->status, 400);
    EXPECT_EQ(in_header->status, 200);
    EXPECT_EQ(refused->status, 401);
    for (const char* who : {"planner", "bogus"}) {
        EXPECT_EQ(log.find(server.token(who)), std::string::npos) << who << "'s token is in the log:\n" << log;
    }
    EXPECT_NE(log.find("access_token=***"), std::string::npos) << log;
    EXPECT_NE(log.find("login_failed"), std::string::npos) << log;
    // The refusal is in the audit log too, without the token.
    auto store = geo::store::open_store_read_only(server.db());
    bool found = false;
    for (const auto& e : store->audit("", 100000)) {
        EXPECT_EQ(e.detail.find(server.token("bogus")), std::string::npos);
        found = found || (e.action == "login_failed" && e.outcome == "refused");
    }
    EXPECT_TRUE(found);
}

TEST(Access, ABrowserSessionHoldsTheTokenInAnHttpOnlyCookie) {
    auto& server = access_server();
    httplib::Client client("127.0.0.1", server.port());
    const auto login = client.Post("/session", json{{"token", server.token("worker")}}.dump(), "application/json");
    ASSERT_TRUE(login);
    ASSERT_EQ(login->status, 200) << login->body;
    const std::string cookie = login->get_header_value("Set-Cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
    const json who = json::parse(login->body);
    EXPECT_EQ(who["role"], "worker");
    EXPECT_EQ(who["grids"], json::array({AccessServer::k_cell_a}));
    const std::string pair = cookie.substr(0, cookie.find(';'));
    const auto with_cookie = client.Get("/collections", httplib::Headers{{"Cookie", "theme=dark; " + pair}});
    ASSERT_TRUE(with_cookie);
    EXPECT_EQ(with_cookie->status, 200);
    const auto whoami = client.Get("/session", httplib::Headers{{"Cookie", pair}});
    ASSERT_TRUE(whoami);
    EXPECT_EQ(json::parse(whoami->body)["role"], "worker");
    // A wrong token logs in no one.
    const auto wrong = client.Post("/session", json{{"token", server.token("bogus")}}.dump(), "application/json");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
    EXPECT_TRUE(wrong->get_header_value("Set-Cookie").empty());
    const auto logout = client.Delete("/session");
    ASSERT_TRUE(logout);
    EXPECT_EQ(logout->status, 204);
    EXPECT_NE(logout->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
}

TEST(Access, ARevokedTokenFailsFromTheNextRequest) {
    auto& server = access_server();
    // A token of its own, made and revoked while the server runs (as another process would).
    auto store = geo::store::open_store(server.db(), false);
    geo::access::TokenRecord r;
    r.name = "short-lived";
    r.role = geo::access::Role::planner;
    const std::string token = geo::access::new_token();
    r.hash = geo::access::token_hash(token);
    const std::int64_t id = store->add_token(r);
    httplib::Client client("127.0.0.1", server.port());
    const httplib::Headers auth{{"Authorization", "Bearer " + token}};
    auto before = client.Get("/collections", auth);
    ASSERT_TRUE(before);
    EXPECT_EQ(before->status, 200);
    ASSERT_TRUE(store->revoke_token(id));
    auto after = client.Get("/collections", auth);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 401);
    EXPECT_NE(after->body.find("revoked"), std::string::npos) << after->body;
}

TEST(Access, DeletingALayerIsAnAdminsAndIsAudited) {
    // A server of its own: the shared one's layers stay as they are.
    gridmap::test::TempDir dir;
    const std::string db = (dir / "d.sqlite").string();
    gridmap::test::import_demo(db, {"grid_cells", "stations"});
    auto store = geo::store::open_store(db, false);
    geo::access::TokenRecord admin;
    admin.name = "数据管理员";
    admin.role = geo::access::Role::admin;
    const std::string token = geo::access::new_token();
    admin.hash = geo::access::token_hash(token);
    const std::int64_t id = store->add_token(admin);
    gridmap::http::ServerConfig config;
    config.db = db;
    config.port = 0;
    config.threads = 2;
    config.access_log = false;
    int status = 0;
    std::string body;
    {
        gridmap::test::ServerThread running(config);
        testing::internal::CaptureStderr();
        const auto res = running.client().Delete("/collections/stations", httplib::Headers{{"Authorization", "Bearer " + token}});
        testing::internal::GetCapturedStderr();
        ASSERT_TRUE(res);
        status = res->status;
        body = res->body;
    }
    EXPECT_EQ(status, 204) << body;
    EXPECT_FALSE(store->layer("stations"));
    EXPECT_TRUE(store->layer("grid_cells"));
    const auto log = store->audit("", 1000);
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(log.back().action, "drop_layer");
    EXPECT_EQ(log.back().target, "stations");
    EXPECT_EQ(log.back().token_id, id);
    EXPECT_EQ(log.back().who, "数据管理员");
    EXPECT_EQ(log.back().outcome, "ok");
}

TEST(Access, AServerWithoutAnAdminTokenOrOpenOnALanAddressRefusesToStart) {
    gridmap::test::TempDir dir;
    const std::string db = (dir / "d.sqlite").string();
    gridmap::test::import_demo(db, {"grid_cells"});
    gridmap::http::ServerConfig config;
    config.db = db;
    config.port = 0;
    {
        gridmap::http::Server server(config);
        try {
            server.bind();
            ADD_FAILURE() << "started with no admin token";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("gridmap token create --role admin"), std::string::npos) << e.what();
        }
    }
    config.open = true;
    config.host = "0.0.0.0";
    {
        gridmap::http::Server server(config);
        try {
            server.bind();
            ADD_FAILURE() << "--open started on 0.0.0.0";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("loopback"), std::string::npos) << e.what();
        }
    }
    config.host = "127.0.0.1";
    gridmap::http::Server open(config);
    EXPECT_GT(open.bind(), 0);
}

}  // namespace

namespace {

TEST(Access, OpenApiSaysWhichRoleEachOperationNeeds) {
    const auto res = access_server().get("worker", "/openapi.json");
    ASSERT_TRUE(res && res->status == 200);
    const json doc = json::parse(res->body);
    EXPECT_TRUE(doc["components"]["securitySchemes"].contains("bearerAuth"));
    int operations = 0;
    for (const auto& [path, item] : doc["paths"].items()) {
        for (const auto& [method, op] : item.items()) {
            ++operations;
            ASSERT_TRUE(op.contains("x-minimum-role")) << method << " " << path;
            const std::string role = op["x-minimum-role"];
            if (role != "anonymous") {
                EXPECT_TRUE(op["responses"].contains("401")) << method << " " << path;
            }
            EXPECT_EQ(op.contains("security") && op["security"].empty(), role == "anonymous") << method << " " << path;
        }
    }
    EXPECT_GT(operations, 20);
    EXPECT_EQ(doc["paths"]["/metrics"]["get"]["x-minimum-role"], "admin");
    EXPECT_EQ(doc["paths"]["/collections/{collectionId}"]["delete"]["x-minimum-role"], "admin");
    EXPECT_EQ(doc["paths"]["/analysis/{kind}"]["post"]["x-minimum-role"], "planner");
    EXPECT_EQ(doc["paths"]["/health"]["get"]["x-minimum-role"], "anonymous");
    EXPECT_EQ(doc["paths"]["/collections/{collectionId}/items"]["get"]["x-minimum-role"], "worker");
}

}  // namespace
