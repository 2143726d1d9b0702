#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace gridmap::http {

/// A rendered tile as served: the bytes, their gzip form (for MVT), and a strong ETag.
struct CachedTile {
    std::string body;       ///< empty for a 204 tile
    std::string gzipped;    ///< empty when not worth compressing
    std::string etag;       ///< quoted, derived from the bytes
    std::string content_type;
    /// The version of each layer the tile was drawn from (geo::LayerInfo::version).
    std::map<std::string, std::int64_t> versions;
};

/// An in-memory LRU of tiles with a byte budget. A tile is served from the cache only while
/// the versions of the layers it was drawn from are unchanged, so an import invalidates exactly
/// the tiles of the layers it changed. Thread-safe.
class TileCache {
public:
    explicit TileCache(std::size_t max_bytes) : m_max_bytes(max_bytes) {}

    /// The tile under `key` if it was drawn from the layer versions in `current`.
    std::shared_ptr<const CachedTile> find(const std::string& key,
                                           const std::map<std::string, std::int64_t>& current);
    void put(const std::string& key, std::shared_ptr<const CachedTile> tile);
    std::size_t bytes() const;

private:
    struct Entry {
        std::string key;
        std::shared_ptr<const CachedTile> tile;
        std::size_t bytes;
    };
    void evict_locked();

    std::size_t m_max_bytes;
    mutable std::mutex m_mutex;
    std::list<Entry> m_lru;  // front: most recently used
    std::unordered_map<std::string, std::list<Entry>::iterator> m_index;
    std::size_t m_bytes = 0;
};

}  // namespace gridmap::http
