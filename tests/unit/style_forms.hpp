#pragma once

// The committed style's filters in the other forms MapLibre knows, for tests that the `match`
// filters (which QGIS 3.22 reads) select and draw exactly what the `in` filters they replaced did.
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gridmap::test {

enum class FilterForm { in, none };

/// `style_json` with each filter `["match", input, [labels…], true, false]` written as
/// `["in", input, ["literal", [labels…]]]` and each `[…, false, true]` as `["!", ["in", …]]`
/// (FilterForm::in), or with every filter removed (FilterForm::none). Throws for a filter of any
/// other shape, so that a new form in the style is noticed here.
inline std::string style_with_filters(const std::string& style_json, FilterForm form) {
    auto doc = nlohmann::json::parse(style_json);
    for (auto& layer : doc.at("layers")) {
        if (!layer.contains("filter")) continue;
        if (form == FilterForm::none) {
            layer.erase("filter");
            continue;
        }
        const auto& f = layer["filter"];
        if (!f.is_array() || f.size() != 5 || f[0] != "match" || !f[2].is_array() || !f[3].is_boolean() ||
            !f[4].is_boolean() || f[3] == f[4]) {
            throw std::runtime_error("filter of layer " + layer.value("id", "?") + " is no boolean match: " + f.dump());
        }
        nlohmann::json in = nlohmann::json::array({"in", f[1], nlohmann::json::array({"literal", f[2]})});
        layer["filter"] = f[3] == true ? in : nlohmann::json::array({"!", in});
    }
    return doc.dump();
}

}  // namespace gridmap::test
