// MapLibre styles: any bytes either load or are refused with geo::Error (invalid_argument); a
// loaded style evaluates its filters and paint at every zoom, for a feature with no attributes,
// with numbers and with text, the way the PNG renderer does.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "geo/style/style.hpp"

namespace {

using gridmap::fuzz::check;
namespace style = geo::style;

bool in_unit(double v) { return v >= 0 && v <= 1; }

bool in_unit(const style::Color& c) {
    return in_unit(c.r) && in_unit(c.g) && in_unit(c.b) && in_unit(c.a);
}

void evaluate(const style::Style& s, const style::FeatureData& feature) {
    for (const auto& rule : s.rules) {
        for (const double zoom : {0.0, 9.5, 16.0, 22.0, 24.0}) {
            (void)style::passes(rule, zoom, feature);
            const style::Paint p = style::evaluate_paint(rule, zoom, feature);
            check(in_unit(p.fill_color) && in_unit(p.line_color) && in_unit(p.circle_color) &&
                      in_unit(p.background_color) && in_unit(p.circle_stroke_color),
                  "colours stay in 0…1", rule.id);
            check(!std::isnan(p.line_width) && !std::isnan(p.circle_radius) &&
                      !std::isnan(p.fill_opacity),
                  "paint values are numbers", rule.id);
            const double spill = style::max_spill_px(rule, zoom);
            check(!std::isnan(spill) && spill >= 0, "the spill is a distance", rule.id);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    style::Style s;
    try {
        s = style::load_style(text);
    } catch (const geo::Error& e) {
        gridmap::fuzz::check_refusal(e);
        return 0;
    }
    style::FeatureData feature(s);
    for (const auto kind : {style::GeometryKind::polygon, style::GeometryKind::point}) {
        feature.set_geometry(kind);
        evaluate(s, feature);
    }
    for (const auto& key : s.keys) feature.set(key, geo::Value{std::int64_t{12}});
    evaluate(s, feature);
    for (const auto& key : s.keys) feature.set(key, geo::Value{-2.5e300});
    evaluate(s, feature);
    for (const auto& key : s.keys) feature.set(key, geo::Value{std::string("#ff0000")});
    evaluate(s, feature);
    return 0;
}
