// "What is here" at a tapped point, and search by name or grid code.
#include <cmath>

#include <nlohmann/json.hpp>

#include "geo/error.hpp"
#include "geo/query/here.hpp"
#include "http/params.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace gridmap::http {

namespace {

using nlohmann::ordered_json;

double required_number(RequestContext& ctx, const std::string& name) {
    if (!ctx.req.has_param(name)) throw geo::Error(geo::Errc::invalid_argument, "missing parameter " + name);
    return parse_double(name, ctx.req.get_param_value(name));
}

ordered_json optional_int(const std::optional<std::int64_t>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

// Leaves out of `object` the properties of `layer` the caller may not see (detail false):
// absent, not null, as in items and tiles.
ordered_json without_withheld(ordered_json object, std::string_view layer, bool detail) {
    if (detail) return object;
    const auto policy = geo::access::policy(layer);
    ordered_json kept = ordered_json::object();
    for (auto& [key, value] : object.items()) {
        if (key == "fid" || policy.is_public(key)) kept[key] = value;
    }
    return kept;
}

ordered_json cell_json(const geo::query::HereCell& c) {
    return without_withheld({{"fid", c.fid},       {"code", c.code},       {"name", c.name},
                             {"community", c.community}, {"street", c.street}, {"worker", c.worker},
                             {"households", optional_int(c.households)}, {"population", optional_int(c.population)}},
                            "grid_cells", c.detail);
}

// The phone's question at every GPS fix: which grid cell am I in? Answered from memory.
void cell(Server& server, RequestContext& ctx) {
    const double lon = required_number(ctx, "lon");
    const double lat = required_number(ctx, "lat");
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
        throw geo::Error(geo::Errc::invalid_argument, "lon must be within ±180 and lat within ±90");
    }
    const auto found = server.cell_index()->at(lon, lat, ctx.caller.scope);
    ordered_json body = {{"lon", lon}, {"lat", lat}, {"grid_cell", found ? cell_json(*found) : ordered_json(nullptr)}};
    ctx.res.set_content(json_text(body), "application/json");
}

void at(Server& server, RequestContext& ctx) {
    const double lon = required_number(ctx, "lon");
    const double lat = required_number(ctx, "lat");
    const auto per_type = ctx.req.has_param("stations_per_type")
                              ? static_cast<std::size_t>(parse_int("stations_per_type", ctx.req.get_param_value("stations_per_type"), 0, 10))
                              : std::size_t{1};
    const auto walking = per_type > 0 ? server.walking_network() : nullptr;
    const geo::query::Here here = geo::query::what_is_here(ctx.store(), lon, lat, per_type, walking.get());
    ordered_json cell = nullptr;
    if (here.cell) {
        const auto& c = *here.cell;
        cell = cell_json(c);
    }
    ordered_json buildings = ordered_json::array();
    for (const auto& b : here.buildings) {
        buildings.push_back(without_withheld({{"fid", b.fid}, {"name", b.name}, {"address", b.address}, {"floors", optional_int(b.floors)},
                                              {"households", optional_int(b.households)}, {"population", optional_int(b.population)},
                                              {"use", b.use}, {"grid_code", b.grid_code}},
                                             "buildings", b.detail));
    }
    ordered_json stations = ordered_json::array();
    for (const auto& group : here.stations) {
        ordered_json nearest = ordered_json::array();
        for (const auto& s : group.nearest) {
            nearest.push_back({{"fid", s.fid}, {"name", s.name}, {"distance_m", std::round(s.distance_m * 10) / 10},
                               {"walking_distance_m", s.walking_distance_m ? ordered_json(std::round(*s.walking_distance_m * 10) / 10)
                                                                           : ordered_json(nullptr)},
                               {"lon", s.lon}, {"lat", s.lat}});
        }
        stations.push_back({{"type", group.type}, {"nearest", nearest}});
    }
    ordered_json body = {{"lon", here.lon}, {"lat", here.lat}, {"grid_cell", cell},
                         {"community", here.cell ? ordered_json(here.cell->community) : ordered_json(nullptr)},
                         {"buildings", buildings}, {"stations", stations},
                         {"distance", "straight-line geodesic distance on the WGS84 ellipsoid, metres"},
                         {"walking_distance", "over the roads layer, onto the nearest road and off again, metres; null "
                                              "without roads, more than 250 m from a road, or beyond 3 km"}};
    ctx.res.set_content(json_text(body), "application/json");
}

void search(RequestContext& ctx) {
    if (!ctx.req.has_param("q")) throw geo::Error(geo::Errc::invalid_argument, "missing parameter q");
    const auto limit = ctx.req.has_param("limit")
                           ? static_cast<std::size_t>(parse_int("limit", ctx.req.get_param_value("limit"), 1, 100))
                           : std::size_t{20};
    const auto hits = geo::query::search(ctx.store(), ctx.req.get_param_value("q"), limit);
    ordered_json list = ordered_json::array();
    for (const auto& h : hits) {
        list.push_back({{"layer", h.layer}, {"fid", h.fid}, {"field", h.field}, {"text", h.text}, {"name", h.name},
                        {"prefix", h.prefix}, {"lon", h.lon}, {"lat", h.lat},
                        {"href", ctx.base_url + "/collections/" + h.layer + "/items/" + std::to_string(h.fid)}});
    }
    ordered_json body = {{"q", ctx.req.get_param_value("q")}, {"hits", list}};
    ctx.res.set_content(json_text(body), "application/json");
}

}  // namespace

void register_query_routes(Server& server) {
    server.get("/query/at", R"(/query/at)", Role::worker, [&server](RequestContext& ctx) { at(server, ctx); });
    server.get("/query/cell", R"(/query/cell)", Role::worker, [&server](RequestContext& ctx) { cell(server, ctx); });
    server.get("/query/search", R"(/query/search)", Role::worker, [](RequestContext& ctx) { search(ctx); });
}

}  // namespace gridmap::http
