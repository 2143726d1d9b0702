// The MapLibre style subset: colours, expressions, filters, legacy forms, warnings and errors,
// and the committed styles/gridmap.json.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "geo/error.hpp"
#include "geo/style/style.hpp"
#include "geo/text/encoding.hpp"
#include "support/test_support.hpp"
#include "unit/style_forms.hpp"

namespace {

using geo::style::Color;
using geo::style::FeatureData;
using geo::style::GeometryKind;
using geo::style::LayerType;
using geo::style::Rule;
using geo::style::Style;

constexpr double k_eps = 1e-9;

// A style with one layer of `type` whose body (paint, filter, …) is `body`.
Style one_layer(const std::string& type, const std::string& body) {
    return geo::style::load_style(R"({"version": 8, "sources": {"s": {"type": "vector", "url": "/t.json"}},
        "layers": [{"id": "l", "type": ")" + type + R"(", "source": "s", "source-layer": "layer")" +
                                  (body.empty() ? "" : ", " + body) + "}]}");
}

const Rule& rule_named(const Style& style, const std::string& id) {
    for (const auto& r : style.rules) {
        if (r.id == id) return r;
    }
    throw std::runtime_error("no rule " + id);
}

void expect_color(const Color& c, double r, double g, double b, double a) {
    EXPECT_NEAR(c.r, r, 1e-6);
    EXPECT_NEAR(c.g, g, 1e-6);
    EXPECT_NEAR(c.b, b, 1e-6);
    EXPECT_NEAR(c.a, a, 1e-6);
}

TEST(StyleColor, ParsesTheCssForms) {
    struct Case {
        const char* text;
        double r, g, b, a;
    };
    const Case cases[] = {
        {"#f00", 1, 0, 0, 1},
        {"#0f08", 0, 1, 0, 0x88 / 255.0},
        {"#FF8000", 1, 128 / 255.0, 0, 1},
        {"#ff000080", 1, 0, 0, 128 / 255.0},
        {"rgb(255, 128, 0)", 1, 128 / 255.0, 0, 1},
        {"rgba(0,0,255,0.5)", 0, 0, 1, 0.5},
        {"rgb(100%, 0%, 50%)", 1, 0, 0.5, 1},
        {"hsl(120, 100%, 50%)", 0, 1, 0, 1},
        {"hsla(0, 100%, 50%, 0.25)", 1, 0, 0, 0.25},
        {"  Red ", 1, 0, 0, 1},
        {"white", 1, 1, 1, 1},
        {"transparent", 0, 0, 0, 0},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto color = geo::style::parse_color(c.text);
        ASSERT_TRUE(color.has_value());
        expect_color(*color, c.r, c.g, c.b, c.a);
    }
}

TEST(StyleColor, RejectsWhatIsNoColour) {
    for (const char* text : {"", "#", "#12", "#12345", "#ggg", "rgb(1,2)", "rgba(1,2,3)", "rgb(1,2,3,4)",
                             "rgb(1;2;3)", "hsl(120, 100, 50)", "blurple", "rgb(1,2,3",
                             // Found by fuzz/style: more than 8 hex digits were written past
                             // the end of an array on the stack.
                             "#123456789", "#85555508080",
                             "#0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
        EXPECT_FALSE(geo::style::parse_color(text).has_value()) << text;
    }
}

// The same colours read from a feature's attribute while a tile is drawn fall back to the
// default: attribute text comes from imported files, so it is as hostile as a request.
TEST(StyleColor, LongHexFromAFeatureFallsBackToTheDefault) {
    const auto style = one_layer("circle", R"("paint": {"circle-color": ["get", "colour"]})");
    FeatureData f(style);
    f.set("colour", std::string("#") + std::string(200, 'f'));
    expect_color(geo::style::evaluate_paint(style.rules.at(0), 14, f).circle_color, 0, 0, 0, 1);
    f.set("colour", std::string("#00f"));
    expect_color(geo::style::evaluate_paint(style.rules.at(0), 14, f).circle_color, 0, 0, 1, 1);
}

TEST(StyleLoad, KeepsDrawableLayersInOrderWithTheirZoomRange) {
    const auto style = geo::style::load_style(R"({
        "version": 8, "name": "t",
        "sources": {"s": {"type": "vector", "url": "/tiles/all.json"}},
        "layers": [
            {"id": "bg", "type": "background", "paint": {"background-color": "#123456"}},
            {"id": "f", "type": "fill", "source": "s", "source-layer": "buildings", "minzoom": 13},
            {"id": "l", "type": "line", "source": "s", "source-layer": "roads", "maxzoom": 18,
             "layout": {"line-cap": "round", "line-join": "bevel"}, "paint": {"line-dasharray": [2, 1]}},
            {"id": "c", "type": "circle", "source": "s", "source-layer": "stations",
             "layout": {"visibility": "none"}}
        ]})");
    EXPECT_EQ(style.name, "t");
    EXPECT_EQ(style.sources.at("s"), "vector");
    ASSERT_EQ(style.rules.size(), 4u);
    EXPECT_TRUE(style.warnings.empty()) << style.warnings.front();
    EXPECT_EQ(style.rules[0].type, LayerType::background);
    EXPECT_EQ(style.rules[1].type, LayerType::fill);
    EXPECT_EQ(style.rules[1].source_layer, "buildings");
    EXPECT_FALSE(style.rules[1].shown_at(12.9));
    EXPECT_TRUE(style.rules[1].shown_at(13));
    EXPECT_EQ(style.rules[2].type, LayerType::line);
    EXPECT_TRUE(style.rules[2].shown_at(17.9));
    EXPECT_FALSE(style.rules[2].shown_at(18));  // maxzoom is exclusive, as in MapLibre
    EXPECT_EQ(style.rules[2].line_cap, geo::style::LineCap::round);
    EXPECT_EQ(style.rules[2].line_join, geo::style::LineJoin::bevel);
    EXPECT_EQ(style.rules[2].line_dasharray, (std::vector<double>{2, 1}));
    EXPECT_FALSE(style.rules[3].visible);

    FeatureData none(style);
    expect_color(geo::style::evaluate_paint(style.rules[0], 10, none).background_color, 0x12 / 255.0,
                 0x34 / 255.0, 0x56 / 255.0, 1);
    // Defaults: black fill, no outline; 1 px black line; 5 px black circle without stroke.
    const auto fill = geo::style::evaluate_paint(style.rules[1], 14, none);
    expect_color(fill.fill_color, 0, 0, 0, 1);
    EXPECT_FALSE(fill.fill_outline_color.has_value());
    EXPECT_EQ(geo::style::evaluate_paint(style.rules[2], 14, none).line_width, 1);
    EXPECT_EQ(geo::style::evaluate_paint(style.rules[3], 14, none).circle_radius, 5);
}

TEST(StyleExpressions, InterpolateOverZoom) {
    const auto style = one_layer("line", R"("paint": {
        "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1, 16, 4],
        "line-opacity": ["interpolate", ["exponential", 2], ["zoom"], 10, 0, 12, 1],
        "line-color": ["interpolate", ["linear"], ["zoom"], 10, "#000000", 20, "#ffffff"]})");
    ASSERT_TRUE(style.warnings.empty()) << style.warnings.front();
    FeatureData f(style);
    const Rule& r = style.rules.at(0);
    struct Case {
        double zoom, width;
    };
    for (const auto& c : {Case{8, 1}, Case{10, 1}, Case{13, 2.5}, Case{14.5, 3.25}, Case{16, 4}, Case{22, 4}}) {
        EXPECT_NEAR(geo::style::evaluate_paint(r, c.zoom, f).line_width, c.width, k_eps) << c.zoom;
    }
    // Exponential base 2 between 10 and 12: (2^1 − 1) / (2^2 − 1) at zoom 11.
    EXPECT_NEAR(geo::style::evaluate_paint(r, 11, f).line_opacity, 1.0 / 3.0, k_eps);
    expect_color(geo::style::evaluate_paint(r, 15, f).line_color, 0.5, 0.5, 0.5, 1);
    EXPECT_FALSE(r.paint_reads_feature);
}

TEST(StyleExpressions, MatchPicksTheColourOfTheFeature) {
    const auto style = one_layer("fill", R"("paint": {"fill-color": ["match", ["get", "use"],
        ["residential", "住宅"], "#ff0000", "office", "#00ff00", 3, "#0000ff", "#808080"]})");
    ASSERT_TRUE(style.warnings.empty()) << style.warnings.front();
    const Rule& r = style.rules.at(0);
    EXPECT_TRUE(r.paint_reads_feature);
    FeatureData f(style);
    const auto fill = [&] { return geo::style::evaluate_paint(r, 14, f).fill_color; };
    f.set("use", std::string("residential"));
    expect_color(fill(), 1, 0, 0, 1);
    f.set("use", std::string("住宅"));
    expect_color(fill(), 1, 0, 0, 1);
    f.set("use", std::string("office"));
    expect_color(fill(), 0, 1, 0, 1);
    f.set("use", std::int64_t{3});  // numbers match numeric labels
    expect_color(fill(), 0, 0, 1, 1);
    f.set("use", std::string("3"));  // but text does not
    expect_color(fill(), 128 / 255.0, 128 / 255.0, 128 / 255.0, 1);
    f.set("use", std::monostate{});
    expect_color(fill(), 128 / 255.0, 128 / 255.0, 128 / 255.0, 1);
}

TEST(StyleExpressions, InterpolateOfMatchStepCaseCoalesceAndArithmetic) {
    const auto style = one_layer("circle", R"("paint": {
        "circle-radius": ["interpolate", ["linear"], ["zoom"],
            10, ["match", ["get", "type"], "big", 4, 2], 20, ["match", ["get", "type"], "big", 14, 12]],
        "circle-stroke-width": ["step", ["get", "households"], 0, 100, 1, 300, 2],
        "circle-opacity": ["case", ["has", "name"], 1, 0.5],
        "circle-color": ["coalesce", ["get", "colour"], "#00ff00"],
        "circle-stroke-opacity": ["/", ["+", 1, ["*", 2, 0.5]], ["max", 4, ["-", 3]]]})");
    ASSERT_TRUE(style.warnings.empty()) << style.warnings.front();
    const Rule& r = style.rules.at(0);
    FeatureData f(style);
    f.set("type", std::string("big"));
    EXPECT_NEAR(geo::style::evaluate_paint(r, 15, f).circle_radius, 9, k_eps);
    f.set("type", std::string("small"));
    EXPECT_NEAR(geo::style::evaluate_paint(r, 15, f).circle_radius, 7, k_eps);
    for (const auto& [households, width] : {std::pair{50, 0}, std::pair{100, 1}, std::pair{299, 1}, std::pair{450, 2}}) {
        f.set("households", std::int64_t{households});
        EXPECT_EQ(geo::style::evaluate_paint(r, 15, f).circle_stroke_width, width) << households;
    }
    EXPECT_EQ(geo::style::evaluate_paint(r, 15, f).circle_opacity, 0.5);
    f.set("name", std::string("x"));
    EXPECT_EQ(geo::style::evaluate_paint(r, 15, f).circle_opacity, 1);
    expect_color(geo::style::evaluate_paint(r, 15, f).circle_color, 0, 1, 0, 1);
    f.set("colour", std::string("rgb(0, 0, 255)"));  // a colour read from an attribute
    expect_color(geo::style::evaluate_paint(r, 15, f).circle_color, 0, 0, 1, 1);
    EXPECT_NEAR(geo::style::evaluate_paint(r, 15, f).circle_stroke_opacity, 0.5, k_eps);
    // The widest circle at zoom 20: radius 14 plus stroke 2; below the first stop radius 4.
    EXPECT_NEAR(geo::style::max_spill_px(r, 20), 16, k_eps);
    EXPECT_NEAR(geo::style::max_spill_px(r, 5), 6, k_eps);
}

TEST(StyleExpressions, LegacyZoomAndPropertyFunctions) {
    const auto style = one_layer("line", R"("paint": {
        "line-width": {"base": 1, "stops": [[10, 1], [16, 4]]},
        "line-color": {"property": "type", "type": "categorical",
                       "stops": [["a", "#ff0000"], ["b", "#0000ff"]], "default": "#00ff00"},
        "line-opacity": {"type": "interval", "stops": [[10, 0.2], [14, 0.6], [16, 1]]}})");
    ASSERT_TRUE(style.warnings.empty()) << style.warnings.front();
    const Rule& r = style.rules.at(0);
    FeatureData f(style);
    EXPECT_NEAR(geo::style::evaluate_paint(r, 13, f).line_width, 2.5, k_eps);
    expect_color(geo::style::evaluate_paint(r, 13, f).line_color, 0, 1, 0, 1);
    f.set("type", std::string("b"));
    expect_color(geo::style::evaluate_paint(r, 13, f).line_color, 0, 0, 1, 1);
    EXPECT_NEAR(geo::style::evaluate_paint(r, 9, f).line_opacity, 0.2, k_eps);
    EXPECT_NEAR(geo::style::evaluate_paint(r, 13, f).line_opacity, 0.2, k_eps);
    EXPECT_NEAR(geo::style::evaluate_paint(r, 14, f).line_opacity, 0.6, k_eps);
    EXPECT_NEAR(geo::style::evaluate_paint(r, 17, f).line_opacity, 1, k_eps);
}

// A filter, the attributes of a feature, and whether it passes.
struct FilterCase {
    const char* filter;
    std::vector<std::pair<std::string, geo::Value>> values;
    bool passes;
    GeometryKind geometry = GeometryKind::polygon;
};

TEST(StyleFilters, ExpressionAndLegacyForms) {
    using V = geo::Value;
    const std::string res = "residential";
    const FilterCase cases[] = {
        {R"(["==", ["get", "use"], "residential"])", {{"use", V{res}}}, true},
        {R"(["==", ["get", "use"], "residential"])", {{"use", V{std::string("office")}}}, false},
        {R"(["==", ["get", "use"], "residential"])", {}, false},
        {R"(["!=", ["get", "use"], "residential"])", {}, true},
        {R"(["==", ["get", "floors"], 6])", {{"floors", V{std::int64_t{6}}}}, true},
        {R"(["==", ["get", "floors"], 6])", {{"floors", V{6.0}}}, true},
        {R"(["==", ["get", "floors"], "6"])", {{"floors", V{std::int64_t{6}}}}, false},
        {R"([">=", ["get", "households"], 300])", {{"households", V{std::int64_t{300}}}}, true},
        {R"(["<", ["get", "households"], 300])", {{"households", V{std::int64_t{300}}}}, false},
        {R"(["<", ["get", "households"], 300])", {}, false},
        {R"(["in", ["get", "type"], ["literal", ["major_road", "主干路"]]])", {{"type", V{std::string("主干路")}}}, true},
        {R"(["in", ["get", "type"], ["literal", ["major_road", "主干路"]]])", {{"type", V{std::string("path")}}}, false},
        {R"(["!", ["in", ["get", "use"], ["literal", ["building_part"]]]])", {{"use", V{res}}}, true},
        {R"(["has", "name"])", {{"name", V{std::string("x")}}}, true},
        {R"(["has", "name"])", {{"name", V{}}}, false},  // null counts as absent, as in the MVT
        {R"(["all", ["has", "name"], ["==", ["get", "use"], "residential"]])", {{"name", V{std::string("x")}}, {"use", V{res}}}, true},
        {R"(["all", ["has", "name"], ["==", ["get", "use"], "residential"]])", {{"use", V{res}}}, false},
        {R"(["any", ["has", "name"], ["==", ["get", "use"], "residential"]])", {{"use", V{res}}}, true},
        {R"(["any"])", {}, false},
        {R"(["all"])", {}, true},
        {R"(["==", ["geometry-type"], "Polygon"])", {}, true},
        // legacy forms
        {R"(["==", "use", "residential"])", {{"use", V{res}}}, true},
        {R"(["!=", "use", "residential"])", {{"use", V{res}}}, false},
        {R"([">", "floors", 10])", {{"floors", V{std::int64_t{11}}}}, true},
        {R"(["in", "use", "office", "residential"])", {{"use", V{res}}}, true},
        {R"(["!in", "use", "office", "residential"])", {{"use", V{res}}}, false},
        {R"(["!has", "name"])", {}, true},
        {R"(["none", ["==", "use", "office"], ["has", "name"]])", {{"use", V{res}}}, true},
        {R"(["==", "$type", "Point"])", {}, false},
        {R"(["==", "$type", "Point"])", {}, true, GeometryKind::point},
        {R"(["all", ["==", "$type", "Polygon"], ["in", "use", "residential"]])", {{"use", V{res}}}, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.filter);
        const auto style = one_layer("fill", std::string(R"("filter": )") + c.filter);
        ASSERT_TRUE(style.warnings.empty()) << style.warnings.front();
        FeatureData f(style);
        for (const auto& [name, value] : c.values) f.set(name, value);
        f.set_geometry(c.geometry);
        EXPECT_EQ(geo::style::passes(style.rules.at(0), 14, f), c.passes);
    }
}

TEST(StyleFilters, BindsToLayerFieldsAndValues) {
    const auto style = one_layer("fill", R"("filter": ["==", ["get", "use"], "office"],
        "paint": {"fill-opacity": ["match", ["get", "floors"], 1, 0.5, 1]})");
    const std::vector<geo::Field> fields{{"name", geo::FieldType::text, ""},
                                         {"floors", geo::FieldType::integer, ""},
                                         {"use", geo::FieldType::text, ""}};
    FeatureData f(style);
    f.bind(fields);
    const std::vector<geo::Value> office{std::string("A"), std::int64_t{1}, std::string("office")};
    const std::vector<geo::Value> home{std::string("B"), std::int64_t{2}, std::string("residential")};
    f.assign(office, GeometryKind::polygon);
    EXPECT_TRUE(geo::style::passes(style.rules[0], 14, f));
    EXPECT_EQ(geo::style::evaluate_paint(style.rules[0], 14, f).fill_opacity, 0.5);
    f.assign(home, GeometryKind::polygon);
    EXPECT_FALSE(geo::style::passes(style.rules[0], 14, f));
    EXPECT_EQ(geo::style::evaluate_paint(style.rules[0], 14, f).fill_opacity, 1);
}

TEST(StyleWarnings, UnsupportedPartsAreIgnoredAndTheLayerStillDrawn) {
    std::string deep = "1";
    for (int i = 0; i < 40; ++i) deep = R"(["+", 1, )" + deep + "]";
    const auto style = geo::style::load_style(R"({
        "version": 8, "sources": {"s": {"type": "vector", "url": "/t.json"}},
        "layers": [
            {"id": "labels", "type": "symbol", "source": "s", "source-layer": "x", "layout": {"text-field": "{name}"}},
            {"id": "fill", "type": "fill", "source": "s", "source-layer": "buildings",
             "filter": ["within", {"type": "Polygon"}],
             "layout": {"fill-sort-key": 1},
             "paint": {"fill-color": ["to-color", ["get", "c"]], "fill-pattern": "dots", "fill-opacity": 0.5,
                       "line-width": 3, "fill-color-transition": {"duration": 300}}},
            {"id": "geojson", "type": "line", "source": "s"},
            {"id": "bad", "type": "line", "source": "s", "source-layer": "roads", "minzoom": "twelve",
             "paint": {"line-width": {"stops": "x"}, "line-color": 5, "line-opacity": {"base": "x", "stops": [[1, 1]]},
                       "line-dasharray": ["get", "d"]}},
            7,
            {"id": "deep", "type": "line", "source": "s", "source-layer": "roads",
             "paint": {"line-width": )" + deep + R"(}}
        ]})");
    ASSERT_EQ(style.rules.size(), 3u);
    EXPECT_EQ(style.rules[0].id, "fill");
    EXPECT_EQ(style.rules[1].id, "bad");
    EXPECT_EQ(style.rules[1].minzoom, 0);
    EXPECT_EQ(style.rules[2].id, "deep");
    const auto warned = [&](const std::string& part) {
        for (const auto& w : style.warnings) {
            if (w.find(part) != std::string::npos) return true;
        }
        return false;
    };
    EXPECT_TRUE(warned("\"labels\"")) << "symbol layers are left out";
    EXPECT_TRUE(warned("filter"));
    EXPECT_TRUE(warned("fill-sort-key"));
    EXPECT_TRUE(warned("to-color"));
    EXPECT_TRUE(warned("fill-pattern"));
    EXPECT_TRUE(warned("line-width"));
    EXPECT_TRUE(warned("\"geojson\""));
    EXPECT_TRUE(warned("minzoom"));
    EXPECT_TRUE(warned("line-dasharray"));
    EXPECT_TRUE(warned("layer #4"));
    EXPECT_TRUE(warned("nested too deeply"));
    EXPECT_FALSE(warned("transition"));

    // What was understood still applies; the unsupported filter lets every feature through.
    FeatureData f(style);
    const auto paint = geo::style::evaluate_paint(style.rules[0], 14, f);
    EXPECT_EQ(paint.fill_opacity, 0.5);
    expect_color(paint.fill_color, 0, 0, 0, 1);
    EXPECT_TRUE(geo::style::passes(style.rules[0], 14, f));
    EXPECT_EQ(geo::style::evaluate_paint(style.rules[1], 14, f).line_width, 1);
}

TEST(StyleErrors, BadDocumentsAreInvalidArguments) {
    for (const char* text : {"", "{", "{\"version\": 8, \"layers\": [}", "[]", "42", R"({"layers": []})",
                             R"({"version": 7, "layers": []})", R"({"version": 8})",
                             R"({"version": 8, "layers": {}})", "{\"version\": 8, \"layers\": [], \"name\": \"\xff\"}",
                             "{\"version\": 8, \"layers\": [\"type\"\xff]}"}) {
        try {
            geo::style::load_style(text);
            ADD_FAILURE() << "accepted: " << text;
        } catch (const geo::Error& e) {
            EXPECT_EQ(e.code(), geo::Errc::invalid_argument) << text;
            // Found by fuzz/style: the JSON parser's message quoted the raw bytes it stopped at.
            EXPECT_TRUE(geo::text::is_valid_utf8(e.what())) << e.what();
        }
    }
    // ... and all of them, escaped to four times their length: a message stays short.
    try {
        geo::style::load_style("{\"ver" + std::string(300, '\x7f') + "\x86\": 8}");
        ADD_FAILURE() << "accepted a key that is not UTF-8";
    } catch (const geo::Error& e) {
        EXPECT_TRUE(geo::text::is_valid_utf8(e.what())) << e.what();
        EXPECT_LT(std::string_view(e.what()).size(), 600u) << e.what();
    }
    try {
        geo::style::load_style_file("/nonexistent/style.json");
        ADD_FAILURE() << "read a missing file";
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::not_found);
    }
}

// QGIS 3.22 reads `match` filters but skips `in` ones; a `match` with boolean outputs selects
// exactly what the `in` form selects, in MapLibre and here: a missing attribute and a number among
// text labels fall to the default.
TEST(StyleFilters, BooleanMatchSelectsWhatInSelects) {
    using V = geo::Value;
    struct Pair {
        const char* in;
        const char* match;
    };
    const Pair pairs[] = {
        {R"(["in", ["get", "type"], ["literal", ["major_road", "主干路", "次干路"]]])",
         R"(["match", ["get", "type"], ["major_road", "主干路", "次干路"], true, false])"},
        {R"(["!", ["in", ["get", "type"], ["literal", ["building_part", "duplicate"]]]])",
         R"(["match", ["get", "type"], ["building_part", "duplicate"], false, true])"},
        {R"(["in", ["get", "type"], ["literal", [3, 5]]])", R"(["match", ["get", "type"], [3, 5], true, false])"},
    };
    const std::vector<std::optional<V>> values{
        V{std::string("major_road")}, V{std::string("次干路")}, V{std::string("minor_road")},
        V{std::string("building_part")}, V{std::string("duplicate")}, V{std::string("")},
        V{std::string("Major_road")}, V{std::int64_t{3}}, V{5.0}, V{std::int64_t{4}}, V{std::string("3")},
        std::nullopt};
    // What each pair must select, value by value (in the order above).
    const std::vector<std::vector<bool>> expected{
        {true, true, false, false, false, false, false, false, false, false, false, false},
        {true, true, true, false, false, true, true, true, true, true, true, true},
        {false, false, false, false, false, false, false, true, true, false, false, false},
    };
    for (std::size_t p = 0; p < std::size(pairs); ++p) {
        SCOPED_TRACE(pairs[p].match);
        const auto in_style = one_layer("fill", std::string(R"("filter": )") + pairs[p].in);
        const auto match_style = one_layer("fill", std::string(R"("filter": )") + pairs[p].match);
        ASSERT_TRUE(in_style.warnings.empty()) << in_style.warnings.front();
        ASSERT_TRUE(match_style.warnings.empty()) << match_style.warnings.front();
        FeatureData in_f(in_style);
        FeatureData match_f(match_style);
        for (std::size_t v = 0; v < values.size(); ++v) {
            SCOPED_TRACE(v);
            if (values[v]) {
                in_f.set("type", *values[v]);
                match_f.set("type", *values[v]);
            } else {
                in_f.set("type", V{});
                match_f.set("type", V{});
            }
            EXPECT_EQ(geo::style::passes(in_style.rules[0], 14, in_f), expected[p][v]);
            EXPECT_EQ(geo::style::passes(match_style.rules[0], 14, match_f), expected[p][v]);
        }
    }
}

// Every filter of the committed style is a boolean `match` (no `in`, which QGIS 3.22 skips), and
// selects the same features as the `in` filter it replaced, for every label the style names.
TEST(GridmapStyle, FiltersAreMatchesSelectingWhatTheirInFormsSelected) {
    const std::string text = gridmap::test::read_file(std::filesystem::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json");
    const auto doc = nlohmann::json::parse(text);
    // No "in" or "!in" expression anywhere in the style, filters or paint.
    std::function<void(const nlohmann::json&)> no_in = [&](const nlohmann::json& j) {
        if (!j.is_array()) {
            if (j.is_object()) {
                for (const auto& [k, v] : j.items()) no_in(v);
            }
            return;
        }
        if (!j.empty() && j[0].is_string()) {
            EXPECT_NE(j[0], "in") << j.dump();
            EXPECT_NE(j[0], "!in") << j.dump();
        }
        for (const auto& v : j) no_in(v);
    };
    no_in(doc);

    const Style now = geo::style::load_style(text);
    const Style before = geo::style::load_style(gridmap::test::style_with_filters(text, gridmap::test::FilterForm::in));
    ASSERT_TRUE(now.warnings.empty());
    ASSERT_TRUE(before.warnings.empty()) << before.warnings.front();
    ASSERT_EQ(now.rules.size(), before.rules.size());

    std::set<std::string> labels{"", "other", "Major_road"};
    std::set<std::string> filtered;
    for (const auto& layer : doc["layers"]) {
        if (!layer.contains("filter")) continue;
        filtered.insert(layer["id"].get<std::string>());
        for (const auto& l : layer["filter"][2]) labels.insert(l.get<std::string>());
    }
    EXPECT_EQ(filtered.size(), 8u) << "six road classes and two building layers";
    for (std::size_t i = 0; i < now.rules.size(); ++i) {
        const Rule& r = now.rules[i];
        SCOPED_TRACE(r.id);
        FeatureData a(now);
        FeatureData b(before);
        int accepted = 0;
        int refused = 0;
        const auto same = [&](double zoom) {
            const bool p = geo::style::passes(r, zoom, a);
            EXPECT_EQ(p, geo::style::passes(before.rules[i], zoom, b));
            (p ? accepted : refused) += 1;
        };
        for (const auto& label : labels) {
            for (const char* field : {"type", "use"}) {
                a.set(field, std::string(label));
                b.set(field, std::string(label));
            }
            same(16);
        }
        for (const char* field : {"type", "use"}) {
            a.set(field, std::int64_t{7});
            b.set(field, std::int64_t{7});
        }
        same(16);
        for (const char* field : {"type", "use"}) {
            a.set(field, geo::Value{});
            b.set(field, geo::Value{});
        }
        same(16);
        if (filtered.contains(r.id)) {
            EXPECT_GT(accepted, 0);
            EXPECT_GT(refused, 0);
        }
    }
}

TEST(GridmapStyle, LoadsWithoutWarningsAndStylesEveryDemoLayer) {
    const auto style = geo::style::load_style_file(std::filesystem::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json");
    for (const auto& w : style.warnings) ADD_FAILURE() << w;
    ASSERT_EQ(style.sources.count("gridmap"), 1u);
    EXPECT_EQ(style.sources.at("gridmap"), "vector");
    EXPECT_EQ(style.rules.front().type, LayerType::background);
    for (const char* layer : {"grid_cells", "buildings", "roads", "stations"}) {
        EXPECT_TRUE(std::any_of(style.rules.begin(), style.rules.end(),
                                [&](const Rule& r) { return r.source_layer == layer; }))
            << layer;
    }
    const Rule& buildings = rule_named(style, "buildings-fill");
    EXPECT_EQ(buildings.minzoom, 13);
    FeatureData f(style);
    std::vector<Color> colours;
    for (const char* use : {"residential", "mixed", "office", "commercial", "public", "other"}) {
        f.set("use", std::string(use));
        EXPECT_TRUE(geo::style::passes(buildings, 16, f)) << use;
        colours.push_back(geo::style::evaluate_paint(buildings, 16, f).fill_color);
    }
    for (std::size_t i = 0; i < colours.size(); ++i) {
        for (std::size_t j = i + 1; j < colours.size(); ++j) EXPECT_NE(colours[i], colours[j]) << i << " " << j;
    }
    f.set("use", std::string("住宅"));  // survey vocabulary
    EXPECT_EQ(geo::style::evaluate_paint(buildings, 16, f).fill_color, colours[0]);
    f.set("use", std::string("building_part"));
    EXPECT_FALSE(geo::style::passes(buildings, 16, f));

    // Major roads are wider than minor ones, and both widen with the zoom.
    const Rule& major = rule_named(style, "roads-major");
    const Rule& minor = rule_named(style, "roads-minor");
    f.set("type", std::string("major_road"));
    EXPECT_TRUE(geo::style::passes(major, 15, f));
    EXPECT_FALSE(geo::style::passes(minor, 15, f));
    const double major15 = geo::style::evaluate_paint(major, 15, f).line_width;
    EXPECT_GT(major15, geo::style::evaluate_paint(minor, 15, f).line_width);
    EXPECT_GT(geo::style::evaluate_paint(major, 17, f).line_width, major15);

    const Rule& stations = rule_named(style, "stations");
    f.set("type", std::string("health_station"));
    const Color health = geo::style::evaluate_paint(stations, 15, f).circle_color;
    f.set("type", std::string("police_room"));
    EXPECT_NE(geo::style::evaluate_paint(stations, 15, f).circle_color, health);
}

}  // namespace
