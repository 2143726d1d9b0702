#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "geo/query/here.hpp"
#include "geo/store/store.hpp"

namespace geo::query {

/// The grid cells of a store held in memory, for "which grid cell am I in?" many thousand
/// times a second (a phone's GPS fix, a building's point). Immutable once built: one index
/// may be shared by many threads. Rebuild it when the grid_cells layer's version changes.
class CellIndex {
public:
    /// Reads the grid_cells layer (code, name, community, street, worker, households,
    /// population when present). An index with no cells when the layer does not exist.
    static std::shared_ptr<const CellIndex> build(store::Store& store);

    /// The grid_cells version this index was built from (−1: no layer).
    std::int64_t version() const noexcept { return m_version; }
    std::size_t size() const noexcept { return m_cells.size(); }

    /// The cell covering (lon, lat), EPSG:4326; a point exactly on a shared edge may go to
    /// either neighbour, and where cells overlap the lowest fid wins. nullopt outside every cell.
    /// The cell's detail is withheld (HereCell::detail false) when `scope` does not cover it.
    std::optional<HereCell> at(double lon, double lat, const access::Scope& scope) const;

private:
    struct Ring {
        std::vector<double> xy;  // x0, y0, x1, y1, … closed
    };
    struct Cell {
        HereCell info;
        BBox box;
        std::vector<Ring> rings;  // shells and holes of every part: even-odd rule
    };
    bool covers(const Cell& cell, double x, double y) const;

    std::int64_t m_version = -1;
    std::vector<Cell> m_cells;  // in fid order
    // A uniform grid over the cells' boxes: cell indexes per grid square.
    BBox m_extent;
    int m_nx = 0;
    int m_ny = 0;
    std::vector<std::uint32_t> m_first;
    std::vector<std::uint32_t> m_items;
};

}  // namespace geo::query
