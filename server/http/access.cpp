#include "http/access.hpp"
#include "http/request_head.hpp"

#include <cstdio>

namespace gridmap::http {

namespace {

using geo::access::Role;


}  // namespace

std::string cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const auto end = header.find(';');
        const std::string_view pair = trim_ows(header.substr(0, end));
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && trim_ows(pair.substr(0, eq)) == name) return std::string(trim_ows(pair.substr(eq + 1)));
        if (end == std::string_view::npos) break;
        header.remove_prefix(end + 1);
    }
    return "";
}

std::string loggable_target(std::string_view target) {
    const auto query = target.find('?');
    if (query == std::string_view::npos) return std::string(target);
    std::string out(target.substr(0, query + 1));
    std::string_view rest = target.substr(query + 1);
    bool first = true;
    while (true) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const std::string_view key = pair.substr(0, pair.find('='));
        if (!first) out += '&';
        first = false;
        if (iequals_ascii(key, "access_token") || iequals_ascii(key, "token")) {
            out += std::string(key) + "=***";
        } else {
            out += pair;
        }
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return out;
}

std::shared_ptr<const std::vector<geo::access::TokenRecord>> Access::tokens(geo::store::Store& store) {
    // One small read per request tells whether any process has added or revoked a token.
    const std::int64_t version = store.tokens_version();
    std::lock_guard lock(m_mutex);
    if (!m_tokens || version != m_version) {
        m_tokens = std::make_shared<const std::vector<geo::access::TokenRecord>>(store.tokens());
        m_version = version;
    }
    return m_tokens;
}

Identity Access::check_token(geo::store::Store& store, std::string_view token) {
    Identity id;
    if (token.empty()) {
        id.refused = "empty token";
        return id;
    }
    const std::string hash = geo::access::token_hash(token);
    const auto all = tokens(store);
    const geo::access::TokenRecord* found = nullptr;
    // Every stored hash is compared, in constant time each: the time taken says nothing about
    // how close a guess came.
    for (const auto& t : *all) {
        if (geo::access::same_hash(t.hash, hash)) found = &t;
    }
    if (!found) {
        id.refused = "unknown token";
        return id;
    }
    if (!found->revoked_at.empty()) {
        id.refused = "token " + std::to_string(found->id) + " was revoked";
        return id;
    }
    if (!found->usable_at(geo::access::now_utc())) {
        id.refused = "token " + std::to_string(found->id) + " expired at " + found->expires_at;
        return id;
    }
    id.caller.role = found->role;
    id.caller.scope = found->scope();
    id.caller.token_id = found->id;
    id.caller.name = found->name;
    id.caller.grids = found->grids;
    id.caller.expires_at = found->expires_at;
    return id;
}

Identity Access::identify(geo::store::Store& store, std::string_view authorization, std::string_view cookie) {
    if (m_open) {
        Identity id;
        id.caller.role = Role::admin;
        id.caller.scope = geo::access::Scope::everything();
        id.caller.name = "open";
        return id;
    }
    authorization = trim_ows(authorization);
    if (!authorization.empty()) {
        const auto space = authorization.find(' ');
        if (space == std::string_view::npos || !iequals_ascii(authorization.substr(0, space), "bearer")) {
            Identity id;
            id.refused = "the Authorization header is not a bearer token";
            return id;
        }
        return check_token(store, trim_ows(authorization.substr(space + 1)));
    }
    const std::string session = cookie_value(cookie, k_session_cookie);
    if (!session.empty()) {
        Identity id = check_token(store, session);
        if (!id.refused.empty()) id.refused = "session cookie: " + id.refused;
        return id;
    }
    return {};
}

bool Access::has_admin_token(geo::store::Store& store) {
    const std::string now = geo::access::now_utc();
    for (const auto& t : store.tokens()) {
        if (t.role == Role::admin && t.usable_at(now)) return true;
    }
    return false;
}

void Access::audit_refusal(geo::store::Store& store, std::string_view peer, std::string_view reason) {
    // The log line is as cheap as the access log's; the database line is rationed.
    std::fprintf(stderr, "audit: login_failed from %.*s: %.*s\n", static_cast<int>(peer.size()), peer.data(),
                 static_cast<int>(reason.size()), reason.data());
    std::int64_t suppressed = 0;
    {
        std::lock_guard lock(m_mutex);
        const auto now = std::chrono::steady_clock::now();
        if (now - m_window_start >= std::chrono::minutes(1)) {
            m_window_start = now;
            m_window_lines = 0;
        }
        if (++m_window_lines > 20) {
            ++m_suppressed;
            return;
        }
        suppressed = m_suppressed;
        m_suppressed = 0;
    }
    geo::access::AuditEntry e;
    e.who = "anonymous";
    e.action = "login_failed";
    e.target = std::string(peer);
    e.outcome = "refused";
    e.detail = std::string(reason);
    if (suppressed > 0) e.detail += " (and " + std::to_string(suppressed) + " more refusals before it, not written one by one)";
    try {
        store.append_audit(e);
    } catch (const std::exception& ex) {
        // A refused login is answered 401 whether or not the log could be written.
        std::fprintf(stderr, "audit: could not write to the database: %s\n", ex.what());
    }
}

}  // namespace gridmap::http
