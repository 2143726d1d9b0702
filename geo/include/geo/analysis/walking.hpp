#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "geo/analysis/frame.hpp"
#include "geo/analysis/network.hpp"
#include "geo/analysis/walkability.hpp"
#include "geo/store/store.hpp"

namespace geo::analysis {

/// The roads layer as a walking network, built once and shared: for walking distances from a
/// tapped point (the point query) without rebuilding the graph per request. Immutable once
/// built; distances_m() may be called from many threads. Rebuild it when the roads layer's
/// version changes.
class WalkingNetwork {
public:
    /// From the walkable lines of the store's `roads` layer (see Walkability); null when there
    /// is none or it holds no walkable line.
    static std::shared_ptr<const WalkingNetwork> build(store::Store& store,
                                                       const Walkability& walkability = default_walkability());

    WalkingNetwork(LocalFrame frame, RoadNetwork network, std::int64_t version)
        : m_frame(std::move(frame)), m_network(std::move(network)), m_version(version) {}

    /// The roads version the network was built from.
    std::int64_t version() const noexcept { return m_version; }
    const RoadNetwork& network() const noexcept { return m_network; }

    /// Walking distance in metres from (lon, lat) to each target (lon, lat), EPSG:4326: onto
    /// the nearest road, along the roads, off to the target, the straight pieces counted.
    /// Infinity for a target (or a start) farther than `max_snap_m` from every road, or
    /// beyond `limit_m` on foot.
    std::vector<double> distances_m(double lon, double lat, const std::vector<std::pair<double, double>>& targets,
                                    double limit_m = 3000, double max_snap_m = 250) const;

private:
    XY metres(double lon, double lat) const;

    LocalFrame m_frame;
    mutable std::mutex m_frame_mutex;  // one PROJ context, shared by the request threads
    RoadNetwork m_network;
    std::int64_t m_version = -1;
};

}  // namespace geo::analysis
