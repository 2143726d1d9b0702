#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sqlite3.h>

namespace geo::store::detail {

/// One entry of a 2D SQLite R*Tree: the row id and its box.
struct RtreeBox {
    std::int64_t id;
    double minx, maxx, miny, maxy;
};

/// Fills an EMPTY SQLite `rtree(id, minx, maxx, miny, maxy)` virtual table named `table` with
/// `boxes` by writing its shadow tables (%_node, %_rowid, %_parent) directly, as a packed
/// Sort-Tile-Recursive tree with full nodes. The result is an ordinary R*Tree that SQLite
/// queries and updates as if it had been filled row by row, built in a fraction of the time
/// (row-by-row inserts cost about 10 µs each). Boxes are rounded outwards to float32 as SQLite
/// does. Must run inside the caller's transaction. Throws geo::Error on SQLite failure.
void bulk_load_rtree(sqlite3* db, const std::string& table, std::vector<RtreeBox> boxes);

}  // namespace geo::store::detail
