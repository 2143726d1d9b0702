#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "http/server.hpp"
#include "server/server_fixture.hpp"
#include "support/test_support.hpp"

namespace gridmap::test {

/// The demo district served without --open, with one token of each kind made beforehand
/// through the store (as gridmap token create does).
class AccessServer {
public:
    /// Grid cell codes of the demo district the two worker tokens are scoped to.
    static constexpr const char* k_cell_a = "310101013-001-01";
    static constexpr const char* k_cell_b = "310101013-001-02";

    AccessServer();

    int port() const { return m_running->port(); }
    std::string db() const { return (m_dir.path() / "demo.sqlite").string(); }
    /// The token for a caller: "admin", "planner", "worker" (cell A), "worker_b" (cell B),
    /// "worker_none" (no cells), "expired", "revoked"; "" for anonymous.
    const std::string& token(const std::string& who) const { return m_tokens.at(who); }
    std::int64_t token_id(const std::string& who) const { return m_ids.at(who); }

    /// GET `target` as `who` (a key of token(), or "anonymous", or "bogus" for a made-up token).
    httplib::Result get(const std::string& who, const std::string& target) const;
    httplib::Result post(const std::string& who, const std::string& target, const std::string& json) const;
    httplib::Result del(const std::string& who, const std::string& target) const;

private:
    httplib::Headers headers(const std::string& who) const;
    httplib::Client client() const { return m_running->client(); }

    TempDir m_dir;
    std::map<std::string, std::string> m_tokens;
    std::map<std::string, std::int64_t> m_ids;
    std::unique_ptr<ServerThread> m_running;
};

/// The suite-wide server, started on first use.
AccessServer& access_server();

/// The property keys of each feature of `layer` in a Mapbox Vector Tile, by feature id.
std::map<std::uint64_t, std::set<std::string>> mvt_feature_keys(const std::string& tile, const std::string& layer);

}  // namespace gridmap::test
