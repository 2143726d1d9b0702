#include "http/metrics.hpp"

#include <sstream>

namespace gridmap::http {

namespace {

std::string label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

void Metrics::record(const std::string& method, const std::string& route, int status, double seconds,
                     std::size_t bytes) {
    std::lock_guard lock(m_mutex);
    Route& r = m_routes[{method, route}];
    ++r.by_status[status];
    std::size_t b = 0;
    while (b < k_buckets.size() && seconds > k_buckets[b]) ++b;
    ++r.buckets[b];
    r.seconds_sum += seconds;
    ++r.count;
    r.bytes += bytes;
}

void Metrics::record_tile(const std::string& layer, const std::string& format, bool empty) {
    std::lock_guard lock(m_mutex);
    ++m_tiles[{layer, format}];
    if (empty) ++m_empty_tiles[{layer, format}];
}

void Metrics::record_cache(bool hit) { (hit ? m_cache_hits : m_cache_misses).fetch_add(1); }

std::string Metrics::prometheus_text() const {
    std::ostringstream out;
    std::lock_guard lock(m_mutex);
    out << "# HELP gridmap_http_requests_total HTTP requests by method, route and status.\n"
           "# TYPE gridmap_http_requests_total counter\n";
    for (const auto& [key, r] : m_routes) {
        for (const auto& [status, n] : r.by_status) {
            out << "gridmap_http_requests_total{method=\"" << key.first << "\",route=\"" << label(key.second)
                << "\",status=\"" << status << "\"} " << n << "\n";
        }
    }
    out << "# HELP gridmap_http_request_duration_seconds Time to answer a request.\n"
           "# TYPE gridmap_http_request_duration_seconds histogram\n";
    for (const auto& [key, r] : m_routes) {
        const std::string labels = "method=\"" + key.first + "\",route=\"" + label(key.second) + "\"";
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < k_buckets.size(); ++i) {
            cumulative += r.buckets[i];
            out << "gridmap_http_request_duration_seconds_bucket{" << labels << ",le=\"" << k_buckets[i]
                << "\"} " << cumulative << "\n";
        }
        cumulative += r.buckets.back();
        out << "gridmap_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << cumulative << "\n";
        out << "gridmap_http_request_duration_seconds_sum{" << labels << "} " << r.seconds_sum << "\n";
        out << "gridmap_http_request_duration_seconds_count{" << labels << "} " << r.count << "\n";
    }
    out << "# HELP gridmap_http_response_bytes_total Response body bytes by route.\n"
           "# TYPE gridmap_http_response_bytes_total counter\n";
    for (const auto& [key, r] : m_routes) {
        out << "gridmap_http_response_bytes_total{method=\"" << key.first << "\",route=\"" << label(key.second)
            << "\"} " << r.bytes << "\n";
    }
    out << "# HELP gridmap_tiles_total Tiles served by layer and format.\n"
           "# TYPE gridmap_tiles_total counter\n";
    for (const auto& [key, n] : m_tiles) {
        out << "gridmap_tiles_total{layer=\"" << label(key.first) << "\",format=\"" << key.second << "\"} " << n << "\n";
    }
    out << "# HELP gridmap_tiles_empty_total Empty tiles (204) by layer and format.\n"
           "# TYPE gridmap_tiles_empty_total counter\n";
    for (const auto& [key, n] : m_empty_tiles) {
        out << "gridmap_tiles_empty_total{layer=\"" << label(key.first) << "\",format=\"" << key.second << "\"} " << n << "\n";
    }
    out << "# HELP gridmap_tile_cache_requests_total Tile cache lookups by result.\n"
           "# TYPE gridmap_tile_cache_requests_total counter\n"
        << "gridmap_tile_cache_requests_total{result=\"hit\"} " << m_cache_hits.load() << "\n"
        << "gridmap_tile_cache_requests_total{result=\"miss\"} " << m_cache_misses.load() << "\n";
    return out.str();
}

}  // namespace gridmap::http
