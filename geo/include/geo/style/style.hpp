#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geo/types.hpp"

namespace geo::style {

namespace detail {
struct RuleExprs;
}

/// An sRGB colour with straight (not premultiplied) alpha; every channel in 0 … 1.
struct Color {
    double r = 0;
    double g = 0;
    double b = 0;
    double a = 1;
    friend bool operator==(const Color&, const Color&) = default;
};

/// Parses a CSS colour the way MapLibre does for the forms Gridmap supports: `#rgb`, `#rgba`,
/// `#rrggbb`, `#rrggbbaa`, `rgb(r, g, b)`, `rgba(r, g, b, a)` (channels 0–255 or percentages,
/// alpha 0–1), `hsl()`/`hsla()`, `transparent` and the CSS basic colour names. nullopt otherwise.
std::optional<Color> parse_color(std::string_view text);

enum class LayerType { background, fill, line, circle };
enum class LineCap { butt, round, square };
enum class LineJoin { miter, bevel, round };

/// Base geometry type of a feature as the `$type` filter and `["geometry-type"]` see it.
enum class GeometryKind { unknown, point, line, polygon };

/// The paint of one feature at one zoom. Widths and radii in CSS pixels (multiply by the
/// device pixel ratio); opacities 0 … 1. Properties a style leaves unset have MapLibre's
/// defaults; a fill outline is drawn only when `fill-outline-color` is set.
struct Paint {
    Color background_color{0, 0, 0, 1};
    double background_opacity = 1;
    Color fill_color{0, 0, 0, 1};
    double fill_opacity = 1;
    std::optional<Color> fill_outline_color;
    Color line_color{0, 0, 0, 1};
    double line_width = 1;
    double line_opacity = 1;
    Color circle_color{0, 0, 0, 1};
    double circle_radius = 5;
    double circle_opacity = 1;
    Color circle_stroke_color{0, 0, 0, 1};
    double circle_stroke_width = 0;
    double circle_stroke_opacity = 1;
    friend bool operator==(const Paint&, const Paint&) = default;
};

/// One drawable layer of a style, in drawing order.
struct Rule {
    std::string id;
    LayerType type = LayerType::background;
    std::string source;        ///< "" for background
    std::string source_layer;  ///< the store layer it draws ("" for background)
    double minzoom = 0;        ///< drawn when minzoom <= zoom < maxzoom
    double maxzoom = 24;
    bool visible = true;       ///< layout visibility
    LineCap line_cap = LineCap::butt;
    LineJoin line_join = LineJoin::miter;
    std::vector<double> line_dasharray;  ///< dash lengths in line widths; empty: solid
    /// True when some paint value depends on feature attributes (not only on the zoom).
    bool paint_reads_feature = false;
    /// The compiled filter and paint expressions (opaque).
    std::shared_ptr<const detail::RuleExprs> exprs;

    bool shown_at(double zoom) const noexcept { return visible && zoom >= minzoom && zoom < maxzoom; }
};

/// A MapLibre style reduced to what Gridmap's PNG renderer draws.
struct Style {
    std::string name;
    std::map<std::string, std::string> sources;  ///< source name → type ("vector", "raster", …)
    std::vector<Rule> rules;                     ///< drawable layers in style order
    /// Attribute names that expressions read; FeatureData slots follow this order.
    std::vector<std::string> keys;
    /// What was ignored: unsupported layer types, properties and expressions. Those layers are
    /// still drawn with the rest of their paint (unsupported layer types are left out).
    std::vector<std::string> warnings;
};

/// Parses a MapLibre style (version 8) JSON document. Supported: layer types background, fill,
/// line, circle; `source-layer`, `minzoom`, `maxzoom`, `filter`; layout `visibility`,
/// `line-cap`, `line-join`; paint background-color/-opacity, fill-color/-opacity/-outline-color,
/// line-color/-width/-opacity/-dasharray (constant), circle-radius/-color/-opacity,
/// circle-stroke-color/-width/-opacity. Values: constants, legacy `{"stops": …}` functions and the
/// expressions literal, get, has, zoom, geometry-type, interpolate (linear, exponential) and
/// step over any numeric input, match, case, coalesce, ==, !=, <, <=, >, >=, in, !, all, any,
/// +, -, *, /, min, max; legacy filters (`["==", "field", v]`, `in`, `!in`, `has`, `!has`,
/// `none`, `$type`). Throws geo::Error (invalid_argument) for text that is not JSON or not a
/// style object with a `layers` array and version 8; everything else unsupported becomes a warning.
Style load_style(const std::string& json_text);

/// Reads and parses a style file. Throws geo::Error (not_found) when it cannot be read, else as
/// load_style.
Style load_style_file(const std::filesystem::path& path);

/// The attributes of one feature laid out for one Style (slot i ↔ Style::keys()[i]). Reuse one
/// object per layer: bind() once, then assign() per feature. Not shared between threads.
class FeatureData {
public:
    /// @pre `style` outlives this object
    explicit FeatureData(const Style& style);

    /// Maps a layer's fields (Feature::values order) to the style's keys.
    void bind(std::span<const Field> fields);
    /// Points the bound slots at `values` (which must outlive the evaluations that follow).
    void assign(std::span<const Value> values, GeometryKind geometry);
    /// Sets one attribute by name (a copy); names no expression reads are ignored.
    void set(std::string_view name, Value value);
    void set_geometry(GeometryKind geometry) noexcept { m_geometry = geometry; }

    /// The value in slot `key`, or nullptr when the feature has none.
    const Value* value(std::size_t key) const noexcept {
        return key < m_slots.size() ? m_slots[key] : nullptr;
    }
    GeometryKind geometry() const noexcept { return m_geometry; }

private:
    const Style* m_style;
    std::vector<int> m_field_key;  // field index → key slot, −1 when unread
    std::vector<const Value*> m_slots;
    std::vector<Value> m_owned;  // one per key, for set()
    GeometryKind m_geometry = GeometryKind::unknown;
};

/// True when the rule's filter accepts the feature at `zoom` (a rule without filter accepts all).
bool passes(const Rule& rule, double zoom, const FeatureData& feature);

/// The paint of the rule's type for the feature at `zoom`. A value an expression cannot give
/// (a missing attribute without default, a text that is no colour) falls back to the default.
Paint evaluate_paint(const Rule& rule, double zoom, const FeatureData& feature);

/// How far, in CSS pixels, the rule can draw beyond a feature's geometry at `zoom`: half the
/// line width, the circle radius plus its stroke. For data-driven values the largest output
/// the expression can give; an unbounded one (a width read from an attribute) counts as `cap`.
double max_spill_px(const Rule& rule, double zoom, double cap = 64);

/// The attributes (Style::keys entries, in that order) that the filters and paint of the visible
/// rules drawing `source_layer` read while a tile of zoom `tile_zoom` is on screen, i.e. at map
/// zooms from tile_zoom to tile_zoom + 1. Empty when no rule draws the layer there.
std::vector<std::string> keys_read(const Style& style, std::string_view source_layer, int tile_zoom);

}  // namespace geo::style
