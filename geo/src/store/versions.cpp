#include "store/versions.hpp"

namespace geo::store::detail {

void mark_changed(capi::SpatialiteDb& db, std::initializer_list<std::string> layers) {
    db.exec(
        "INSERT INTO gridmap_meta(key, value) VALUES ('change_counter', 1)"
        " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1");
    capi::Statement set(db.get(),
                        "UPDATE gridmap_layers SET version ="
                        " (SELECT CAST(value AS INTEGER) FROM gridmap_meta WHERE key = 'change_counter')"
                        " WHERE name = ?");
    for (const auto& name : layers) {
        set.bind(1, std::string_view(name));
        set.run();
    }
}

}  // namespace geo::store::detail
