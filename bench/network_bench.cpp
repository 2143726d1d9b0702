// gridmap-network-bench: times the walking network in-process on a Gridmap database.
//
// Reads the roads, stations and buildings layers, projects them into a LocalFrame around the
// roads' extent, and times: noding the roads into a RoadNetwork (and, for comparison, GEOS's
// GEOSNode_r on the same lines), snapping the stations and every building's representative
// point (the centre of its WKB bounding box), one multi-source reach from all stations with a
// cost to every building, and one isochrone polygon per station. Prints peak RSS at the end.
//
// Usage: gridmap-network-bench --db FILE [--limit 600] [--buffer 50] [--snap 500] [--isochrones 100]
//                               [--no-geos-node]
// Open a copy of a shared database: the store may write its WAL beside the file.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include <geos_c.h>

#include "geo/analysis/frame.hpp"
#include "geo/analysis/network.hpp"
#include "geo/error.hpp"
#include "geo/store/store.hpp"

namespace {

using geo::analysis::XY;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Minimal WKB walker: calls `point` for every coordinate of any 2D/3D geometry.
class WkbPoints {
public:
    explicit WkbPoints(const std::vector<unsigned char>& wkb) : m_wkb(wkb) {}
    template <typename F>
    bool walk(F&& point) {
        try {
            geometry(point);
            return true;
        } catch (const std::out_of_range&) {
            return false;
        }
    }

private:
    std::uint32_t u32() {
        need(4);
        std::uint32_t v;
        std::memcpy(&v, m_wkb.data() + m_pos, 4);
        m_pos += 4;
        if (!m_little) v = __builtin_bswap32(v);
        return v;
    }
    double f64() {
        need(8);
        std::uint64_t v;
        std::memcpy(&v, m_wkb.data() + m_pos, 8);
        m_pos += 8;
        if (!m_little) v = __builtin_bswap64(v);
        double d;
        std::memcpy(&d, &v, 8);
        return d;
    }
    void need(std::size_t n) const {
        if (m_wkb.size() - m_pos < n) throw std::out_of_range("wkb");
    }
    template <typename F>
    void geometry(F& point) {
        need(1);
        m_little = m_wkb[m_pos++] == 1;
        const std::uint32_t code = u32();
        const std::uint32_t type = code % 1000;
        const int dims = code >= 3000 ? 4 : code >= 1000 ? 3 : 2;
        const auto coords = [&](std::uint32_t n) {
            for (std::uint32_t i = 0; i < n; ++i) {
                const double x = f64(), y = f64();
                for (int d = 2; d < dims; ++d) f64();
                point(x, y);
            }
        };
        if (type == 1) {
            coords(1);
        } else if (type == 2) {
            coords(u32());
        } else if (type == 3) {
            const std::uint32_t rings = u32();
            for (std::uint32_t r = 0; r < rings; ++r) coords(u32());
        } else if (type >= 4 && type <= 7) {
            const std::uint32_t parts = u32();
            for (std::uint32_t p = 0; p < parts; ++p) geometry(point);
        } else {
            throw std::out_of_range("wkb type");
        }
    }
    const std::vector<unsigned char>& m_wkb;
    std::size_t m_pos = 0;
    bool m_little = true;
};

XY bbox_centre(const std::vector<unsigned char>& wkb) {
    geo::BBox b;
    WkbPoints(wkb).walk([&](double x, double y) { b.extend(x, y); });
    return {(b.minx + b.maxx) / 2, (b.miny + b.maxy) / 2};
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void geos_node(const std::vector<std::vector<XY>>& lines) {
    GEOSContextHandle_t ctx = GEOS_init_r();
    std::vector<GEOSGeometry*> parts;
    for (const auto& l : lines) {
        GEOSCoordSequence* seq =
            GEOSCoordSeq_copyFromBuffer_r(ctx, &l[0].x, static_cast<unsigned>(l.size()), 0, 0);
        parts.push_back(GEOSGeom_createLineString_r(ctx, seq));
    }
    GEOSGeometry* multi = GEOSGeom_createCollection_r(ctx, GEOS_MULTILINESTRING, parts.data(),
                                                      static_cast<unsigned>(parts.size()));
    const auto t0 = Clock::now();
    GEOSGeometry* noded = GEOSNode_r(ctx, multi);
    const double ms = ms_since(t0);
    const int n = noded ? GEOSGetNumGeometries_r(ctx, noded) : -1;
    std::printf("| GEOSNode_r on the same lines (comparison; exact noding, no tolerance) | %.0f ms | %d "
                "noded lines |\n",
                ms, n);
    if (noded) GEOSGeom_destroy_r(ctx, noded);
    GEOSGeom_destroy_r(ctx, multi);
    GEOS_finish_r(ctx);
}

}  // namespace

int main(int argc, char** argv) {
    std::string db;
    double limit = 600, buffer = 50, max_snap = 500;
    int isochrones = 100;
    bool with_geos = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--db") db = value();
        else if (a == "--limit") limit = std::stod(value());
        else if (a == "--buffer") buffer = std::stod(value());
        else if (a == "--snap") max_snap = std::stod(value());
        else if (a == "--isochrones") isochrones = std::stoi(value());
        else if (a == "--no-geos-node") with_geos = false;
        else {
            std::fprintf(stderr,
                         "usage: gridmap-network-bench --db FILE [--limit 600] [--buffer 50] "
                         "[--snap 500] [--isochrones 100] [--no-geos-node]\n");
            return 2;
        }
    }
    if (db.empty()) {
        std::fprintf(stderr, "--db FILE is required\n");
        return 2;
    }
    try {
        const auto store = geo::store::open_store(db, false);
        auto t0 = Clock::now();
        std::vector<std::vector<unsigned char>> road_wkb, station_wkb, building_wkb;
        geo::BBox extent;
        const auto collect = [&](const char* layer, std::vector<std::vector<unsigned char>>& out) {
            store->read_features(layer, {}, [&](const geo::Feature& f) {
                out.push_back(f.wkb);
                return true;
            });
            if (const auto info = store->layer(layer)) extent.extend(info->extent);
        };
        collect("roads", road_wkb);
        collect("stations", station_wkb);
        collect("buildings", building_wkb);
        std::printf("| step | time | result |\n|---|---|---|\n");
        std::printf("| read roads, stations, buildings from the store | %.0f ms | %zu / %zu / %zu features |\n",
                    ms_since(t0), road_wkb.size(), station_wkb.size(), building_wkb.size());

        t0 = Clock::now();
        const geo::analysis::LocalFrame frame(extent);
        std::vector<std::vector<XY>> lines;
        std::size_t segments = 0;
        for (const auto& wkb : road_wkb) {
            for (auto& l : frame.lines_to_metres(wkb)) {
                segments += l.size() - 1;
                lines.push_back(std::move(l));
            }
        }
        std::printf("| roads to metres (LocalFrame) | %.0f ms | %zu lines, %zu segments |\n",
                    ms_since(t0), lines.size(), segments);

        t0 = Clock::now();
        const auto net = geo::analysis::RoadNetwork::build(lines);
        const auto s = net.stats();
        std::printf("| network build (noding, graph, snap index) | %.0f ms | %zu nodes, %zu edges, "
                    "%zu components, %.1f km, largest %.1f %% |\n",
                    ms_since(t0), s.nodes, s.edges, s.components, s.total_length_km,
                    100 * s.largest_component_share);
        if (with_geos) geos_node(lines);

        t0 = Clock::now();
        std::vector<geo::analysis::Origin> stations;
        for (std::size_t i = 0; i < station_wkb.size(); ++i) {
            XY p = bbox_centre(station_wkb[i]);
            p = frame.to_metres(p.x, p.y);
            if (const auto snap = net.snap(p, max_snap)) {
                stations.push_back({*snap, snap->distance_m, static_cast<int>(i)});
            }
        }
        std::printf("| snap stations (≤ %.0f m) | %.2f ms | %zu of %zu snapped |\n", max_snap,
                    ms_since(t0), stations.size(), station_wkb.size());

        t0 = Clock::now();
        std::vector<XY> points;
        points.reserve(building_wkb.size());
        for (const auto& wkb : building_wkb) points.push_back(bbox_centre(wkb));
        const double centre_ms = ms_since(t0);
        t0 = Clock::now();
        frame.to_metres(points);
        const double project_ms = ms_since(t0);
        t0 = Clock::now();
        std::vector<geo::analysis::Snap> snaps;
        std::vector<char> snapped(points.size(), 0);
        snaps.resize(points.size());
        double snap_sum = 0;
        std::size_t snapped_count = 0;
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (const auto snap = net.snap(points[i], max_snap)) {
                snaps[i] = *snap;
                snapped[i] = 1;
                snap_sum += snap->distance_m;
                ++snapped_count;
            }
        }
        std::printf("| building points: bbox centres / to metres / snap | %.0f / %.0f / %.0f ms | %zu "
                    "of %zu snapped, mean %.1f m |\n",
                    centre_ms, project_ms, ms_since(t0), snapped_count, points.size(),
                    snapped_count ? snap_sum / static_cast<double>(snapped_count) : 0.0);

        t0 = Clock::now();
        const auto reach = net.reach(stations, limit);
        const double reach_ms = ms_since(t0);
        t0 = Clock::now();
        std::size_t covered = 0;
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (!snapped[i]) continue;
            const double cost = net.cost_to(reach, snaps[i]) + snaps[i].distance_m;
            if (cost <= limit) ++covered;
        }
        std::printf("| multi-source reach at %.0f m / cost_to every building | %.1f / %.1f ms | %zu "
                    "nodes reached, %zu buildings within %.0f m |\n",
                    limit, reach_ms, ms_since(t0), reach.reached_count(), covered, limit);

        t0 = Clock::now();
        std::size_t bytes = 0, pieces = 0;
        double lines_ms = 0;
        const int n = std::min<int>(isochrones, static_cast<int>(stations.size()));
        for (int i = 0; i < n; ++i) {
            const auto t1 = Clock::now();
            pieces += net.reachable_lines(stations[static_cast<std::size_t>(i)], limit).size();
            lines_ms += ms_since(t1);
            bytes += net.isochrone_wkb(stations[static_cast<std::size_t>(i)], limit, buffer, frame).size();
        }
        const double iso_ms = ms_since(t0) - lines_ms;
        std::printf("| %d isochrones at %.0f m, %.0f m buffer (reachable lines / full isochrone WKB) | "
                    "%.0f / %.0f ms | %.0f pieces and %.0f KB WKB per isochrone |\n",
                    n, limit, buffer, lines_ms, iso_ms, n ? static_cast<double>(pieces) / n : 0.0,
                    n ? static_cast<double>(bytes) / n / 1024 : 0.0);
        std::printf("| peak RSS | | %.0f MB |\n", peak_rss_mb());
        return 0;
    } catch (const geo::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "internal error: %s\n", e.what());
        return 1;
    }
}
