#pragma once

#include <map>
#include <string>
#include <vector>

#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace gridmap::test {

/// A layer's features as text (attributes and geometry), for comparing databases before and
/// after an operation that must not change them.
std::string layer_fingerprint(geo::store::Store& store, const std::string& layer);

/// Every layer's fingerprint by name.
std::map<std::string, std::string> database_fingerprint(const std::string& db);

/// Index of the attribute `field` in a layer's values; throws when the layer has no such field.
std::size_t field_index(const geo::LayerInfo& layer, const std::string& field);

/// Runs the gridmap CLI with `args`.
RunResult gridmap(const std::vector<std::string>& args, const RunLimits& limits = {});

}  // namespace gridmap::test
