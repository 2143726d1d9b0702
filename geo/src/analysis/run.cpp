#include "geo/analysis/run.hpp"

#include <charconv>
#include <cmath>
#include <set>

#include "analysis/wkb.hpp"
#include "geo/analysis/frame.hpp"
#include "geo/analysis/report_map.hpp"
#include "geo/error.hpp"
#include "geo/io/csv.hpp"

namespace geo::analysis {

namespace {

using Params = std::map<std::string, std::string>;

// ---- parameters ---------------------------------------------------------------------------

const std::map<std::string, std::string>& circle_parameters() {
    static const std::map<std::string, std::string> p = {
        {"stations", "the stations layer (default stations)"},
        {"type", "only stations of this type (the layer's type field)"},
        {"minutes", "walking minutes (default 10)"},
        {"speed", "walking speed in metres a minute (default 60)"},
        {"preset", "GB 50180 life circle instead of minutes and speed: 5 (300 m), 10 (500 m) or 15 (1000 m)"},
        {"mode", "euclidean (a disc, default) or walking (over the roads layer)"},
        {"buffer", "walking: metres either side of a reachable street (default 50)"},
        {"max_snap", "walking: largest distance from a station or building to a road, metres (default 250)"},
    };
    return p;
}

double number(const Params& params, const std::string& name, double fallback) {
    auto it = params.find(name);
    if (it == params.end()) return fallback;
    double v = 0;
    const char* first = it->second.data();
    const char* last = first + it->second.size();
    auto [end, ec] = std::from_chars(first, last, v);
    if (ec != std::errc() || end != last || !std::isfinite(v)) {
        throw Error(Errc::invalid_argument, name + " must be a number, not \"" + it->second + "\"");
    }
    return v;
}

std::int64_t whole(const Params& params, const std::string& name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
    auto it = params.find(name);
    if (it == params.end()) return fallback;
    std::int64_t v = 0;
    const char* first = it->second.data();
    const char* last = first + it->second.size();
    auto [end, ec] = std::from_chars(first, last, v);
    if (ec != std::errc() || end != last || v < lo || v > hi) {
        throw Error(Errc::invalid_argument, name + " must be a whole number from " + std::to_string(lo) + " to " +
                                                std::to_string(hi) + ", not \"" + it->second + "\"");
    }
    return v;
}

bool boolean(const Params& params, const std::string& name, bool fallback) {
    auto it = params.find(name);
    if (it == params.end()) return fallback;
    if (it->second == "true" || it->second == "1" || it->second.empty()) return true;
    if (it->second == "false" || it->second == "0") return false;
    throw Error(Errc::invalid_argument, name + " must be true or false, not \"" + it->second + "\"");
}

// ---- maps ---------------------------------------------------------------------------------

constexpr Rgba k_circle_fill{0.18, 0.62, 0.33, 0.16};
constexpr Rgba k_circle_stroke{0.12, 0.50, 0.25, 0.9};
constexpr Rgba k_uncovered{0.86, 0.15, 0.15, 0.9};
constexpr Rgba k_uncovered_stroke{0.55, 0.05, 0.05, 1};
constexpr Rgba k_site{0.50, 0.15, 0.70, 0.95};
constexpr Rgba k_site_circle{0.50, 0.15, 0.70, 0.12};
constexpr Rgba k_station{0.10, 0.35, 0.80, 0.95};
constexpr Rgba k_station_over{0.90, 0.20, 0.10, 0.95};

std::string format_metres(double m) { return std::to_string(static_cast<long long>(std::llround(m))) + " m"; }

std::string format_pct(std::int64_t part, std::int64_t whole) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", percent(part, whole));
    return buf;
}

std::string circle_words(const CircleDefinition& d) {
    char minutes[32];
    std::snprintf(minutes, sizeof minutes, "%g", std::round(d.minutes * 10) / 10);
    return std::string(minutes) + "分钟 " + format_metres(d.radius_m()) + " " +
           (d.mode == CircleMode::walking ? "步行可达" : "直线距离");
}

MapOverlay circles_overlay(const std::vector<ServiceCircle>& circles, const CircleDefinition& d) {
    MapOverlay o;
    o.legend = "服务圈 (" + circle_words(d) + ")";
    o.fill = k_circle_fill;
    o.stroke = k_circle_stroke;
    o.stroke_width_px = 1.2;
    for (const auto& c : circles) o.wkb.push_back(c.wkb);
    return o;
}

MapOverlay uncovered_overlay(const CoverageReport& r) {
    MapOverlay o;
    o.fill = k_uncovered;
    o.stroke = k_uncovered_stroke;
    o.stroke_width_px = 0.5;
    o.point_radius_px = 2.2;
    std::int64_t n = 0;
    for (const auto& b : r.buildings) {
        if (b.covered || b.households <= 0) continue;
        o.wkb.push_back(detail::point_wkb(b.lon, b.lat));
        ++n;
    }
    o.legend = "未覆盖的住宅楼栋 (" + std::to_string(n) + ")";
    return o;
}

std::string station_words(const StationFilter& s) { return s.type ? "「" + *s.type + "」" : std::string("全部服务站"); }

}  // namespace

std::string_view to_string(AnalysisKind kind) noexcept {
    switch (kind) {
        case AnalysisKind::coverage: return "coverage";
        case AnalysisKind::load: return "load";
        case AnalysisKind::siting: return "siting";
        case AnalysisKind::norms: return "norms";
        case AnalysisKind::circles: return "circles";
    }
    return "coverage";
}

AnalysisKind analysis_kind_from(std::string_view text) {
    for (auto k : {AnalysisKind::coverage, AnalysisKind::load, AnalysisKind::siting, AnalysisKind::norms,
                   AnalysisKind::circles}) {
        if (text == to_string(k)) return k;
    }
    throw Error(Errc::not_found, "no analysis named \"" + std::string(text) +
                                     "\": coverage, load, siting, norms and circles exist");
}

const std::map<std::string, std::string>& analysis_parameters(AnalysisKind kind) {
    static const auto with = [](std::map<std::string, std::string> extra) {
        auto all = circle_parameters();
        all.merge(extra);
        return all;
    };
    static const std::map<std::string, std::string> coverage = with({
        {"buildings", "which buildings the JSON lists: none, uncovered (default) or all"},
        {"write_circles", "also store the circles in the service_circles layer (true/false, default false)"},
    });
    static const std::map<std::string, std::string> load = {
        {"stations", circle_parameters().at("stations")},
        {"type", circle_parameters().at("type")},
        {"mode", "euclidean (straight-line distance, default) or walking (over the roads layer)"},
        {"max_snap", circle_parameters().at("max_snap")},
        {"capacity", "households a station can serve; stations above it are flagged (default 0: no check)"},
    };
    static const std::map<std::string, std::string> siting = with({
        {"sites", "how many new stations to propose, 1 to 50 (default 3)"},
        {"candidates", "lattice (default), buildings (uncovered buildings' points) or layer"},
        {"lattice", "lattice spacing in metres, 10 to 2000 (default 100)"},
        {"candidate_layer", "for candidates=layer: a points layer of possible sites"},
    });
    static const std::map<std::string, std::string> norms = {
        {"cell_min", "fewest households in a grid cell (default 300)"},
        {"cell_max", "most households in a grid cell (default 500)"},
        {"community_min", "fewest households in a community (default 1000)"},
        {"community_max", "most households in a community (default 3000)"},
        {"min_defect_area", "overlaps and gaps smaller than this many m² are not reported (default 1)"},
    };
    static const std::map<std::string, std::string> circles = with({});
    switch (kind) {
        case AnalysisKind::coverage: return coverage;
        case AnalysisKind::load: return load;
        case AnalysisKind::siting: return siting;
        case AnalysisKind::norms: return norms;
        case AnalysisKind::circles: return circles;
    }
    return coverage;
}

AnalysisRequest parse_analysis_request(AnalysisKind kind, const Params& params, const std::string& norms_json,
                                       const std::string& walkability_json) {
    const auto& known = analysis_parameters(kind);
    for (const auto& [name, value] : params) {
        if (!known.contains(name)) {
            std::string list;
            for (const auto& [k, help] : known) list += (list.empty() ? "" : ", ") + k;
            throw Error(Errc::invalid_argument, "the " + std::string(to_string(kind)) + " analysis has no parameter \"" +
                                                    name + "\" (it takes " + list + ")");
        }
    }
    AnalysisRequest r;
    r.kind = kind;
    if (auto it = params.find("stations"); it != params.end()) r.stations.layer = it->second;
    if (auto it = params.find("type"); it != params.end()) r.stations.type = it->second;

    if (auto it = params.find("preset"); it != params.end()) {
        if (params.contains("minutes") || params.contains("speed")) {
            throw Error(Errc::invalid_argument, "preset sets minutes and speed: give one or the other");
        }
        r.circle = gb50180_circle(static_cast<int>(whole(params, "preset", 10, 0, 60)));
    } else {
        r.circle.minutes = number(params, "minutes", r.circle.minutes);
        r.circle.speed_m_per_min = number(params, "speed", r.circle.speed_m_per_min);
    }
    if (auto it = params.find("mode"); it != params.end()) r.circle.mode = circle_mode_from(it->second);
    r.circle.buffer_m = number(params, "buffer", r.circle.buffer_m);
    r.circle.max_snap_m = number(params, "max_snap", r.circle.max_snap_m);
    r.circle.validate();
    if (!walkability_json.empty()) r.circle.walkability = load_walkability(walkability_json);

    switch (kind) {
        case AnalysisKind::coverage:
            if (auto it = params.find("buildings"); it != params.end()) {
                if (it->second == "none") {
                    r.buildings = BuildingList::none;
                } else if (it->second == "uncovered") {
                    r.buildings = BuildingList::uncovered;
                } else if (it->second == "all") {
                    r.buildings = BuildingList::all;
                } else {
                    throw Error(Errc::invalid_argument, "buildings must be none, uncovered or all, not \"" + it->second + "\"");
                }
            }
            r.write_circles = boolean(params, "write_circles", false);
            break;
        case AnalysisKind::load:
            r.capacity_households = whole(params, "capacity", 0, 0, 10'000'000);
            break;
        case AnalysisKind::siting:
            r.siting.sites = static_cast<int>(whole(params, "sites", 3, 1, 50));
            if (auto it = params.find("candidates"); it != params.end()) r.siting.candidates = candidate_source_from(it->second);
            r.siting.lattice_m = number(params, "lattice", r.siting.lattice_m);
            if (auto it = params.find("candidate_layer"); it != params.end()) r.siting.candidate_layer = it->second;
            if (r.siting.candidates == CandidateSource::layer && r.siting.candidate_layer.empty()) {
                throw Error(Errc::invalid_argument, "candidates=layer needs candidate_layer");
            }
            if (!std::isfinite(r.siting.lattice_m) || r.siting.lattice_m < 10 || r.siting.lattice_m > 2000) {
                throw Error(Errc::invalid_argument, "lattice must be 10 to 2000 m");
            }
            break;
        case AnalysisKind::norms:
            r.norms = norms_json.empty() ? default_norms_config() : load_norms_config(norms_json);
            r.norms.cell_min_households = whole(params, "cell_min", r.norms.cell_min_households, 0, 1'000'000);
            r.norms.cell_max_households = whole(params, "cell_max", r.norms.cell_max_households, 0, 1'000'000);
            r.norms.community_min_households = whole(params, "community_min", r.norms.community_min_households, 0, 10'000'000);
            r.norms.community_max_households = whole(params, "community_max", r.norms.community_max_households, 0, 10'000'000);
            r.norms.min_defect_area_m2 = number(params, "min_defect_area", r.norms.min_defect_area_m2);
            if (r.norms.cell_min_households > r.norms.cell_max_households ||
                r.norms.community_min_households > r.norms.community_max_households) {
                throw Error(Errc::invalid_argument, "a household range has its minimum above its maximum");
            }
            if (r.norms.min_defect_area_m2 < 0) throw Error(Errc::invalid_argument, "min_defect_area must be 0 or more");
            break;
        case AnalysisKind::circles:
            r.write_circles = true;
            break;
    }
    return r;
}

AnalysisResult run_analysis(store::Store& store, const AnalysisRequest& request, const Progress& progress) {
    switch (request.kind) {
        case AnalysisKind::coverage: {
            CoverageReport report = coverage(store, request.stations, request.circle, progress);
            if (request.write_circles) write_circles(store, report.circles, request.circle);
            return report;
        }
        case AnalysisKind::load:
            return station_load(store, request.stations, request.circle, request.capacity_households, progress);
        case AnalysisKind::siting:
            return site_stations(store, request.stations, request.circle, request.siting, progress);
        case AnalysisKind::norms:
            return check_norms(store, request.norms, progress);
        case AnalysisKind::circles: {
            CirclesResult result{request.circle, request.stations, make_circles(store, request.stations, request.circle, progress), false};
            if (request.write_circles) {
                write_circles(store, result.circles, request.circle);
                result.written = true;
            }
            return result;
        }
    }
    throw Error(Errc::internal, "unknown analysis");
}

nlohmann::ordered_json result_json(const AnalysisResult& result, const AnalysisRequest& request) {
    return std::visit(
        [&](const auto& r) -> nlohmann::ordered_json {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, CoverageReport>) {
                return to_json(r, request.buildings);
            } else if constexpr (std::is_same_v<T, NormsReport>) {
                nlohmann::ordered_json j;
                j["analysis"] = "norms";
                const auto body = nlohmann::ordered_json::parse(to_json(r).dump());
                for (auto it = body.begin(); it != body.end(); ++it) j[it.key()] = it.value();
                return j;
            } else if constexpr (std::is_same_v<T, CirclesResult>) {
                nlohmann::ordered_json j;
                j["analysis"] = "circles";
                j["definition"] = {{"mode", to_string(r.definition.mode)},
                                   {"minutes", r.definition.minutes},
                                   {"speed_m_per_min", r.definition.speed_m_per_min},
                                   {"radius_m", r.definition.radius_m()}};
                j["layer"] = r.written ? nlohmann::ordered_json("service_circles") : nlohmann::ordered_json(nullptr);
                nlohmann::ordered_json list = nlohmann::ordered_json::array();
                for (const auto& c : r.circles) {
                    list.push_back({{"station_fid", c.station_fid},
                                    {"station_name", c.station_name},
                                    {"station_type", c.station_type},
                                    {"mode", to_string(c.mode)},
                                    {"snap_m", std::round(c.snap_m * 10) / 10},
                                    {"area_m2", std::round(c.area_m2)},
                                    {"note", c.note}});
                }
                j["circles"] = std::move(list);
                return j;
            } else {
                return to_json(r);
            }
        },
        result);
}

std::string result_csv(const AnalysisResult& result) {
    return std::visit(
        [](const auto& r) -> std::string {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, CirclesResult>) {
                io::CsvWriter csv;
                csv.row({"station_fid", "station_name", "station_type", "mode", "radius_m", "snap_m", "area_m2", "note"});
                for (const auto& c : r.circles) {
                    csv.cell(c.station_fid).cell(c.station_name).cell(c.station_type).cell(to_string(c.mode));
                    csv.cell(std::lround(c.radius_m)).cell(std::lround(c.snap_m)).cell(std::llround(c.area_m2));
                    csv.cell(c.note).end_row();
                }
                return csv.str();
            } else {
                return to_csv(r);
            }
        },
        result);
}

std::string result_geojson(const AnalysisResult& result) {
    return std::visit(
        [](const auto& r) -> std::string {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, CirclesResult>) {
                CoverageReport only_circles;
                only_circles.circles = r.circles;
                return to_geojson(only_circles);
            } else {
                return to_geojson(r);
            }
        },
        result);
}

std::string result_png(store::Store& store, const style::Style& style, const AnalysisResult& result, int width_px,
                       int height_px) {
    ReportMapOptions options;
    options.width_px = width_px;
    options.height_px = height_px;
    std::visit(
        [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, CoverageReport>) {
                options.title = "服务圈覆盖分析 · " + station_words(r.stations) + " · " + circle_words(r.definition);
                options.subtitle = "户数覆盖率 " + format_pct(r.overall.households_covered, r.overall.households_total) +
                                   " (" + std::to_string(r.overall.households_covered) + " / " +
                                   std::to_string(r.overall.households_total) + " 户), 楼栋 " +
                                   std::to_string(r.overall.buildings_covered) + " / " +
                                   std::to_string(r.overall.buildings_total);
                options.overlays.push_back(circles_overlay(r.circles, r.definition));
                options.overlays.push_back(uncovered_overlay(r));
            } else if constexpr (std::is_same_v<T, LoadReport>) {
                options.title = "服务站负荷 · " + station_words(r.stations) + " · " +
                                (r.definition.mode == CircleMode::walking ? "按步行距离分配" : "按直线距离分配");
                std::int64_t over = 0;
                MapOverlay normal, heavy;
                normal.fill = k_station;
                normal.stroke = Rgba{1, 1, 1, 1};
                normal.point_radius_px = 6;
                heavy = normal;
                heavy.fill = k_station_over;
                heavy.point_radius_px = 8;
                for (const auto& l : r.loads) {
                    auto& o = l.over_capacity ? heavy : normal;
                    o.wkb.push_back(detail::point_wkb(l.lon, l.lat));
                    o.labels.push_back(std::to_string(l.households) + "户");
                    over += l.over_capacity ? 1 : 0;
                }
                normal.legend = "服务站 (标注: 服务户数)";
                if (r.capacity_households > 0) {
                    heavy.legend = "超过 " + std::to_string(r.capacity_households) + " 户的服务站 (" + std::to_string(over) + ")";
                    options.subtitle = std::to_string(over) + " 个服务站超负荷";
                }
                options.overlays.push_back(std::move(normal));
                if (!heavy.wkb.empty() || r.capacity_households > 0) options.overlays.push_back(std::move(heavy));
            } else if constexpr (std::is_same_v<T, SitingReport>) {
                options.title = "新服务站选址 · " + station_words(r.stations) + " · " + circle_words(r.definition);
                const std::int64_t after = r.sites.empty() ? r.before.households_covered : r.sites.back().households_covered_after;
                options.subtitle = "户数覆盖率 " + format_pct(r.before.households_covered, r.before.households_total) +
                                   " → " + format_pct(after, r.before.households_total) + " (新增 " +
                                   std::to_string(r.sites.size()) + " 处)";
                MapOverlay circles, sites;
                circles.legend = "新站服务圈";
                circles.fill = k_site_circle;
                circles.stroke = k_site;
                circles.stroke_width_px = 1.5;
                sites.legend = "建议站址 (标注: 序号 + 新增户数)";
                sites.fill = k_site;
                sites.stroke = Rgba{1, 1, 1, 1};
                sites.point_radius_px = 7;
                for (const auto& s : r.sites) {
                    const LocalFrame frame(BBox{s.lon, s.lat, s.lon, s.lat});
                    circles.wkb.push_back(detail::disc_wkb(frame.to_metres(s.lon, s.lat), r.definition.radius_m(), frame));
                    sites.wkb.push_back(detail::point_wkb(s.lon, s.lat));
                    sites.labels.push_back("#" + std::to_string(s.rank) + " +" + std::to_string(s.gain_households) + "户");
                }
                options.overlays.push_back(std::move(circles));
                options.overlays.push_back(std::move(sites));
            } else if constexpr (std::is_same_v<T, NormsReport>) {
                options.title = "网格与设施规范检查";
                options.subtitle = std::to_string(r.cells.size()) + " 个网格户数超出 " +
                                   std::to_string(r.config.cell_min_households) + "–" +
                                   std::to_string(r.config.cell_max_households) + " 户, " +
                                   std::to_string(r.overlaps.size()) + " 处重叠, " + std::to_string(r.gaps.size()) +
                                   " 处缝隙, " + std::to_string(r.stations.size()) + " 个服务站面积不达标";
                MapOverlay below, above, overlaps, gaps;
                below.legend = "户数过少的网格";
                below.fill = Rgba{0.99, 0.75, 0.25, 0.45};
                below.stroke = Rgba{0.85, 0.55, 0.05, 1};
                above.legend = "户数过多的网格";
                above.fill = Rgba{0.85, 0.25, 0.15, 0.40};
                above.stroke = Rgba{0.65, 0.10, 0.05, 1};
                for (const auto& c : r.cells) {
                    auto& o = c.status == "below" ? below : above;
                    o.wkb.push_back(c.wkb);
                    o.labels.push_back(std::to_string(c.households) + "户");
                }
                overlaps.legend = "网格重叠";
                overlaps.fill = Rgba{0.60, 0.0, 0.6, 0.7};
                overlaps.stroke = Rgba{0.4, 0.0, 0.4, 1};
                for (const auto& o : r.overlaps) overlaps.wkb.push_back(o.wkb);
                gaps.legend = "网格缝隙";
                gaps.fill = Rgba{0.1, 0.1, 0.1, 0.6};
                gaps.stroke = Rgba{0, 0, 0, 1};
                for (const auto& g : r.gaps) gaps.wkb.push_back(g.wkb);
                for (auto* o : {&below, &above, &overlaps, &gaps}) options.overlays.push_back(std::move(*o));
            } else {
                options.title = "服务圈 · " + station_words(r.stations) + " · " + circle_words(r.definition);
                options.overlays.push_back(circles_overlay(r.circles, r.definition));
            }
        },
        result);
    return render_report_map(store, style, options);
}

}  // namespace geo::analysis
