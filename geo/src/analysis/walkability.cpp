#include "geo/analysis/walkability.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "analysis/segment_grid.hpp"
#include "analysis/text.hpp"
#include "geo/error.hpp"

namespace geo::analysis {

namespace {

using detail::normalise_key;

[[noreturn]] void bad_config(const std::string& message) {
    throw Error(Errc::invalid_argument, "walkability config: " + message);
}

std::vector<std::string> strings_at(const nlohmann::json& doc, const std::string& key) {
    const auto& v = doc.at(key);
    if (!v.is_array()) bad_config("\"" + key + "\" must be a list of strings");
    std::vector<std::string> out;
    for (const auto& item : v) {
        if (!item.is_string()) bad_config("\"" + key + "\" must hold only strings");
        const auto s = item.get<std::string>();
        if (normalise_key(s).empty()) bad_config("\"" + key + "\" holds an empty string");
        out.push_back(s);
    }
    return out;
}

bool bool_at(const nlohmann::json& doc, const std::string& key) {
    const auto& v = doc.at(key);
    if (!v.is_boolean()) bad_config("\"" + key + "\" must be true or false");
    return v.get<bool>();
}

void validate(const Walkability& w) {
    std::set<std::string> walked;
    for (const auto* list : {&w.walk_classes, &w.pedestrian_classes}) {
        for (const auto& c : *list) walked.insert(normalise_key(c));
    }
    for (const auto* list : {&w.excluded_classes, &w.ferry_classes}) {
        for (const auto& c : *list) {
            if (walked.contains(normalise_key(c))) {
                bad_config("class \"" + c + "\" is listed both as " +
                           (list == &w.ferry_classes ? "a ferry" : "excluded") + " and as walkable");
            }
        }
    }
    if (w.ferry_minutes && !(*w.ferry_minutes > 0 && *w.ferry_minutes <= 120)) {
        bad_config("\"ferry_minutes\" must be null or a number of minutes above 0 and at most 120");
    }
    if (!(w.ferry_boarding_m >= 0 && w.ferry_boarding_m <= 500)) {
        bad_config("\"ferry_boarding_m\" must be a number of metres from 0 to 500");
    }
}

// Indexes of the layer's fields named in `names` (case and surrounding space ignored).
std::vector<std::size_t> fields_named(const LayerInfo& layer,
                                      const std::vector<std::string>& names) {
    std::vector<std::size_t> out;
    for (const auto& n : names) {
        const auto key = normalise_key(n);
        for (std::size_t i = 0; i < layer.fields.size(); ++i) {
            if (normalise_key(layer.fields[i].name) == key &&
                std::find(out.begin(), out.end(), i) == out.end()) {
                out.push_back(i);
            }
        }
    }
    return out;
}

std::optional<int> whole_level(const Value& v) {
    if (const auto i = value_int(v)) {
        if (*i >= -100 && *i <= 100) return static_cast<int>(*i);
        return std::nullopt;
    }
    const auto text = normalise_key(value_text(v));
    if (text.empty()) return std::nullopt;
    // OSM writes "1", "-1", sometimes "+1" or "1;2" (the first is taken).
    std::string_view s = text;
    if (s.front() == '+') s.remove_prefix(1);
    int level = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), level);
    if (ec != std::errc() || end == s.data() || level < -100 || level > 100) return std::nullopt;
    return level;
}

// The table with every class and name part normalised, and the layer's field indexes, for
// judging many features of one layer.
struct Judge {
    Judge(const Walkability& table, const LayerInfo& layer)
        : class_fields(fields_named(layer, table.class_fields)),
          name_fields(fields_named(layer, table.name_fields)),
          level_fields(fields_named(layer, table.level_fields)),
          bridge_fields(fields_named(layer, table.bridge_fields)),
          tunnel_fields(fields_named(layer, table.tunnel_fields)),
          walk_unknown(table.walk_unknown_classes),
          exclude_tunnels(table.exclude_road_tunnels),
          ferries_cross(table.ferry_minutes.has_value()),
          name_parts(table.excluded_name_parts) {
        for (const auto& c : table.ferry_classes) ferry.insert(normalise_key(c));
        for (const auto& c : table.pedestrian_classes) pedestrian.insert(normalise_key(c));
        for (const auto& c : table.walk_classes) walk.insert(normalise_key(c));
        for (const auto& c : table.excluded_classes) excluded.insert(normalise_key(c));
    }

    RoadVerdict operator()(const Feature& f) const {
        const auto at = [&](std::size_t i) -> const Value& {
            static const Value k_null;
            return i < f.values.size() ? f.values[i] : k_null;
        };
        RoadVerdict v;
        bool known = false, foot = false;
        std::string ferry_class;
        for (std::size_t i : class_fields) {
            const auto key = normalise_key(value_text(at(i)));
            if (key.empty()) continue;
            if (excluded.contains(key)) {
                v.walkable = false;
                v.reason = "class " + value_text(at(i));
                return v;
            }
            if (ferry.contains(key)) {
                ferry_class = value_text(at(i));
            } else if (pedestrian.contains(key)) {
                known = foot = true;
            } else if (walk.contains(key)) {
                known = true;
            }
        }
        if (!ferry_class.empty()) {
            // A ferry is a crossing on no level, or not used at all.
            v.ferry = ferries_cross;
            v.walkable = ferries_cross;
            if (!ferries_cross) v.reason = "class " + ferry_class;
            return v;
        }
        if (!known && !walk_unknown) {
            v.walkable = false;
            v.reason = "unknown class";
            return v;
        }
        bool tunnel = false, bridge = false;
        for (std::size_t i : tunnel_fields) tunnel = tunnel || attribute_says_yes(at(i));
        for (std::size_t i : bridge_fields) bridge = bridge || attribute_says_yes(at(i));
        if (!foot) {
            for (std::size_t i : name_fields) {
                const std::string name = value_text(at(i));
                for (const auto& part : name_parts) {
                    if (name.find(part) != std::string::npos) {
                        v.walkable = false;
                        v.reason = "name " + part;
                        return v;
                    }
                }
            }
            if (tunnel && exclude_tunnels) {
                v.walkable = false;
                v.reason = "tunnel";
                return v;
            }
        }
        std::optional<int> level;
        for (std::size_t i : level_fields) {
            if ((level = whole_level(at(i)))) break;
        }
        v.level = level ? *level : bridge ? 1 : tunnel ? -1 : 0;
        return v;
    }

    std::vector<std::size_t> class_fields, name_fields, level_fields, bridge_fields, tunnel_fields;
    bool walk_unknown, exclude_tunnels, ferries_cross;
    std::vector<std::string> name_parts;
    std::set<std::string> pedestrian, walk, excluded, ferry;
};

double length_m(const std::vector<XY>& line) {
    double sum = 0;
    for (std::size_t i = 1; i < line.size(); ++i)
        sum += std::hypot(line[i].x - line[i - 1].x, line[i].y - line[i - 1].y);
    return sum;
}

}  // namespace

bool attribute_says_yes(const Value& v) {
    if (const auto i = value_int(v); i && std::holds_alternative<std::int64_t>(v)) return *i != 0;
    const auto text = normalise_key(value_text(v));
    static const std::set<std::string> k_no = {"",  "no", "false",           "0", "否", "无",
                                               "n", "f",  "building_passage"};
    return !k_no.contains(text);
}

Walkability default_walkability() {
    Walkability w;
    w.description =
        "Which road lines a pedestrian walks, for walking distances and isochrones. A line is left "
        "out when any of its class values is excluded; otherwise a line of a pedestrian class is "
        "walked, and any other line is walked unless its name holds an excluded part or a tunnel "
        "field says yes. Ferries are left out unless ferry_minutes makes them timed crossings. "
        "Lines on different levels (layer, or bridge +1 / tunnel -1) cross without a junction; "
        "their end points still join.";
    w.class_fields = {"type",  "kind",     "kind_detail", "highway", "railway",
                      "route", "man_made", "道路类型",    "道路等级"};
    w.name_fields = {"name", "名称", "道路名称", "路名"};
    w.pedestrian_classes = {"path",   "footway", "pedestrian", "steps",    "pier",     "corridor",
                            "步行道", "人行道",  "步行街",     "人行天桥", "人行地道", "梯道",
                            "台阶",   "游步道",  "栈道",       "码头",     "广场"};
    w.walk_classes = {"major_road",     "minor_road", "primary",       "primary_link", "secondary",
                      "secondary_link", "tertiary",   "tertiary_link", "residential",  "service",
                      "unclassified",   "road",       "living_street", "track",        "bridleway",
                      "cycleway",       "主干路",     "次干路",        "支路",         "街巷",
                      "小区路",         "城市道路",   "一般道路",      "胡同",         "弄堂",
                      "非机动车道"};
    w.excluded_classes = {"rail",       "subway",     "light_rail", "narrow_gauge", "monorail",
                          "funicular",  "tram",       "railway",    "motorway",     "motorway_link",
                          "trunk",      "trunk_link", "aerialway",  "construction", "proposed",
                          "abandoned",  "raceway",    "busway",     "铁路",         "地铁",
                          "轻轨",       "有轨电车",   "轨道交通",   "磁悬浮",       "索道",
                          "缆车",       "高速公路",   "快速路",     "城市快速路",   "匝道"};
    w.ferry_classes = {"ferry", "轮渡", "渡口", "航线"};
    w.excluded_name_parts = {"隧道", "地道", "下立交", "高架", "快速路", "高速公路", "轨道交通"};
    w.level_fields = {"layer", "level", "层", "层级", "所在层"};
    w.bridge_fields = {"bridge", "桥梁", "是否桥梁"};
    w.tunnel_fields = {"tunnel", "隧道", "是否隧道"};
    return w;
}

Walkability load_walkability(const std::string& json_text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::parse_error& e) {
        bad_config(std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) bad_config("the file must hold a JSON object");
    Walkability w = default_walkability();
    const std::vector<std::pair<std::string, std::vector<std::string>*>> lists = {
        {"class_fields", &w.class_fields},
        {"name_fields", &w.name_fields},
        {"pedestrian_classes", &w.pedestrian_classes},
        {"walk_classes", &w.walk_classes},
        {"excluded_classes", &w.excluded_classes},
        {"ferry_classes", &w.ferry_classes},
        {"excluded_name_parts", &w.excluded_name_parts},
        {"level_fields", &w.level_fields},
        {"bridge_fields", &w.bridge_fields},
        {"tunnel_fields", &w.tunnel_fields},
    };
    for (const auto& [key, value] : doc.items()) {
        if (key == "description") {
            if (!value.is_string()) bad_config("\"description\" must be a string");
            w.description = value.get<std::string>();
            continue;
        }
        if (key == "walk_unknown_classes") {
            w.walk_unknown_classes = bool_at(doc, key);
            continue;
        }
        if (key == "exclude_road_tunnels") {
            w.exclude_road_tunnels = bool_at(doc, key);
            continue;
        }
        if (key == "ferry_minutes") {
            if (value.is_null()) {
                w.ferry_minutes.reset();
            } else if (value.is_number()) {
                w.ferry_minutes = value.get<double>();
            } else {
                bad_config("\"ferry_minutes\" must be null or a number of minutes");
            }
            continue;
        }
        if (key == "ferry_boarding_m") {
            if (!value.is_number()) bad_config("\"ferry_boarding_m\" must be a number of metres");
            w.ferry_boarding_m = value.get<double>();
            continue;
        }
        const auto it =
            std::find_if(lists.begin(), lists.end(), [&name = key](const auto& l) { return l.first == name; });
        if (it == lists.end()) {
            std::string known =
                "description, walk_unknown_classes, exclude_road_tunnels, ferry_minutes, ferry_boarding_m";
            for (const auto& l : lists) known += ", " + l.first;
            bad_config("unknown key \"" + key + "\" (known: " + known + ")");
        }
        *it->second = strings_at(doc, key);
    }
    validate(w);
    return w;
}

RoadVerdict judge_road(const Walkability& table, const LayerInfo& layer, const Feature& f) {
    return Judge(table, layer)(f);
}

WalkableRoads read_walkable_roads(store::Store& store, const LocalFrame& frame,
                                  const Walkability& table) {
    validate(table);
    WalkableRoads out;
    const auto layer = store.layer("roads");
    if (!layer) return out;
    const Judge judge(table, *layer);
    std::vector<std::vector<XY>> ferry_lines;
    store.read_features("roads", {}, [&](const Feature& f) {
        ++out.features;
        const RoadVerdict v = judge(f);
        auto parts = frame.lines_to_metres(f.wkb);
        if (!v.walkable) {
            ++out.excluded;
            ++out.excluded_by_reason[v.reason];
            for (const auto& p : parts) out.excluded_km += length_m(p) / 1000;
            return true;
        }
        if (v.ferry) {
            ++out.ferries;
            for (auto& p : parts) ferry_lines.push_back(std::move(p));
            return true;
        }
        if (v.level != 0) ++out.off_ground;
        for (auto& p : parts) {
            out.lines.push_back(std::move(p));
            out.levels.push_back(v.level);
        }
        return true;
    });
    out.crossing_minutes.assign(out.lines.size(), 0.0);
    if (ferry_lines.empty()) return out;

    // Ferry ends to the pier: every walked segment within the boarding distance of an end is
    // listed in the grid cell holding that end.
    struct SegAt {
        std::uint32_t line, index;
    };
    std::vector<SegAt> segs;
    std::vector<detail::Box> boxes;
    const double reach = table.ferry_boarding_m;
    for (std::uint32_t l = 0; l < out.lines.size(); ++l) {
        for (std::uint32_t k = 0; k + 1 < out.lines[l].size(); ++k) {
            const XY a = out.lines[l][k], b = out.lines[l][k + 1];
            segs.push_back({l, k});
            boxes.push_back({std::min(a.x, b.x) - reach, std::min(a.y, b.y) - reach, std::max(a.x, b.x) + reach,
                             std::max(a.y, b.y) + reach});
        }
    }
    const detail::SegmentGrid grid = detail::SegmentGrid::build(boxes);
    const auto nearest_walked = [&](XY p) -> std::optional<XY> {
        std::optional<XY> best;
        double best_d = reach;
        if (segs.empty()) return best;
        for (const std::uint32_t i : grid.cell(grid.cell_of(p.x, p.y))) {
            const XY a = out.lines[segs[i].line][segs[i].index], b = out.lines[segs[i].line][segs[i].index + 1];
            const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
            const double t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
            const XY q{a.x + dx * t, a.y + dy * t};
            const double d = std::hypot(p.x - q.x, p.y - q.y);
            if (d <= best_d) {
                best_d = d;
                best = q;
            }
        }
        return best;
    };
    for (auto& line : ferry_lines) {
        if (line.size() < 2) continue;
        const auto to_start = nearest_walked(line.front());
        const auto to_end = nearest_walked(line.back());
        out.ferry_ends_unconnected += (to_start ? 0 : 1) + (to_end ? 0 : 1);
        if (to_start) line.insert(line.begin(), *to_start);
        if (to_end) line.push_back(*to_end);
        out.lines.push_back(std::move(line));
        out.levels.push_back(0);
        out.crossing_minutes.push_back(*table.ferry_minutes);
    }
    return out;
}

std::vector<double> crossing_costs_m(const WalkableRoads& roads, double speed_m_per_min) {
    std::vector<double> costs(roads.crossing_minutes.size());
    for (std::size_t i = 0; i < costs.size(); ++i) costs[i] = roads.crossing_minutes[i] * speed_m_per_min;
    return costs;
}

std::string walkable_roads_note(const WalkableRoads& roads, const Walkability& table) {
    const auto count = [](std::size_t n) { return std::to_string(n); };
    std::string note = "walked " + count(roads.features - roads.excluded) + " of " + count(roads.features) +
                       " road features";
    if (roads.off_ground > 0) note += " (" + count(roads.off_ground) + " off the ground: no junction where they pass over or under)";
    if (roads.excluded > 0) {
        char km[32];
        std::snprintf(km, sizeof km, "%.1f", roads.excluded_km);
        note += "; left out " + count(roads.excluded) + " (" + km + " km):";
        // Most common reason first.
        std::vector<std::pair<std::string, std::size_t>> reasons(roads.excluded_by_reason.begin(),
                                                                 roads.excluded_by_reason.end());
        std::stable_sort(reasons.begin(), reasons.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        for (std::size_t i = 0; i < reasons.size(); ++i) {
            note += (i ? ", " : " ") + reasons[i].first + " " + count(reasons[i].second);
        }
    }
    if (roads.ferries > 0) {
        char minutes[32];
        std::snprintf(minutes, sizeof minutes, "%g", table.ferry_minutes.value_or(0));
        note += "; " + count(roads.ferries) + " ferries as " + minutes + "-minute crossings";
        if (roads.ferry_ends_unconnected > 0) {
            note += " (" + count(roads.ferry_ends_unconnected) + " ends with no walked line within " +
                    std::to_string(static_cast<long>(table.ferry_boarding_m)) + " m)";
        }
    }
    return note;
}

}  // namespace geo::analysis
