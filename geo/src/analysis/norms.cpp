#include "geo/analysis/norms.hpp"

#include <algorithm>
#include <atomic>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <geodesic.h>

#include "analysis/text.hpp"
#include "capi/geos.hpp"
#include "geo/error.hpp"
#include "geo/io/csv.hpp"
#include "geo/io/export.hpp"

namespace geo::analysis {

namespace {

// ---- configuration ------------------------------------------------------------------------

[[noreturn]] void bad_config(const std::string& message) {
    throw Error(Errc::invalid_argument, "norms config: " + message);
}

void reject_unknown_keys(const nlohmann::json& object, const std::string& where,
                         std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : object.items()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        bad_config("unknown key \"" + where + key + "\" (known here: " + list + ")");
    }
}

const nlohmann::json& object_at(const nlohmann::json& parent, const std::string& key, const std::string& path) {
    const auto& v = parent.at(key);
    if (!v.is_object()) bad_config("\"" + path + "\" must be an object");
    return v;
}

std::int64_t households_at(const nlohmann::json& parent, const std::string& key, const std::string& path) {
    const auto& v = parent.at(key);
    if (!v.is_number_integer()) bad_config("\"" + path + "\" must be a whole number of households");
    const auto n = v.get<std::int64_t>();
    if (n < 0) bad_config("\"" + path + "\" must not be negative");
    return n;
}

// A non-negative number in `unit` ("m²", "m").
double measure_at(const nlohmann::json& parent, const std::string& key, const std::string& path, std::string_view unit) {
    const auto& v = parent.at(key);
    const std::string want = "\"" + path + "\" must be a number ≥ 0 (" + std::string(unit) + ")";
    if (!v.is_number()) bad_config(want);
    const auto a = v.get<double>();
    if (!std::isfinite(a) || a < 0) bad_config(want);
    return a;
}

std::string text_at(const nlohmann::json& parent, const std::string& key, const std::string& path) {
    const auto& v = parent.at(key);
    if (!v.is_string()) bad_config("\"" + path + "\" must be a string");
    return v.get<std::string>();
}

void read_range(const nlohmann::json& grid, const std::string& key, std::int64_t& min, std::int64_t& max,
                std::string& source) {
    if (!grid.contains(key)) return;
    const std::string path = "grid." + key;
    const auto& range = object_at(grid, key, path);
    reject_unknown_keys(range, path + ".", {"min", "max", "source"});
    if (range.contains("min")) min = households_at(range, "min", path + ".min");
    if (range.contains("max")) max = households_at(range, "max", path + ".max");
    if (range.contains("source")) source = text_at(range, "source", path + ".source");
}

// Station types compare as detail::normalise_key says: without surrounding white space and
// without ASCII case.
std::string normalise_type(std::string_view s) { return detail::normalise_key(s); }

void validate(const NormsConfig& c) {
    if (c.cell_min_households < 0 || c.cell_max_households < c.cell_min_households) {
        bad_config("grid.cell_households needs 0 ≤ min ≤ max (got " + std::to_string(c.cell_min_households) +
                   "–" + std::to_string(c.cell_max_households) + ")");
    }
    if (c.community_min_households < 0 || c.community_max_households < c.community_min_households) {
        bad_config("grid.community_households needs 0 ≤ min ≤ max (got " +
                   std::to_string(c.community_min_households) + "–" + std::to_string(c.community_max_households) + ")");
    }
    if (!std::isfinite(c.min_defect_area_m2) || c.min_defect_area_m2 < 0) {
        bad_config("grid.min_defect_area_m2 must be a finite area ≥ 0");
    }
    if (!std::isfinite(c.min_defect_width_m) || c.min_defect_width_m < 0) {
        bad_config("grid.min_defect_width_m must be a finite width ≥ 0");
    }
    std::set<std::string> ids;
    std::map<std::string, std::string> owner;  // normalised type → standard id
    for (const auto& s : c.standards) {
        if (s.id.empty()) bad_config("every standard needs an \"id\"");
        if (!ids.insert(s.id).second) bad_config("standard id \"" + s.id + "\" appears twice");
        if (!std::isfinite(s.min_floor_area_m2) || s.min_floor_area_m2 <= 0) {
            bad_config("standards." + s.id + ".min_floor_area_m2 must be a positive area");
        }
        if (s.types.empty()) bad_config("standards." + s.id + ".types must list at least one type");
        for (const auto& t : s.types) {
            const auto key = normalise_type(t);
            if (key.empty()) bad_config("standards." + s.id + ".types holds an empty type");
            const auto [it, fresh] = owner.emplace(key, s.id);
            if (!fresh && it->second != s.id) {
                bad_config("type \"" + t + "\" is listed under both \"" + it->second + "\" and \"" + s.id + "\"");
            }
        }
    }
}

// ---- values -------------------------------------------------------------------------------

// Numbers may arrive as text when GDAL typed an all-null column as String (the demo stations).
std::optional<double> number_of(const Value& v) {
    if (const auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? std::optional(*d) : std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* s = std::get_if<std::string>(&v)) {
        std::string_view t = *s;
        while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
        double x = 0;
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
        if (ec == std::errc() && end == t.data() + t.size() && !t.empty() && std::isfinite(x)) return x;
    }
    return std::nullopt;
}

std::optional<std::int64_t> integer_of(const Value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (const auto n = number_of(v)) return static_cast<std::int64_t>(std::llround(*n));
    return std::nullopt;
}

// Column index of `name` in the layer, or −1.
int field_index(const LayerInfo& info, std::string_view name) {
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
        if (info.fields[i].name == name) return static_cast<int>(i);
    }
    return -1;
}

const Value& value_at(const Feature& f, int index) {
    static const Value k_null;
    if (index < 0 || static_cast<std::size_t>(index) >= f.values.size()) return k_null;
    return f.values[static_cast<std::size_t>(index)];
}

// ---- geometry -----------------------------------------------------------------------------

const geod_geodesic& wgs84() {
    static const geod_geodesic g = [] {
        geod_geodesic e{};
        geod_init(&e, 6378137.0, 1 / 298.257223563);
        return e;
    }();
    return g;
}

struct Measure {
    double area_m2 = 0, perimeter_m = 0;
    /// Mean width of a strip-like shape: a strip of length L and width w has A = L·w, P ≈ 2L.
    double mean_width_m() const { return perimeter_m > 0 ? 2 * area_m2 / perimeter_m : 0; }
};

// Geodesic area and length of a ring on the WGS 84 ellipsoid: exact whatever the extent, with
// no local projection to choose.
Measure ring_measure(GEOSContextHandle_t ctx, const GEOSGeometry* ring) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n) || n < 4) return {};
    geod_polygon poly;
    geod_polygon_init(&poly, 0);
    for (unsigned int i = 0; i + 1 < n; ++i) {  // the closing vertex repeats the first
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(ctx, seq, i, &x, &y);
        geod_polygon_addpoint(&wgs84(), &poly, y, x);
    }
    Measure m;
    geod_polygon_compute(&wgs84(), &poly, 0, 1, &m.area_m2, &m.perimeter_m);
    m.area_m2 = std::abs(m.area_m2);
    return m;
}

Measure measure(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
    Measure m;
    switch (GEOSGeomTypeId_r(ctx, g)) {
        case GEOS_POLYGON: {
            m = ring_measure(ctx, GEOSGetExteriorRing_r(ctx, g));
            const int holes = GEOSGetNumInteriorRings_r(ctx, g);
            for (int i = 0; i < holes; ++i) {
                const auto h = ring_measure(ctx, GEOSGetInteriorRingN_r(ctx, g, i));
                m.area_m2 -= h.area_m2;
                m.perimeter_m += h.perimeter_m;
            }
            m.area_m2 = std::max(m.area_m2, 0.0);
            break;
        }
        case GEOS_MULTIPOLYGON:
        case GEOS_GEOMETRYCOLLECTION: {
            const int n = GEOSGetNumGeometries_r(ctx, g);
            for (int i = 0; i < n; ++i) {
                const auto part = measure(ctx, GEOSGetGeometryN_r(ctx, g, i));
                m.area_m2 += part.area_m2;
                m.perimeter_m += part.perimeter_m;
            }
            break;
        }
        default: break;
    }
    return m;
}

// Whether an overlap or gap is big enough to report: slivers from coordinate rounding or
// reprojection can be long (hundreds of metres along a shared edge) and so pass an area
// threshold while being millimetres wide.
struct DefectThreshold {
    double min_area_m2, min_width_m;
    bool reported(const Measure& m) const { return m.area_m2 >= min_area_m2 && m.mean_width_m() >= min_width_m; }
};

// Clones of the polygons inside `g` (an overlay result may mix in lines and points where
// cells only touch).
void collect_polygons(GEOSContextHandle_t ctx, const GEOSGeometry* g, std::vector<GEOSGeometry*>& out) {
    const int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_POLYGON) {
        if (!GEOSisEmpty_r(ctx, g)) out.push_back(GEOSGeom_clone_r(ctx, g));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; ++i) collect_polygons(ctx, GEOSGetGeometryN_r(ctx, g, i), out);
    }
}

capi::GeosGeom polygonal_part(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
    std::vector<GEOSGeometry*> parts;
    collect_polygons(ctx, g, parts);
    if (parts.empty()) return {};
    if (parts.size() == 1) return capi::GeosGeom(ctx, parts[0]);
    return capi::GeosGeom(ctx, GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts.data(),
                                                         static_cast<unsigned int>(parts.size())));
}

class StrTree {
public:
    explicit StrTree(GEOSContextHandle_t ctx) : m_ctx(ctx), m_tree(GEOSSTRtree_create_r(ctx, 10)) {
        if (!m_tree) throw Error(Errc::internal, "cannot create a GEOS STRtree");
    }
    ~StrTree() { GEOSSTRtree_destroy_r(m_ctx, m_tree); }
    StrTree(const StrTree&) = delete;
    StrTree& operator=(const StrTree&) = delete;

    /// `g` must outlive the tree: GEOS keeps a pointer to its envelope.
    void insert(const GEOSGeometry* g, std::size_t index) {
        GEOSSTRtree_insert_r(m_ctx, m_tree, g, reinterpret_cast<void*>(static_cast<std::uintptr_t>(index)));
    }
    /// Indexes of the items whose envelope meets `g`'s, sorted.
    std::vector<std::size_t> query(const GEOSGeometry* g) {
        std::vector<std::size_t> hits;
        GEOSSTRtree_query_r(
            m_ctx, m_tree, g,
            [](void* item, void* user) {
                static_cast<std::vector<std::size_t>*>(user)->push_back(
                    static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(item)));
            },
            &hits);
        std::sort(hits.begin(), hits.end());
        return hits;
    }

private:
    GEOSContextHandle_t m_ctx;
    GEOSSTRtree* m_tree;
};

struct Cell {
    std::int64_t fid = 0;
    std::string code, name, community, street;
    std::optional<std::int64_t> households, population;
    std::vector<unsigned char> wkb;
    std::size_t group = 0;  // index into the communities
};

struct Community {
    std::string street, name;
    std::int64_t cells = 0, households = 0;
};

std::string community_label(const Community& c) {
    if (c.name.empty()) return c.street.empty() ? "(no community)" : c.street + "/(no community)";
    return c.street.empty() ? c.name : c.street + "/" + c.name;
}

class StageProgress {
public:
    explicit StageProgress(const std::function<void(double, std::string_view)>& f) : m_f(f) {}
    void operator()(double fraction, std::string_view stage) const {
        if (m_f) m_f(std::clamp(fraction, 0.0, 1.0), stage);
    }

private:
    const std::function<void(double, std::string_view)>& m_f;
};

// Stage weights measured on the 4,143-cell synthetic city: the topology is nearly all of it.
constexpr double k_read_end = 0.05, k_topology_end = 0.97;

// ---- the checks ---------------------------------------------------------------------------

void check_cells(store::Store& store, const NormsConfig& config, NormsReport& report, std::vector<Cell>& cells,
                 std::vector<Community>& communities, const StageProgress& progress) {
    const auto info = store.layer("grid_cells");
    if (!info) {
        report.notes.push_back("no grid_cells layer: the cell, community and topology checks were skipped");
        return;
    }
    const int i_code = field_index(*info, "code"), i_name = field_index(*info, "name");
    const int i_community = field_index(*info, "community"), i_street = field_index(*info, "street");
    const int i_households = field_index(*info, "households"), i_population = field_index(*info, "population");
    if (i_households < 0) report.notes.push_back("grid_cells has no households field: cell and community sizes were not checked");
    if (i_community < 0) report.notes.push_back("grid_cells has no community field: all cells form one group for the gap check");

    std::map<std::pair<std::string, std::string>, std::size_t> group_of;
    const double total = std::max<std::int64_t>(info->feature_count, 1);
    store.read_features("grid_cells", store::FeatureQuery{}, [&](const Feature& f) {
        Cell c;
        c.fid = f.fid;
        c.code = value_text(value_at(f, i_code));
        c.name = value_text(value_at(f, i_name));
        c.community = value_text(value_at(f, i_community));
        c.street = value_text(value_at(f, i_street));
        c.households = integer_of(value_at(f, i_households));
        c.population = integer_of(value_at(f, i_population));
        c.wkb = f.wkb;
        const auto [it, fresh] = group_of.emplace(std::pair(c.street, c.community), communities.size());
        if (fresh) communities.push_back({c.street, c.community, 0, 0});
        c.group = it->second;
        cells.push_back(std::move(c));
        if (cells.size() % 512 == 0) progress(k_read_end * static_cast<double>(cells.size()) / total, "reading cells");
        return true;
    });

    for (const auto& c : cells) {
        auto& group = communities[c.group];
        ++group.cells;
        if (c.community.empty()) ++report.totals.cells_without_community;
        if (!c.households) {
            ++report.totals.cells_without_households;
            continue;
        }
        ++report.totals.cells_checked;
        group.households += *c.households;
        const bool below = *c.households < config.cell_min_households;
        const bool above = *c.households > config.cell_max_households;
        if (!below && !above) continue;
        report.cells.push_back({c.fid, c.code, c.name, c.community, c.street, *c.households, c.population,
                                below ? "below" : "above", c.wkb});
    }
    if (report.totals.cells_without_community > 0) {
        report.notes.push_back(std::to_string(report.totals.cells_without_community) +
                               " cells have no community value; they are grouped under community \"\" for the gap "
                               "check and their households are not checked against the community range");
    }
    if (i_households >= 0 && report.totals.cells_without_households > 0) {
        report.notes.push_back(std::to_string(report.totals.cells_without_households) +
                               " cells have no households value: left out of the cell check and the community sums");
    }

    if (i_households >= 0) {
        for (const auto& g : communities) {
            if (g.name.empty()) continue;
            ++report.totals.communities_checked;
            const bool below = g.households < config.community_min_households;
            const bool above = g.households > config.community_max_households;
            if (below || above) report.communities.push_back({g.name, g.street, g.cells, g.households, below ? "below" : "above"});
        }
    }
    std::sort(report.communities.begin(), report.communities.end(), [](const auto& a, const auto& b) {
        return std::tie(a.street, a.name) < std::tie(b.street, b.name);
    });
}

// The cells' polygons in one GEOS context with an STRtree over them. Each thread of the
// topology check builds its own from the WKB: GEOS geometries never cross threads.
struct CellShapes {
    explicit CellShapes(const std::vector<Cell>& cells) : tree(ctx.get()) {
        const auto h = ctx.get();
        geom.resize(cells.size());
        prepared.resize(cells.size());
        for (std::size_t i = 0; i < cells.size(); ++i) {
            auto g = capi::geos_from_wkb(ctx, cells[i].wkb);
            if (!g) {
                ++unreadable;
                continue;
            }
            // An invalid ring (a bow-tie, a self-touching edge) makes GEOS's overlay throw; the
            // repaired polygon covers the same ground, which is what the check is about.
            if (GEOSisValid_r(h, g.get()) != 1) {
                ++invalid;
                capi::GeosGeom fixed(h, GEOSMakeValid_r(h, g.get()));
                g = fixed ? polygonal_part(h, fixed.get()) : capi::GeosGeom{};
                if (!g) {
                    ++unreadable;
                    continue;
                }
            }
            geom[i] = std::move(g);
            prepared[i].emplace(h, GEOSPrepare_r(h, geom[i].get()));
            tree.insert(geom[i].get(), i);
        }
    }

    capi::GeosContext ctx;  // first: destroyed after everything made in it
    std::vector<capi::GeosGeom> geom;
    std::vector<std::optional<capi::GeosPrepared>> prepared;
    StrTree tree;
    std::int64_t invalid = 0, unreadable = 0;
};

struct OverlapResult {
    std::vector<Overlap> overlaps;
    std::int64_t failed = 0;
    std::string error;
};

// Every pair of cells whose boxes meet, tested exactly. Neighbours in a clean coverage share
// edges, so their intersection is a line with no area and is dropped.
OverlapResult find_overlaps(const std::vector<Cell>& cells, DefectThreshold threshold, std::atomic<std::size_t>& done) {
    CellShapes shapes(cells);
    const auto ctx = shapes.ctx.get();
    OverlapResult out;
    for (std::size_t i = 0; i < cells.size(); ++i, done.store(i, std::memory_order_relaxed)) {
        if (!shapes.geom[i]) continue;
        const GEOSGeometry* a = shapes.geom[i].get();
        for (const std::size_t j : shapes.tree.query(a)) {
            if (j <= i) continue;
            const GEOSGeometry* b = shapes.geom[j].get();
            if (GEOSPreparedIntersects_r(ctx, shapes.prepared[i]->get(), b) != 1) continue;
            capi::GeosGeom both(ctx, GEOSIntersection_r(ctx, a, b));
            if (!both) {
                ++out.failed;
                out.error = shapes.ctx.last_error();
                continue;
            }
            double planar = 0;
            if (GEOSArea_r(ctx, both.get(), &planar) != 1 || planar <= 0) continue;
            const auto m = measure(ctx, both.get());
            if (!threshold.reported(m)) continue;
            const auto poly = polygonal_part(ctx, both.get());
            out.overlaps.push_back({cells[i].fid, cells[j].fid, cells[i].code, cells[j].code, cells[i].community,
                                    cells[j].community, m.area_m2, m.mean_width_m(),
                                    poly ? capi::geos_to_wkb(shapes.ctx, poly.get()) : std::vector<unsigned char>{}});
        }
    }
    return out;
}

struct GapResult {
    std::vector<Gap> gaps;
    std::int64_t invalid = 0, unreadable = 0;
    std::string error;  // set when the union failed
};

// Holes in the union of all cells. A hole is "inside" the community whose cells are the only
// ones around it; a hole bordered by several communities is a gap between them. Unioning per
// community first keeps each cascaded union small. `step` is called after each community.
GapResult find_gaps(const std::vector<Cell>& cells, const std::vector<Community>& communities, DefectThreshold threshold,
                    const std::function<void(double)>& step) {
    CellShapes shapes(cells);
    const auto ctx = shapes.ctx.get();
    GapResult out;
    out.invalid = shapes.invalid;
    out.unreadable = shapes.unreadable;

    std::vector<std::vector<GEOSGeometry*>> members(communities.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (shapes.geom[i]) members[cells[i].group].push_back(GEOSGeom_clone_r(ctx, shapes.geom[i].get()));
    }
    std::vector<GEOSGeometry*> unions;
    for (std::size_t g = 0; g < members.size(); ++g) {
        auto& parts = members[g];
        if (parts.empty()) continue;
        // The collection takes the clones; the union is new.
        capi::GeosGeom collection(ctx, GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(),
                                                                   static_cast<unsigned int>(parts.size())));
        if (GEOSGeometry* u = GEOSUnaryUnion_r(ctx, collection.get())) unions.push_back(u);
        step(static_cast<double>(g + 1) / static_cast<double>(members.size()));
    }
    capi::GeosGeom all(ctx, GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, unions.data(),
                                                        static_cast<unsigned int>(unions.size())));
    capi::GeosGeom cover(ctx, all ? GEOSUnaryUnion_r(ctx, all.get()) : nullptr);
    if (!cover) {
        out.error = shapes.ctx.last_error();
        return out;
    }

    const int n = GEOSGetNumGeometries_r(ctx, cover.get());
    for (int i = 0; i < n; ++i) {
        const GEOSGeometry* p = GEOSGetGeometryN_r(ctx, cover.get(), i);
        if (GEOSGeomTypeId_r(ctx, p) != GEOS_POLYGON) continue;
        const int holes = GEOSGetNumInteriorRings_r(ctx, p);
        for (int h = 0; h < holes; ++h) {
            const GEOSGeometry* ring = GEOSGetInteriorRingN_r(ctx, p, h);
            const auto m = ring_measure(ctx, ring);
            if (!threshold.reported(m)) continue;
            capi::GeosGeom hole(ctx, GEOSGeom_createPolygon_r(ctx, GEOSGeom_clone_r(ctx, ring), nullptr, 0));
            if (!hole) continue;
            std::set<std::size_t> around;
            for (const std::size_t j : shapes.tree.query(hole.get())) {
                if (GEOSPreparedIntersects_r(ctx, shapes.prepared[j]->get(), hole.get()) == 1) around.insert(cells[j].group);
            }
            Gap gap;
            gap.area_m2 = m.area_m2;
            gap.mean_width_m = m.mean_width_m();
            gap.wkb = capi::geos_to_wkb(shapes.ctx, hole.get());
            if (around.size() == 1) {
                const auto& g = communities[*around.begin()];
                gap.community = g.name;
                gap.street = g.street;
            } else {
                gap.between_communities = true;
                for (const auto g : around) gap.bordering.push_back(community_label(communities[g]));
                std::sort(gap.bordering.begin(), gap.bordering.end());
            }
            out.gaps.push_back(std::move(gap));
        }
    }
    std::sort(out.gaps.begin(), out.gaps.end(), [](const Gap& a, const Gap& b) {
        return std::tie(a.between_communities, a.street, a.community, b.area_m2) <
               std::tie(b.between_communities, b.street, b.community, a.area_m2);
    });
    return out;
}

// Overlaps and gaps are independent and each takes about half the time, so the overlaps run on
// a second thread while this one finds the gaps and reports progress for both.
void check_topology(const NormsConfig& config, NormsReport& report, const std::vector<Cell>& cells,
                    const std::vector<Community>& communities, const StageProgress& progress) {
    if (cells.empty()) return;
    const DefectThreshold threshold{config.min_defect_area_m2, config.min_defect_width_m};
    std::atomic<std::size_t> overlap_done{0};
    auto overlaps = std::async(std::launch::async, [&] {
        return find_overlaps(cells, threshold, overlap_done);
    });
    const auto report_progress = [&](double gap_fraction) {
        const double both = 0.5 * gap_fraction + 0.5 * static_cast<double>(overlap_done.load(std::memory_order_relaxed)) /
                                                     static_cast<double>(cells.size());
        progress(k_read_end + (k_topology_end - k_read_end) * both, "overlaps and gaps");
    };
    GapResult gaps = find_gaps(cells, communities, threshold, report_progress);
    OverlapResult found = overlaps.get();

    report.overlaps = std::move(found.overlaps);
    report.gaps = std::move(gaps.gaps);
    report.totals.cells_invalid = gaps.invalid;
    if (gaps.unreadable > 0) {
        report.notes.push_back(std::to_string(gaps.unreadable) + " cells have a geometry GEOS cannot read or repair: "
                               "left out of the overlap and gap checks");
    }
    if (gaps.invalid > 0) {
        report.notes.push_back(std::to_string(gaps.invalid) +
                               " cells have an invalid polygon; the topology check used the repaired shape "
                               "(GEOS MakeValid)");
    }
    if (found.failed > 0) {
        report.notes.push_back(std::to_string(found.failed) + " cell pairs could not be intersected (GEOS: " +
                               found.error + "); their overlap is unknown");
    }
    if (!gaps.error.empty()) {
        report.notes.push_back("the cells could not be unioned (GEOS: " + gaps.error + "): gaps were not checked");
    }
}

void check_stations(store::Store& store, const NormsConfig& config, NormsReport& report) {
    const auto info = store.layer("stations");
    if (!info) {
        report.notes.push_back("no stations layer: the floor-area checks were skipped");
        return;
    }
    const int i_name = field_index(*info, "name"), i_type = field_index(*info, "type");
    const int i_area = field_index(*info, "floor_area_m2");
    if (i_type < 0) report.notes.push_back("stations has no type field: no station can be matched to a standard");
    if (i_area < 0) report.notes.push_back("stations has no floor_area_m2 field: no floor area can be checked");

    std::unordered_map<std::string, const Standard*> by_type;
    for (const auto& s : config.standards) {
        for (const auto& t : s.types) by_type.emplace(normalise_type(t), &s);
    }
    store.read_features("stations", store::FeatureQuery{}, [&](const Feature& f) {
        const std::string name = value_text(value_at(f, i_name));
        const std::string type = value_text(value_at(f, i_type));
        const auto area = number_of(value_at(f, i_area));
        const auto key = normalise_type(type);
        const auto it = key.empty() ? by_type.end() : by_type.find(key);
        if (it == by_type.end()) {
            report.unchecked_stations.push_back({f.fid, name, type, area, "", key.empty() ? "no type" : "unknown type"});
            return true;
        }
        const Standard& s = *it->second;
        if (!area || *area <= 0) {
            report.unchecked_stations.push_back({f.fid, name, type, area, s.id, "no floor area"});
            return true;
        }
        ++report.totals.stations_checked;
        if (*area < s.min_floor_area_m2) {
            report.stations.push_back({f.fid, name, type, *area, s.id, s.min_floor_area_m2});
        } else {
            ++report.totals.stations_passed;
        }
        return true;
    });
}

// ---- output helpers -----------------------------------------------------------------------

// Dividing by a power of ten (rather than multiplying by 0.01) gives the double nearest to the
// decimal, so JSON shows 1.4 and not 1.4000000000000001.
double round_to(double x, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(x * scale) / scale;
}

// A GeoJSON geometry written by the project's WKB writer (7 decimals, like every export).
std::string geometry_text(const std::vector<unsigned char>& wkb) {
    static const LayerInfo k_no_fields;
    Feature f;
    f.wkb = wkb;
    std::string out;
    io::append_feature_geojson(out, k_no_fields, f, io::OutputCrs::crs84);
    return out;
}

nlohmann::json geometry_json(const std::vector<unsigned char>& wkb) {
    if (wkb.empty()) return nullptr;
    return nlohmann::json::parse(geometry_text(wkb)).at("geometry");
}

}  // namespace

// ---- public API ---------------------------------------------------------------------------

NormsConfig default_norms_config() {
    NormsConfig c;
    c.cell_households_source =
        "Local urban grid-management rules commonly set 300–500 households per grid cell (网格); a configurable "
        "norm, not a national standard.";
    c.community_households_source =
        "Seed plan: \"社区居委会规模控制在1000—3000户\" (a community residents' committee serves 1,000–3,000 "
        "households).";
    const auto source = [](std::string_view what) {
        return "Seed plans' facility floor-area minimums: " + std::string(what) + ".";
    };
    c.standards = {
        {"community_service_centre", "Community service centre", "社区服务中心", 150,
         {"community_service_centre", "community_service_station", "party_service_centre", "社区服务中心", "社区服务站",
          "社区综合服务中心", "社区综合服务站", "党群服务中心", "党群服务站", "社区党群服务中心", "便民服务中心",
          "便民服务站"},
         source("community service centre ≥ 150 m²"), ""},
        {"health_service_station", "Health service station", "卫生服务站", 150,
         {"health_station", "health_service_station", "community_health_station", "卫生服务站", "社区卫生服务站", "卫生站"},
         source("health service station ≥ 150 m²"), ""},
        {"police_room", "Police room", "警务室", 50,
         {"police_room", "community_police_room", "警务室", "社区警务室", "警务站"},
         source("police room ≥ 50 m²"), ""},
        {"elderly_activity_room", "Elderly activity room", "老年活动室", 200,
         {"elderly_activity_room", "elderly_service_station", "老年活动室", "老年人活动室", "养老服务站", "社区养老服务站"},
         source("elderly activity room ≥ 200 m²"),
         "Elderly service stations (养老服务站, elderly_service_station) are held to this standard: the seed plans "
         "give no separate figure for them, and they house the same activities."},
        {"multipurpose_activity_room", "Multi-purpose activity room", "多功能活动室", 200,
         {"multipurpose_activity_room", "multi_purpose_activity_room", "activity_room", "多功能活动室", "活动室",
          "综合活动室", "文化活动室"},
         source("multi-purpose activity room ≥ 200 m²"),
         "A plain activity room (活动室, activity_room — the demo district's libraries and arts centres) is held to "
         "this standard."},
        {"outdoor_activity_space", "Outdoor activity space", "室外活动场地", 1000,
         {"outdoor_space", "outdoor_activity_space", "室外活动场地", "室外活动场所"},
         source("outdoor activity space ≥ 1,000 m² (site area)"), ""},
    };
    return c;
}

NormsConfig load_norms_config(const std::string& json_text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::parse_error& e) {
        bad_config(std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) bad_config("the file must hold a JSON object");
    reject_unknown_keys(doc, "", {"description", "grid", "standards"});

    NormsConfig c = default_norms_config();
    if (doc.contains("grid")) {
        const auto& grid = object_at(doc, "grid", "grid");
        reject_unknown_keys(grid, "grid.", {"cell_households", "community_households", "min_defect_area_m2",
                                                  "min_defect_width_m"});
        read_range(grid, "cell_households", c.cell_min_households, c.cell_max_households, c.cell_households_source);
        read_range(grid, "community_households", c.community_min_households, c.community_max_households,
                   c.community_households_source);
        if (grid.contains("min_defect_area_m2")) c.min_defect_area_m2 = measure_at(grid, "min_defect_area_m2", "grid.min_defect_area_m2", "m²");
        if (grid.contains("min_defect_width_m")) c.min_defect_width_m = measure_at(grid, "min_defect_width_m", "grid.min_defect_width_m", "m");
    }
    if (doc.contains("standards")) {
        const auto& list = doc.at("standards");
        if (!list.is_array()) bad_config("\"standards\" must be a list");
        c.standards.clear();
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& item = list[i];
            std::string path = "standards[" + std::to_string(i) + "]";
            if (!item.is_object()) bad_config("\"" + path + "\" must be an object");
            reject_unknown_keys(item, path + ".", {"id", "title", "title_zh", "min_floor_area_m2", "types", "source", "note"});
            for (const char* required : {"id", "min_floor_area_m2", "types"}) {
                if (!item.contains(required)) bad_config("\"" + path + "\" needs \"" + required + "\"");
            }
            Standard s;
            s.id = text_at(item, "id", path + ".id");
            path = "standards." + s.id;
            s.title = item.contains("title") ? text_at(item, "title", path + ".title") : s.id;
            s.title_zh = item.contains("title_zh") ? text_at(item, "title_zh", path + ".title_zh") : s.title;
            s.min_floor_area_m2 = measure_at(item, "min_floor_area_m2", path + ".min_floor_area_m2", "m²");
            const auto& types = item.at("types");
            if (!types.is_array()) bad_config("\"" + path + ".types\" must be a list of type names");
            for (const auto& t : types) {
                if (!t.is_string()) bad_config("\"" + path + ".types\" must hold only strings");
                s.types.push_back(t.get<std::string>());
            }
            if (item.contains("source")) s.source = text_at(item, "source", path + ".source");
            if (item.contains("note")) s.note = text_at(item, "note", path + ".note");
            c.standards.push_back(std::move(s));
        }
    }
    validate(c);
    return c;
}

NormsReport check_norms(store::Store& store, const NormsConfig& config,
                        const std::function<void(double fraction, std::string_view stage)>& progress_fn) {
    validate(config);
    const auto start = std::chrono::steady_clock::now();
    const StageProgress progress(progress_fn);
    NormsReport report;
    report.config = config;

    progress(0, "reading cells");
    std::vector<Cell> cells;
    std::vector<Community> communities;
    check_cells(store, config, report, cells, communities, progress);
    progress(k_read_end, "overlaps and gaps");
    check_topology(config, report, cells, communities, progress);
    progress(k_topology_end, "stations");
    check_stations(store, config, report);

    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress(1, "done");
    return report;
}

nlohmann::json to_json(const NormsReport& r) {
    using nlohmann::json;
    const auto& c = r.config;
    json standards = json::array();
    for (const auto& s : c.standards) {
        json item = {{"id", s.id}, {"title", s.title}, {"title_zh", s.title_zh},
                     {"min_floor_area_m2", s.min_floor_area_m2}, {"types", s.types}};
        if (!s.source.empty()) item["source"] = s.source;
        if (!s.note.empty()) item["note"] = s.note;
        standards.push_back(std::move(item));
    }
    json out;
    out["norms"] = {
        {"cell_households", {{"min", c.cell_min_households}, {"max", c.cell_max_households}, {"source", c.cell_households_source}}},
        {"community_households",
         {{"min", c.community_min_households}, {"max", c.community_max_households}, {"source", c.community_households_source}}},
        {"min_defect_area_m2", c.min_defect_area_m2},
        {"min_defect_width_m", c.min_defect_width_m},
        {"standards", std::move(standards)},
    };
    const auto& t = r.totals;
    out["totals"] = {
        {"cells_checked", t.cells_checked},
        {"cells_without_households", t.cells_without_households},
        {"cells_without_community", t.cells_without_community},
        {"cells_invalid", t.cells_invalid},
        {"cells_out_of_range", r.cells.size()},
        {"communities_checked", t.communities_checked},
        {"communities_out_of_range", r.communities.size()},
        {"overlaps", r.overlaps.size()},
        {"gaps", r.gaps.size()},
        {"stations_checked", t.stations_checked},
        {"stations_passed", t.stations_passed},
        {"stations_below_standard", r.stations.size()},
        {"stations_unchecked", r.unchecked_stations.size()},
    };
    json cells = json::array();
    for (const auto& f : r.cells) {
        cells.push_back({{"fid", f.fid}, {"code", f.code}, {"name", f.name}, {"community", f.community},
                         {"street", f.street}, {"households", f.households},
                         {"population", f.population ? json(*f.population) : json(nullptr)}, {"status", f.status}});
    }
    out["cells"] = std::move(cells);
    json communities = json::array();
    for (const auto& f : r.communities) {
        communities.push_back({{"community", f.name}, {"street", f.street}, {"cells", f.cells},
                               {"households", f.households}, {"status", f.status}});
    }
    out["communities"] = std::move(communities);
    json overlaps = json::array();
    for (const auto& o : r.overlaps) {
        overlaps.push_back({{"fid_a", o.fid_a}, {"code_a", o.code_a}, {"community_a", o.community_a},
                            {"fid_b", o.fid_b}, {"code_b", o.code_b}, {"community_b", o.community_b},
                            {"area_m2", round_to(o.area_m2, 2)}, {"mean_width_m", round_to(o.mean_width_m, 3)}, {"geometry", geometry_json(o.wkb)}});
    }
    out["overlaps"] = std::move(overlaps);
    json gaps = json::array();
    for (const auto& g : r.gaps) {
        gaps.push_back({{"community", g.community}, {"street", g.street},
                        {"between_communities", g.between_communities}, {"bordering", g.bordering},
                        {"area_m2", round_to(g.area_m2, 2)}, {"mean_width_m", round_to(g.mean_width_m, 3)}, {"geometry", geometry_json(g.wkb)}});
    }
    out["gaps"] = std::move(gaps);
    json stations = json::array();
    for (const auto& s : r.stations) {
        stations.push_back({{"fid", s.fid}, {"name", s.name}, {"type", s.type}, {"floor_area_m2", s.floor_area_m2},
                            {"standard", s.standard_id}, {"min_floor_area_m2", s.min_floor_area_m2}});
    }
    out["stations"] = std::move(stations);
    json unchecked = json::array();
    for (const auto& s : r.unchecked_stations) {
        unchecked.push_back({{"fid", s.fid}, {"name", s.name}, {"type", s.type},
                             {"floor_area_m2", s.floor_area_m2 ? json(*s.floor_area_m2) : json(nullptr)},
                             {"standard", s.standard_id.empty() ? json(nullptr) : json(s.standard_id)},
                             {"reason", s.reason}});
    }
    out["unchecked_stations"] = std::move(unchecked);
    out["notes"] = r.notes;
    out["seconds"] = round_to(r.seconds, 3);
    return out;
}

std::string to_csv(const NormsReport& r) {
    // One wide table so that a planner can filter by kind in a spreadsheet; columns that do not
    // apply to a kind stay empty.
    static constexpr std::array<std::string_view, 18> k_columns = {
        "kind", "fid", "code", "name", "community", "street", "type", "households", "population", "floor_area_m2",
        "area_m2", "status", "standard", "minimum", "maximum", "other_fid", "other_code", "detail"};
    enum Col : std::size_t { kind, fid, code, name, community, street, type, households, population, floor_area_m2, area_m2,
               status, standard, minimum, maximum, other_fid, other_code, detail };
    using Row = std::array<Value, k_columns.size()>;
    io::CsvWriter csv;
    for (auto column : k_columns) csv.cell(column);
    csv.end_row();
    const auto emit = [&](const Row& row) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            // Defect areas are measured to 0.01 m²; the column keeps both decimals so that it lines up.
            if (i == area_m2 && std::holds_alternative<double>(row[i])) {
                csv.cell_fixed(std::get<double>(row[i]), 2);
            } else {
                csv.cell(row[i]);
            }
        }
        csv.end_row();
    };
    const auto& c = r.config;
    for (const auto& f : r.cells) {
        Row row;
        row[kind] = std::string("cell_households");
        row[fid] = f.fid;
        row[code] = f.code, row[name] = f.name, row[community] = f.community, row[street] = f.street;
        row[households] = f.households;
        if (f.population) row[population] = *f.population;
        row[status] = f.status;
        row[minimum] = c.cell_min_households;
        row[maximum] = c.cell_max_households;
        emit(row);
    }
    for (const auto& f : r.communities) {
        Row row;
        row[kind] = std::string("community_households");
        row[community] = f.name, row[street] = f.street;
        row[households] = f.households;
        row[status] = f.status;
        row[minimum] = c.community_min_households;
        row[maximum] = c.community_max_households;
        row[detail] = std::to_string(f.cells) + " cells";
        emit(row);
    }
    for (const auto& o : r.overlaps) {
        Row row;
        row[kind] = std::string("overlap");
        row[fid] = o.fid_a, row[code] = o.code_a, row[community] = o.community_a;
        row[other_fid] = o.fid_b, row[other_code] = o.code_b;
        row[area_m2] = o.area_m2;
        if (o.community_b != o.community_a) row[detail] = "other community: " + o.community_b;
        emit(row);
    }
    for (const auto& g : r.gaps) {
        Row row;
        row[kind] = std::string("gap");
        row[community] = g.community, row[street] = g.street;
        row[area_m2] = g.area_m2;
        if (g.between_communities) {
            row[status] = std::string("between_communities");
            std::string bordering;
            for (const auto& b : g.bordering) bordering += (bordering.empty() ? "" : "; ") + b;
            row[detail] = std::move(bordering);
        }
        emit(row);
    }
    for (const auto& s : r.stations) {
        Row row;
        row[kind] = std::string("station_floor_area");
        row[fid] = s.fid, row[name] = s.name, row[type] = s.type;
        row[floor_area_m2] = s.floor_area_m2;
        row[status] = std::string("below");
        row[standard] = s.standard_id;
        row[minimum] = s.min_floor_area_m2;
        emit(row);
    }
    for (const auto& s : r.unchecked_stations) {
        Row row;
        row[kind] = std::string("station_unchecked");
        row[fid] = s.fid, row[name] = s.name, row[type] = s.type;
        if (s.floor_area_m2) row[floor_area_m2] = *s.floor_area_m2;
        row[status] = std::string("unchecked");
        row[standard] = s.standard_id;
        row[detail] = s.reason;
        emit(row);
    }
    return csv.str();
}

std::string to_geojson(const NormsReport& r) {
    // The project's GeoJSON writer takes a layer schema and a feature; the findings are written
    // as features of a small ad-hoc layer so that text escaping and coordinates match every
    // other export.
    LayerInfo layer;
    for (const char* f : {"kind", "code", "name", "community", "street", "households", "status", "area_m2",
                          "other_code", "bordering"}) {
        layer.fields.push_back({f, FieldType::text, ""});
    }
    std::string out = "{\"type\":\"FeatureCollection\",\"features\":[";
    std::int64_t id = 0;
    const auto add = [&](std::vector<Value> values, const std::vector<unsigned char>& wkb) {
        Feature f;
        f.fid = ++id;
        f.values = std::move(values);
        f.wkb = wkb;
        if (id > 1) out += ",\n";
        io::append_feature_geojson(out, layer, f, io::OutputCrs::crs84);
    };
    const Value null;
    const auto area = [](double a) { return Value(round_to(a, 2)); };
    for (const auto& o : r.overlaps) {
        add({std::string("overlap"), o.code_a, null, o.community_a, null, null, null, area(o.area_m2), o.code_b, null},
            o.wkb);
    }
    for (const auto& g : r.gaps) {
        std::string bordering;
        for (const auto& b : g.bordering) bordering += (bordering.empty() ? "" : "; ") + b;
        add({std::string("gap"), null, null, g.community, g.street, null,
             g.between_communities ? Value(std::string("between_communities")) : null, area(g.area_m2), null,
             bordering.empty() ? null : Value(bordering)},
            g.wkb);
    }
    for (const auto& c : r.cells) {
        add({std::string("cell_households"), c.code, c.name, c.community, c.street, c.households, c.status, null, null,
             null},
            c.wkb);
    }
    out += "]}";
    return out;
}

}  // namespace geo::analysis
