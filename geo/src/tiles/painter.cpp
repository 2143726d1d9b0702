#include "tiles/painter.hpp"

#include <numbers>

#include "geo/error.hpp"
#include "geo/tiles/tile_source.hpp"

namespace geo::tiles::detail {

using style::LayerType;
using style::Rule;

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


namespace {

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

bool StylePainter::collect(store::Store& store, const style::Style& style, const Viewport& view, double zoom,
                           double scale, LayerInfos& infos, bool named_only, std::optional<int> tile_zoom,
                           double min_feature_px) {
    m_style = &style;
    m_projector = view.projector;
    m_zoom = zoom;
    m_scale = scale;
    const double guard = std::max(view.width_px, view.height_px);  // far beyond any stroke spill (capped at 64 CSS px)

    // Which store layers the rules need at this zoom, and how far their drawing spills.
    struct LayerJob {
        std::string name;
        const LayerInfo* info;
        double spill_px;
    };
    std::vector<LayerJob> jobs;
    m_rule_job.assign(style.rules.size(), SIZE_MAX);
    for (std::size_t r = 0; r < style.rules.size(); ++r) {
        const Rule& rule = style.rules[r];
        if (rule.type == LayerType::background || !rule.shown_at(zoom)) continue;
        const auto source = style.sources.find(rule.source);
        if (source == style.sources.end() || source->second != "vector") continue;
        auto it = infos.find(rule.source_layer);
        if (it == infos.end()) {
            if (named_only) continue;
            it = infos.emplace(rule.source_layer, store.layer(rule.source_layer)).first;
        }
        if (!it->second) continue;
        if (tile_zoom) {
            const ZoomRange range = zoom_range(*it->second);
            if (*tile_zoom < range.min || *tile_zoom > range.max) continue;
        }
        const double spill = style::max_spill_px(rule, zoom) * scale + 1;  // + antialiasing
        auto job = std::find_if(jobs.begin(), jobs.end(), [&](const LayerJob& j) { return j.name == rule.source_layer; });
        if (job == jobs.end()) {
            jobs.push_back({rule.source_layer, &*it->second, spill});
            job = jobs.end() - 1;
        } else {
            job->spill_px = std::max(job->spill_px, spill);
        }
        m_rule_job[r] = static_cast<std::size_t>(job - jobs.begin());
    }

    if (m_layers.size() < jobs.size()) m_layers.resize(jobs.size());
    if (m_rules.size() < style.rules.size()) m_rules.resize(style.rules.size());
    for (auto& items : m_rules) items.clear();

    const double width = view.width_px;
    const double height = view.height_px;
    const BBox& bounds = view.wgs84;
    bool drawn = false;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        const LayerJob& job = jobs[j];
        LayerGeometry& geometry = m_layers[j];
        geometry.reset(*m_projector, -guard, std::max(width, height) + guard);

        std::vector<std::size_t> rules;
        for (std::size_t r = 0; r < style.rules.size(); ++r) {
            if (m_rule_job[r] != j) continue;
            rules.push_back(r);
            m_rules[r].layer = j;
            m_rules[r].spill_px = style::max_spill_px(style.rules[r], zoom) * scale + 1;
        }

        store::FeatureQuery query;
        const double dx = (bounds.maxx - bounds.minx) * job.spill_px / width;
        const double dy = (bounds.maxy - bounds.miny) * job.spill_px / height;
        query.bbox = BBox{bounds.minx - dx, bounds.miny - dy, bounds.maxx + dx, bounds.maxy + dy};
        query.bbox_exact = false;

        style::FeatureData data(style);
        data.bind(job.info->fields);
        for (const std::size_t r : rules) {
            if (!style.rules[r].paint_reads_feature) {
                m_rules[r].paints.push_back(style::evaluate_paint(style.rules[r], zoom, data));
            }
        }
        store.read_features(job.name, query, [&](const Feature& f) {
            GeometryKind kind = GeometryKind::unknown;
            if (!geometry.add(f.wkb, kind)) return true;
            const auto index = static_cast<std::uint32_t>(geometry.geoms().size() - 1);
            const Geom& g = geometry.geoms().back();
            if (g.part_begin == g.part_end) return true;
            if (g.maxx - g.minx < min_feature_px && g.maxy - g.miny < min_feature_px && !g.has_point) return true;
            data.assign(f.values, kind);
            for (const std::size_t r : rules) {
                const Rule& rule = style.rules[r];
                RuleItems& items = m_rules[r];
                if (!can_draw(rule.type, g)) continue;
                const double s = items.spill_px;
                if (g.maxx < -s || g.minx > width + s || g.maxy < -s || g.miny > height + s) continue;
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
    if (!drawn) return false;
    for (std::size_t r = 0; r < style.rules.size(); ++r) {
        if (order_free(style.rules[r], m_rules[r])) group_by_paint(m_rules[r]);
    }
    return true;
}

void StylePainter::paint(cairo_t* cr) const {
    if (!m_style) return;
    const style::Style& style = *m_style;
    const style::FeatureData none(style);
    for (std::size_t r = 0; r < style.rules.size(); ++r) {
        const Rule& rule = style.rules[r];
        if (rule.type == LayerType::background) {
            if (!rule.shown_at(m_zoom)) continue;
            const Paint p = style::evaluate_paint(rule, m_zoom, none);
            set_color(cr, p.background_color, p.background_opacity);
            cairo_paint(cr);
            continue;
        }
        if (r >= m_rule_job.size() || m_rule_job[r] == SIZE_MAX || m_rules[r].features.empty()) continue;
        cairo_save(cr);
        cairo_set_line_cap(cr, rule.line_cap == style::LineCap::round    ? CAIRO_LINE_CAP_ROUND
                               : rule.line_cap == style::LineCap::square ? CAIRO_LINE_CAP_SQUARE
                                                                         : CAIRO_LINE_CAP_BUTT);
        cairo_set_line_join(cr, rule.line_join == style::LineJoin::round   ? CAIRO_LINE_JOIN_ROUND
                                : rule.line_join == style::LineJoin::bevel ? CAIRO_LINE_JOIN_BEVEL
                                                                           : CAIRO_LINE_JOIN_MITER);
        draw_rule(cr, rule, m_rules[r], m_layers[m_rules[r].layer], m_scale);
        cairo_restore(cr);
    }
}

std::string encode_png(cairo_surface_t* surface, const char* what) {
    cairo_surface_flush(surface);
    std::string png;
    png.reserve(64 * 1024);
    const cairo_status_t status = cairo_surface_write_to_png_stream(surface, append_png, &png);
    if (status != CAIRO_STATUS_SUCCESS) {
        throw Error(Errc::internal, std::string("encoding the PNG ") + what + " failed: " + cairo_status_to_string(status));
    }
    return png;
}

}  // namespace geo::tiles::detail
