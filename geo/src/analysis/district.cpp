#include "analysis/district.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <span>

#include "analysis/wkb.hpp"
#include "geo/error.hpp"

namespace geo::analysis::detail {

namespace {

bool has_field(const LayerInfo& info, std::string_view name) {
    return std::any_of(info.fields.begin(), info.fields.end(), [&](const Field& f) { return f.name == name; });
}

// The first coordinate of a WKB Point or MultiPoint (either byte order, Z/M ignored).
std::optional<std::pair<double, double>> first_point(std::span<const unsigned char> wkb) {
    std::size_t pos = 0;
    for (int depth = 0; depth < 2; ++depth) {
        if (wkb.size() < pos + 5) return std::nullopt;
        const bool little = wkb[pos] == 1;
        auto u32 = [&](std::size_t at) {
            std::uint32_t v;
            std::memcpy(&v, wkb.data() + at, 4);
            return little == (std::endian::native == std::endian::little) ? v : swap_bytes(v);
        };
        const std::uint32_t type = u32(pos + 1) % 1000;
        pos += 5;
        if (type == 4) {  // MultiPoint: its first part
            if (wkb.size() < pos + 4 || u32(pos) == 0) return std::nullopt;
            pos += 4;
            continue;
        }
        if (type != 1 || wkb.size() < pos + 16) return std::nullopt;
        std::uint64_t bx, by;
        std::memcpy(&bx, wkb.data() + pos, 8);
        std::memcpy(&by, wkb.data() + pos + 8, 8);
        if (little != (std::endian::native == std::endian::little)) {
            bx = swap_bytes(bx);
            by = swap_bytes(by);
        }
        const double x = std::bit_cast<double>(bx), y = std::bit_cast<double>(by);
        if (!std::isfinite(x) || !std::isfinite(y)) return std::nullopt;
        return std::pair{x, y};
    }
    return std::nullopt;
}

LayerInfo required_layer(store::Store& store, const std::string& name, std::string_view why) {
    auto info = store.layer(name);
    if (!info) throw Error(Errc::not_found, "no layer named \"" + name + "\" (" + std::string(why) + ")");
    return *info;
}

}  // namespace

std::vector<StationPoint> load_stations(store::Store& store, const StationFilter& filter, const LocalFrame& frame) {
    const LayerInfo info = required_layer(store, filter.layer, "the stations to draw circles around");
    if (info.geometry_type != "POINT" && info.geometry_type != "MULTIPOINT") {
        throw Error(Errc::invalid_argument, "layer " + info.name + " holds " + info.geometry_type +
                                                " features; stations must be points");
    }
    store::FeatureQuery q;
    if (has_field(info, "name")) q.fields.push_back("name");
    const bool typed = has_field(info, "type");
    if (typed) q.fields.push_back("type");
    if (filter.type) {
        if (!typed) throw Error(Errc::invalid_argument, "layer " + info.name + " has no type field to select by");
        q.equals.emplace_back("type", *filter.type);
    }
    const bool named = has_field(info, "name");
    std::vector<StationPoint> out;
    store.read_features(info.name, q, [&](const Feature& f) {
        const auto p = first_point(f.wkb);
        if (!p) return true;
        StationPoint s;
        s.fid = f.fid;
        if (named) s.name = value_text(f.values[0]);
        if (typed) s.type = value_text(f.values[named ? 1 : 0]);
        s.lon = p->first;
        s.lat = p->second;
        s.xy = frame.to_metres(s.lon, s.lat);
        out.push_back(std::move(s));
        return true;
    });
    return out;
}

District load_district(store::Store& store, const StationFilter& filter) {
    const LayerInfo buildings = required_layer(store, "buildings", "coverage is counted over buildings");
    const LayerInfo stations = required_layer(store, filter.layer, "the stations to draw circles around");
    if (!has_field(buildings, "pos_lon") || !has_field(buildings, "pos_lat")) {
        throw Error(Errc::invalid_argument,
                    "the buildings layer has no point on surface (pos_lon, pos_lat): import it again with gridmap import");
    }
    BBox extent = buildings.extent;
    if (stations.feature_count > 0) {
        extent.extend(stations.extent.minx, stations.extent.miny);
        extent.extend(stations.extent.maxx, stations.extent.maxy);
    }
    if (!(extent.minx <= extent.maxx)) {
        throw Error(Errc::invalid_argument, "the buildings and stations layers are empty: nothing to analyse");
    }
    District d{LocalFrame(extent), {}, {}, 0, {}};
    d.stations = load_stations(store, filter, d.frame);

    store::FeatureQuery q;
    q.geometry = false;
    q.fields = {"pos_lon", "pos_lat"};
    // Optional attributes, by the position they take in Feature::values.
    int households = -1, population = -1, grid_code = -1, name = -1, address = -1;
    for (auto [field, index] : {std::pair{"households", &households}, {"population", &population},
                                {"grid_code", &grid_code}, {"name", &name}, {"address", &address}}) {
        if (has_field(buildings, field)) {
            *index = static_cast<int>(q.fields.size());
            q.fields.emplace_back(field);
        }
    }
    d.buildings.reserve(static_cast<std::size_t>(std::max<std::int64_t>(0, buildings.feature_count)));
    store.read_features("buildings", q, [&](const Feature& f) {
        const auto lon = value_real(f.values[0]), lat = value_real(f.values[1]);
        if (!lon || !lat || !std::isfinite(*lon) || !std::isfinite(*lat)) {
            ++d.buildings_without_point;
            return true;
        }
        BuildingPoint b;
        b.fid = f.fid;
        b.lon = *lon;
        b.lat = *lat;
        b.xy = XY{*lon, *lat};
        if (households >= 0) b.households = std::max<std::int64_t>(0, value_int(f.values[static_cast<std::size_t>(households)]).value_or(0));
        if (population >= 0) b.population = std::max<std::int64_t>(0, value_int(f.values[static_cast<std::size_t>(population)]).value_or(0));
        if (grid_code >= 0) b.grid_code = value_text(f.values[static_cast<std::size_t>(grid_code)]);
        if (name >= 0) b.name = value_text(f.values[static_cast<std::size_t>(name)]);
        if (address >= 0) b.address = value_text(f.values[static_cast<std::size_t>(address)]);
        d.buildings.push_back(std::move(b));
        return true;
    });
    // One PROJ call for all anchors.
    std::vector<XY> points(d.buildings.size());
    for (std::size_t i = 0; i < points.size(); ++i) points[i] = d.buildings[i].xy;
    d.frame.to_metres(points);
    for (std::size_t i = 0; i < points.size(); ++i) d.buildings[i].xy = points[i];

    if (auto cells = store.layer("grid_cells"); cells && has_field(*cells, "code")) {
        store::FeatureQuery cq;
        cq.geometry = false;
        cq.fields = {"code"};
        int cname = -1, community = -1, street = -1;
        for (auto [field, index] : {std::pair{"name", &cname}, {"community", &community}, {"street", &street}}) {
            if (has_field(*cells, field)) {
                *index = static_cast<int>(cq.fields.size());
                cq.fields.emplace_back(field);
            }
        }
        store.read_features("grid_cells", cq, [&](const Feature& f) {
            const std::string code = value_text(f.values[0]);
            if (code.empty() || d.cells.contains(code)) return true;  // the lowest fid wins, as in the links
            CellInfo c;
            if (cname >= 0) c.name = value_text(f.values[static_cast<std::size_t>(cname)]);
            if (community >= 0) c.community = value_text(f.values[static_cast<std::size_t>(community)]);
            if (street >= 0) c.street = value_text(f.values[static_cast<std::size_t>(street)]);
            d.cells.emplace(code, std::move(c));
            return true;
        });
    }
    return d;
}

std::optional<Walk> load_walk(store::Store& store, const District& district, const CircleDefinition& definition) {
    auto roads = store.layer("roads");
    if (!roads || roads->feature_count == 0) return std::nullopt;
    if (roads->geometry_type != "LINESTRING" && roads->geometry_type != "MULTILINESTRING") {
        throw Error(Errc::invalid_argument, "layer roads holds " + roads->geometry_type + " features; roads must be lines");
    }
    // Only what a pedestrian walks, each line on its level.
    const WalkableRoads roads_walked = read_walkable_roads(store, district.frame, definition.walkability);
    if (roads_walked.lines.empty()) return std::nullopt;
    Walk walk{RoadNetwork::build_on_levels(roads_walked.lines, roads_walked.levels, {},
                                           crossing_costs_m(roads_walked, definition.speed_m_per_min)),
              {},
              {},
              definition.max_snap_m,
              walkable_roads_note(roads_walked, definition.walkability)};
    walk.station_snaps.reserve(district.stations.size());
    for (const auto& s : district.stations) walk.station_snaps.push_back(walk.network.snap(s.xy, definition.max_snap_m));
    walk.building_snaps.reserve(district.buildings.size());
    for (const auto& b : district.buildings) walk.building_snaps.push_back(walk.network.snap(b.xy, definition.max_snap_m));
    return walk;
}

std::vector<Origin> station_origins(const Walk& walk) {
    std::vector<Origin> origins;
    for (std::size_t i = 0; i < walk.station_snaps.size(); ++i) {
        if (const auto& s = walk.station_snaps[i]) origins.push_back(Origin{*s, s->distance_m, static_cast<int>(i)});
    }
    return origins;
}

}  // namespace geo::analysis::detail
