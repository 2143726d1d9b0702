#include "http/tile_cache.hpp"

namespace gridmap::http {

std::shared_ptr<const CachedTile> TileCache::find(const std::string& key,
                                                  const std::map<std::string, std::int64_t>& current) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(key);
    if (it == m_index.end()) return nullptr;
    for (const auto& [layer, version] : it->second->tile->versions) {
        auto now = current.find(layer);
        if (now == current.end() || now->second != version) {
            m_bytes -= it->second->bytes;
            m_lru.erase(it->second);
            m_index.erase(it);
            return nullptr;
        }
    }
    m_lru.splice(m_lru.begin(), m_lru, it->second);
    return it->second->tile;
}

void TileCache::put(const std::string& key, std::shared_ptr<const CachedTile> tile) {
    const std::size_t bytes = tile->body.size() + tile->gzipped.size() + key.size() + 256;
    if (bytes > m_max_bytes) return;
    std::lock_guard lock(m_mutex);
    if (auto it = m_index.find(key); it != m_index.end()) {
        m_bytes -= it->second->bytes;
        m_lru.erase(it->second);
        m_index.erase(it);
    }
    m_lru.push_front({key, std::move(tile), bytes});
    m_index[key] = m_lru.begin();
    m_bytes += bytes;
    evict_locked();
}

void TileCache::evict_locked() {
    while (m_bytes > m_max_bytes && !m_lru.empty()) {
        m_bytes -= m_lru.back().bytes;
        m_index.erase(m_lru.back().key);
        m_lru.pop_back();
    }
}

std::size_t TileCache::bytes() const {
    std::lock_guard lock(m_mutex);
    return m_bytes;
}

}  // namespace gridmap::http
