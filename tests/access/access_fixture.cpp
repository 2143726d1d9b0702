#include "access/access_fixture.hpp"

#include <chrono>

#include <protozero/pbf_reader.hpp>

#include "geo/access/access.hpp"
#include "geo/store/store.hpp"

namespace gridmap::test {

namespace {

using geo::access::Role;

}  // namespace

AccessServer::AccessServer() {
    import_demo(db());
    auto store = geo::store::open_store(db(), false);
    const auto add = [&](const std::string& who, Role role, std::vector<std::string> grids, std::string expires) {
        geo::access::TokenRecord r;
        r.name = who + " 测试";
        r.role = role;
        r.grids = std::move(grids);
        r.expires_at = std::move(expires);
        const std::string token = geo::access::new_token();
        r.hash = geo::access::token_hash(token);
        m_tokens[who] = token;
        m_ids[who] = store->add_token(r);
    };
    add("admin", Role::admin, {}, "");
    add("planner", Role::planner, {}, "2099-01-01T00:00:00Z");
    add("worker", Role::worker, {k_cell_a}, "");
    add("worker_b", Role::worker, {k_cell_b}, "");
    add("worker_none", Role::worker, {}, "");
    add("expired", Role::planner, {}, "2020-01-01T00:00:00Z");
    add("revoked", Role::admin, {}, "");
    store->revoke_token(m_ids["revoked"]);
    m_tokens["anonymous"] = "";
    m_tokens["bogus"] = geo::access::new_token();

    gridmap::http::ServerConfig config;
    config.db = db();
    config.port = 0;
    config.threads = 4;
    config.access_log = true;
    config.read_timeout_s = 5;
    config.style = (std::filesystem::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json").string();
    m_running = std::make_unique<ServerThread>(config);
}

httplib::Headers AccessServer::headers(const std::string& who) const {
    const std::string& t = m_tokens.at(who);
    if (t.empty()) return {};
    return {{"Authorization", "Bearer " + t}};
}

httplib::Result AccessServer::get(const std::string& who, const std::string& target) const {
    return client().Get(target, headers(who));
}

httplib::Result AccessServer::post(const std::string& who, const std::string& target, const std::string& json) const {
    return client().Post(target, headers(who), json, "application/json");
}

httplib::Result AccessServer::del(const std::string& who, const std::string& target) const {
    return client().Delete(target, headers(who));
}

AccessServer& access_server() {
    static AccessServer server;
    return server;
}

std::map<std::uint64_t, std::set<std::string>> mvt_feature_keys(const std::string& tile, const std::string& layer) {
    std::map<std::uint64_t, std::set<std::string>> out;
    protozero::pbf_reader message(tile);
    while (message.next(3)) {  // Tile.layers
        protozero::pbf_reader l = message.get_message();
        std::string name;
        std::vector<std::string> keys;
        std::vector<std::pair<std::uint64_t, std::vector<std::uint32_t>>> features;
        while (l.next()) {
            switch (l.tag()) {
                case 1: name = l.get_string(); break;
                case 3: keys.push_back(l.get_string()); break;
                case 2: {
                    protozero::pbf_reader f = l.get_message();
                    std::uint64_t id = 0;
                    std::vector<std::uint32_t> tags;
                    while (f.next()) {
                        if (f.tag() == 1) {
                            id = f.get_uint64();
                        } else if (f.tag() == 2) {
                            const auto packed = f.get_packed_uint32();
                            tags.assign(packed.begin(), packed.end());
                        } else {
                            f.skip();
                        }
                    }
                    features.emplace_back(id, std::move(tags));
                    break;
                }
                default: l.skip();
            }
        }
        if (name != layer) continue;
        for (const auto& [id, tags] : features) {
            auto& set = out[id];
            for (std::size_t i = 0; i + 1 < tags.size(); i += 2) {
                if (tags[i] < keys.size()) set.insert(keys[tags[i]]);
            }
        }
    }
    return out;
}

}  // namespace gridmap::test
