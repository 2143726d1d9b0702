#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>

namespace gridmap::http {

/// Counters exposed at /metrics in the Prometheus text format.
class Metrics {
public:
    /// Records one finished request. `route` is the route pattern (e.g. "/tiles/{layer}/{z}/{x}/{y}.mvt").
    void record(const std::string& method, const std::string& route, int status, double seconds,
                std::size_t bytes);
    void record_tile(const std::string& layer, const std::string& format, bool empty);
    void record_cache(bool hit);
    std::string prometheus_text() const;

private:
    static constexpr std::array<double, 12> k_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                         0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    struct Route {
        std::map<int, std::uint64_t> by_status;
        std::array<std::uint64_t, k_buckets.size() + 1> buckets{};
        double seconds_sum = 0;
        std::uint64_t count = 0;
        std::uint64_t bytes = 0;
    };
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, std::string>, Route> m_routes;
    std::map<std::pair<std::string, std::string>, std::uint64_t> m_tiles;
    std::map<std::pair<std::string, std::string>, std::uint64_t> m_empty_tiles;
    std::atomic<std::uint64_t> m_cache_hits{0};
    std::atomic<std::uint64_t> m_cache_misses{0};
};

}  // namespace gridmap::http
