#include "geo/query/cell_index.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/wkb.hpp"

namespace geo::query {

std::shared_ptr<const CellIndex> CellIndex::build(store::Store& store) {
    auto index = std::make_shared<CellIndex>();
    const auto info = store.layer("grid_cells");
    if (!info) return index;
    index->m_version = info->version;

    store::FeatureQuery q;
    std::vector<std::pair<std::string, int>> wanted = {{"code", -1},   {"name", -1},       {"community", -1}, {"street", -1},
                                                       {"worker", -1}, {"households", -1}, {"population", -1}};
    for (auto& [name, position] : wanted) {
        if (std::any_of(info->fields.begin(), info->fields.end(), [&name = name](const Field& f) { return f.name == name; })) {
            position = static_cast<int>(q.fields.size());
            q.fields.push_back(name);
        }
    }
    auto value = [&](const Feature& f, std::size_t which) -> const Value* {
        const int position = wanted[which].second;
        return position < 0 ? nullptr : &f.values[static_cast<std::size_t>(position)];
    };
    store.read_features("grid_cells", q, [&](const Feature& f) {
        auto polygons = analysis::detail::read_polygons(f.wkb);
        if (!polygons) return true;
        Cell cell;
        cell.info.fid = f.fid;
        std::string* texts[] = {&cell.info.code, &cell.info.name, &cell.info.community, &cell.info.street, &cell.info.worker};
        for (std::size_t k = 0; k < 5; ++k) {
            if (const Value* v = value(f, k)) *texts[k] = value_text(*v);
        }
        if (const Value* v = value(f, 5)) cell.info.households = value_int(*v);
        if (const Value* v = value(f, 6)) cell.info.population = value_int(*v);
        for (const auto& rings : *polygons) {
            for (const auto& ring : rings) {
                if (ring.size() < 4) continue;
                Ring r;
                r.xy.reserve(ring.size() * 2);
                for (const auto& p : ring) {
                    r.xy.push_back(p.x);
                    r.xy.push_back(p.y);
                    cell.box.extend(p.x, p.y);
                }
                cell.rings.push_back(std::move(r));
            }
        }
        if (cell.rings.empty()) return true;
        index->m_extent.extend(cell.box.minx, cell.box.miny);
        index->m_extent.extend(cell.box.maxx, cell.box.maxy);
        index->m_cells.push_back(std::move(cell));
        return true;
    });
    if (index->m_cells.empty()) return index;

    // About one cell per grid square on average.
    const double side = std::sqrt(static_cast<double>(index->m_cells.size()));
    index->m_nx = std::clamp(static_cast<int>(side), 1, 1024);
    index->m_ny = index->m_nx;
    const BBox& e = index->m_extent;
    const double w = std::max(e.maxx - e.minx, 1e-12), h = std::max(e.maxy - e.miny, 1e-12);
    auto column = [&](double x) { return std::clamp(static_cast<int>((x - e.minx) / w * index->m_nx), 0, index->m_nx - 1); };
    auto row = [&](double y) { return std::clamp(static_cast<int>((y - e.miny) / h * index->m_ny), 0, index->m_ny - 1); };
    std::vector<std::vector<std::uint32_t>> squares(static_cast<std::size_t>(index->m_nx) * static_cast<std::size_t>(index->m_ny));
    for (std::uint32_t i = 0; i < index->m_cells.size(); ++i) {
        const BBox& b = index->m_cells[i].box;
        for (int y = row(b.miny); y <= row(b.maxy); ++y) {
            for (int x = column(b.minx); x <= column(b.maxx); ++x) {
                squares[static_cast<std::size_t>(y) * static_cast<std::size_t>(index->m_nx) + static_cast<std::size_t>(x)].push_back(i);
            }
        }
    }
    index->m_first.push_back(0);
    for (const auto& s : squares) {
        index->m_items.insert(index->m_items.end(), s.begin(), s.end());
        index->m_first.push_back(static_cast<std::uint32_t>(index->m_items.size()));
    }
    return index;
}

bool CellIndex::covers(const Cell& cell, double x, double y) const {
    if (x < cell.box.minx || x > cell.box.maxx || y < cell.box.miny || y > cell.box.maxy) return false;
    // Even-odd crossings over every ring: holes and separate parts count right either way.
    bool inside = false;
    for (const Ring& r : cell.rings) {
        const std::size_t n = r.xy.size() / 2;
        for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
            const double xi = r.xy[2 * i], yi = r.xy[2 * i + 1], xj = r.xy[2 * j], yj = r.xy[2 * j + 1];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
        }
    }
    return inside;
}

std::optional<HereCell> CellIndex::at(double lon, double lat, const access::Scope& scope) const {
    if (m_cells.empty() || !std::isfinite(lon) || !std::isfinite(lat)) return std::nullopt;
    if (lon < m_extent.minx || lon > m_extent.maxx || lat < m_extent.miny || lat > m_extent.maxy) return std::nullopt;
    const double w = std::max(m_extent.maxx - m_extent.minx, 1e-12), h = std::max(m_extent.maxy - m_extent.miny, 1e-12);
    const int x = std::clamp(static_cast<int>((lon - m_extent.minx) / w * m_nx), 0, m_nx - 1);
    const int y = std::clamp(static_cast<int>((lat - m_extent.miny) / h * m_ny), 0, m_ny - 1);
    const std::size_t square = static_cast<std::size_t>(y) * static_cast<std::size_t>(m_nx) + static_cast<std::size_t>(x);
    // Items are in fid order within a square, so the first hit has the lowest fid.
    for (std::uint32_t k = m_first[square]; k < m_first[square + 1]; ++k) {
        const Cell& cell = m_cells[m_items[k]];
        if (!covers(cell, lon, lat)) continue;
        HereCell found = cell.info;
        if (!scope.covers_cell(found.code)) withhold(found);
        return found;
    }
    return std::nullopt;
}

}  // namespace geo::query
