#pragma once

// The style drawing shared by the PNG tile renderer and the report map: WKB parsed straight into
// device pixels (clipped to a guard box), features matched against the style's rules, and the
// rules drawn with Cairo. Private to the geo library.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <cairo.h>

#include "capi/free.hpp"
#include "geo/store/store.hpp"
#include "geo/style/style.hpp"
#include "tiles/mercator.hpp"

namespace geo::tiles::detail {

using SurfacePtr = capi::Owned<cairo_surface_t, cairo_surface_destroy>;
using ContextPtr = capi::Owned<cairo_t, cairo_destroy>;
using style::GeometryKind;
using style::Paint;

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

// Lon/lat (EPSG:4326) → device pixels through Web Mercator: pixel (0, 0) at Mercator
// (x0_m, y0_m), `px_per_m` pixels per Mercator metre, y growing downwards.
class Projector {
public:
    Projector(double x0_m, double y0_m, double px_per_m) : m_k(px_per_m), m_x0(x0_m), m_y0(y0_m) {}
    Pt operator()(double lon, double lat) const {
        return {(lon_to_mercator_x(lon) - m_x0) * m_k, (m_y0 - lat_to_mercator_y(lat)) * m_k};
    }
    double px_per_m() const noexcept { return m_k; }

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

// The image the style draws into: its projection, size and lon/lat bounds.
struct Viewport {
    Projector projector;
    BBox wgs84;
    double width_px;
    double height_px;
};

using LayerInfos = std::map<std::string, std::optional<LayerInfo>, std::less<>>;

// Reads the features the style's rules draw in a viewport, then draws them. Keeps its buffers
// between uses (one painter per thread).
class StylePainter {
public:
    // Reads and matches the features. `infos` holds the layers to draw (nullopt: absent); with
    // `named_only` false, the other layers the style draws are looked up in the store and added.
    // `tile_zoom`: draw a layer only inside its tile zoom range at that level. Features whose
    // box is under `min_feature_px` in both directions are left out. True when some feature
    // will be drawn.
    bool collect(store::Store& store, const style::Style& style, const Viewport& view, double zoom,
                 double scale, LayerInfos& infos, bool named_only, std::optional<int> tile_zoom,
                 double min_feature_px);
    // Draws the style's backgrounds and the collected features in style order.
    void paint(cairo_t* cr) const;

private:
    const style::Style* m_style = nullptr;
    std::optional<Projector> m_projector;
    double m_zoom = 0;
    double m_scale = 1;
    std::vector<LayerGeometry> m_layers;
    std::vector<RuleItems> m_rules;
    std::vector<std::size_t> m_rule_job;
};

void set_color(cairo_t* cr, const style::Color& c, double opacity);
void add_path(cairo_t* cr, std::span<const Pt> pts, bool close);
// The surface as PNG bytes; throws geo::Error (internal) naming `what` on failure.
std::string encode_png(cairo_surface_t* surface, const char* what);

}  // namespace geo::tiles::detail
