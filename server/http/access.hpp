#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "geo/access/access.hpp"
#include "geo/store/store.hpp"

// The one authorization point of the HTTP server: every request's credentials are looked at
// here, once, before its route runs (Server::handle). Routes then read only through a store
// view in the caller's scope (RequestContext::store), so the row and attribute rules of
// geo/access apply to every answer.
namespace gridmap::http {

/// Who is asking.
struct Caller {
    geo::access::Role role = geo::access::Role::anonymous;
    /// What the caller may see of the features: a worker's cells, everything for planners and
    /// admins, nothing but public attributes for anonymous callers (who reach no data route).
    geo::access::Scope scope = geo::access::Scope::within({});
    std::int64_t token_id = 0;  ///< 0: no token (anonymous, or every caller under --open)
    std::string name = "anonymous";
    std::vector<std::string> grids;
    std::string expires_at;
    /// Differs between callers who may see different things: tile cache keys include it.
    std::string view_key() const { return scope.key(); }
};

/// What a request's credentials came to.
struct Identity {
    Caller caller;
    /// Why presented credentials were not accepted ("" when none were presented, or they were
    /// good): the caller is then anonymous.
    std::string refused;
};

/// The name of the session cookie POST /session sets.
inline constexpr std::string_view k_session_cookie = "gridmap_session";

/// Tokens in memory, reloaded when any process adds or revokes one; and the rules for reading
/// credentials from a request.
class Access {
public:
    /// `open`: every request is an admin's (loopback demo only; Server::bind checks the address).
    explicit Access(bool open) : m_open(open) {}

    bool open() const noexcept { return m_open; }

    /// The caller of a request with these `Authorization` and `Cookie` header values. A bearer
    /// token in the header wins over the session cookie. Under --open everyone is an admin.
    Identity identify(geo::store::Store& store, std::string_view authorization, std::string_view cookie);

    /// The caller a token makes (POST /session); `refused` says why not.
    Identity check_token(geo::store::Store& store, std::string_view token);

    /// Whether `store` holds an admin token that can be used now.
    static bool has_admin_token(geo::store::Store& store);

    /// Records a refused credential: a line on stderr each time, and a line in the audit log for
    /// at most 20 a minute (a client trying tokens in a loop must not fill the disk); the rest are
    /// counted and the count is written with the next line that is let through.
    void audit_refusal(geo::store::Store& store, std::string_view peer, std::string_view reason);

private:
    std::shared_ptr<const std::vector<geo::access::TokenRecord>> tokens(geo::store::Store& store);

    bool m_open;
    std::mutex m_mutex;
    std::int64_t m_version = -2;  // tokens_version m_tokens was read at
    std::shared_ptr<const std::vector<geo::access::TokenRecord>> m_tokens;
    std::chrono::steady_clock::time_point m_window_start{};
    int m_window_lines = 0;
    std::int64_t m_suppressed = 0;
};

/// `target` with the value of any access_token or token query parameter replaced by "***", for
/// logs: a token put in a URL by mistake must not be written down as well.
std::string loggable_target(std::string_view target);

/// The value of cookie `name` in a Cookie header ("" when absent).
std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace gridmap::http
