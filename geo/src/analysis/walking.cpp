#include "geo/analysis/walking.hpp"

#include <limits>

#include "geo/analysis/coverage.hpp"

namespace geo::analysis {

std::shared_ptr<const WalkingNetwork> WalkingNetwork::build(store::Store& store, const Walkability& walkability) {
    const auto roads = store.layer("roads");
    if (!roads || roads->feature_count == 0 || !(roads->extent.minx <= roads->extent.maxx)) return nullptr;
    if (roads->geometry_type != "LINESTRING" && roads->geometry_type != "MULTILINESTRING") return nullptr;
    LocalFrame frame(roads->extent);
    const WalkableRoads walked = read_walkable_roads(store, frame, walkability);
    if (walked.lines.empty()) return nullptr;
    // Ferries cost their minutes at the standard walking speed: distances here are metres of walking.
    auto network = RoadNetwork::build_on_levels(walked.lines, walked.levels, {},
                                                crossing_costs_m(walked, CircleDefinition{}.speed_m_per_min));
    return std::make_shared<const WalkingNetwork>(std::move(frame), std::move(network), roads->version);
}

XY WalkingNetwork::metres(double lon, double lat) const {
    std::lock_guard lock(m_frame_mutex);
    return m_frame.to_metres(lon, lat);
}

std::vector<double> WalkingNetwork::distances_m(double lon, double lat,
                                                const std::vector<std::pair<double, double>>& targets,
                                                double limit_m, double max_snap_m) const {
    constexpr double unreachable = std::numeric_limits<double>::infinity();
    std::vector<double> out(targets.size(), unreachable);
    const auto start = m_network.snap(metres(lon, lat), max_snap_m);
    if (!start || start->distance_m > limit_m) return out;
    const Reach reach = m_network.reach({Origin{*start, start->distance_m, 0}}, limit_m);
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto end = m_network.snap(metres(targets[i].first, targets[i].second), max_snap_m);
        if (!end) continue;
        const double walk = m_network.cost_to(reach, *end) + end->distance_m;
        if (walk <= limit_m) out[i] = walk;
    }
    return out;
}

}  // namespace geo::analysis
