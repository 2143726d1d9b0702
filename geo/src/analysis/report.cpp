#include "geo/analysis/report.hpp"

#include <cmath>

#include "geo/io/csv.hpp"
#include "geo/io/export.hpp"

namespace geo::analysis {

namespace {

using nlohmann::ordered_json;

// Nine significant digits put a lon/lat within 1e-6 degree (about 0.1 m) or closer.
constexpr int k_lonlat_digits = 9;

double one_decimal(double v) { return std::isfinite(v) ? std::round(v * 10) / 10 : v; }

// A distance for JSON: metres with one decimal, or null when no station can be reached.
ordered_json distance_json(double m) { return std::isfinite(m) ? ordered_json(one_decimal(m)) : ordered_json(nullptr); }

ordered_json totals_json(const CoverageTotals& t) {
    return {{"buildings_total", t.buildings_total},
            {"buildings_covered", t.buildings_covered},
            {"buildings_covered_pct", percent(t.buildings_covered, t.buildings_total)},
            {"households_total", t.households_total},
            {"households_covered", t.households_covered},
            {"households_covered_pct", percent(t.households_covered, t.households_total)},
            {"population_total", t.population_total},
            {"population_covered", t.population_covered},
            {"population_covered_pct", percent(t.population_covered, t.population_total)}};
}

ordered_json definition_json(const CircleDefinition& d) {
    ordered_json j = {{"mode", to_string(d.mode)},
                      {"minutes", d.minutes},
                      {"speed_m_per_min", d.speed_m_per_min},
                      {"radius_m", d.radius_m()}};
    if (d.mode == CircleMode::walking) {
        j["buffer_m"] = d.buffer_m;
        j["max_snap_m"] = d.max_snap_m;
    }
    return j;
}

ordered_json stations_json(const StationFilter& s, std::size_t count) {
    ordered_json j = {{"layer", s.layer}, {"type", s.type ? ordered_json(*s.type) : ordered_json(nullptr)}};
    j["count"] = count;
    return j;
}

ordered_json group_json(const GroupCoverage& g, bool grid) {
    ordered_json j;
    if (grid) {
        j["code"] = g.key;
        j["name"] = g.name;
    }
    j["community"] = g.community;
    j["street"] = g.street;
    const ordered_json totals = totals_json(g.totals);
    for (auto it = totals.begin(); it != totals.end(); ++it) j[it.key()] = it.value();
    return j;
}

void totals_cells(io::CsvWriter& csv, const CoverageTotals& t) {
    csv.cell(t.buildings_total).cell(t.buildings_covered).cell(percent(t.buildings_covered, t.buildings_total));
    csv.cell(t.households_total).cell(t.households_covered).cell(percent(t.households_covered, t.households_total));
    csv.cell(t.population_total).cell(t.population_covered).cell(percent(t.population_covered, t.population_total));
}

ordered_json point_feature(double lon, double lat, ordered_json properties) {
    return {{"type", "Feature"},
            {"properties", std::move(properties)},
            {"geometry", {{"type", "Point"}, {"coordinates", {lon, lat}}}}};
}

std::string collection(const ordered_json& features) {
    return ordered_json{{"type", "FeatureCollection"}, {"features", features}}.dump(-1, ' ', false,
                                                                                   ordered_json::error_handler_t::replace);
}

}  // namespace

double percent(std::int64_t part, std::int64_t whole) noexcept {
    if (whole <= 0) return 0;
    return std::round(1000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 10;
}

// ---- coverage -----------------------------------------------------------------------------

ordered_json to_json(const CoverageReport& r, BuildingList buildings) {
    ordered_json j;
    j["analysis"] = "coverage";
    j["definition"] = definition_json(r.definition);
    j["stations"] = stations_json(r.stations, r.station_count);
    ordered_json circles = ordered_json::object();
    std::size_t walking = 0;
    for (const auto& c : r.circles) walking += c.mode == CircleMode::walking ? 1 : 0;
    circles["walking"] = walking;
    circles["euclidean"] = r.circles.size() - walking;
    j["circles"] = circles;
    j["overall"] = totals_json(r.overall);
    j["buildings_unreachable"] = r.buildings_unreachable;
    ordered_json grids = ordered_json::array(), communities = ordered_json::array();
    for (const auto& g : r.by_grid) grids.push_back(group_json(g, true));
    for (const auto& g : r.by_community) communities.push_back(group_json(g, false));
    j["by_grid"] = std::move(grids);
    j["by_community"] = std::move(communities);
    j["notes"] = r.notes;
    if (buildings != BuildingList::none) {
        ordered_json list = ordered_json::array();
        for (const auto& b : r.buildings) {
            if (buildings == BuildingList::uncovered && b.covered) continue;
            list.push_back({{"fid", b.fid},
                            {"name", b.name},
                            {"address", b.address},
                            {"grid_code", b.grid_code},
                            {"households", b.households},
                            {"population", b.population},
                            {"lon", b.lon},
                            {"lat", b.lat},
                            {"covered", b.covered},
                            {"nearest_station_fid", b.nearest_station_fid >= 0 ? ordered_json(b.nearest_station_fid) : ordered_json(nullptr)},
                            {"distance_m", distance_json(b.distance_m)},
                            {"unreachable", b.unreachable.empty() ? ordered_json(nullptr) : ordered_json(b.unreachable)}});
        }
        j[buildings == BuildingList::uncovered ? "uncovered_buildings" : "buildings"] = std::move(list);
    }
    return j;
}

std::string to_csv(const CoverageReport& r) {
    io::CsvWriter csv;
    csv.row({"level", "code", "name", "community", "street", "buildings_total", "buildings_covered",
             "buildings_covered_pct", "households_total", "households_covered", "households_covered_pct",
             "population_total", "population_covered", "population_covered_pct"});
    for (const auto& g : r.by_grid) {
        csv.cell("grid").cell(g.key).cell(g.name).cell(g.community).cell(g.street);
        totals_cells(csv, g.totals);
        csv.end_row();
    }
    for (const auto& g : r.by_community) {
        csv.cell("community").cell("").cell(g.name).cell(g.community).cell(g.street);
        totals_cells(csv, g.totals);
        csv.end_row();
    }
    csv.cell("overall").cell("").cell("").cell("").cell("");
    totals_cells(csv, r.overall);
    csv.end_row();
    return csv.str();
}

std::string to_geojson(const CoverageReport& r) {
    ordered_json features = ordered_json::array();
    for (const auto& c : r.circles) {
        ordered_json f = ordered_json::parse(R"({"type":"Feature"})");
        f["properties"] = {{"kind", "circle"},       {"station_fid", c.station_fid}, {"station_name", c.station_name},
                           {"station_type", c.station_type}, {"mode", to_string(c.mode)},    {"radius_m", c.radius_m},
                           {"area_m2", std::round(c.area_m2)}, {"note", c.note}};
        Feature feature;
        feature.wkb = c.wkb;
        f["geometry"] = io::feature_json(LayerInfo{}, feature, io::OutputCrs::crs84)["geometry"];
        features.push_back(std::move(f));
    }
    for (const auto& b : r.buildings) {
        if (b.covered) continue;
        features.push_back(point_feature(b.lon, b.lat,
                                         {{"kind", "uncovered_building"},
                                          {"fid", b.fid},
                                          {"name", b.name},
                                          {"grid_code", b.grid_code},
                                          {"households", b.households},
                                          {"population", b.population},
                                          {"nearest_station_fid", b.nearest_station_fid >= 0 ? ordered_json(b.nearest_station_fid) : ordered_json(nullptr)},
                                          {"distance_m", distance_json(b.distance_m)},
                                          {"unreachable", b.unreachable.empty() ? ordered_json(nullptr) : ordered_json(b.unreachable)}}));
    }
    return collection(features);
}

// ---- load ---------------------------------------------------------------------------------

ordered_json to_json(const LoadReport& r) {
    ordered_json j;
    j["analysis"] = "load";
    j["definition"] = {{"mode", to_string(r.definition.mode)}};
    j["stations"] = stations_json(r.stations, r.loads.size());
    j["capacity_households"] = r.capacity_households > 0 ? ordered_json(r.capacity_households) : ordered_json(nullptr);
    ordered_json loads = ordered_json::array();
    std::size_t over = 0;
    for (const auto& l : r.loads) {
        over += l.over_capacity ? 1 : 0;
        loads.push_back({{"fid", l.fid},
                         {"name", l.name},
                         {"type", l.type},
                         {"lon", l.lon},
                         {"lat", l.lat},
                         {"buildings", l.buildings},
                         {"households", l.households},
                         {"population", l.population},
                         {"mean_distance_m", one_decimal(l.mean_distance_m)},
                         {"max_distance_m", one_decimal(l.max_distance_m)},
                         {"over_capacity", l.over_capacity}});
    }
    j["over_capacity"] = over;
    j["loads"] = std::move(loads);
    j["unassigned"] = totals_json(r.unassigned);
    j["notes"] = r.notes;
    return j;
}

std::string to_csv(const LoadReport& r) {
    io::CsvWriter csv;
    csv.row({"fid", "name", "type", "lon", "lat", "buildings", "households", "population", "mean_distance_m",
             "max_distance_m", "over_capacity"});
    for (const auto& l : r.loads) {
        csv.cell(l.fid).cell(l.name).cell(l.type).cell(l.lon, k_lonlat_digits).cell(l.lat, k_lonlat_digits);
        csv.cell(l.buildings).cell(l.households).cell(l.population);
        csv.cell(one_decimal(l.mean_distance_m)).cell(one_decimal(l.max_distance_m));
        csv.cell(l.over_capacity ? "true" : "false").end_row();
    }
    return csv.str();
}

std::string to_geojson(const LoadReport& r) {
    ordered_json features = ordered_json::array();
    for (const auto& l : r.loads) {
        features.push_back(point_feature(l.lon, l.lat,
                                         {{"kind", "station_load"},
                                          {"fid", l.fid},
                                          {"name", l.name},
                                          {"type", l.type},
                                          {"buildings", l.buildings},
                                          {"households", l.households},
                                          {"population", l.population},
                                          {"mean_distance_m", one_decimal(l.mean_distance_m)},
                                          {"over_capacity", l.over_capacity}}));
    }
    return collection(features);
}

// ---- siting -------------------------------------------------------------------------------

ordered_json to_json(const SitingReport& r) {
    ordered_json j;
    j["analysis"] = "siting";
    j["definition"] = definition_json(r.definition);
    j["stations"] = stations_json(r.stations, 0);
    j["stations"].erase("count");
    j["candidates"] = {{"source", to_string(r.options.candidates)}, {"count", r.candidate_count}};
    if (r.options.candidates == CandidateSource::layer) j["candidates"]["layer"] = r.options.candidate_layer;
    if (r.options.candidates != CandidateSource::layer) j["candidates"]["lattice_m"] = r.options.lattice_m;
    j["before"] = totals_json(r.before);
    ordered_json sites = ordered_json::array();
    for (const auto& s : r.sites) {
        ordered_json site = {{"rank", s.rank}, {"lon", s.lon}, {"lat", s.lat}};
        if (s.candidate_fid >= 0) {
            site["candidate_fid"] = s.candidate_fid;
            site["candidate_name"] = s.candidate_name;
        }
        site["gain_buildings"] = s.gain_buildings;
        site["gain_households"] = s.gain_households;
        site["gain_population"] = s.gain_population;
        site["households_covered_after"] = s.households_covered_after;
        site["households_covered_pct_after"] = one_decimal(s.households_covered_pct_after);
        sites.push_back(std::move(site));
    }
    j["sites"] = std::move(sites);
    j["households_upper_bound"] = r.households_upper_bound;
    j["greedy_ratio_at_least"] = std::floor(r.greedy_ratio_at_least * 1000) / 1000;
    j["optimality"] =
        "Greedy maximal covering: each site adds the most households still uncovered. No choice of " +
        std::to_string(r.options.sites) + " sites from these candidates covers more than households_upper_bound; "
        "the greedy gain is at least greedy_ratio_at_least of the best possible gain (never below 1 - 1/e = 0.632).";
    j["notes"] = r.notes;
    return j;
}

std::string to_csv(const SitingReport& r) {
    io::CsvWriter csv;
    csv.row({"rank", "lon", "lat", "candidate_fid", "candidate_name", "gain_buildings", "gain_households",
             "gain_population", "households_covered_after", "households_covered_pct_after"});
    for (const auto& s : r.sites) {
        csv.cell(s.rank).cell(s.lon, k_lonlat_digits).cell(s.lat, k_lonlat_digits);
        if (s.candidate_fid >= 0) {
            csv.cell(s.candidate_fid);
        } else {
            csv.cell("");
        }
        csv.cell(s.candidate_name).cell(s.gain_buildings).cell(s.gain_households).cell(s.gain_population);
        csv.cell(s.households_covered_after).cell(one_decimal(s.households_covered_pct_after)).end_row();
    }
    return csv.str();
}

std::string to_geojson(const SitingReport& r) {
    ordered_json features = ordered_json::array();
    for (const auto& s : r.sites) {
        features.push_back(point_feature(s.lon, s.lat,
                                         {{"kind", "proposed_site"},
                                          {"rank", s.rank},
                                          {"gain_households", s.gain_households},
                                          {"gain_population", s.gain_population},
                                          {"households_covered_after", s.households_covered_after},
                                          {"households_covered_pct_after", one_decimal(s.households_covered_pct_after)}}));
    }
    return collection(features);
}

}  // namespace geo::analysis
