#include "geo/tiles/raster.hpp"

#include <array>
#include <cstring>
#include <optional>

#include <cairo.h>

#include "geo/error.hpp"
#include "tiles/painter.hpp"

namespace geo::tiles {

namespace {

using detail::SurfacePtr;
using detail::ContextPtr;

constexpr int k_tile_px = 256;

// Per-thread buffers reused from tile to tile.
struct Buffers {
    detail::StylePainter painter;
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

}  // namespace

std::string render_png(store::Store& store, const style::Style& style, const TileId& t, int scale,
                       const std::vector<std::string>& layers) {
    if (!is_valid(t)) {
        throw Error(Errc::invalid_argument, "tile " + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
                                                std::to_string(t.y) + " does not exist: x and y must be below 2^z");
    }
    if (scale != 1 && scale != 2) throw Error(Errc::invalid_argument, "the tile scale is 1 or 2 (@2x)");

    detail::LayerInfos infos;
    for (const auto& name : layers) {
        auto info = store.layer(name);
        if (!info) throw Error(Errc::not_found, "no layer named \"" + name + "\"");
        infos[name] = std::move(info);
    }
    const double zoom = std::max(0, t.z - 1);
    const double size = k_tile_px * scale;
    const BBox mercator = bounds_mercator(t);
    const detail::Viewport view{detail::Projector(mercator.minx, mercator.maxy, size / (mercator.maxx - mercator.minx)),
                                bounds_wgs84(t), size, size};
    detail::StylePainter& painter = t_buffers.painter;
    if (!painter.collect(store, style, view, zoom, scale, infos, !layers.empty(), t.z, 0)) return {};

    cairo_surface_t* surface = surface_for(scale);
    {
        ContextPtr cr(cairo_create(surface));
        cairo_set_fill_rule(cr.get(), CAIRO_FILL_RULE_WINDING);
        // 4×4 supersampling: at tile sizes it looks the same as the 256-level default and
        // rasterizes about a third faster.
        cairo_set_antialias(cr.get(), CAIRO_ANTIALIAS_FAST);
        painter.paint(cr.get());
        if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
            throw Error(Errc::internal, std::string("drawing the tile failed: ") + cairo_status_to_string(cairo_status(cr.get())));
        }
    }
    return detail::encode_png(surface, "tile");
}

std::string transparent_png(int scale) {
    if (scale != 1 && scale != 2) throw Error(Errc::invalid_argument, "scale must be 1 or 2");
    cairo_surface_t* surface = surface_for(scale);
    {
        ContextPtr cr(cairo_create(surface));
        cairo_set_operator(cr.get(), CAIRO_OPERATOR_CLEAR);
        cairo_paint(cr.get());
    }
    return detail::encode_png(surface, "tile");
}

}  // namespace geo::tiles
