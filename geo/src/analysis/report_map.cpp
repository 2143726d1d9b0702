#include "geo/analysis/report_map.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <span>

#include <cairo.h>

#include "geo/error.hpp"
#include "tiles/mercator.hpp"
#include "tiles/painter.hpp"

namespace geo::analysis {

namespace {

namespace td = tiles::detail;
using style::GeometryKind;

constexpr int k_min_size_px = 200;
constexpr int k_max_size_px = 6000;
constexpr double k_fit_margin = 0.05;      // of the frame, on each side, around the bbox
constexpr double k_min_span_m = 300;       // a single point or a tiny bbox still shows its street
constexpr double k_min_overlay_px = 2;     // smaller lines and polygons become dots
constexpr double k_infinity = std::numeric_limits<double>::infinity();

// Cairo's toy text API takes one family and does no per-glyph fallback, so the family must
// itself cover Chinese; fontconfig silently substitutes a Latin font for a missing one, which is
// caught by asking for the glyphs.
bool covers(const char* family, const char* text) {
    capi::Owned<cairo_font_face_t, cairo_font_face_destroy> face(
        cairo_toy_font_face_create(family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL));
    cairo_matrix_t m;
    cairo_matrix_init_scale(&m, 12, 12);
    cairo_matrix_t id;
    cairo_matrix_init_identity(&id);
    capi::Owned<cairo_font_options_t, cairo_font_options_destroy> options(cairo_font_options_create());
    capi::Owned<cairo_scaled_font_t, cairo_scaled_font_destroy> font(
        cairo_scaled_font_create(face.get(), &m, &id, options.get()));
    if (cairo_scaled_font_status(font.get()) != CAIRO_STATUS_SUCCESS) return false;
    cairo_glyph_t* glyphs = nullptr;
    int count = 0;
    if (cairo_scaled_font_text_to_glyphs(font.get(), 0, 0, text, -1, &glyphs, &count, nullptr, nullptr, nullptr) !=
        CAIRO_STATUS_SUCCESS) {
        return false;
    }
    const bool all = count > 0 && std::all_of(glyphs, glyphs + count, [](const cairo_glyph_t& g) { return g.index != 0; });
    cairo_glyph_free(glyphs);
    return all;
}

const char* cjk_family() {
    static const char* const family = [] {
        for (const char* f : {"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                              "Droid Sans Fallback", "AR PL UMing CN"}) {
            if (covers(f, "覆盖率未楼栋图例")) return f;
        }
        return "sans-serif";
    }();
    return family;
}

double mercator_to_lon(double x) { return x / td::k_earth_radius_m * 180.0 / std::numbers::pi; }
double mercator_to_lat(double y) {
    return std::atan(std::sinh(y / td::k_earth_radius_m)) * 180.0 / std::numbers::pi;
}

void set_rgba(cairo_t* cr, const Rgba& c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

// Paints the current path in an overlay's colours (fill only for areas and points) and clears it.
void fill_and_stroke(cairo_t* cr, const MapOverlay& overlay, bool fill) {
    if (fill) {
        set_rgba(cr, overlay.fill);
        cairo_fill_preserve(cr);
    }
    if (overlay.stroke_width_px > 0) {
        set_rgba(cr, overlay.stroke);
        cairo_set_line_width(cr, overlay.stroke_width_px);
        cairo_stroke_preserve(cr);
    }
    cairo_new_path(cr);
}

// Type sizes and spacings grow with the image, so that a 4000 px print map reads like a 1600 px one.
struct Metrics {
    double unit;
    double margin;
    double title_px;
    double subtitle_px;
    double text_px;
    double small_px;
};

Metrics metrics_for(int width, int height) {
    const double u = std::max(std::min(width, height) / 1100.0, 0.3);
    return {u, std::round(24 * u), std::max(32 * u, 11.0), std::max(21 * u, 9.0), std::max(19 * u, 9.0),
            std::max(14 * u, 8.0)};
}

void select_font(cairo_t* cr, double size, bool bold) {
    cairo_select_font_face(cr, cjk_family(), CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& text) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, text.c_str(), &e);
    return e.x_advance;
}

enum class Anchor { left, centre, right };

// Draws one line of text with its baseline at y; a halo keeps it readable over the map.
void draw_text(cairo_t* cr, const std::string& text, double x, double y, Anchor anchor, const Rgba& colour,
               double halo_px = 0) {
    if (text.empty()) return;
    const double w = text_width(cr, text);
    const double x0 = anchor == Anchor::left ? x : anchor == Anchor::centre ? x - w / 2 : x - w;
    cairo_new_path(cr);
    cairo_move_to(cr, x0, y);
    if (halo_px > 0) {
        cairo_text_path(cr, text.c_str());
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
        cairo_set_line_width(cr, halo_px);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
        cairo_move_to(cr, x0, y);
    }
    set_rgba(cr, colour);
    cairo_show_text(cr, text.c_str());
    cairo_new_path(cr);
}

// Shrinks the font until the text fits `max_width` (long Chinese titles on narrow maps).
void fit_font(cairo_t* cr, const std::string& text, double size, bool bold, double max_width) {
    select_font(cr, size, bold);
    const double w = text_width(cr, text);
    if (w > max_width && w > 0) select_font(cr, std::max(size * max_width / w, 6.0), bold);
}

GeometryKind overlay_kind(const MapOverlay& overlay) {
    td::LayerGeometry g;
    const td::Projector identity(0, 0, 1);
    g.reset(identity, -k_infinity, k_infinity);
    for (const auto& wkb : overlay.wkb) {
        GeometryKind kind = GeometryKind::unknown;
        if (g.add(wkb, kind) && kind != GeometryKind::unknown) return kind;
    }
    return GeometryKind::polygon;
}

// The Web Mercator extent of the overlays (with the identity projector, pixel y is −y).
BBox overlay_extent_m(const std::vector<MapOverlay>& overlays) {
    BBox out;
    td::LayerGeometry g;
    const td::Projector identity(0, 0, 1);
    g.reset(identity, -k_infinity, k_infinity);
    for (const auto& overlay : overlays) {
        for (const auto& wkb : overlay.wkb) {
            GeometryKind kind = GeometryKind::unknown;
            g.add(wkb, kind);
        }
    }
    for (const td::Geom& geom : g.geoms()) {
        if (geom.part_begin == geom.part_end) continue;
        out.extend(geom.minx, -geom.maxy);
        out.extend(geom.maxx, -geom.miny);
    }
    return out;
}

BBox to_mercator(const BBox& b) {
    return {td::lon_to_mercator_x(b.minx), td::lat_to_mercator_y(b.miny), td::lon_to_mercator_x(b.maxx),
            td::lat_to_mercator_y(b.maxy)};
}

void check_options(const ReportMapOptions& o) {
    const auto bad_size = [](int v) { return v < k_min_size_px || v > k_max_size_px; };
    if (bad_size(o.width_px) || bad_size(o.height_px)) {
        throw Error(Errc::invalid_argument, "the map size must be " + std::to_string(k_min_size_px) + " to " +
                                                std::to_string(k_max_size_px) + " pixels each way, not " +
                                                std::to_string(o.width_px) + " × " + std::to_string(o.height_px));
    }
    if (o.bbox) {
        const BBox& b = *o.bbox;
        const bool finite = std::isfinite(b.minx) && std::isfinite(b.miny) && std::isfinite(b.maxx) && std::isfinite(b.maxy);
        if (!finite || b.empty() || b.minx < -180 || b.maxx > 180 || b.miny < -td::k_max_latitude ||
            b.maxy > td::k_max_latitude) {
            throw Error(Errc::invalid_argument,
                        "the map bbox must be minlon,minlat,maxlon,maxlat with lon −180 … 180, lat −85 … 85 and min ≤ max");
        }
    }
    for (const auto& overlay : o.overlays) {
        if (!(overlay.stroke_width_px >= 0 && overlay.stroke_width_px <= 100) ||
            !(overlay.point_radius_px >= 0 && overlay.point_radius_px <= 200)) {
            throw Error(Errc::invalid_argument, "an overlay's stroke width must be 0 … 100 px and its point radius 0 … 200 px");
        }
    }
}

struct LegendEntry {
    const MapOverlay* overlay;
    GeometryKind kind;
};

std::vector<LegendEntry> legend_entries(const ReportMapOptions& o) {
    std::vector<LegendEntry> out;
    for (const auto& overlay : o.overlays) {
        if (!overlay.legend.empty()) out.push_back({&overlay, overlay_kind(overlay)});
    }
    return out;
}

constexpr const char* k_legend_title = "图例";

struct LegendGeometry {
    double pad, swatch_w, swatch_h, row_h, title_h;
};

LegendGeometry legend_geometry(const Metrics& m) {
    return {12 * m.unit, 34 * m.unit, 20 * m.unit, std::max(m.text_px * 1.6, 28 * m.unit), m.text_px * 1.8};
}

// A scratch context for measuring text before the image exists.
struct Measure {
    td::SurfacePtr surface{cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)};
    td::ContextPtr cr{cairo_create(surface.get())};
};

ReportMapLayout make_layout(store::Store& store, const ReportMapOptions& o, const std::vector<LegendEntry>& legend) {
    check_options(o);
    ReportMapLayout l;
    l.width_px = o.width_px;
    l.height_px = o.height_px;
    const Metrics m = metrics_for(o.width_px, o.height_px);

    double header = 0;
    if (!o.title.empty()) header += m.title_px * 1.45;
    if (!o.subtitle.empty()) header += m.subtitle_px * 1.5;
    if (header > 0) header += m.margin * 0.5;
    const double footer = m.small_px * 1.8;
    l.frame = {m.margin, m.margin + header, o.width_px - 2 * m.margin, o.height_px - 2 * m.margin - header - footer};
    if (l.frame.width < 50 || l.frame.height < 50) {
        throw Error(Errc::invalid_argument, "the map is too small for its title: make it larger or the title shorter");
    }

    BBox area;
    if (o.bbox) {
        area = to_mercator(*o.bbox);
    } else {
        area = overlay_extent_m(o.overlays);
        if (auto cells = store.layer("grid_cells"); cells && !cells->extent.empty()) area.extend(to_mercator(cells->extent));
        if (area.empty()) {
            for (const auto& name : o.base_layers) {
                if (auto info = store.layer(name); info && !info->extent.empty()) area.extend(to_mercator(info->extent));
            }
        }
        if (area.empty()) {
            throw Error(Errc::invalid_argument, "nothing to map: give a bbox, an overlay with geometries or a store with grid cells");
        }
    }
    const double cx = (area.minx + area.maxx) / 2;
    const double cy = (area.miny + area.maxy) / 2;
    // Mercator stretches distances by 1/cos(lat); the minimum span is meant on the ground.
    const double stretch = 1 / std::cos(mercator_to_lat(cy) * std::numbers::pi / 180);
    const double min_span = k_min_span_m * stretch;
    const double span_x = std::max(area.maxx - area.minx, min_span);
    const double span_y = std::max(area.maxy - area.miny, min_span);
    l.px_per_m = std::min(l.frame.width * (1 - 2 * k_fit_margin) / span_x, l.frame.height * (1 - 2 * k_fit_margin) / span_y);
    l.origin_x_m = cx - (l.frame.x + l.frame.width / 2) / l.px_per_m;
    l.origin_y_m = cy + (l.frame.y + l.frame.height / 2) / l.px_per_m;
    // MapLibre's zoom z shows the world's 2πR metres in 512 · 2^z pixels.
    l.zoom = std::clamp(std::log2(l.px_per_m * 2 * td::k_half_world_m / 512), 0.0, 24.0);
    l.metres_per_px = 1 / (l.px_per_m * stretch);

    if (!legend.empty()) {
        const LegendGeometry g = legend_geometry(m);
        Measure measure;
        select_font(measure.cr.get(), m.text_px, true);
        double text_w = text_width(measure.cr.get(), k_legend_title) - g.swatch_w - g.pad;
        select_font(measure.cr.get(), m.text_px, false);
        for (const auto& e : legend) text_w = std::max(text_w, text_width(measure.cr.get(), e.overlay->legend));
        const double w = std::min(g.pad * 3 + g.swatch_w + text_w, l.frame.width * 0.6);
        const double h = std::min(g.pad * 2 + g.title_h + g.row_h * static_cast<double>(legend.size()), l.frame.height * 0.8);
        l.legend = {l.frame.x + l.frame.width - w - m.margin * 0.5, l.frame.y + l.frame.height - h - m.margin * 0.5, w, h};
    }
    return l;
}

td::Viewport frame_viewport(const ReportMapLayout& l) {
    // Pixel (0, 0) of the viewport is the frame's corner: the context is translated there.
    const double x0 = l.origin_x_m + l.frame.x / l.px_per_m;
    const double y0 = l.origin_y_m - l.frame.y / l.px_per_m;
    const double x1 = x0 + l.frame.width / l.px_per_m;
    const double y1 = y0 - l.frame.height / l.px_per_m;
    return {td::Projector(x0, y0, l.px_per_m),
            BBox{mercator_to_lon(x0), mercator_to_lat(y1), mercator_to_lon(x1), mercator_to_lat(y0)}, l.frame.width,
            l.frame.height};
}

// Where a geometry's label goes: a point's right side, else the centroid of its largest ring
// or the middle of its longest line.
struct LabelSpot {
    td::Pt at;
    bool beside;  // true: left-aligned right of a point
};

LabelSpot label_spot(const td::LayerGeometry& layer, const td::Geom& g) {
    double best = -1;
    LabelSpot spot{{(g.minx + g.maxx) / 2, (g.miny + g.maxy) / 2}, false};
    for (const td::Part& part : layer.parts(g)) {
        const auto pts = layer.points(part);
        if (part.kind == td::PartKind::point && best < 0) {
            spot = {pts[0], true};
            best = 0;
        } else if (part.kind == td::PartKind::exterior) {
            double a2 = 0, sx = 0, sy = 0;
            for (std::size_t i = 0, j = pts.size() - 1; i < pts.size(); j = i++) {
                const double c = pts[j].x * pts[i].y - pts[i].x * pts[j].y;
                a2 += c;
                sx += (pts[j].x + pts[i].x) * c;
                sy += (pts[j].y + pts[i].y) * c;
            }
            if (std::abs(a2) > best && std::abs(a2) > 1e-9) {
                best = std::abs(a2);
                spot = {{sx / (3 * a2), sy / (3 * a2)}, false};
            }
        } else if (part.kind == td::PartKind::line) {
            double len = 0;
            for (std::size_t i = 1; i < pts.size(); ++i) len += std::hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
            if (len > best) {
                best = len;
                spot = {pts[pts.size() / 2], false};
            }
        }
    }
    return spot;
}

struct PendingLabel {
    std::string text;
    LabelSpot spot;
    double offset_px;
};

void draw_overlay(cairo_t* cr, const MapOverlay& overlay, const td::Viewport& view, std::vector<PendingLabel>& labels) {
    td::LayerGeometry layer;
    const double guard = std::max(view.width_px, view.height_px);
    layer.reset(view.projector, -guard, guard * 2);
    std::vector<std::size_t> source;  // geometry → index in overlay.wkb
    for (std::size_t i = 0; i < overlay.wkb.size(); ++i) {
        GeometryKind kind = GeometryKind::unknown;
        if (layer.add(overlay.wkb[i], kind)) source.push_back(i);
    }
    const auto on_screen = [&](const td::Geom& g, double spill) {
        return g.part_begin != g.part_end && g.maxx >= -spill && g.minx <= view.width_px + spill && g.maxy >= -spill &&
               g.miny <= view.height_px + spill;
    };
    const auto tiny = [](const td::Geom& g) {
        return !g.has_point && g.maxx - g.minx < k_min_overlay_px && g.maxy - g.miny < k_min_overlay_px;
    };
    const double radius = overlay.point_radius_px;
    const double spill = radius + overlay.stroke_width_px + 2;

    // Polygons in one path: overlapping circles fill once, as their union.
    cairo_new_path(cr);
    bool any = false;
    for (const td::Geom& g : layer.geoms()) {
        if (!g.has_polygon || tiny(g) || !on_screen(g, spill)) continue;
        for (const td::Part& part : layer.parts(g)) {
            if (part.kind == td::PartKind::exterior || part.kind == td::PartKind::interior) {
                td::add_path(cr, layer.points(part), true);
                any = true;
            }
        }
    }
    if (any) fill_and_stroke(cr, overlay, true);
    cairo_new_path(cr);
    any = false;
    for (const td::Geom& g : layer.geoms()) {
        if (!g.has_line || tiny(g) || !on_screen(g, spill)) continue;
        for (const td::Part& part : layer.parts(g)) {
            if (part.kind == td::PartKind::line) {
                td::add_path(cr, layer.points(part), false);
                any = true;
            }
        }
    }
    if (any) fill_and_stroke(cr, overlay, false);
    cairo_new_path(cr);
    any = false;
    for (const td::Geom& g : layer.geoms()) {
        if (!on_screen(g, spill)) continue;
        if (tiny(g)) {
            cairo_new_sub_path(cr);
            cairo_arc(cr, (g.minx + g.maxx) / 2, (g.miny + g.maxy) / 2, std::max(radius, 1.0), 0, 2 * std::numbers::pi);
            any = true;
            continue;
        }
        for (const td::Part& part : layer.parts(g)) {
            if (part.kind != td::PartKind::point) continue;
            const td::Pt p = layer.points(part)[0];
            cairo_new_sub_path(cr);
            cairo_arc(cr, p.x, p.y, radius, 0, 2 * std::numbers::pi);
            any = true;
        }
    }
    if (any) fill_and_stroke(cr, overlay, true);
    cairo_new_path(cr);

    const auto& geoms = layer.geoms();
    for (std::size_t k = 0; k < geoms.size(); ++k) {
        const std::size_t i = source[k];
        if (i >= overlay.labels.size() || overlay.labels[i].empty() || !on_screen(geoms[k], 0)) continue;
        labels.push_back({overlay.labels[i], label_spot(layer, geoms[k]), radius + overlay.stroke_width_px});
    }
}

void draw_swatch(cairo_t* cr, const LegendEntry& e, double x, double y, double w, double h, double unit) {
    const MapOverlay& o = *e.overlay;
    cairo_new_path(cr);
    switch (e.kind) {
        case GeometryKind::point: {
            const double r = std::clamp(o.point_radius_px, std::min(5 * unit, h / 2), h / 2);
            cairo_arc(cr, x + w / 2, y + h / 2, r, 0, 2 * std::numbers::pi);
            set_rgba(cr, o.fill);
            cairo_fill_preserve(cr);
            break;
        }
        case GeometryKind::line:
            cairo_move_to(cr, x, y + h / 2);
            cairo_line_to(cr, x + w, y + h / 2);
            break;
        default:
            cairo_rectangle(cr, x, y, w, h);
            set_rgba(cr, o.fill);
            cairo_fill_preserve(cr);
            break;
    }
    if (o.stroke_width_px > 0) {
        set_rgba(cr, o.stroke);
        cairo_set_line_width(cr, e.kind == GeometryKind::line ? std::max(o.stroke_width_px, 2.0) : std::min(o.stroke_width_px, h / 4));
        cairo_stroke(cr);
    }
    cairo_new_path(cr);
}

void draw_legend(cairo_t* cr, const ReportMapLayout& l, const Metrics& m, const std::vector<LegendEntry>& legend) {
    if (legend.empty()) return;
    const LegendGeometry g = legend_geometry(m);
    const PixelBox& box = l.legend;
    cairo_save(cr);
    cairo_rectangle(cr, box.x, box.y, box.width, box.height);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.93);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, 0.55, 0.55, 0.55, 1);
    cairo_set_line_width(cr, std::max(m.unit, 1.0));
    cairo_stroke(cr);
    cairo_rectangle(cr, box.x, box.y, box.width, box.height);
    cairo_clip(cr);
    select_font(cr, m.text_px, true);
    draw_text(cr, k_legend_title, box.x + g.pad, box.y + g.pad + m.text_px, Anchor::left, {0.15, 0.15, 0.15, 1});
    select_font(cr, m.text_px, false);
    double y = box.y + g.pad + g.title_h;
    for (const auto& e : legend) {
        draw_swatch(cr, e, box.x + g.pad, y + (g.row_h - g.swatch_h) / 2, g.swatch_w, g.swatch_h, m.unit);
        draw_text(cr, e.overlay->legend, box.x + 2 * g.pad + g.swatch_w, y + g.row_h / 2 + m.text_px * 0.36, Anchor::left,
                  {0.1, 0.1, 0.1, 1});
        y += g.row_h;
    }
    cairo_restore(cr);
}

// The longest round length (1, 2 or 5 × 10^n metres) not above `max_m`.
double round_length_m(double max_m) {
    const double p = std::pow(10.0, std::floor(std::log10(max_m)));
    for (const double f : {5.0, 2.0, 1.0}) {
        if (f * p <= max_m) return f * p;
    }
    return p;
}

std::string length_text(double m) {
    char buf[32];
    if (m >= 1000) {
        std::snprintf(buf, sizeof buf, "%g km", m / 1000);
    } else {
        std::snprintf(buf, sizeof buf, "%g m", m);
    }
    return buf;
}

void draw_scale_bar(cairo_t* cr, const ReportMapLayout& l, const Metrics& m) {
    const double length_m = round_length_m(l.frame.width * 0.2 * l.metres_per_px);
    const double bar_px = length_m / l.metres_per_px;
    const double x = l.frame.x + m.margin;
    const double bar_h = std::max(6 * m.unit, 3.0);
    const double y = l.frame.y + l.frame.height - m.margin - bar_h;
    cairo_save(cr);
    select_font(cr, m.small_px, false);
    const std::string label = length_text(length_m);
    const double label_w = text_width(cr, label);
    // A pale backing keeps the bar readable over dense blocks.
    cairo_rectangle(cr, x - m.margin * 0.4, y - m.small_px * 1.5 - m.margin * 0.3, bar_px + label_w * 0.6 + m.margin * 0.8,
                    bar_h + m.small_px * 1.5 + m.margin * 0.6);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
    cairo_fill(cr);
    const Rgba dark{0.15, 0.15, 0.15, 1};
    for (int i = 0; i < 4; ++i) {
        cairo_rectangle(cr, x + bar_px * i / 4, y, bar_px / 4, bar_h);
        if (i % 2 == 0) {
            set_rgba(cr, dark);
        } else {
            cairo_set_source_rgb(cr, 1, 1, 1);
        }
        cairo_fill(cr);
    }
    cairo_rectangle(cr, x, y, bar_px, bar_h);
    set_rgba(cr, dark);
    cairo_set_line_width(cr, std::max(m.unit, 1.0));
    cairo_stroke(cr);
    draw_text(cr, "0", x, y - m.small_px * 0.4, Anchor::centre, dark);
    draw_text(cr, label, x + bar_px, y - m.small_px * 0.4, Anchor::centre, dark);
    cairo_restore(cr);
}

void draw_north_arrow(cairo_t* cr, const ReportMapLayout& l, const Metrics& m) {
    const double h = 46 * m.unit;
    const double w = h * 0.5;
    const double cx = l.frame.x + l.frame.width - m.margin - w / 2;
    const double top = l.frame.y + m.margin + m.text_px * 1.1;
    cairo_save(cr);
    select_font(cr, m.text_px, true);
    const Rgba dark{0.15, 0.15, 0.15, 1};
    draw_text(cr, "N", cx, top - m.text_px * 0.25, Anchor::centre, dark, m.text_px * 0.3);
    // Web Mercator keeps north straight up everywhere in the frame.
    cairo_move_to(cr, cx, top);
    cairo_line_to(cr, cx + w / 2, top + h);
    cairo_line_to(cr, cx, top + h * 0.72);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill_preserve(cr);
    set_rgba(cr, dark);
    cairo_set_line_width(cr, std::max(m.unit * 1.2, 1.0));
    cairo_stroke(cr);
    cairo_move_to(cr, cx, top);
    cairo_line_to(cr, cx - w / 2, top + h);
    cairo_line_to(cr, cx, top + h * 0.72);
    cairo_close_path(cr);
    cairo_fill_preserve(cr);
    cairo_stroke(cr);
    cairo_restore(cr);
}

}  // namespace

Pixel ReportMapLayout::to_pixel(double lon, double lat) const {
    return {(tiles::detail::lon_to_mercator_x(lon) - origin_x_m) * px_per_m,
            (origin_y_m - tiles::detail::lat_to_mercator_y(lat)) * px_per_m};
}

ReportMapLayout layout_report_map(store::Store& store, const ReportMapOptions& options) {
    return make_layout(store, options, legend_entries(options));
}

std::string render_report_map(store::Store& store, const style::Style& style, const ReportMapOptions& options) {
    const std::vector<LegendEntry> legend = legend_entries(options);
    const ReportMapLayout l = make_layout(store, options, legend);
    const Metrics m = metrics_for(l.width_px, l.height_px);

    td::SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, l.width_px, l.height_px));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
        throw Error(Errc::internal, "cannot create a cairo image surface for the report map");
    }
    {
        td::ContextPtr owner(cairo_create(surface.get()));
        cairo_t* cr = owner.get();
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);

        // The map: base layers by the style, then the overlays, clipped to the frame.
        cairo_save(cr);
        cairo_rectangle(cr, l.frame.x, l.frame.y, l.frame.width, l.frame.height);
        cairo_clip(cr);
        cairo_translate(cr, l.frame.x, l.frame.y);
        const td::Viewport view = frame_viewport(l);
        td::LayerInfos infos;
        for (const auto& name : options.base_layers) {
            if (auto info = store.layer(name)) infos.emplace(name, std::move(info));
        }
        td::StylePainter painter;
        painter.collect(store, style, view, l.zoom, 1, infos, true, std::nullopt, 1.0);
        painter.paint(cr);

        std::vector<PendingLabel> labels;
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        for (const auto& overlay : options.overlays) draw_overlay(cr, overlay, view, labels);
        // Labels after every overlay, so that no later overlay hides them.
        const double label_px = (m.small_px + m.text_px) / 2;
        select_font(cr, label_px, true);
        // A label that would overlap one already placed is left out: two stations a street apart
        // would otherwise print over each other.
        std::vector<PixelBox> placed;
        for (const auto& label : labels) {
            const td::Pt p = label.spot.at;
            const double w = text_width(cr, label.text);
            const double x = label.spot.beside ? p.x + label.offset_px + 3 * m.unit : p.x - w / 2;
            const PixelBox box{x, p.y - label_px * 0.6, w, label_px * 1.2};
            const bool clash = std::any_of(placed.begin(), placed.end(), [&](const PixelBox& o) {
                return box.x < o.x + o.width && o.x < box.x + box.width && box.y < o.y + o.height && o.y < box.y + box.height;
            });
            if (clash) continue;
            placed.push_back(box);
            draw_text(cr, label.text, x, p.y + label_px * 0.36, Anchor::left, {0.1, 0.1, 0.1, 1}, label_px * 0.3);
        }
        cairo_restore(cr);

        cairo_rectangle(cr, l.frame.x, l.frame.y, l.frame.width, l.frame.height);
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        cairo_set_line_width(cr, std::max(m.unit, 1.0));
        cairo_stroke(cr);

        draw_scale_bar(cr, l, m);
        if (options.north_arrow) draw_north_arrow(cr, l, m);
        draw_legend(cr, l, m, legend);

        const double text_w = l.width_px - 2 * m.margin;
        double y = m.margin;
        if (!options.title.empty()) {
            fit_font(cr, options.title, m.title_px, true, text_w);
            y += m.title_px * 1.05;
            draw_text(cr, options.title, m.margin, y, Anchor::left, {0.08, 0.08, 0.08, 1});
            y += m.title_px * 0.4;
        }
        if (!options.subtitle.empty()) {
            fit_font(cr, options.subtitle, m.subtitle_px, false, text_w);
            y += m.subtitle_px * 1.2;
            draw_text(cr, options.subtitle, m.margin, y, Anchor::left, {0.35, 0.35, 0.35, 1});
        }
        fit_font(cr, options.attribution, m.small_px, false, text_w);
        draw_text(cr, options.attribution, l.width_px - m.margin, l.frame.y + l.frame.height + m.small_px * 1.35,
                  Anchor::right, {0.4, 0.4, 0.4, 1});

        if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
            throw Error(Errc::internal, std::string("drawing the report map failed: ") + cairo_status_to_string(cairo_status(cr)));
        }
    }
    return td::encode_png(surface.get(), "report map");
}

}  // namespace geo::analysis
