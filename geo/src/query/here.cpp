#include "geo/query/here.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <numbers>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <geodesic.h>
#include <geos_c.h>

#include "capi/geos.hpp"
#include "geo/error.hpp"
#include "geo/analysis/walking.hpp"
#include "geo/query/cql2.hpp"
#include "geo/text/encoding.hpp"

namespace geo::query {

namespace {

constexpr double mean_radius_m = 6371008.8;
constexpr double deg = std::numbers::pi / 180.0;
constexpr double infinity = std::numeric_limits<double>::infinity();
// Walks longer than this are not worth a number in a point query: a 15-minute circle is 1 km.
constexpr double k_max_walk_m = 3000;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---- attributes by name -------------------------------------------------------------------

using Index = std::optional<std::size_t>;

Index field_index(const LayerInfo& info, std::string_view name) {
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
        if (info.fields[i].name == name) return i;
    }
    return std::nullopt;
}

const Value* value_at(const Feature& f, Index i) {
    if (!i || *i >= f.values.size()) return nullptr;
    return &f.values[*i];
}

std::string text_at(const Feature& f, Index i) {
    const Value* v = value_at(f, i);
    return v ? value_text(*v) : std::string();
}

std::optional<std::int64_t> int_at(const Feature& f, Index i) {
    const Value* v = value_at(f, i);
    return v ? value_int(*v) : std::nullopt;
}

std::optional<double> real_at(const Feature& f, Index i) {
    const Value* v = value_at(f, i);
    return v ? value_real(*v) : std::nullopt;
}

// ---- WKB coordinates ----------------------------------------------------------------------

// Walks every coordinate of a WKB geometry. The store promises 2D little-endian ISO WKB, but
// another backend may hand over big-endian or EWKB with Z/M, so those are read too.
class WkbPoints {
  public:
    explicit WkbPoints(std::span<const unsigned char> wkb) : m_data(wkb) {}

    /// Calls visit(x, y) for each non-empty coordinate; false when the WKB is malformed.
    template <class Visit>
    bool each(Visit&& visit) {
        m_pos = 0;
        return geometry(visit, 0) && m_pos == m_data.size();
    }

  private:
    static constexpr int max_depth = 32;

    // The caller has checked that sizeof(T) bytes remain.
    template <class T>
    T read(bool little) {
        unsigned char bytes[sizeof(T)];
        std::memcpy(bytes, m_data.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        if (little != (std::endian::native == std::endian::little)) {
            std::reverse(std::begin(bytes), std::end(bytes));
        }
        T out;
        std::memcpy(&out, bytes, sizeof(T));
        return out;
    }

    bool read_u32(bool little, std::uint32_t& out) {
        if (m_data.size() - m_pos < 4) return false;
        out = read<std::uint32_t>(little);
        return true;
    }

    template <class Visit>
    bool coords(bool little, std::uint32_t n, std::size_t dims, Visit& visit) {
        if (n > (m_data.size() - m_pos) / (8 * dims)) return false;
        for (std::uint32_t i = 0; i < n; ++i) {
            const double x = read<double>(little);
            const double y = read<double>(little);
            m_pos += 8 * (dims - 2);
            if (!std::isnan(x) && !std::isnan(y)) visit(x, y);
        }
        return true;
    }

    template <class Visit>
    bool geometry(Visit& visit, int depth) {
        if (depth > max_depth || m_pos >= m_data.size()) return false;
        const unsigned char order = m_data[m_pos++];
        if (order > 1) return false;
        const bool little = order == 1;
        std::uint32_t type = 0;
        if (!read_u32(little, type)) return false;
        bool z = (type & 0x80000000u) != 0;
        bool m = (type & 0x40000000u) != 0;
        if (type & 0x20000000u) {
            std::uint32_t srid = 0;
            if (!read_u32(little, srid)) return false;
        }
        type &= 0x0FFFFFFFu;
        switch (type / 1000) {
            case 0:
                break;
            case 1:
                z = true;
                break;
            case 2:
                m = true;
                break;
            case 3:
                z = m = true;
                break;
            default:
                return false;
        }
        const std::size_t dims = 2 + (z ? 1 : 0) + (m ? 1 : 0);
        std::uint32_t n = 0;
        switch (type % 1000) {
            case 1:
                return coords(little, 1, dims, visit);
            case 2:
                return read_u32(little, n) && coords(little, n, dims, visit);
            case 3: {
                if (!read_u32(little, n)) return false;
                for (std::uint32_t r = 0; r < n; ++r) {
                    std::uint32_t points = 0;
                    if (!read_u32(little, points) || !coords(little, points, dims, visit))
                        return false;
                }
                return true;
            }
            case 4:
            case 5:
            case 6:
            case 7: {
                if (!read_u32(little, n)) return false;
                for (std::uint32_t i = 0; i < n; ++i) {
                    if (!geometry(visit, depth + 1)) return false;
                }
                return true;
            }
            default:
                return false;
        }
    }

    std::span<const unsigned char> m_data;
    std::size_t m_pos = 0;
};

BBox wkb_bbox(std::span<const unsigned char> wkb) {
    BBox box;
    if (!WkbPoints(wkb).each([&](double x, double y) { box.extend(x, y); })) return BBox{};
    return box;
}

// ---- distances ----------------------------------------------------------------------------

const geod_geodesic& wgs84() {
    static const geod_geodesic g = [] {
        geod_geodesic e{};
        geod_init(&e, 6378137.0, 1 / 298.257223563);
        return e;
    }();
    return g;
}

double geodesic_m(double lon1, double lat1, double lon2, double lat2) {
    double s12 = 0;
    geod_inverse(&wgs84(), lat1, lon1, lat2, lon2, &s12, nullptr, nullptr);
    return s12;
}

// ---- what is here -------------------------------------------------------------------------

bool covers(const capi::GeosContext& ctx, const Feature& f, const GEOSGeometry* point,
            double* area) {
    const capi::GeosGeom g = capi::geos_from_wkb(ctx, f.wkb);
    // A geometry GEOS cannot read or test (2: exception) is left out rather than failing
    // the whole answer.
    if (!g || GEOSCovers_r(ctx.get(), g.get(), point) != 1) return false;
    if (area && GEOSArea_r(ctx.get(), g.get(), area) != 1) *area = infinity;
    return true;
}

store::FeatureQuery at_point(double lon, double lat) {
    store::FeatureQuery q;
    q.bbox = BBox{lon, lat, lon, lat};
    q.bbox_exact = false;
    return q;
}

}  // namespace

void withhold(HereCell& cell) {
    const auto policy = access::policy("grid_cells");
    std::pair<std::string_view, std::string*> texts[] = {{"code", &cell.code}, {"name", &cell.name}, {"community", &cell.community},
                                                         {"street", &cell.street}, {"worker", &cell.worker}};
    for (auto& [field, text] : texts) {
        if (!policy.is_public(field)) text->clear();
    }
    if (!policy.is_public("households")) cell.households.reset();
    if (!policy.is_public("population")) cell.population.reset();
    cell.detail = false;
}

namespace {

std::optional<HereCell> find_cell(store::Store& store, const LayerInfo& info,
                                  const capi::GeosContext& ctx, const GEOSGeometry* point,
                                  double lon, double lat) {
    const Index code = field_index(info, "code"), name = field_index(info, "name"),
                community = field_index(info, "community"), street = field_index(info, "street"),
                worker = field_index(info, "worker"), households = field_index(info, "households"),
                population = field_index(info, "population");
    std::optional<HereCell> cell;
    // Features come in fid order, so the first cell covering the point has the lowest fid.
    store.read_features(info.name, at_point(lon, lat), [&](const Feature& f) {
        if (!covers(ctx, f, point, nullptr)) return true;
        cell = HereCell{f.fid,
                        text_at(f, code),
                        text_at(f, name),
                        text_at(f, community),
                        text_at(f, street),
                        text_at(f, worker),
                        int_at(f, households),
                        int_at(f, population),
                        f.withheld.empty()};
        return false;
    });
    return cell;
}

std::vector<HereBuilding> find_buildings(store::Store& store, const LayerInfo& info,
                                         const capi::GeosContext& ctx, const GEOSGeometry* point,
                                         double lon, double lat) {
    const Index name = field_index(info, "name"), address = field_index(info, "address"),
                floors = field_index(info, "floors"), households = field_index(info, "households"),
                population = field_index(info, "population"), use = field_index(info, "use"),
                grid_code = field_index(info, "grid_code");
    std::vector<std::pair<double, HereBuilding>> found;
    store.read_features(info.name, at_point(lon, lat), [&](const Feature& f) {
        double area = 0;
        if (!covers(ctx, f, point, &area)) return true;
        found.emplace_back(
            area, HereBuilding{f.fid, text_at(f, name), text_at(f, address), int_at(f, floors),
                               int_at(f, households), int_at(f, population), text_at(f, use),
                               text_at(f, grid_code), f.withheld.empty()});
        return true;
    });
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first, a.second.fid) < std::tie(b.first, b.second.fid);
    });
    std::vector<HereBuilding> out;
    out.reserve(found.size());
    for (auto& [area, b] : found) out.push_back(std::move(b));
    return out;
}

// One step of the widening search: a box around the point and the distance within which the
// box is known to hold every station.
struct Ring {
    std::optional<BBox> box;  ///< nullopt: the whole layer
    double guaranteed_m = 0;
    bool whole = false;  ///< nothing lies outside it
};

Ring make_ring(double lon, double lat, double radius_m, const BBox& extent) {
    const Ring whole_layer{std::nullopt, infinity, true};
    const double dlat = radius_m / mean_radius_m;
    if (lat + dlat / deg >= 90 || lat - dlat / deg <= -90) return whole_layer;
    const double cos_lat = std::cos(lat * deg);
    const double dlon = dlat / cos_lat;
    if (!(dlon < std::numbers::pi / 2)) return whole_layer;
    const BBox box{lon - dlon / deg, lat - dlat / deg, lon + dlon / deg, lat + dlat / deg};
    // Rather than splitting a box at the antimeridian, read everything: no grid is that big.
    if (box.minx < -180 || box.maxx > 180) return whole_layer;
    if (box.minx <= extent.minx && box.miny <= extent.miny && box.maxx >= extent.maxx &&
        box.maxy >= extent.maxy) {
        return whole_layer;
    }
    // On the sphere, a point beyond a parallel of the box is at least dlat away, and one
    // beyond a meridian at least its distance to that meridian's great circle,
    // asin(sin dlon · cos lat). Geodesics on WGS84 are at most 0.56 % shorter than on the
    // mean-radius sphere (meridian radius of curvature at the equator), so a 1 % margin keeps
    // the bound a true lower bound.
    const double bound = std::min(dlat, std::asin(std::sin(dlon) * cos_lat));
    return Ring{box, 0.99 * mean_radius_m * bound, false};
}

Expr type_is(const std::string& property, const std::string& type) {
    if (!type.empty()) return Expr{Comparison{property, CompareOp::eq, type}};
    std::vector<Expr> terms;
    terms.push_back(Expr{IsNull{property, false}});
    terms.push_back(Expr{Comparison{property, CompareOp::eq, std::string()}});
    return Expr{Or{std::move(terms)}};
}

// Stations whose type is none of `types` (a NULL type counts as "").
Expr type_not_in(const std::string& property, const std::vector<std::string>& types) {
    In in{property, {}, true};
    bool has_empty = false;
    for (const auto& t : types) {
        in.values.emplace_back(t);
        has_empty = has_empty || t.empty();
    }
    if (has_empty) return Expr{std::move(in)};
    std::vector<Expr> terms;
    terms.push_back(Expr{std::move(in)});
    terms.push_back(Expr{IsNull{property, false}});
    return Expr{Or{std::move(terms)}};
}

std::int64_t count_where(store::Store& store, const LayerInfo& info, Expr e) {
    store::FeatureQuery q;
    q.filter = std::make_shared<const Expr>(std::move(e));
    return store.count_features(info.name, q);
}

std::vector<StationGroup> nearest_stations(store::Store& store, const LayerInfo& info, double lon,
                                           double lat, std::size_t k) {
    if (k == 0 || info.feature_count == 0) return {};
    const Index name = field_index(info, "name"), type = field_index(info, "type");
    const std::string type_field = type ? info.fields[*type].name : std::string();

    // Start near the distance of the k-th nearest station were they spread evenly, and widen
    // by a factor of 4: the area read grows 16-fold, so the last ring dominates the cost and
    // a far type costs a handful of queries.
    const BBox& e = info.extent;
    const double area_m2 = (e.maxx - e.minx) * deg * std::cos((e.miny + e.maxy) / 2 * deg) *
                           (e.maxy - e.miny) * deg * mean_radius_m * mean_radius_m;
    const double even_m = std::sqrt(static_cast<double>(k) * area_m2 /
                                    (std::numbers::pi * static_cast<double>(info.feature_count)));
    for (double radius_m = std::isfinite(even_m) ? std::max(250.0, even_m) : 250.0;;
         radius_m *= 4) {
        const Ring ring = make_ring(lon, lat, radius_m, info.extent);
        store::FeatureQuery q;
        q.bbox = ring.box;
        q.bbox_exact = false;
        std::map<std::string, std::vector<NearStation>> groups;
        store.read_features(info.name, q, [&](const Feature& f) {
            NearStation s{f.fid, {}, {}, infinity, std::nullopt, nan, nan};
            WkbPoints(f.wkb).each([&](double x, double y) {
                const double d = geodesic_m(lon, lat, x, y);
                if (d < s.distance_m) {
                    s.distance_m = d;
                    s.lon = x;
                    s.lat = y;
                }
            });
            if (!std::isfinite(s.distance_m)) return true;
            s.name = text_at(f, name);
            s.type = text_at(f, type);
            groups[s.type].push_back(std::move(s));
            return true;
        });

        bool complete = true;
        for (auto& [t, list] : groups) {
            std::sort(list.begin(), list.end(), [](const NearStation& a, const NearStation& b) {
                return std::tie(a.distance_m, a.fid) < std::tie(b.distance_m, b.fid);
            });
            if (list.size() > k) list.resize(k);
            if (ring.whole || !complete) continue;
            if (list.size() == k) {
                complete = list.back().distance_m <= ring.guaranteed_m;
            } else {
                // Fewer than k in the box: done only when the box holds the whole type.
                const std::int64_t total =
                    type ? count_where(store, info, type_is(type_field, t)) : info.feature_count;
                complete = total == static_cast<std::int64_t>(list.size());
            }
        }
        if (!ring.whole && complete) {
            // A type with no station in the box yet would be missed.
            std::vector<std::string> seen;
            for (const auto& [t, list] : groups) seen.push_back(t);
            if (seen.empty()) {
                complete = false;
            } else if (type) {
                complete = count_where(store, info, type_not_in(type_field, seen)) == 0;
            }
        }
        if (ring.whole || complete) {
            std::vector<StationGroup> out;
            out.reserve(groups.size());
            for (auto& [t, list] : groups) out.push_back(StationGroup{t, std::move(list)});
            return out;
        }
    }
}

// ---- search -------------------------------------------------------------------------------

constexpr std::size_t max_query_chars = 64;
constexpr std::size_t max_limit = 100;
// Matches of one kind (prefix, substring) ranked per layer; bounds the rows read.
constexpr std::size_t max_ranked = 1000;

struct SearchLayer {
    std::string_view layer;
    std::vector<std::string_view> fields;  ///< in order of preference for a feature's hit
};

const std::vector<SearchLayer>& search_layers() {
    static const std::vector<SearchLayer> all = {
        {"buildings", {"name", "address"}},
        {"stations", {"name"}},
        {"grid_cells", {"code", "name", "community"}},
    };
    return all;
}

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string ascii_folded(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

std::size_t utf8_chars(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool is_ascii_blank(char c) {
    return std::string_view(" \t\r\n\f\v").find(c) != std::string_view::npos;
}

std::string_view trim_blanks(std::string_view s) {
    static constexpr std::string_view ideographic_space = "\xE3\x80\x80";  // U+3000
    for (bool changed = true; changed;) {
        changed = false;
        if (!s.empty() && is_ascii_blank(s.front())) {
            s.remove_prefix(1);
            changed = true;
        } else if (s.starts_with(ideographic_space)) {
            s.remove_prefix(ideographic_space.size());
            changed = true;
        }
        if (!s.empty() && is_ascii_blank(s.back())) {
            s.remove_suffix(1);
            changed = true;
        } else if (s.ends_with(ideographic_space)) {
            s.remove_suffix(ideographic_space.size());
            changed = true;
        }
    }
    return s;
}

// LIKE patterns (without the outer '%') whose union holds every ASCII-case-insensitive match
// of q. The filter's LIKE is case-sensitive and spelling out the cases of every letter would
// take 2^n patterns, while each pattern costs a GLOB per row on a full scan. So the rarest
// letter gets both cases and the other letters become '_': a slightly wider net, which the
// exact test in C++ then trims.
std::vector<std::string> like_cores(std::string_view q) {
    static constexpr std::string_view by_frequency = "etaoinshrdlcumwfgypbvkjxqz";
    std::optional<std::size_t> kept;
    for (std::size_t i = 0; i < q.size(); ++i) {
        const auto rarity = [&](std::size_t at) { return by_frequency.find(ascii_lower(q[at])); };
        if (is_ascii_letter(q[i]) && (!kept || rarity(i) > rarity(*kept))) kept = i;
    }
    std::vector<std::string> cores;
    for (const bool upper : {false, true}) {
        if (upper && !kept) break;
        std::string core;
        for (std::size_t i = 0; i < q.size(); ++i) {
            const char c = q[i];
            if (i == kept) {
                core += upper ? ascii_upper(c) : ascii_lower(c);
            } else if (is_ascii_letter(c)) {
                core += '_';
            } else {
                if (c == '%' || c == '_' || c == '\\') core += '\\';
                core += c;
            }
        }
        cores.push_back(std::move(core));
    }
    return cores;
}

struct Ranked {
    SearchHit hit;
    std::size_t layer_rank = 0;
    std::size_t chars = 0;

    auto key() const { return std::make_tuple(!hit.prefix, chars, layer_rank, hit.fid); }
};

class Searcher {
  public:
    Searcher(store::Store& store, std::string_view q, std::size_t limit)
        : m_store(store), m_folded(ascii_folded(q)), m_cores(like_cores(q)), m_limit(limit) {
        for (std::size_t rank = 0; rank < search_layers().size(); ++rank) {
            const auto& spec = search_layers()[rank];
            auto info = m_store.layer(spec.layer);
            if (!info) continue;
            Layer layer{rank,
                        *info,
                        {},
                        {},
                        field_index(*info, "name"),
                        field_index(*info, "pos_lon"),
                        field_index(*info, "pos_lat")};
            for (auto field : spec.fields) {
                if (const Index i = field_index(*info, field)) {
                    layer.fields.push_back(*i);
                    layer.field_names.emplace_back(field);
                }
            }
            if (!layer.fields.empty()) m_layers.push_back(std::move(layer));
        }
    }

    std::vector<SearchHit> run() {
        for (const auto& layer : m_layers) {
            // One pass finds every match when there are few. When there are more than can be
            // ranked, those starting with q may lie beyond the ones read, so a second pass,
            // anchored and so cheap per row, looks for them.
            if (collect(layer, false) >= max_ranked) collect(layer, true);
        }
        std::sort(m_hits.begin(), m_hits.end(),
                  [](const Ranked& a, const Ranked& b) { return a.key() < b.key(); });
        std::vector<SearchHit> out;
        for (std::size_t i = 0; i < m_hits.size() && i < m_limit; ++i) {
            out.push_back(std::move(m_hits[i].hit));
        }
        return out;
    }

  private:
    struct Layer {
        std::size_t rank;
        LayerInfo info;
        std::vector<std::size_t> fields;
        std::vector<std::string> field_names;
        Index name, pos_lon, pos_lat;
    };

    std::shared_ptr<const Expr> filter(const Layer& layer, bool prefix) const {
        std::vector<Expr> terms;
        for (const auto& field : layer.field_names) {
            for (const auto& core : m_cores) {
                terms.push_back(Expr{Like{field, (prefix ? "" : "%") + core + "%", false}});
            }
        }
        if (terms.size() == 1) return std::make_shared<const Expr>(std::move(terms.front()));
        return std::make_shared<const Expr>(Expr{Or{std::move(terms)}});
    }

    std::size_t collect(const Layer& layer, bool prefix_stage) {
        store::FeatureQuery q;
        q.filter = filter(layer, prefix_stage);
        std::size_t taken = 0;
        m_store.read_features(layer.info.name, q, [&](const Feature& f) {
            if (m_seen.contains({layer.rank, f.fid})) return true;
            auto ranked = match(layer, f);
            if (!ranked || (prefix_stage && !ranked->hit.prefix)) return true;
            m_seen.insert({layer.rank, f.fid});
            m_hits.push_back(std::move(*ranked));
            return ++taken < max_ranked;
        });
        return taken;
    }

    std::optional<Ranked> match(const Layer& layer, const Feature& f) const {
        std::optional<Ranked> best;
        for (std::size_t j = 0; j < layer.fields.size(); ++j) {
            std::string text = text_at(f, layer.fields[j]);
            const auto pos = ascii_folded(text).find(m_folded);
            if (pos == std::string::npos) continue;
            const bool prefix = pos == 0;
            if (best && (best->hit.prefix || !prefix)) continue;
            best = Ranked{SearchHit{std::string(layer.info.name),
                                    f.fid,
                                    layer.field_names[j],
                                    std::move(text),
                                    {},
                                    prefix,
                                    nan,
                                    nan},
                          layer.rank, 0};
        }
        if (!best) return best;
        best->chars = utf8_chars(best->hit.text);
        best->hit.name = text_at(f, layer.name);
        const auto lon = real_at(f, layer.pos_lon), lat = real_at(f, layer.pos_lat);
        if (lon && lat) {
            best->hit.lon = *lon;
            best->hit.lat = *lat;
        } else if (const BBox box = wkb_bbox(f.wkb); !box.empty()) {
            best->hit.lon = (box.minx + box.maxx) / 2;
            best->hit.lat = (box.miny + box.maxy) / 2;
        }
        return best;
    }

    store::Store& m_store;
    std::string m_folded;
    std::vector<std::string> m_cores;
    std::size_t m_limit;
    std::vector<Layer> m_layers;
    std::vector<Ranked> m_hits;
    std::set<std::pair<std::size_t, std::int64_t>> m_seen;
};

}  // namespace

Here what_is_here(store::Store& store, double lon, double lat, std::size_t stations_per_type,
                  const analysis::WalkingNetwork* walking) {
    if (!std::isfinite(lon) || !std::isfinite(lat) || lon < -180 || lon > 180 || lat < -90 ||
        lat > 90) {
        throw Error(Errc::invalid_argument,
                    "the point must be a longitude in [-180, 180] and a latitude in [-90, 90] "
                    "(EPSG:4326 degrees)");
    }
    if (stations_per_type > 100) {
        throw Error(Errc::invalid_argument, "at most 100 stations per type can be asked for");
    }
    Here here;
    here.lon = lon;
    here.lat = lat;
    const capi::GeosContext ctx;
    const capi::GeosGeom point(ctx.get(), GEOSGeom_createPointFromXY_r(ctx.get(), lon, lat));
    if (!point) throw Error(Errc::internal, "GEOS could not make a point: " + ctx.last_error());

    if (const auto cells = store.layer("grid_cells")) {
        here.cell = find_cell(store, *cells, ctx, point.get(), lon, lat);
    } else {
        here.missing_layers.emplace_back("grid_cells");
    }
    if (const auto buildings = store.layer("buildings")) {
        here.buildings = find_buildings(store, *buildings, ctx, point.get(), lon, lat);
    } else {
        here.missing_layers.emplace_back("buildings");
    }
    if (const auto stations = store.layer("stations")) {
        here.stations = nearest_stations(store, *stations, lon, lat, stations_per_type);
        if (walking) {
            std::vector<std::pair<double, double>> targets;
            for (const auto& group : here.stations) {
                for (const auto& s : group.nearest) targets.emplace_back(s.lon, s.lat);
            }
            const auto walks = walking->distances_m(lon, lat, targets, k_max_walk_m);
            std::size_t i = 0;
            for (auto& group : here.stations) {
                for (auto& s : group.nearest) {
                    const double w = walks[i++];
                    if (std::isfinite(w)) s.walking_distance_m = w;
                }
            }
        }
    } else {
        here.missing_layers.emplace_back("stations");
    }
    return here;
}

std::vector<SearchHit> search(store::Store& store, std::string_view q, std::size_t limit) {
    const std::string_view trimmed = trim_blanks(q);
    if (!text::is_valid_utf8(trimmed)) {
        throw Error(Errc::invalid_argument, "the search text is not valid UTF-8");
    }
    const std::size_t chars = utf8_chars(trimmed);
    if (chars == 0 || chars > max_query_chars) {
        throw Error(Errc::invalid_argument, "the search text must have 1 to " +
                                                std::to_string(max_query_chars) +
                                                " characters (blanks at either end not counted)");
    }
    if (limit == 0 || limit > max_limit) {
        throw Error(Errc::invalid_argument,
                    "the search limit must be 1 to " + std::to_string(max_limit));
    }
    return Searcher(store, trimmed, limit).run();
}

}  // namespace geo::query
