#include "geo/tiles/tile_source.hpp"

#include <algorithm>

#include "geo/error.hpp"
#include "geo/style/style.hpp"
#include "tiles/mvt_encoder.hpp"
#include "tiles/thinning.hpp"

namespace geo::tiles {

ZoomRange zoom_range(const LayerInfo& layer) noexcept {
    // Cells and circles are few and large: seen from a district overview. Buildings, roads and
    // points are many and small: from neighbourhood zoom on.
    if (layer.name == "grid_cells" || layer.name == "service_circles") return {8, 22};
    return {10, 22};
}

std::string render_mvt(store::Store& store, const std::vector<std::string>& layers, const TileId& t,
                       const MvtOptions& options, const style::Style* style) {
    if (!is_valid(t)) {
        throw Error(Errc::invalid_argument, "tile " + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
                                                std::to_string(t.y) + " does not exist: x and y must be below 2^z");
    }
    // The query box is the tile grown by the buffer, in lon/lat.
    const BBox tile = bounds_wgs84(t);
    const double margin = static_cast<double>(options.buffer) / static_cast<double>(options.extent);
    const double dx = (tile.maxx - tile.minx) * margin;
    const double dy = (tile.maxy - tile.miny) * margin;
    store::FeatureQuery query;
    query.bbox = BBox{tile.minx - dx, tile.miny - dy, tile.maxx + dx, tile.maxy + dy};
    query.bbox_exact = false;

    std::vector<MvtLayerInput> inputs;
    for (const auto& name : layers) {
        auto info = store.layer(name);
        if (!info) throw Error(Errc::not_found, "no layer named \"" + name + "\"");
        const ZoomRange range = zoom_range(*info);
        if (t.z < range.min || t.z > range.max) {
            // A composite tile shows the layers served at this zoom; a single layer must be.
            if (layers.size() > 1) continue;
            throw Error(Errc::invalid_argument, "layer " + name + " is served at zoom " +
                                                    std::to_string(range.min) + " to " +
                                                    std::to_string(range.max) + ", not " + std::to_string(t.z));
        }
        MvtLayerInput input{info->name, info->fields, {}};
        store.read_features(name, query, [&](const Feature& f) {
            input.features.push_back(f);
            return true;
        });
        inputs.push_back(std::move(input));
    }
    if (inputs.empty()) {
        throw Error(Errc::invalid_argument, "none of these layers is served at zoom " + std::to_string(t.z));
    }
    MvtOptions drawn = options;
    drawn.min_area_units = std::max(options.min_area_units, 64.0);
    detail::EncodeStats stats;
    std::string encoded = detail::encode_mvt_selected(t, inputs, {}, drawn, &stats);
    // Most tiles end here, byte for byte as they always were.
    if (encoded.size() <= k_max_tile_bytes && stats.polygons_too_small <= stats.polygons_drawn) {
        return encoded;
    }
    std::vector<std::vector<char>> style_fields;
    if (style != nullptr) {
        for (const MvtLayerInput& in : inputs) {
            const std::vector<std::string> read = style::keys_read(*style, in.name, t.z);
            std::vector<char>& kept = style_fields.emplace_back(in.fields.size(), 0);
            for (std::size_t i = 0; i < in.fields.size(); ++i) {
                kept[i] = std::find(read.begin(), read.end(), in.fields[i].name) != read.end() ? 1 : 0;
            }
        }
    }
    return detail::thin_tile(t, inputs, style_fields, drawn, k_max_tile_bytes, encoded.size());
}

}  // namespace geo::tiles
