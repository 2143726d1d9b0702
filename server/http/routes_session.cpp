// Logging in from a browser: POST /session turns a token into an HttpOnly cookie, so that the
// web map never holds the token in a URL or in script-readable storage.
#include <nlohmann/json.hpp>

#include "geo/error.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace gridmap::http {

namespace {

using nlohmann::ordered_json;

ordered_json who_json(const Caller& caller, bool open) {
    ordered_json grids = ordered_json::array();
    for (const auto& g : caller.grids) grids.push_back(g);
    return {{"role", geo::access::to_string(caller.role)},
            {"name", caller.name},
            {"token_id", caller.token_id == 0 ? ordered_json(nullptr) : ordered_json(caller.token_id)},
            {"grids", caller.role == Role::worker ? grids : ordered_json(nullptr)},
            {"expires_at", caller.expires_at.empty() ? ordered_json(nullptr) : ordered_json(caller.expires_at)},
            {"open", open}};
}

void login(Server& server, RequestContext& ctx) {
    const auto body = nlohmann::json::parse(ctx.req.body, nullptr, false);
    if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
        throw geo::Error(geo::Errc::invalid_argument, R"(the body must be a JSON object {"token": "…"})");
    }
    Identity who = server.access().check_token(server.unscoped_store(), body["token"].get<std::string>());
    if (who.caller.role == Role::anonymous) {
        server.access().audit_refusal(server.unscoped_store(), ctx.req.remote_addr, "POST /session: " + who.refused);
        ctx.res.set_header("WWW-Authenticate", "Bearer realm=\"gridmap\", error=\"invalid_token\"");
        send_problem(ctx.res, 401, "the token was not accepted (" + who.refused + ")", ctx.req.target, ctx.request_id);
        return;
    }
    // HttpOnly: no script reads it. SameSite=Strict: no other site's page sends it. Secure when
    // configured (behind TLS), since over plain HTTP a browser would then never send it back.
    std::string cookie = std::string(k_session_cookie) + "=" + body["token"].get<std::string>() +
                         "; Path=/; HttpOnly; SameSite=Strict";
    if (server.config().secure_cookies) cookie += "; Secure";
    ctx.res.set_header("Set-Cookie", cookie);
    ctx.res.set_header("Cache-Control", "no-store");
    server.audit(who.caller, "login", "session", "ok", ctx.req.remote_addr);
    ctx.res.set_content(json_text(who_json(who.caller, server.access().open())), "application/json");
}

}  // namespace

void register_session_routes(Server& server) {
    server.post("/session", R"(/session)", Role::anonymous, [&server](RequestContext& ctx) { login(server, ctx); });
    // Who the browser is logged in as (anonymous when not, or when the cookie is no longer good).
    server.get("/session", R"(/session)", Role::anonymous, [&server](RequestContext& ctx) {
        const Identity who = server.access().identify(server.unscoped_store(), ctx.req.get_header_value("Authorization"),
                                                      ctx.req.get_header_value("Cookie"));
        ctx.res.set_header("Cache-Control", "no-store");
        ctx.res.set_content(json_text(who_json(who.caller, server.access().open())), "application/json");
    });
    server.del("/session", R"(/session)", Role::anonymous, [&server](RequestContext& ctx) {
        std::string cookie = std::string(k_session_cookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
        if (server.config().secure_cookies) cookie += "; Secure";
        ctx.res.set_header("Set-Cookie", cookie);
        ctx.res.status = 204;
    });
}

}  // namespace gridmap::http
