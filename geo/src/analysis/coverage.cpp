#include "geo/analysis/coverage.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include <geos_c.h>

#include "analysis/district.hpp"
#include "analysis/point_grid.hpp"
#include "analysis/wkb.hpp"
#include "capi/geos.hpp"
#include "geo/error.hpp"

namespace geo::analysis {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

void report(const Progress& progress, double fraction, std::string_view stage) {
    if (progress) progress(fraction, stage);
}

std::string metres(double m) { return std::to_string(static_cast<long long>(std::llround(m))) + " m"; }

// The circle of one station: its isochrone when it can reach the roads, else a disc.
ServiceCircle circle_of(const detail::District& d, const LocalFrame& frame, std::size_t i,
                        const CircleDefinition& def, const detail::Walk* walk, bool roads_missing) {
    const auto& s = d.stations[i];
    ServiceCircle c;
    c.station_fid = s.fid;
    c.station_name = s.name;
    c.station_type = s.type;
    c.radius_m = def.radius_m();
    if (def.mode == CircleMode::walking && walk && walk->station_snaps[i]) {
        const Snap& snap = *walk->station_snaps[i];
        c.mode = CircleMode::walking;
        c.snap_m = snap.distance_m;
        c.wkb = walk->network.isochrone_wkb(Origin{snap, snap.distance_m, static_cast<int>(i)}, def.radius_m(),
                                            def.buffer_m, frame);
    } else {
        c.mode = CircleMode::euclidean;
        if (def.mode == CircleMode::walking) {
            c.note = roads_missing ? "no roads layer: euclidean circle"
                                   : "no road within " + metres(def.max_snap_m) + ": euclidean circle";
        }
        c.wkb = detail::disc_wkb(s.xy, def.radius_m(), frame);
    }
    c.area_m2 = detail::area_m2(c.wkb, frame);
    return c;
}

std::vector<ServiceCircle> circles_of(const detail::District& d, const CircleDefinition& def,
                                      const detail::Walk* walk, const Progress& progress, double from, double to) {
    const std::size_t n = d.stations.size();
    std::vector<ServiceCircle> out(n);
    const bool roads_missing = def.mode == CircleMode::walking && !walk;
    // An isochrone costs tens of milliseconds of GEOS buffering: walking circles are drawn on
    // every core, each thread with its own frame (PROJ context) and GEOS context. Progress is
    // reported by the calling thread only.
    const std::size_t threads =
        walk && def.mode == CircleMode::walking ? std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4) : 1;
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(threads);
    auto draw = [&](std::size_t t, const LocalFrame& frame) {
        try {
            for (std::size_t i = next++; i < n; i = next++) {
                out[i] = circle_of(d, frame, i, def, walk, roads_missing);
                if (t == 0) report(progress, from + (to - from) * static_cast<double>(std::min(n, next.load())) / static_cast<double>(n), "drawing circles");
            }
        } catch (...) {
            errors[t] = std::current_exception();
            next = n;  // the others stop too
        }
    };
    std::vector<std::thread> helpers;
    for (std::size_t t = 1; t < threads; ++t) {
        helpers.emplace_back([&, t] {
            const LocalFrame frame(BBox{d.frame.centre_lon(), d.frame.centre_lat(), d.frame.centre_lon(), d.frame.centre_lat()});
            draw(t, frame);
        });
    }
    draw(0, d.frame);
    for (auto& h : helpers) h.join();
    for (const auto& e : errors) {
        if (e) std::rethrow_exception(e);
    }
    return out;
}

std::vector<std::string> fallback_notes(const std::vector<ServiceCircle>& circles) {
    std::vector<std::string> notes;
    for (const auto& c : circles) {
        if (!c.note.empty()) {
            notes.push_back("station " + std::to_string(c.station_fid) + " " + c.station_name + ": " + c.note);
        }
    }
    return notes;
}

void add(CoverageTotals& t, const detail::BuildingPoint& b, bool covered) {
    ++t.buildings_total;
    t.households_total += b.households;
    t.population_total += b.population;
    if (covered) {
        ++t.buildings_covered;
        t.households_covered += b.households;
        t.population_covered += b.population;
    }
}

// Point-in-circle tests against the drawn circles (walking mode), through an STRtree of
// prepared polygons.
class CircleIndex {
  public:
    CircleIndex(const capi::GeosContext& ctx, const std::vector<ServiceCircle>& circles) : m_ctx(ctx) {
        m_tree = GEOSSTRtree_create_r(ctx.get(), 10);
        for (std::size_t i = 0; i < circles.size(); ++i) {
            capi::GeosGeom g = capi::geos_from_wkb(ctx, circles[i].wkb);
            if (!g || GEOSisEmpty_r(ctx.get(), g.get()) == 1) continue;
            m_prepared.emplace_back(std::make_unique<capi::GeosPrepared>(ctx.get(), GEOSPrepare_r(ctx.get(), g.get())));
            GEOSSTRtree_insert_r(ctx.get(), m_tree, g.get(), m_prepared.back().get());
            m_geoms.push_back(std::move(g));
        }
    }
    ~CircleIndex() { GEOSSTRtree_destroy_r(m_ctx.get(), m_tree); }
    CircleIndex(const CircleIndex&) = delete;
    CircleIndex& operator=(const CircleIndex&) = delete;

    bool covers(double lon, double lat) const {
        capi::GeosGeom point(m_ctx.get(), GEOSGeom_createPointFromXY_r(m_ctx.get(), lon, lat));
        struct State {
            const capi::GeosContext* ctx;
            const GEOSGeometry* point;
            bool hit;
        } state{&m_ctx, point.get(), false};
        GEOSSTRtree_query_r(
            m_ctx.get(), m_tree, point.get(),
            [](void* item, void* user) {
                auto* st = static_cast<State*>(user);
                if (st->hit) return;
                auto* prepared = static_cast<capi::GeosPrepared*>(item);
                st->hit = GEOSPreparedCovers_r(st->ctx->get(), prepared->get(), st->point) == 1;
            },
            &state);
        return state.hit;
    }

  private:
    const capi::GeosContext& m_ctx;
    GEOSSTRtree* m_tree = nullptr;
    std::vector<capi::GeosGeom> m_geoms;
    std::vector<std::unique_ptr<capi::GeosPrepared>> m_prepared;
};

// The nearest station to every building (index into d.stations, −1 when none) and the
// distance by the definition's mode.
struct Nearest {
    std::vector<std::int64_t> station;
    std::vector<double> distance_m;
    std::vector<std::string> unreachable;  ///< walking: why no station reaches each ("" when one does)
};

Nearest nearest_straight(const detail::District& d) {
    std::vector<XY> points;
    points.reserve(d.stations.size());
    for (const auto& s : d.stations) points.push_back(s.xy);
    const detail::PointGrid grid(points, 500);
    Nearest n;
    n.station.resize(d.buildings.size(), -1);
    n.distance_m.resize(d.buildings.size(), infinity);
    for (std::size_t i = 0; i < d.buildings.size(); ++i) {
        const auto [s, dist] = grid.nearest(d.buildings[i].xy);
        n.station[i] = s;
        n.distance_m[i] = dist;
    }
    return n;
}

Nearest nearest_walking(const detail::District& d, const detail::Walk& walk, double limit_m) {
    const Reach reach = walk.network.reach(detail::station_origins(walk), limit_m);
    Nearest n;
    n.station.resize(d.buildings.size(), -1);
    n.distance_m.resize(d.buildings.size(), infinity);
    n.unreachable.resize(d.buildings.size());
    for (std::size_t i = 0; i < d.buildings.size(); ++i) {
        const auto& snap = walk.building_snaps[i];
        if (!snap) {
            n.unreachable[i] = "no road within " + metres(walk.max_snap_m);
            continue;
        }
        int origin = -1;
        const double cost = walk.network.cost_to(reach, *snap, &origin);
        if (origin < 0 || !std::isfinite(cost)) {
            n.unreachable[i] = "its street is cut off from every station's";
            continue;
        }
        n.station[i] = origin;
        n.distance_m[i] = cost + snap->distance_m;
    }
    return n;
}

std::vector<GroupCoverage> sorted_groups(std::map<std::string, GroupCoverage>&& groups) {
    std::vector<GroupCoverage> out;
    out.reserve(groups.size());
    for (auto& [key, g] : groups) out.push_back(std::move(g));
    return out;
}

}  // namespace

std::string_view to_string(CircleMode mode) noexcept {
    return mode == CircleMode::walking ? "walking" : "euclidean";
}

CircleMode circle_mode_from(std::string_view text) {
    if (text == "euclidean") return CircleMode::euclidean;
    if (text == "walking") return CircleMode::walking;
    throw Error(Errc::invalid_argument, "mode must be euclidean or walking, not \"" + std::string(text) + "\"");
}

void CircleDefinition::validate() const {
    auto positive = [](double v) { return std::isfinite(v) && v > 0; };
    if (!positive(minutes) || minutes > 240) {
        throw Error(Errc::invalid_argument, "minutes must be above 0 and at most 240");
    }
    if (!positive(speed_m_per_min) || speed_m_per_min > 500) {
        throw Error(Errc::invalid_argument, "walking speed must be above 0 and at most 500 m a minute");
    }
    if (radius_m() > 20000) {
        throw Error(Errc::invalid_argument, "a circle of " + metres(radius_m()) +
                                                " is not a walking circle: keep minutes × speed within 20 km");
    }
    if (!positive(buffer_m) || buffer_m > 500) {
        throw Error(Errc::invalid_argument, "the walking buffer must be above 0 and at most 500 m");
    }
    if (!std::isfinite(max_snap_m) || max_snap_m < 0 || max_snap_m > 5000) {
        throw Error(Errc::invalid_argument, "the largest distance to a road must be 0 to 5000 m");
    }
}

CircleDefinition gb50180_circle(int minutes) {
    CircleDefinition d;
    d.speed_m_per_min = 60;
    switch (minutes) {
        case 5: d.minutes = 5; break;                   // 300 m
        case 10: d.minutes = 500.0 / 60.0; break;       // 500 m
        case 15: d.minutes = 1000.0 / 60.0; break;      // 1,000 m
        default:
            throw Error(Errc::invalid_argument,
                        "GB 50180 defines 5-, 10- and 15-minute life circles, not " + std::to_string(minutes));
    }
    return d;
}

std::vector<ServiceCircle> make_circles(store::Store& store, const StationFilter& stations,
                                        const CircleDefinition& definition, const Progress& progress) {
    definition.validate();
    report(progress, 0, "reading stations");
    auto info = store.layer(stations.layer);
    if (!info) throw Error(Errc::not_found, "no layer named \"" + stations.layer + "\"");
    BBox extent = info->extent;
    if (auto roads = store.layer("roads"); roads && roads->feature_count > 0 && definition.mode == CircleMode::walking) {
        extent.extend(roads->extent.minx, roads->extent.miny);
        extent.extend(roads->extent.maxx, roads->extent.maxy);
    }
    if (!(extent.minx <= extent.maxx)) return {};
    detail::District d{LocalFrame(extent), {}, {}, 0, {}};
    d.stations = detail::load_stations(store, stations, d.frame);
    std::optional<detail::Walk> walk;
    if (definition.mode == CircleMode::walking) {
        report(progress, 0.1, "building the road network");
        walk = detail::load_walk(store, d, definition);
    }
    return circles_of(d, definition, walk ? &*walk : nullptr, progress, 0.3, 1.0);
}

LayerInfo write_circles(store::Store& store, const std::vector<ServiceCircle>& circles,
                        const CircleDefinition& definition) {
    store::NewLayer layer;
    layer.name = "service_circles";
    layer.title = "服务圈";
    layer.geometry_type = "MULTIPOLYGON";
    layer.source_file = "";
    layer.source_crs = "EPSG:4326";
    layer.encoding = "UTF-8";
    layer.fields = {{"station_fid", FieldType::integer, ""},   {"station_name", FieldType::text, ""},
                    {"station_type", FieldType::text, ""},     {"mode", FieldType::text, ""},
                    {"minutes", FieldType::real, ""},          {"speed_m_per_min", FieldType::real, ""},
                    {"radius_m", FieldType::real, ""},         {"snap_m", FieldType::real, ""},
                    {"area_m2", FieldType::real, ""},          {"note", FieldType::text, ""}};
    auto writer = store.write_layer(layer, store::WriteMode::replace);
    for (const auto& c : circles) {
        store::FeatureRow row;
        row.values = {c.station_fid,
                      c.station_name,
                      c.station_type,
                      std::string(to_string(c.mode)),
                      definition.minutes,
                      definition.speed_m_per_min,
                      c.radius_m,
                      c.snap_m,
                      std::round(c.area_m2),
                      c.note.empty() ? Value{} : Value{c.note}};
        row.wkb = c.wkb;
        writer->add(row);
    }
    return writer->commit();
}

CoverageReport coverage(store::Store& store, const StationFilter& stations, const CircleDefinition& definition,
                        const Progress& progress) {
    definition.validate();
    report(progress, 0, "reading buildings and stations");
    const detail::District d = detail::load_district(store, stations);
    std::optional<detail::Walk> walk;
    if (definition.mode == CircleMode::walking) {
        report(progress, 0.2, "building the road network");
        walk = detail::load_walk(store, d, definition);
    }
    return detail::evaluate_coverage(d, walk ? &*walk : nullptr, stations, definition, progress);
}

CoverageReport detail::evaluate_coverage(const District& d, const Walk* walk, const StationFilter& stations,
                                         const CircleDefinition& definition, const Progress& progress) {
    CoverageReport r;
    r.definition = definition;
    r.stations = stations;
    r.station_count = d.stations.size();
    r.buildings_without_point = d.buildings_without_point;
    if (d.buildings_without_point > 0) {
        r.notes.push_back(std::to_string(d.buildings_without_point) +
                          " buildings have no point on surface and are left out of every count");
    }

    if (walk) r.notes.push_back(walk->roads_note);
    report(progress, 0.4, "drawing circles");
    r.circles = circles_of(d, definition, walk, progress, 0.4, 0.7);
    for (auto& n : fallback_notes(r.circles)) r.notes.push_back(std::move(n));

    report(progress, 0.7, "testing buildings");
    std::vector<char> covered(d.buildings.size(), 0);
    Nearest nearest;
    if (definition.mode == CircleMode::euclidean) {
        nearest = nearest_straight(d);
        for (std::size_t i = 0; i < d.buildings.size(); ++i) {
            covered[i] = nearest.station[i] >= 0 && nearest.distance_m[i] <= definition.radius_m();
        }
    } else if (walk) {
        // One rule with load and siting: the walk itself, not the drawn isochrone, decides.
        nearest = nearest_walking(d, *walk, infinity);
        for (std::size_t i = 0; i < d.buildings.size(); ++i) {
            covered[i] = nearest.station[i] >= 0 && nearest.distance_m[i] <= definition.radius_m();
            if (!nearest.unreachable[i].empty()) ++r.buildings_unreachable;
        }
        if (r.buildings_unreachable > 0) {
            r.notes.push_back(std::to_string(r.buildings_unreachable) +
                              " buildings no station reaches on foot (no road near them, or their street is cut off "
                              "from every station's): never counted as covered; each says why");
        }
    } else {
        // No roads: the fallback discs are the circles.
        capi::GeosContext ctx;
        const CircleIndex index(ctx, r.circles);
        for (std::size_t i = 0; i < d.buildings.size(); ++i) covered[i] = index.covers(d.buildings[i].lon, d.buildings[i].lat);
        nearest.station.assign(d.buildings.size(), -1);
        nearest.distance_m.assign(d.buildings.size(), infinity);
    }

    report(progress, 0.9, "totalling");
    std::map<std::string, GroupCoverage> by_grid, by_community;
    r.buildings.reserve(d.buildings.size());
    for (std::size_t i = 0; i < d.buildings.size(); ++i) {
        const auto& b = d.buildings[i];
        const bool is_covered = covered[i] != 0;
        add(r.overall, b, is_covered);

        const auto cell = d.cells.find(b.grid_code);
        const detail::CellInfo none;
        const detail::CellInfo& c = cell == d.cells.end() ? none : cell->second;
        const std::string grid_key = cell == d.cells.end() ? std::string() : b.grid_code;
        auto& g = by_grid[grid_key];
        if (g.totals.buildings_total == 0) g = GroupCoverage{grid_key, c.name, c.community, c.street, {}};
        add(g.totals, b, is_covered);
        auto& m = by_community[c.community];
        if (m.totals.buildings_total == 0) m = GroupCoverage{c.community, c.community, c.community, c.street, {}};
        add(m.totals, b, is_covered);

        BuildingCoverage out;
        out.fid = b.fid;
        out.name = b.name;
        out.address = b.address;
        out.grid_code = b.grid_code;
        out.households = b.households;
        out.population = b.population;
        out.lon = b.lon;
        out.lat = b.lat;
        out.covered = is_covered;
        out.nearest_station_fid = nearest.station[i] >= 0 ? d.stations[static_cast<std::size_t>(nearest.station[i])].fid : -1;
        out.distance_m = nearest.distance_m[i];
        if (i < nearest.unreachable.size()) out.unreachable = nearest.unreachable[i];
        r.buildings.push_back(std::move(out));
    }
    r.by_grid = sorted_groups(std::move(by_grid));
    r.by_community = sorted_groups(std::move(by_community));
    report(progress, 1, "done");
    return r;
}

LoadReport station_load(store::Store& store, const StationFilter& stations, const CircleDefinition& definition,
                        std::int64_t capacity_households, const Progress& progress) {
    definition.validate();
    if (capacity_households < 0) throw Error(Errc::invalid_argument, "capacity must be 0 (none) or more households");
    report(progress, 0, "reading buildings and stations");
    detail::District d = detail::load_district(store, stations);
    LoadReport r;
    r.definition = definition;
    r.stations = stations;
    r.capacity_households = capacity_households;

    Nearest nearest;
    if (definition.mode == CircleMode::walking) {
        report(progress, 0.3, "building the road network");
        auto walk = detail::load_walk(store, d, definition);
        if (!walk) {
            r.notes.push_back("no roads layer: straight-line distances");
            nearest = nearest_straight(d);
        } else {
            r.notes.push_back(walk->roads_note);
            report(progress, 0.6, "walking from every station");
            nearest = nearest_walking(d, *walk, infinity);
            for (std::size_t i = 0; i < d.stations.size(); ++i) {
                if (!walk->station_snaps[i]) {
                    r.notes.push_back("station " + std::to_string(d.stations[i].fid) + " " + d.stations[i].name +
                                      ": no road within " + metres(definition.max_snap_m) + ", serves no building");
                }
            }
        }
    } else {
        nearest = nearest_straight(d);
    }

    report(progress, 0.9, "totalling");
    r.loads.resize(d.stations.size());
    // Distance sums per station: household-weighted, and plain for a station serving no households.
    std::vector<double> weighted(d.stations.size(), 0), weights(d.stations.size(), 0), plain(d.stations.size(), 0);
    for (std::size_t i = 0; i < d.stations.size(); ++i) {
        const auto& s = d.stations[i];
        r.loads[i] = StationLoad{s.fid, s.name, s.type, s.lon, s.lat, 0, 0, 0, 0, 0, false};
    }
    for (std::size_t i = 0; i < d.buildings.size(); ++i) {
        const auto& b = d.buildings[i];
        if (nearest.station[i] < 0) {
            add(r.unassigned, b, false);
            continue;
        }
        const auto s = static_cast<std::size_t>(nearest.station[i]);
        auto& l = r.loads[s];
        ++l.buildings;
        l.households += b.households;
        l.population += b.population;
        l.max_distance_m = std::max(l.max_distance_m, nearest.distance_m[i]);
        weighted[s] += static_cast<double>(b.households) * nearest.distance_m[i];
        weights[s] += static_cast<double>(b.households);
        plain[s] += nearest.distance_m[i];
    }
    for (std::size_t s = 0; s < r.loads.size(); ++s) {
        auto& l = r.loads[s];
        if (weights[s] > 0) {
            l.mean_distance_m = weighted[s] / weights[s];
        } else if (l.buildings > 0) {
            l.mean_distance_m = plain[s] / static_cast<double>(l.buildings);
        }
        l.over_capacity = capacity_households > 0 && l.households > capacity_households;
    }
    report(progress, 1, "done");
    return r;
}

}  // namespace geo::analysis
