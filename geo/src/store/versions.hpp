#pragma once

#include <initializer_list>
#include <string>

#include "capi/sqlite.hpp"

namespace geo::store::detail {

/// Gives the named layers a new version (a database-wide counter, so a dropped and re-created
/// layer never repeats a version). Caches key tiles on these versions.
void mark_changed(capi::SpatialiteDb& db, std::initializer_list<std::string> layers);

}  // namespace geo::store::detail
