#include "http/tile_cache.hpp"

#include <cstdio>
#include <stdexcept>

#include <zlib.h>

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

std::string strong_etag(const std::string& bytes) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "\"%016llx-%zx\"", static_cast<unsigned long long>(h), bytes.size());
    return buf;
}

std::string gzip(const std::string& bytes) {
    z_stream zs{};
    // 15 + 16: a gzip header and trailer around the deflate stream.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib: deflateInit2 failed");
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(bytes.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zs.avail_in = static_cast<uInt>(bytes.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate failed");
    return out;
}

bool etag_matches(const std::string& if_none_match, const std::string& etag) {
    if (if_none_match.empty()) return false;
    std::size_t pos = 0;
    while (pos < if_none_match.size()) {
        auto end = if_none_match.find(',', pos);
        if (end == std::string::npos) end = if_none_match.size();
        std::string item = if_none_match.substr(pos, end - pos);
        const auto first = item.find_first_not_of(" \t");
        const auto last = item.find_last_not_of(" \t");
        item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
        if (item.starts_with("W/")) item = item.substr(2);  // weak comparison, as RFC 9110 says for If-None-Match
        if (item == "*" || item == etag) return true;
        pos = end + 1;
    }
    return false;
}

bool accepts_gzip(const std::string& accept_encoding) {
    // "gzip;q=0" refuses it; anything else naming gzip accepts it.
    const auto pos = accept_encoding.find("gzip");
    if (pos == std::string::npos) return false;
    const auto next = accept_encoding.find(',', pos);
    const std::string item = accept_encoding.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    return item.find("q=0") == std::string::npos || item.find("q=0.") != std::string::npos;
}

}  // namespace gridmap::http
