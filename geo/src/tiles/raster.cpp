#include "geo/tiles/raster.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <span>

#include <cairo.h>

#include "capi/free.hpp"
#include "geo/error.hpp"
#include "geo/tiles/tile_source.hpp"
#include "tiles/mercator.hpp"

namespace geo::tiles {

namespace {

using style::GeometryKind;
using style::LayerType;
using style::Paint;
using style::Rule;

using SurfacePtr = capi::Owned<cairo_surface_t, cairo_surface_destroy>;
using ContextPtr = capi::Owned<cairo_t, cairo_destroy>;

constexpr int k_tile_px = 256;
// Vertices closer than this (device pixels) to the last one drawn add nothing visible.
constexpr double k_min_step_px = 0.3;
constexpr int k_max_wkb_depth = 8;
constexpr std::size_t k_keep_points = std::size_t{1} << 20;  // 16 MB of points kept per layer

struct Pt {
    double x;
    double y;
};

enum class PartKind : std::uint8_t { point, line, exterior, interior };

struct Part {
    std::uint32_t begin;
    std::uint32_t end;
    PartKind kind;
};

// One feature's geometry in device pixels, clipped to the guard box.
struct Geom {
    std::uint32_t part_begin;
    std::uint32_t part_end;
    double minx, miny, maxx, maxy;
    bool has_point, has_line, has_polygon;
};

// Lon/lat (EPSG:4326) → device pixels of one tile, through Web Mercator.
class Projector {
public:
    Projector(const TileId& t, double size_px) {
        const BBox b = bounds_mercator(t);
        m_k = size_px / (b.maxx - b.minx);
        m_x0 = b.minx;
        m_y0 = b.maxy;
    }
    Pt operator()(double lon, double lat) const {
        return {(detail::lon_to_mercator_x(lon) - m_x0) * m_k, (m_y0 - detail::lat_to_mercator_y(lat)) * m_k};
    }

private:
    double m_k;
    double m_x0;
    double m_y0;
};

// Bounds-checked WKB reading; every read reports failure instead of running past the end.
class WkbReader {
public:
    explicit WkbReader(std::span<const unsigned char> data) : m_data(data) {}
    std::size_t remaining() const noexcept { return m_data.size() - m_pos; }

    bool u8(std::uint8_t& v) {
        if (remaining() < 1) return false;
        v = m_data[m_pos++];
        return true;
    }
    bool u32(std::uint32_t& v, bool little) {
        if (remaining() < 4) return false;
        const unsigned char* p = m_data.data() + m_pos;
        v = little ? (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24)
                   : (std::uint32_t{p[3]} | std::uint32_t{p[2]} << 8 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[0]} << 24);
        m_pos += 4;
        return true;
    }
    // @pre remaining() >= 8
    double f64(bool little) {
        unsigned char b[8];
        std::memcpy(b, m_data.data() + m_pos, 8);
        if (!little) std::reverse(b, b + 8);
        m_pos += 8;
        double v;
        std::memcpy(&v, b, 8);
        return v;
    }
    void skip(std::size_t n) { m_pos += n; }

private:
    std::span<const unsigned char> m_data;
    std::size_t m_pos = 0;
};

// The features of one store layer, parsed and projected, with their buffers kept between tiles.
class LayerGeometry {
public:
    void reset(const Projector& projector, double guard_lo, double guard_hi) {
        m_projector = &projector;
        m_lo = guard_lo;
        m_hi = guard_hi;
        // A district-wide tile once should not pin its memory to the thread for good.
        if (m_pts.capacity() > k_keep_points) std::vector<Pt>().swap(m_pts);
        if (m_parts.capacity() > k_keep_points / 4) std::vector<Part>().swap(m_parts);
        if (m_geoms.capacity() > k_keep_points / 4) std::vector<Geom>().swap(m_geoms);
        m_pts.clear();
        m_parts.clear();
        m_geoms.clear();
    }

    // Appends a feature; false (and nothing appended) when the WKB is malformed.
    bool add(std::span<const unsigned char> wkb, GeometryKind& kind) {
        const std::size_t pts0 = m_pts.size();
        const std::size_t parts0 = m_parts.size();
        WkbReader r(wkb);
        kind = GeometryKind::unknown;
        if (!parse(r, 0, kind) || r.remaining() != 0) {
            m_pts.resize(pts0);
            m_parts.resize(parts0);
            return false;
        }
        Geom g{static_cast<std::uint32_t>(parts0), static_cast<std::uint32_t>(m_parts.size()),
               std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
               -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
               false, false, false};
        for (std::size_t i = parts0; i < m_parts.size(); ++i) {
            const Part& part = m_parts[i];
            g.has_point = g.has_point || part.kind == PartKind::point;
            g.has_line = g.has_line || part.kind == PartKind::line;
            g.has_polygon = g.has_polygon || part.kind == PartKind::exterior;
            for (std::uint32_t k = part.begin; k < part.end; ++k) {
                g.minx = std::min(g.minx, m_pts[k].x);
                g.maxx = std::max(g.maxx, m_pts[k].x);
                g.miny = std::min(g.miny, m_pts[k].y);
                g.maxy = std::max(g.maxy, m_pts[k].y);
            }
        }
        m_geoms.push_back(g);
        return true;
    }

    const std::vector<Geom>& geoms() const noexcept { return m_geoms; }
    std::span<const Part> parts(const Geom& g) const noexcept {
        return std::span<const Part>(m_parts).subspan(g.part_begin, g.part_end - g.part_begin);
    }
    std::span<const Pt> points(const Part& p) const noexcept {
        return std::span<const Pt>(m_pts).subspan(p.begin, p.end - p.begin);
    }

private:
    bool parse(WkbReader& r, int depth, GeometryKind& kind) {
        if (depth > k_max_wkb_depth) return false;
        std::uint8_t order = 0;
        std::uint32_t type = 0;
        if (!r.u8(order) || order > 1 || !r.u32(type, order == 1)) return false;
        const bool little = order == 1;
        std::size_t dims = 2;
        // EWKB flags, then ISO's thousands for Z, M and ZM.
        if (type & 0x80000000u) ++dims;
        if (type & 0x40000000u) ++dims;
        if (type & 0x20000000u) {
            std::uint32_t srid = 0;
            if (!r.u32(srid, little)) return false;
        }
        type &= 0x0fffffffu;
        if (type >= 1000) {
            const std::uint32_t extra = type / 1000;
            if (extra > 3 || dims != 2) return false;
            dims += extra == 3 ? 2 : 1;
            type %= 1000;
        }
        const bool top = depth == 0;
        std::uint32_t n = 0;
        switch (type) {
            case 1: {
                if (top) kind = GeometryKind::point;
                if (r.remaining() < dims * 8) return false;
                const double x = r.f64(little);
                const double y = r.f64(little);
                r.skip((dims - 2) * 8);
                if (std::isnan(x) && std::isnan(y)) return true;  // POINT EMPTY
                const std::size_t begin = m_pts.size();
                if (!push_point(x, y)) return false;
                const Pt& p = m_pts.back();
                if (p.x < m_lo || p.x > m_hi || p.y < m_lo || p.y > m_hi) {
                    m_pts.resize(begin);
                } else {
                    m_parts.push_back({static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(begin + 1), PartKind::point});
                }
                return true;
            }
            case 2:
                if (top) kind = GeometryKind::line;
                return r.u32(n, little) && read_part(r, little, dims, n, PartKind::line);
            case 3: {
                if (top) kind = GeometryKind::polygon;
                if (!r.u32(n, little) || n > r.remaining() / 4) return false;
                for (std::uint32_t i = 0; i < n; ++i) {
                    std::uint32_t count = 0;
                    if (!r.u32(count, little)) return false;
                    if (!read_part(r, little, dims, count, i == 0 ? PartKind::exterior : PartKind::interior)) return false;
                }
                return true;
            }
            case 4:
            case 5:
            case 6:
            case 7: {
                if (top && type != 7) {
                    kind = type == 4 ? GeometryKind::point : type == 5 ? GeometryKind::line : GeometryKind::polygon;
                }
                if (!r.u32(n, little) || n > r.remaining() / 5) return false;
                for (std::uint32_t i = 0; i < n; ++i) {
                    GeometryKind member = GeometryKind::unknown;
                    if (!parse(r, depth + 1, member)) return false;
                    if (top && type == 7 && kind == GeometryKind::unknown) kind = member;
                }
                return true;
            }
            default: return false;
        }
    }

    bool push_point(double lon, double lat) {
        if (!std::isfinite(lon) || !std::isfinite(lat)) return false;
        const Pt p = (*m_projector)(lon, lat);
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) return false;
        m_pts.push_back(p);
        return true;
    }

    bool read_part(WkbReader& r, bool little, std::size_t dims, std::uint32_t n, PartKind kind) {
        if (n > r.remaining() / (dims * 8)) return false;
        const std::size_t begin = m_pts.size();
        double minx = std::numeric_limits<double>::infinity();
        double maxx = -minx;
        double miny = minx;
        double maxy = -minx;
        for (std::uint32_t i = 0; i < n; ++i) {
            const double x = r.f64(little);
            const double y = r.f64(little);
            r.skip((dims - 2) * 8);
            if (!push_point(x, y)) return false;
            const Pt& p = m_pts.back();
            minx = std::min(minx, p.x);
            maxx = std::max(maxx, p.x);
            miny = std::min(miny, p.y);
            maxy = std::max(maxy, p.y);
        }
        const std::size_t min_points = kind == PartKind::line ? 2 : 3;
        if (n < min_points || maxx < m_lo || minx > m_hi || maxy < m_lo || miny > m_hi) {
            m_pts.resize(begin);  // nothing of it can show
            return true;
        }
        const bool inside = minx >= m_lo && maxx <= m_hi && miny >= m_lo && maxy <= m_hi;
        if (kind == PartKind::line) {
            if (inside) {
                m_parts.push_back({static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(m_pts.size()), kind});
            } else {
                clip_line(begin);
            }
            return true;
        }
        if (!inside) clip_ring(begin);
        if (m_pts.size() - begin < 3) {
            m_pts.resize(begin);
            return true;
        }
        orient(begin, kind == PartKind::exterior);
        m_parts.push_back({static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(m_pts.size()), kind});
        return true;
    }

    // Exteriors one way round and holes the other, so that one nonzero fill of many polygons
    // leaves the holes empty and the overlaps filled once.
    void orient(std::size_t begin, bool exterior) {
        double area2 = 0;
        const std::size_t n = m_pts.size();
        for (std::size_t i = begin, j = n - 1; i < n; j = i++) {
            area2 += (m_pts[j].x - m_pts[i].x) * (m_pts[j].y + m_pts[i].y);
        }
        if ((area2 > 0) != exterior) std::reverse(m_pts.begin() + static_cast<std::ptrdiff_t>(begin), m_pts.end());
    }

    // Sutherland–Hodgman against the guard box: the clipped ring winds around every point inside
    // the box as the original did, which is all a fill or a stroke there can see.
    void clip_ring(std::size_t begin) {
        m_clip_a.assign(m_pts.begin() + static_cast<std::ptrdiff_t>(begin), m_pts.end());
        for (int edge = 0; edge < 4 && !m_clip_a.empty(); ++edge) {
            m_clip_b.clear();
            const auto in = [&](const Pt& p) {
                switch (edge) {
                    case 0: return p.x >= m_lo;
                    case 1: return p.x <= m_hi;
                    case 2: return p.y >= m_lo;
                    default: return p.y <= m_hi;
                }
            };
            const auto cross = [&](const Pt& a, const Pt& b) {
                const double v = edge == 0 || edge == 2 ? m_lo : m_hi;
                if (edge < 2) {
                    const double t = (v - a.x) / (b.x - a.x);
                    return Pt{v, a.y + (b.y - a.y) * t};
                }
                const double t = (v - a.y) / (b.y - a.y);
                return Pt{a.x + (b.x - a.x) * t, v};
            };
            Pt prev = m_clip_a.back();
            bool prev_in = in(prev);
            for (const Pt& cur : m_clip_a) {
                const bool cur_in = in(cur);
                if (cur_in != prev_in) m_clip_b.push_back(cross(prev, cur));
                if (cur_in) m_clip_b.push_back(cur);
                prev = cur;
                prev_in = cur_in;
            }
            std::swap(m_clip_a, m_clip_b);
        }
        m_pts.resize(begin);
        m_pts.insert(m_pts.end(), m_clip_a.begin(), m_clip_a.end());
    }

    // Liang–Barsky per segment; a line leaving and re-entering the box becomes several parts.
    void clip_line(std::size_t begin) {
        m_clip_a.assign(m_pts.begin() + static_cast<std::ptrdiff_t>(begin), m_pts.end());
        m_pts.resize(begin);
        std::size_t part_begin = begin;
        bool open = false;
        const auto close = [&] {
            if (open && m_pts.size() - part_begin >= 2) {
                m_parts.push_back({static_cast<std::uint32_t>(part_begin), static_cast<std::uint32_t>(m_pts.size()), PartKind::line});
            } else {
                m_pts.resize(part_begin);
            }
            open = false;
        };
        for (std::size_t i = 0; i + 1 < m_clip_a.size(); ++i) {
            const Pt a = m_clip_a[i];
            const Pt b = m_clip_a[i + 1];
            double t0 = 0;
            double t1 = 1;
            const double dx = b.x - a.x;
            const double dy = b.y - a.y;
            const double p[4] = {-dx, dx, -dy, dy};
            const double q[4] = {a.x - m_lo, m_hi - a.x, a.y - m_lo, m_hi - a.y};
            bool visible = true;
            for (int k = 0; k < 4 && visible; ++k) {
                if (p[k] == 0) {
                    visible = q[k] >= 0;
                } else {
                    const double t = q[k] / p[k];
                    if (p[k] < 0) t0 = std::max(t0, t);
                    else t1 = std::min(t1, t);
                    visible = t0 <= t1;
                }
            }
            if (!visible) {
                close();
                continue;
            }
            if (!open || t0 > 0) {
                close();
                part_begin = m_pts.size();
                m_pts.push_back({a.x + dx * t0, a.y + dy * t0});
                open = true;
            }
            m_pts.push_back({a.x + dx * t1, a.y + dy * t1});
            if (t1 < 1) close();
        }
        close();
    }

    const Projector* m_projector = nullptr;
    double m_lo = 0;
    double m_hi = 0;
    std::vector<Pt> m_pts;
    std::vector<Part> m_parts;
    std::vector<Geom> m_geoms;
    std::vector<Pt> m_clip_a;
    std::vector<Pt> m_clip_b;
};

// What one style rule draws in this tile: features (indices into its layer) and their paint.
struct RuleItems {
    std::size_t layer = 0;  // index into Buffers::layers
    double spill_px = 0;    // device pixels
    std::vector<std::uint32_t> features;
    std::vector<std::uint32_t> paint_ids;
    std::vector<Paint> paints;

    void clear() {
        features.clear();
        paint_ids.clear();
        paints.clear();
    }
};

// Per-thread buffers reused from tile to tile.
struct Buffers {
    std::vector<LayerGeometry> layers;
    std::vector<RuleItems> rules;
    std::array<SurfacePtr, 2> surfaces;  // scale 1 and 2
};

thread_local Buffers t_buffers;

cairo_surface_t* surface_for(int scale) {
    SurfacePtr& s = t_buffers.surfaces[static_cast<std::size_t>(scale - 1)];
    if (!s) {
        const int size = k_tile_px * scale;
        s.reset(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size, size));
        if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS) {
            s.reset();
            throw Error(Errc::internal, "cannot create a cairo image surface");
        }
    }
    cairo_surface_flush(s.get());
    std::memset(cairo_image_surface_get_data(s.get()), 0,
                static_cast<std::size_t>(cairo_image_surface_get_stride(s.get())) *
                    static_cast<std::size_t>(cairo_image_surface_get_height(s.get())));
    cairo_surface_mark_dirty(s.get());
    return s.get();
}

void set_color(cairo_t* cr, const style::Color& c, double opacity) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity);
}

void add_path(cairo_t* cr, std::span<const Pt> pts, bool close) {
    if (pts.empty()) return;
    cairo_move_to(cr, pts[0].x, pts[0].y);
    double lx = pts[0].x;
    double ly = pts[0].y;
    const std::size_t last = pts.size() - 1;
    for (std::size_t i = 1; i <= last; ++i) {
        if (i < last && std::abs(pts[i].x - lx) < k_min_step_px && std::abs(pts[i].y - ly) < k_min_step_px) continue;
        lx = pts[i].x;
        ly = pts[i].y;
        cairo_line_to(cr, lx, ly);
    }
    if (close) cairo_close_path(cr);
}

// Paths of consecutive features that share a paint are filled or stroked at once: fewer
// rasterizer passes, and neighbouring buildings meet without a seam.
void draw_rule(cairo_t* cr, const Rule& rule, const RuleItems& items, const LayerGeometry& layer, double scale) {
    const auto& geoms = layer.geoms();
    const std::size_t n = items.features.size();
    std::size_t i = 0;
    while (i < n) {
        const std::uint32_t paint_id = items.paint_ids[i];
        const Paint& paint = items.paints[paint_id];
        std::size_t end = i;
        cairo_new_path(cr);
        for (; end < n && items.paint_ids[end] == paint_id; ++end) {
            const Geom& g = geoms[items.features[end]];
            for (const Part& part : layer.parts(g)) {
                const auto pts = layer.points(part);
                switch (rule.type) {
                    case LayerType::fill:
                        if (part.kind == PartKind::exterior || part.kind == PartKind::interior) add_path(cr, pts, true);
                        break;
                    case LayerType::line:
                        if (part.kind != PartKind::point) add_path(cr, pts, part.kind != PartKind::line);
                        break;
                    case LayerType::circle:
                        if (part.kind == PartKind::point) {
                            cairo_new_sub_path(cr);
                            cairo_arc(cr, pts[0].x, pts[0].y, paint.circle_radius * scale, 0, 2 * std::numbers::pi);
                        }
                        break;
                    case LayerType::background: break;
                }
            }
        }
        switch (rule.type) {
            case LayerType::fill:
                set_color(cr, paint.fill_color, paint.fill_opacity);
                if (paint.fill_outline_color) {
                    cairo_fill_preserve(cr);
                    set_color(cr, *paint.fill_outline_color, paint.fill_opacity);
                    cairo_set_line_width(cr, scale);
                    cairo_stroke(cr);
                } else {
                    cairo_fill(cr);
                }
                break;
            case LayerType::line: {
                const double width = paint.line_width * scale;
                if (width <= 0) break;
                set_color(cr, paint.line_color, paint.line_opacity);
                cairo_set_line_width(cr, width);
                if (!rule.line_dasharray.empty()) {
                    std::vector<double> dashes(rule.line_dasharray);
                    for (double& d : dashes) d *= width;
                    cairo_set_dash(cr, dashes.data(), static_cast<int>(dashes.size()), 0);
                }
                cairo_stroke(cr);
                break;
            }
            case LayerType::circle: {
                set_color(cr, paint.circle_color, paint.circle_opacity);
                const double stroke = paint.circle_stroke_width * scale;
                if (stroke <= 0) {
                    cairo_fill(cr);
                    break;
                }
                cairo_fill(cr);
                // MapLibre's circle stroke lies outside the radius.
                const double r = paint.circle_radius * scale + stroke / 2;
                for (std::size_t k = i; k < end; ++k) {
                    for (const Part& part : layer.parts(geoms[items.features[k]])) {
                        if (part.kind != PartKind::point) continue;
                        const Pt p = layer.points(part)[0];
                        cairo_new_sub_path(cr);
                        cairo_arc(cr, p.x, p.y, r, 0, 2 * std::numbers::pi);
                    }
                }
                set_color(cr, paint.circle_stroke_color, paint.circle_stroke_opacity);
                cairo_set_line_width(cr, stroke);
                cairo_stroke(cr);
                break;
            }
            case LayerType::background: break;
        }
        i = end;
    }
}

bool opaque(const style::Color& c, double opacity) { return c.a * opacity >= 1; }

// True when the paints of a rule differ only where drawing order cannot show: one opaque colour
// for every feature (widths and radii may vary). Then features are drawn grouped by paint.
bool order_free(const Rule& rule, const RuleItems& items) {
    if (items.paints.size() < 2) return false;
    const Paint& a = items.paints.front();
    return std::all_of(items.paints.begin(), items.paints.end(), [&](const Paint& b) {
        switch (rule.type) {
            case LayerType::line: return b.line_color == a.line_color && opaque(b.line_color, b.line_opacity);
            case LayerType::circle:
                return b.circle_color == a.circle_color && opaque(b.circle_color, b.circle_opacity) &&
                       b.circle_stroke_color == a.circle_stroke_color &&
                       opaque(b.circle_stroke_color, b.circle_stroke_opacity);
            default: return false;
        }
    });
}

void group_by_paint(RuleItems& items) {
    std::vector<std::uint32_t> order(items.features.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return items.paint_ids[a] < items.paint_ids[b]; });
    std::vector<std::uint32_t> features(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) features[i] = items.features[order[i]];
    items.features.swap(features);
    std::stable_sort(items.paint_ids.begin(), items.paint_ids.end());
}

bool can_draw(LayerType type, const Geom& g) {
    switch (type) {
        case LayerType::fill: return g.has_polygon;
        case LayerType::line: return g.has_line || g.has_polygon;
        case LayerType::circle: return g.has_point;
        case LayerType::background: return false;
    }
    return false;
}

cairo_status_t append_png(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::string render_png(store::Store& store, const style::Style& style, const TileId& t, int scale,
                       const std::vector<std::string>& layers) {
    if (!is_valid(t)) {
        throw Error(Errc::invalid_argument, "tile " + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
                                                std::to_string(t.y) + " does not exist: x and y must be below 2^z");
    }
    if (scale != 1 && scale != 2) throw Error(Errc::invalid_argument, "the tile scale is 1 or 2 (@2x)");

    std::map<std::string, std::optional<LayerInfo>, std::less<>> infos;
    for (const auto& name : layers) {
        auto info = store.layer(name);
        if (!info) throw Error(Errc::not_found, "no layer named \"" + name + "\"");
        infos[name] = std::move(info);
    }
    const double zoom = std::max(0, t.z - 1);
    const double size = k_tile_px * scale;
    const double guard = size;  // far beyond any stroke spill (capped at 64 CSS px)

    // Which store layers the rules need at this zoom, and how far their drawing spills.
    struct LayerJob {
        std::string name;
        const LayerInfo* info;
        double spill_px;
    };
    std::vector<LayerJob> jobs;
    std::vector<std::size_t> rule_job(style.rules.size(), SIZE_MAX);
    for (std::size_t r = 0; r < style.rules.size(); ++r) {
        const Rule& rule = style.rules[r];
        if (rule.type == LayerType::background || !rule.shown_at(zoom)) continue;
        const auto source = style.sources.find(rule.source);
        if (source == style.sources.end() || source->second != "vector") continue;
        auto it = infos.find(rule.source_layer);
        if (it == infos.end()) {
            if (!layers.empty()) continue;
            it = infos.emplace(rule.source_layer, store.layer(rule.source_layer)).first;
        }
        if (!it->second) continue;
        const ZoomRange range = zoom_range(*it->second);
        if (t.z < range.min || t.z > range.max) continue;
        const double spill = style::max_spill_px(rule, zoom) * scale + 1;  // + antialiasing
        auto job = std::find_if(jobs.begin(), jobs.end(), [&](const LayerJob& j) { return j.name == rule.source_layer; });
        if (job == jobs.end()) {
            jobs.push_back({rule.source_layer, &*it->second, spill});
            job = jobs.end() - 1;
        } else {
            job->spill_px = std::max(job->spill_px, spill);
        }
        rule_job[r] = static_cast<std::size_t>(job - jobs.begin());
    }

    Buffers& buf = t_buffers;
    if (buf.layers.size() < jobs.size()) buf.layers.resize(jobs.size());
    if (buf.rules.size() < style.rules.size()) buf.rules.resize(style.rules.size());
    for (auto& items : buf.rules) items.clear();

    const Projector projector(t, size);
    const BBox tile = bounds_wgs84(t);
    bool drawn = false;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        const LayerJob& job = jobs[j];
        LayerGeometry& geometry = buf.layers[j];
        geometry.reset(projector, -guard, size + guard);

        std::vector<std::size_t> rules;
        for (std::size_t r = 0; r < style.rules.size(); ++r) {
            if (rule_job[r] != j) continue;
            rules.push_back(r);
            buf.rules[r].layer = j;
            buf.rules[r].spill_px = style::max_spill_px(style.rules[r], zoom) * scale + 1;
        }

        store::FeatureQuery query;
        const double margin = job.spill_px / size;
        const double dx = (tile.maxx - tile.minx) * margin;
        const double dy = (tile.maxy - tile.miny) * margin;
        query.bbox = BBox{tile.minx - dx, tile.miny - dy, tile.maxx + dx, tile.maxy + dy};
        query.bbox_exact = false;

        style::FeatureData data(style);
        data.bind(job.info->fields);
        for (const std::size_t r : rules) {
            if (!style.rules[r].paint_reads_feature) {
                buf.rules[r].paints.push_back(style::evaluate_paint(style.rules[r], zoom, data));
            }
        }
        store.read_features(job.name, query, [&](const Feature& f) {
            GeometryKind kind = GeometryKind::unknown;
            if (!geometry.add(f.wkb, kind)) return true;
            const auto index = static_cast<std::uint32_t>(geometry.geoms().size() - 1);
            const Geom& g = geometry.geoms().back();
            if (g.part_begin == g.part_end) return true;
            data.assign(f.values, kind);
            for (const std::size_t r : rules) {
                const Rule& rule = style.rules[r];
                RuleItems& items = buf.rules[r];
                if (!can_draw(rule.type, g)) continue;
                const double s = items.spill_px;
                if (g.maxx < -s || g.minx > size + s || g.maxy < -s || g.miny > size + s) continue;
                if (!style::passes(rule, zoom, data)) continue;
                std::uint32_t paint_id = 0;
                if (rule.paint_reads_feature) {
                    Paint p = style::evaluate_paint(rule, zoom, data);
                    // Recent paints are looked up so that runs of equal paint share one path.
                    const std::size_t count = items.paints.size();
                    std::size_t k = count;
                    for (std::size_t back = 0; back < std::min<std::size_t>(count, 8); ++back) {
                        if (items.paints[count - 1 - back] == p) {
                            k = count - 1 - back;
                            break;
                        }
                    }
                    if (k == count) items.paints.push_back(std::move(p));
                    paint_id = static_cast<std::uint32_t>(k);
                }
                items.features.push_back(index);
                items.paint_ids.push_back(paint_id);
                drawn = true;
            }
            return true;
        });
    }
    if (!drawn) return {};
    for (std::size_t r = 0; r < style.rules.size(); ++r) {
        if (order_free(style.rules[r], buf.rules[r])) group_by_paint(buf.rules[r]);
    }

    cairo_surface_t* surface = surface_for(scale);
    {
        ContextPtr cr(cairo_create(surface));
        cairo_set_fill_rule(cr.get(), CAIRO_FILL_RULE_WINDING);
        // 4×4 supersampling: at tile sizes it looks the same as the 256-level default and
        // rasterizes about a third faster.
        cairo_set_antialias(cr.get(), CAIRO_ANTIALIAS_FAST);
        const style::FeatureData none(style);
        for (std::size_t r = 0; r < style.rules.size(); ++r) {
            const Rule& rule = style.rules[r];
            if (rule.type == LayerType::background) {
                if (!rule.shown_at(zoom)) continue;
                const Paint p = style::evaluate_paint(rule, zoom, none);
                set_color(cr.get(), p.background_color, p.background_opacity);
                cairo_paint(cr.get());
                continue;
            }
            if (rule_job[r] == SIZE_MAX || buf.rules[r].features.empty()) continue;
            cairo_save(cr.get());
            cairo_set_line_cap(cr.get(), rule.line_cap == style::LineCap::round    ? CAIRO_LINE_CAP_ROUND
                                         : rule.line_cap == style::LineCap::square ? CAIRO_LINE_CAP_SQUARE
                                                                                   : CAIRO_LINE_CAP_BUTT);
            cairo_set_line_join(cr.get(), rule.line_join == style::LineJoin::round   ? CAIRO_LINE_JOIN_ROUND
                                          : rule.line_join == style::LineJoin::bevel ? CAIRO_LINE_JOIN_BEVEL
                                                                                     : CAIRO_LINE_JOIN_MITER);
            draw_rule(cr.get(), rule, buf.rules[r], buf.layers[buf.rules[r].layer], scale);
            cairo_restore(cr.get());
        }
        if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
            throw Error(Errc::internal, std::string("drawing the tile failed: ") + cairo_status_to_string(cairo_status(cr.get())));
        }
    }
    cairo_surface_flush(surface);
    std::string png;
    png.reserve(64 * 1024);
    const cairo_status_t status = cairo_surface_write_to_png_stream(surface, append_png, &png);
    if (status != CAIRO_STATUS_SUCCESS) {
        throw Error(Errc::internal, std::string("encoding the PNG tile failed: ") + cairo_status_to_string(status));
    }
    return png;
}

}  // namespace geo::tiles
