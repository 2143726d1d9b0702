#pragma once

// Which road lines a pedestrian can walk, and on which level they lie: the table of
// config/walkability.json. Walking analyses build their network from the walkable lines only,
// and lines on different levels cross without a junction.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "geo/analysis/frame.hpp"
#include "geo/store/store.hpp"
#include "geo/types.hpp"

namespace geo::analysis {

/// The walkability table. Class values and field names compare without ASCII case and without
/// surrounding white space (ASCII and U+3000).
struct Walkability {
    /// Fields whose values name a line's class (`type` holds OSM kind/highway or a survey's
    /// 道路等级; `kind_detail`, `highway`, `railway`, `route` refine it). Every value of every
    /// field present is looked up.
    std::vector<std::string> class_fields;
    /// Fields holding a line's name, searched for `excluded_name_parts`.
    std::vector<std::string> name_fields;
    /// Classes of ways built for people on foot (footway, steps, 步行道 …): walked even when
    /// the name or a tunnel tag marks them as a tunnel or an elevated way (an underpass, a
    /// footbridge).
    std::vector<std::string> pedestrian_classes;
    /// Classes people walk along (streets with pavements, 主干路 … 街巷).
    std::vector<std::string> walk_classes;
    /// Classes nobody walks (rail of every kind, motorways and urban expressways). One
    /// excluded value excludes a line whatever its other values say.
    std::vector<std::string> excluded_classes;
    /// Classes of ferry lines (ferry, 轮渡 …): left out, unless ferry_minutes is set.
    std::vector<std::string> ferry_classes;
    /// When set, a ferry line is a timed crossing: the wait at the pier and the crossing cost
    /// this many minutes of walking, whatever its length; nobody snaps onto it, and it joins
    /// the network only at its ends. Unset (the default): ferries are left out.
    std::optional<double> ferry_minutes;
    /// Each end of a ferry line joins the nearest walked line within this distance (the pier
    /// or the quay; OSM ferry routes often stop short of both), in metres; that boarding walk
    /// is part of the crossing's minutes.
    double ferry_boarding_m = 50;
    /// Whether a line whose class values are all unknown (or absent) is walked.
    bool walk_unknown_classes = true;
    /// Parts of a name that exclude a line that is not of a pedestrian class (隧道, 高架, 快速路).
    std::vector<std::string> excluded_name_parts;
    /// Whether a non-pedestrian line in a tunnel (a tunnel field says yes) is excluded.
    bool exclude_road_tunnels = true;
    /// Fields giving a line's level as a whole number (OSM `layer`; survey 层, 层级, level).
    std::vector<std::string> level_fields;
    /// Fields saying yes/no to "bridge" (OSM `bridge`, survey 桥梁): level 1 when no level field
    /// has a value.
    std::vector<std::string> bridge_fields;
    /// Fields saying yes/no to "tunnel" (OSM `tunnel`, survey 隧道): level −1 when no level
    /// field has a value.
    std::vector<std::string> tunnel_fields;
    std::string description;
};

/// The defaults, the same lists as config/walkability.json.
Walkability default_walkability();

/// Reads a walkability file (the format of config/walkability.json). Keys left out keep their
/// defaults; a list given replaces the default list. Throws geo::Error (invalid_argument)
/// naming the key for malformed JSON, unknown keys, wrong types, and a class listed both as
/// excluded and as walkable.
Walkability load_walkability(const std::string& json_text);

/// What the table says of one line.
struct RoadVerdict {
    bool walkable = true;
    bool ferry = false;  ///< a timed crossing (only when the table sets ferry_minutes)
    int level = 0;  ///< 0 on the ground; lines on different levels cross without a junction
    std::string
        reason;  ///< why it is not walked: "class rail", "name 隧道", "tunnel"; "" when walked
};

/// Judges one feature of a layer described by `layer` (field values in `f.values`, in the
/// layer's field order).
RoadVerdict judge_road(const Walkability& table, const LayerInfo& layer, const Feature& f);

/// A yes/no attribute as a surveyor or OSM writes it: empty, "no", "false", "0", "否", "无",
/// "n", "f" mean no; any other text (yes, viaduct, 是, 1 …) means yes.
bool attribute_says_yes(const Value& v);

/// The walkable lines of the `roads` layer in metres of `frame`, each with its level.
struct WalkableRoads {
    std::vector<std::vector<XY>> lines;
    std::vector<int> levels;   ///< one per line
    /// One per line: 0 for a walked line, the table's ferry_minutes for a ferry crossing.
    std::vector<double> crossing_minutes;
    std::size_t features = 0;  ///< road features read
    std::size_t excluded = 0;  ///< features left out
    double excluded_km = 0;    ///< their length
    std::map<std::string, std::size_t> excluded_by_reason;
    std::size_t off_ground = 0;  ///< walkable features on a level other than 0
    std::size_t ferries = 0;     ///< ferry lines taken as timed crossings
    /// Ferry ends with no walked line within ferry_boarding_m: such a ferry leads nowhere.
    std::size_t ferry_ends_unconnected = 0;
};

/// Reads the `roads` layer through `table`, each ferry end (with ferry_minutes set) extended
/// straight to the nearest point of a walked line within ferry_boarding_m. Throws geo::Error
/// from the store.
WalkableRoads read_walkable_roads(store::Store& store, const LocalFrame& frame,
                                  const Walkability& table);

/// One line for a report's notes: how many road features were walked and left out, by reason,
/// how many lie off the ground, and the ferries.
std::string walkable_roads_note(const WalkableRoads& roads, const Walkability& table);

/// The crossing cost of each line for RoadNetwork::build_on_levels: a ferry's minutes at
/// `speed_m_per_min`, 0 for a walked line.
std::vector<double> crossing_costs_m(const WalkableRoads& roads, double speed_m_per_min);

}  // namespace geo::analysis
