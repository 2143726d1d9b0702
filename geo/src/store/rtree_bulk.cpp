// The node layout follows SQLite's rtree.c: a node is a blob of the table's node size holding
// a 2-byte depth (meaningful in the root, node 1, only), a 2-byte cell count, then cells of an
// 8-byte id and four 4-byte coordinates, all big-endian. In leaves the id is the row id, in
// inner nodes the child's node number. %_rowid maps row ids to leaves, %_parent nodes to parents.
#include "store/rtree_bulk.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "capi/sqlite.hpp"
#include "geo/error.hpp"

namespace geo::store::detail {

namespace {

constexpr std::size_t k_cell_bytes = 8 + 4 * 4;

float round_down(double v) {
    float f = static_cast<float>(v);
    if (static_cast<double>(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    return f;
}

float round_up(double v) {
    float f = static_cast<float>(v);
    if (static_cast<double>(f) < v) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

void put_u16(unsigned char* p, unsigned v) {
    p[0] = static_cast<unsigned char>(v >> 8);
    p[1] = static_cast<unsigned char>(v);
}

void put_u32(unsigned char* p, std::uint32_t v) {
    for (int i = 3; i >= 0; --i) {
        p[i] = static_cast<unsigned char>(v);
        v >>= 8;
    }
}

void put_i64(unsigned char* p, std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<unsigned char>(u);
        u >>= 8;
    }
}

void put_f32(unsigned char* p, float f) { put_u32(p, std::bit_cast<std::uint32_t>(f)); }

struct Entry {
    std::int64_t id;  // row id in leaves, node number above
    float minx, maxx, miny, maxy;
    double cx() const { return (static_cast<double>(minx) + maxx) / 2; }
    double cy() const { return (static_cast<double>(miny) + maxy) / 2; }
};

/// Groups entries into nodes of at most `capacity` by Sort-Tile-Recursive: vertical slices by
/// x, then runs by y inside each slice, so that each node covers a compact area.
std::vector<std::vector<Entry>> pack(std::vector<Entry> entries, std::size_t capacity) {
    const std::size_t n = entries.size();
    const std::size_t nodes = (n + capacity - 1) / capacity;
    const auto slices = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(nodes))));
    const std::size_t per_slice = slices * capacity;
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.cx() < b.cx(); });
    std::vector<std::vector<Entry>> out;
    for (std::size_t start = 0; start < n; start += per_slice) {
        const auto end = std::min(n, start + per_slice);
        std::sort(entries.begin() + static_cast<std::ptrdiff_t>(start),
                  entries.begin() + static_cast<std::ptrdiff_t>(end),
                  [](const Entry& a, const Entry& b) { return a.cy() < b.cy(); });
        for (std::size_t i = start; i < end; i += capacity) {
            out.emplace_back(entries.begin() + static_cast<std::ptrdiff_t>(i),
                             entries.begin() + static_cast<std::ptrdiff_t>(std::min(end, i + capacity)));
        }
    }
    return out;
}

Entry cover(std::int64_t id, const std::vector<Entry>& children) {
    Entry e{id, children[0].minx, children[0].maxx, children[0].miny, children[0].maxy};
    for (const auto& c : children) {
        e.minx = std::min(e.minx, c.minx);
        e.maxx = std::max(e.maxx, c.maxx);
        e.miny = std::min(e.miny, c.miny);
        e.maxy = std::max(e.maxy, c.maxy);
    }
    return e;
}

}  // namespace

void bulk_load_rtree(sqlite3* db, const std::string& table, std::vector<RtreeBox> boxes) {
    if (boxes.empty()) return;
    const std::string node_table = capi::quote_identifier(table + "_node");
    std::size_t node_size = 0;
    {
        capi::Statement root(db, "SELECT length(data) FROM " + node_table + " WHERE nodeno = 1");
        if (root.step()) node_size = static_cast<std::size_t>(root.column_int(0));
        capi::Statement count(db, "SELECT count(*) FROM " + capi::quote_identifier(table + "_rowid"));
        count.step();
        if (count.column_int(0) != 0) throw Error(Errc::internal, "bulk_load_rtree needs an empty R*Tree");
    }
    const std::size_t capacity = node_size > 4 ? (node_size - 4) / k_cell_bytes : 0;
    if (capacity < 4) throw Error(Errc::internal, "unexpected R*Tree node size in " + table);

    std::vector<Entry> level;
    level.reserve(boxes.size());
    for (const auto& b : boxes) {
        level.push_back({b.id, round_down(b.minx), round_up(b.maxx), round_down(b.miny), round_up(b.maxy)});
    }
    boxes.clear();
    boxes.shrink_to_fit();

    // Levels from the leaves up. Node numbers: the root is 1, the others from 2 on.
    struct Node {
        std::int64_t number;
        std::vector<Entry> cells;
        bool leaf;
    };
    std::vector<Node> written;
    std::int64_t next_number = 2;
    int depth = 0;
    bool leaf_level = true;
    while (level.size() > capacity) {
        std::vector<Entry> parents;
        for (auto& cells : pack(std::move(level), capacity)) {
            const std::int64_t number = next_number++;
            parents.push_back(cover(number, cells));
            written.push_back({number, std::move(cells), leaf_level});
        }
        level = std::move(parents);
        leaf_level = false;
        ++depth;
    }
    written.push_back({1, std::move(level), leaf_level});

    capi::Statement put_node(db, "INSERT OR REPLACE INTO " + node_table + " (nodeno, data) VALUES (?, ?)");
    capi::Statement put_rowid(db, "INSERT INTO " + capi::quote_identifier(table + "_rowid") +
                                      " (rowid, nodeno) VALUES (?, ?)");
    capi::Statement put_parent(db, "INSERT INTO " + capi::quote_identifier(table + "_parent") +
                                       " (nodeno, parentnode) VALUES (?, ?)");
    std::vector<unsigned char> blob(node_size);
    for (const Node& node : written) {
        std::fill(blob.begin(), blob.end(), 0);
        if (node.number == 1) put_u16(blob.data(), static_cast<unsigned>(depth));
        put_u16(blob.data() + 2, static_cast<unsigned>(node.cells.size()));
        unsigned char* p = blob.data() + 4;
        for (const Entry& c : node.cells) {
            put_i64(p, c.id);
            put_f32(p + 8, c.minx);
            put_f32(p + 12, c.maxx);
            put_f32(p + 16, c.miny);
            put_f32(p + 20, c.maxy);
            p += k_cell_bytes;
            if (node.leaf) {
                put_rowid.bind(1, c.id).bind(2, node.number);
                put_rowid.run();
            } else {
                put_parent.bind(1, c.id).bind(2, node.number);
                put_parent.run();
            }
        }
        put_node.bind(1, node.number).bind(2, std::span<const unsigned char>(blob));
        put_node.run();
    }
}

}  // namespace geo::store::detail
