#include "store/links.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "capi/geos.hpp"
#include "geo/error.hpp"
#include "store/versions.hpp"

namespace geo::store::detail {

namespace {

bool table_exists(capi::SpatialiteDb& db, const char* name) {
    capi::Statement st(db.get(), "SELECT 1 FROM gridmap_layers WHERE name = ?");
    st.bind(1, std::string_view(name));
    return st.step();
}

struct Cell {
    std::int64_t fid;
    std::optional<std::string> code;
    capi::GeosGeom geom;
    std::optional<capi::GeosPrepared> prepared;
    std::int64_t households = 0;
    std::int64_t population = 0;
};

struct QueryState {
    const capi::GeosContext* ctx;
    std::vector<Cell>* cells;
    const GEOSGeometry* point;
    std::size_t best;  // index into cells, or npos
};

void visit_candidate(void* item, void* user) {
    auto* state = static_cast<QueryState*>(user);
    const auto index = reinterpret_cast<std::uintptr_t>(item);
    Cell& cell = (*state->cells)[index];
    if (state->best != std::string::npos && (*state->cells)[state->best].fid < cell.fid) return;
    if (GEOSPreparedCovers_r(state->ctx->get(), cell.prepared->get(), state->point) == 1) {
        state->best = index;
    }
}

}  // namespace

void refresh_grid_links(capi::SpatialiteDb& db) {
    if (!table_exists(db, "buildings") || !table_exists(db, "grid_cells")) return;

    capi::GeosContext ctx;
    std::vector<Cell> cells;
    {
        capi::Statement st(db.get(), "SELECT fid, code, AsBinary(geom) FROM grid_cells");
        while (st.step()) {
            Cell cell;
            cell.fid = st.column_int(0);
            cell.code = st.column_text_opt(1);
            cell.geom = capi::geos_from_wkb(ctx, st.column_blob(2));
            if (!cell.geom) continue;
            cells.push_back(std::move(cell));
        }
    }
    GEOSSTRtree* raw_tree = GEOSSTRtree_create_r(ctx.get(), 10);
    auto destroy_tree = [&](GEOSSTRtree* t) { GEOSSTRtree_destroy_r(ctx.get(), t); };
    std::unique_ptr<GEOSSTRtree, decltype(destroy_tree)> tree(raw_tree, destroy_tree);
    for (std::size_t i = 0; i < cells.size(); ++i) {
        cells[i].prepared.emplace(ctx.get(), GEOSPrepare_r(ctx.get(), cells[i].geom.get()));
        GEOSSTRtree_insert_r(ctx.get(), tree.get(), cells[i].geom.get(),
                             reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)));
    }

    capi::Statement update_building(db.get(), "UPDATE buildings SET grid_code = ? WHERE fid = ?");
    capi::Statement buildings(db.get(),
                              "SELECT fid, pos_lon, pos_lat, households, population FROM buildings");
    while (buildings.step()) {
        const std::int64_t fid = buildings.column_int(0);
        std::optional<std::size_t> found;
        if (!buildings.is_null(1) && !buildings.is_null(2)) {
            capi::GeosGeom point(ctx.get(),
                                 GEOSGeom_createPointFromXY_r(ctx.get(), buildings.column_double(1),
                                                              buildings.column_double(2)));
            QueryState state{&ctx, &cells, point.get(), std::string::npos};
            GEOSSTRtree_query_r(ctx.get(), tree.get(), point.get(), &visit_candidate, &state);
            if (state.best != std::string::npos) found = state.best;
        }
        if (found && cells[*found].code) {
            update_building.bind(1, std::string_view(*cells[*found].code));
        } else {
            update_building.bind_null(1);
        }
        update_building.bind(2, fid);
        update_building.run();
        if (found) {
            cells[*found].households += buildings.column_int(3);
            cells[*found].population += buildings.column_int(4);
        }
    }

    capi::Statement update_cell(db.get(),
                                "UPDATE grid_cells SET households = ?, population = ? WHERE fid = ?");
    for (const Cell& cell : cells) {
        update_cell.bind(1, cell.households).bind(2, cell.population).bind(3, cell.fid);
        update_cell.run();
    }
    mark_changed(db, {"buildings", "grid_cells"});
}

}  // namespace geo::store::detail
