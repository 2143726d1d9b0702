#include "http/server.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "geo/analysis/norms.hpp"
#include "geo/error.hpp"
#include "http/encoding.hpp"
#include "http/guard.hpp"
#include "http/problem.hpp"

namespace gridmap::http {

namespace {

std::atomic<std::uint64_t> g_next_request{1};

// The route name of the request this thread is handling, for the access log and metrics:
// cpp-httplib runs routing, the handler and the logger on the same worker thread.
thread_local std::string t_route;
thread_local std::string t_request_id;
thread_local std::chrono::steady_clock::time_point t_started;
// The file holding the body of the upload being answered on this thread ("" for other requests).
thread_local std::string t_upload_path;

// cpp-httplib writes "Content-Length: 0" for every empty body, a 304 too; but a 304's length
// would be the 200's (RFC 9110 §8.6), so the field is left out of a 304.
void drop_length_of_not_modified(std::string& response) {
    if (!response.starts_with("HTTP/1.1 304 ")) return;
    const auto head_end = response.find("\r\n\r\n");
    const auto field = response.find("\r\nContent-Length: 0\r\n");
    if (field != std::string::npos && field < head_end) response.erase(field, std::strlen("\r\nContent-Length: 0"));
}

std::string next_request_id() {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(g_next_request.fetch_add(1)));
    return buf;
}

// cpp-httplib reads a request from, and writes its answer to, this: the request the connection
// loop has read whole, and a string the loop then sends.
class ExchangeStream final : public httplib::Stream {
public:
    explicit ExchangeStream(Exchange& ex) : m_ex(ex) {}
    bool is_readable() const override { return m_read < m_ex.request.size(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        const std::size_t n = std::min(size, m_ex.request.size() - m_read);
        std::memcpy(ptr, m_ex.request.data() + m_read, n);
        m_read += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
        m_ex.response.append(ptr, size);
        return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = m_ex.peer_ip;
        port = m_ex.peer_port;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = m_ex.local_ip;
        port = m_ex.local_port;
    }
    socket_t socket() const override { return m_ex.socket; }

private:
    Exchange& m_ex;
    std::size_t m_read = 0;
};

LoopSettings loop_settings(const ServerConfig& c) {
    LoopSettings s;
    s.policy.max_body_bytes = c.max_body_bytes;
    s.policy.allowed_hosts = {"localhost"};
    char name[256] = "";
    if (gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') {
        std::string own = name;
        for (char& ch : own) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        s.policy.allowed_hosts.push_back(own);
    }
    s.policy.allowed_hosts.insert(s.policy.allowed_hosts.end(), c.allowed_hosts.begin(), c.allowed_hosts.end());
    s.request_timeout = std::chrono::seconds(c.read_timeout_s);
    s.write_timeout = std::chrono::seconds(c.write_timeout_s);
    s.idle_timeout = std::chrono::seconds(c.keep_alive_timeout_s);
    s.max_requests_per_connection = c.keep_alive_max_count;
    s.max_connections = c.max_connections;
    s.threads = static_cast<std::size_t>(c.worker_threads());
    s.policy.max_upload_bytes = c.max_upload_bytes;
    s.upload_dir = c.uploads();
    s.upload_timeout = std::chrono::seconds(c.upload_timeout_s);
    return s;
}

// Whether `host` only ever reaches this machine.
bool is_loopback_host(const std::string& host) {
    if (host == "localhost" || host == "::1" || host == "[::1]") return true;
    // 127.0.0.0/8, written as a dotted quad.
    if (!host.starts_with("127.")) return false;
    int dots = 0;
    for (char c : host) {
        if (c == '.') ++dots;
        else if (c < '0' || c > '9') return false;
    }
    return dots == 3;
}

// A file a setting names, whole; geo::Error naming the setting when it cannot be read.
std::string read_setting_file(const std::string& path, const std::string& setting) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw geo::Error(geo::Errc::invalid_argument, setting + ": no file " + path);
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.is_open() || in.bad()) throw geo::Error(geo::Errc::invalid_argument, setting + ": cannot read " + path);
    return text;
}

}  // namespace

Server::Server(ServerConfig config)
    : m_config(std::move(config)), m_access(m_config.open), m_tile_cache(m_config.cache_bytes), m_jobs(m_config.db) {
    for (const auto& entry : m_config.trusted_proxies) {
        if (auto net = ProxyNet::parse(entry)) m_trusted_proxies.push_back(*net);
    }
    m_loop = std::make_unique<ConnectionLoop>(
        loop_settings(m_config),
        LoopCallbacks{[this](Exchange& ex) { process(ex); },
                      [this](const Refusal& r, std::string_view method, std::string_view target, std::string_view id,
                             std::size_t bytes) { log_refusal(r, method, target, id, bytes); },
                      next_request_id,
                      [this](const RequestHead& head) { return authorize_upload(head); }});
    // A style that exists but does not parse is a configuration error, found at start; one
    // that is nowhere is said at start (serve prints it) and by the routes that need it.
    m_style_path = locate_style(m_config.style);
    if (!m_style_path.empty()) {
        std::ifstream in(m_style_path, std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        m_style = std::make_unique<geo::style::Style>(geo::style::load_style(text));
        m_style_document = nlohmann::ordered_json::parse(text);
    }
    // The analysis rules, read and checked at start: a bad file stops the server with its reason.
    if (!m_config.walkability.empty()) {
        m_walkability_text = read_setting_file(m_config.walkability, "walkability");
        m_walkability = geo::analysis::load_walkability(m_walkability_text);
    }
    if (!m_config.standards.empty()) {
        m_standards_text = read_setting_file(m_config.standards, "standards");
        geo::analysis::load_norms_config(m_standards_text);
    }
    m_jobs.set_audit([this](std::int64_t token_id, const std::string& who, const std::string& action, const std::string& target,
                            const std::string& outcome, const std::string& detail) {
        Caller caller;
        caller.token_id = token_id;
        caller.name = who;
        audit(caller, action, target, outcome, detail);
    });
    m_http.set_payload_max_length(m_config.max_body_bytes);
    // Only for the Keep-Alive field cpp-httplib writes; the loop enforces both.
    m_http.set_keep_alive_timeout(m_config.keep_alive_timeout_s);
    m_http.set_keep_alive_max_count(static_cast<std::size_t>(m_config.keep_alive_max_count));

    m_http.set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
        t_started = std::chrono::steady_clock::now();
        t_route = "(unmatched)";
        t_request_id = next_request_id();
        res.set_header("X-Request-Id", t_request_id);
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // Answers cpp-httplib gives itself (no route, payload too large, bad request line) get a
    // problem body too.
    // The instance of a problem is the target as sent: percent-encoded, so always ASCII.
    m_http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
        add_cors(req, res);
        if (res.get_header_value("Content-Type") == "application/problem+json") return;
        // A path that has routes, but not for this method: 405 with the methods it has.
        if (res.status == 404) {
            if (const std::string allow = allow_list(req.path); !allow.empty()) {
                res.status = 405;
                res.set_header("Allow", allow);
            }
        }
        std::string detail = "no such resource";
        if (res.status == 413) detail = "the request body is larger than this server accepts";
        else if (res.status == 400) detail = "the request is malformed";
        else if (res.status == 405) detail = "this resource does not support " + req.method;
        else if (res.status != 404) detail = reason_phrase(res.status);
        send_problem(res, res.status, detail, req.target, t_request_id);
    });
    // A handler that throws something other than geo::Error or std::exception ends here.
    m_http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "error %s %s: %s\n", t_request_id.c_str(), loggable_target(req.target).c_str(), what.c_str());
        send_problem(res, 500, "", req.target, t_request_id);
    });
    // Every answer carries its CORS fields; then caching fields and compression (after every
    // route and the error handler, before cpp-httplib writes the answer).
    m_http.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        add_cors(req, res);
        finish_answer(req, res);
    });
    // OPTIONS: what a path allows, and a browser's CORS preflight.
    m_http.Options(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
        t_route = "OPTIONS";
        const std::string allow = allow_list(req.path);
        if (allow.empty()) {
            send_problem(res, 404, "no such resource", req.target, t_request_id);
            return;
        }
        res.status = 204;
        res.set_header("Allow", allow);
        add_cors(req, res);
        if (!req.get_header_value("Origin").empty() && !res.get_header_value("Access-Control-Allow-Origin").empty()) {
            res.set_header("Access-Control-Allow-Methods", allow);
            res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match, Accept-Encoding");
            res.set_header("Access-Control-Max-Age", "600");
        }
    });
    m_http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_started).count();
        m_metrics.record(req.method, t_route, res.status, seconds, res.body.size());
        if (m_config.access_log) {
            std::fprintf(stderr, "%s %s %d %zu %.1fms %s\n", req.method.c_str(), loggable_target(req.target).c_str(),
                         res.status, res.body.size(), seconds * 1000.0, t_request_id.c_str());
        }
    });
    register_routes();
}

Server::~Server() { stop(); }

std::string Server::allow_list(const std::string& path) const {
    std::string allow;
    for (const auto& m : methods_for(path)) allow += (allow.empty() ? "" : ", ") + m;
    return allow;
}

std::string Server::base_url(const httplib::Request& req) const {
    if (!m_config.public_url.empty()) return m_config.public_url;
    // The guard has checked Host against allowed_hosts, so it is safe to build links with.
    const std::string host = req.get_header_value("Host");
    const std::string direct = host.empty() ? m_config.host + ":" + std::to_string(m_port) : host;
    const ForwardedFields fields{req.get_header_value("Forwarded"), req.get_header_value("X-Forwarded-Proto"),
                                 req.get_header_value("X-Forwarded-Host"), req.get_header_value("X-Forwarded-Prefix")};
    const bool forwarded = !fields.forwarded.empty() || !fields.proto.empty() || !fields.host.empty() || !fields.prefix.empty();
    if (forwarded && std::any_of(m_trusted_proxies.begin(), m_trusted_proxies.end(),
                                 [&](const ProxyNet& net) { return net.contains(req.remote_addr); })) {
        // A proxy's malformed fields are ignored whole, never half-used.
        if (auto base = forwarded_base(fields, "http", direct)) return *base;
    }
    return "http://" + direct;
}

namespace {

// Answers that change only when a layer is imported or the server restarts: clients may keep
// them a minute without asking (QGIS asks for them once per layer it adds).
bool describes_the_service(const std::string& route) {
    for (const char* r : {"/", "/conformance", "/collections", "/collections/{id}", "/collections/{id}/queryables",
                          "/collections/{id}/schema", "/openapi.json", "/tiles/{layers}.json", "/styles/gridmap.json"}) {
        if (route == r) return true;
    }
    return false;
}

// Answers about this moment: never kept.
bool momentary(const std::string& route) { return route == "/health" || route == "/metrics"; }

// Whether the request carried credentials: its answer may then differ by caller.
bool has_credentials(const httplib::Request& req) {
    return req.has_header("Authorization") ||
           req.get_header_value("Cookie").find(std::string(k_session_cookie) + "=") != std::string::npos;
}

}  // namespace

void Server::finish_answer(const httplib::Request& req, httplib::Response& res) const {
    const bool read = req.method == "GET" || req.method == "HEAD";
    const std::string type = res.get_header_value("Content-Type");
    if (res.body.empty() || !compressible(type) || res.has_header("Content-Encoding")) return;
    res.set_header("Vary", "Accept-Encoding");
    if (read && res.status == 200 && !res.has_header("ETag")) {
        // What a route says of caching (no-store for jobs and sessions) stands.
        if (!res.has_header("Cache-Control") && momentary(t_route)) res.set_header("Cache-Control", "no-store");
        if (!res.has_header("Cache-Control")) {
            const char* scope = has_credentials(req) ? "private" : "public";
            res.set_header("Cache-Control", std::string(scope) + (describes_the_service(t_route) ? ", max-age=60" : ", no-cache"));
        }
        if (res.get_header_value("Cache-Control").find("no-store") == std::string::npos) {
            res.set_header("ETag", strong_etag(res.body));
        }
    }
    const Coding coding = res.body.size() >= m_config.compress_min_bytes
                              ? choose_coding(req.get_header_value(k_accept_encoding_field))
                              : Coding::identity;
    if (res.has_header("ETag")) {
        const std::string etag = coded_etag(res.get_header_value("ETag"), coding);
        res.headers.erase("ETag");
        res.set_header("ETag", etag);
        if (etag_matches(req.get_header_value("If-None-Match"), etag)) {
            res.status = 304;
            res.body.clear();
            res.headers.erase("Content-Length");
            res.headers.erase("Content-Type");
            return;
        }
    }
    if (coding != Coding::identity) {
        // cpp-httplib has set Content-Length from the body already.
        res.body = encode_fast(coding, res.body);
        res.set_header("Content-Encoding", coding_name(coding));
        res.headers.erase("Content-Length");
        res.set_header("Content-Length", std::to_string(res.body.size()));
    }
}

void Server::register_routes() {
    register_system_routes(*this);
    register_feature_routes(*this);
    register_tile_routes(*this);
    register_query_routes(*this);
    register_analysis_routes(*this);
    register_session_routes(*this);
    register_problem_routes(*this);
}

geo::store::Store& Server::unscoped_store() {
    thread_local std::unique_ptr<geo::store::Store> t_store;
    thread_local const Server* t_owner = nullptr;
    if (!t_store || t_owner != this) {
        t_store = geo::store::open_store(m_config.db, false);
        t_owner = this;
    }
    return *t_store;
}

void Server::get(const std::string& name, const std::string& pattern, Role minimum, Handler handler) {
    m_route_roles["GET " + name] = minimum;
    m_patterns.add("GET", pattern);
    m_http.Get(pattern, [this, name, minimum, handler = std::move(handler)](const httplib::Request& req,
                                                                   httplib::Response& res) {
        handle(name, minimum, handler, req, res);
    });
}

std::shared_ptr<const geo::query::CellIndex> Server::cell_index() {
    const auto versions = unscoped_store().layer_versions();
    const auto it = versions.find("grid_cells");
    const std::int64_t version = it == versions.end() ? -1 : it->second;
    std::lock_guard lock(m_cell_index_mutex);
    // Readers of the old index keep it alive through their shared_ptr while a new one replaces it.
    if (!m_cell_index || m_cell_index->version() != version) m_cell_index = geo::query::CellIndex::build(unscoped_store());
    return m_cell_index;
}

std::shared_ptr<const geo::analysis::WalkingNetwork> Server::walking_network() {
    const auto versions = unscoped_store().layer_versions();
    const auto it = versions.find("roads");
    const std::int64_t version = it == versions.end() ? -1 : it->second;
    std::lock_guard lock(m_walking_mutex);
    if (m_walking_version != version) {
        m_walking = geo::analysis::WalkingNetwork::build(unscoped_store(), m_walkability);
        m_walking_version = version;
    }
    return m_walking;
}

void Server::post(const std::string& name, const std::string& pattern, Role minimum, Handler handler) {
    m_route_roles["POST " + name] = minimum;
    m_patterns.add("POST", pattern);
    m_http.Post(pattern, [this, name, minimum, handler = std::move(handler)](const httplib::Request& req,
                                                                    httplib::Response& res) {
        handle(name, minimum, handler, req, res);
    });
}

void Server::del(const std::string& name, const std::string& pattern, Role minimum, Handler handler) {
    m_route_roles["DELETE " + name] = minimum;
    m_patterns.add("DELETE", pattern);
    m_http.Delete(pattern, [this, name, minimum, handler = std::move(handler)](const httplib::Request& req,
                                                                      httplib::Response& res) {
        handle(name, minimum, handler, req, res);
    });
}

void Server::handle(const std::string& name, Role minimum, const Handler& handler, const httplib::Request& req,
                    httplib::Response& res) {
    t_route = name;
    RequestContext ctx(req, res, t_request_id, base_url(req), unscoped_store());
    ctx.upload_path = t_upload_path;
    try {
        // Tokens travel in the Authorization header only: a URL is logged, cached and shared.
        if (req.has_param("access_token") || req.has_param("token")) {
            send_problem(res, 400, "tokens go in the Authorization header (Bearer), never in the URL", req.target,
                         t_request_id);
            return;
        }
        if (minimum > Role::anonymous) {
            Identity who = m_access.identify(unscoped_store(), req.get_header_value("Authorization"),
                                             req.get_header_value("Cookie"));
            if (!who.refused.empty()) m_access.audit_refusal(unscoped_store(), req.remote_addr, who.refused);
            if (who.caller.role == Role::anonymous) {
                res.set_header("WWW-Authenticate", who.refused.empty() ? "Bearer realm=\"gridmap\""
                                                                       : "Bearer realm=\"gridmap\", error=\"invalid_token\"");
                send_problem(res, 401,
                             who.refused.empty() ? "this needs a token: send Authorization: Bearer <token>, or log in at /session"
                                                 : "the token was not accepted (" + who.refused + ")",
                             req.target, t_request_id);
                return;
            }
            if (who.caller.role < minimum) {
                send_problem(res, 403,
                             std::string("this needs the ") + geo::access::to_string(minimum) + " role; the token is a " +
                                 geo::access::to_string(who.caller.role) + "'s",
                             req.target, t_request_id);
                return;
            }
            ctx.caller = std::move(who.caller);
        }
        handler(ctx);
    } catch (const geo::Error& e) {
        const int status = status_for(e.code());
        if (status >= 500) {
            std::fprintf(stderr, "error %s %s: %s\n", t_request_id.c_str(), loggable_target(req.target).c_str(), e.what());
        }
        res.headers.erase("Retry-After");
        if (status == 503) res.set_header("Retry-After", "5");
        send_problem(res, status, e.what(), req.target, t_request_id);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error %s %s: %s\n", t_request_id.c_str(), loggable_target(req.target).c_str(), e.what());
        send_problem(res, 500, "", req.target, t_request_id);
    }
}

// On a worker: cpp-httplib parses the admitted request, routes it and writes the answer into
// memory. Nothing thrown on the way — by a handler, the error handler, the logger or
// cpp-httplib itself — may end the process: it becomes a logged 500.
void Server::process(Exchange& ex) {
    ExchangeStream stream(ex);
    t_upload_path = ex.upload_path;
    bool closed = false;
    try {
        if (!m_http.route(stream, ex.close, closed)) ex.close = true;
        ex.close = ex.close || closed;
        drop_length_of_not_modified(ex.response);
        return;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error %s: %s\n", t_request_id.c_str(), e.what());
    } catch (...) {
        std::fprintf(stderr, "error %s: unknown exception\n", t_request_id.c_str());
    }
    ex.response = problem_response(500, "", "", t_request_id);
    ex.close = true;
    m_metrics.record("-", t_route, 500, 0, ex.response.size());
}

void Server::log_refusal(const Refusal& r, std::string_view method, std::string_view target,
                         std::string_view request_id, std::size_t bytes) {
    m_metrics.record(method.empty() ? "-" : std::string(method), "(refused)", r.status, 0, bytes);
    if (m_config.access_log) {
        // The target of a refused request may hold anything but CR and LF: print it escaped.
        std::string shown;
        for (char ch : target.substr(0, 200)) {
            const auto c = static_cast<unsigned char>(ch);
            if (c < 0x20 || c >= 0x7f || c == '\\') {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                shown += buf;
            } else {
                shown += ch;
            }
        }
        std::fprintf(stderr, "%s %s %d %zu refused: %s %.*s\n", method.empty() ? "-" : std::string(method).c_str(),
                     shown.empty() ? "-" : shown.c_str(), r.status, bytes, r.detail.c_str(),
                     static_cast<int>(request_id.size()), request_id.data());
    }
}

void Server::audit(const Caller& caller, std::string action, std::string target, std::string outcome, std::string detail) {
    geo::access::AuditEntry e;
    e.token_id = caller.token_id;
    e.who = caller.name;
    e.action = std::move(action);
    e.target = std::move(target);
    e.outcome = std::move(outcome);
    e.detail = std::move(detail);
    std::fprintf(stderr, "audit: %s %s by %s (token %lld): %s%s%s\n", e.action.c_str(), e.target.c_str(), e.who.c_str(),
                 static_cast<long long>(e.token_id), e.outcome.c_str(), e.detail.empty() ? "" : ", ", e.detail.c_str());
    try {
        unscoped_store().append_audit(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "audit: could not write to the database: %s\n", ex.what());
    }
}

std::optional<Refusal> Server::authorize_upload(const RequestHead& head) {
    const auto field = [&](std::string_view name) {
        const auto v = head.field(name);
        return v ? std::string(*v) : std::string();
    };
    Identity who = m_access.identify(unscoped_store(), field("Authorization"), field("Cookie"));
    if (!who.refused.empty()) m_access.audit_refusal(unscoped_store(), "(upload)", who.refused);
    if (who.caller.role == Role::anonymous) {
        return Refusal{401,
                       who.refused.empty() ? "uploads need an admin's token (Authorization: Bearer)"
                                           : "the token was not accepted (" + who.refused + ")",
                       {{"WWW-Authenticate", who.refused.empty() ? "Bearer realm=\"gridmap\"" : "Bearer realm=\"gridmap\", error=\"invalid_token\""}}};
    }
    if (who.caller.role < Role::admin) {
        return Refusal{403, std::string("uploads are for the admin role; the token is a ") + geo::access::to_string(who.caller.role) + "'s",
                       {}};
    }
    return std::nullopt;
}

std::vector<std::string> Server::methods_for(const std::string& path) const { return m_patterns.methods_for(path); }

void Server::add_cors(const httplib::Request& req, httplib::Response& res) const {
    const std::string origin = req.get_header_value("Origin");
    if (origin.empty() || m_config.cors_origins.empty() || res.has_header("Access-Control-Allow-Origin")) return;
    const auto& allowed = m_config.cors_origins;
    std::string lower = origin;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
        // Any page may read; cookies are never part of it (no Allow-Credentials), so a
        // session cannot be used from another site: those send bearer tokens.
        res.set_header("Access-Control-Allow-Origin", "*");
    } else if (std::find(allowed.begin(), allowed.end(), lower) != allowed.end()) {
        res.set_header("Access-Control-Allow-Origin", origin);
        res.set_header("Vary", "Origin");
    } else {
        return;
    }
    res.set_header("Access-Control-Expose-Headers", "ETag, Content-Crs, Link, Location, Retry-After, X-Request-Id");
}

int Server::bind() {
    // Fail at start, not at the first request, when the database cannot be read.
    auto store = geo::store::open_store(m_config.db, false);
    store->layers();
    // An import under way when the last server stopped (a kill, a power cut) did not finish:
    // its transaction was rolled back, and its record says so.
    if (const auto n = store->fail_unfinished_jobs("the server stopped before the import finished; the layer is as it was before it");
        n > 0) {
        std::fprintf(stderr, "%lld import job(s) were under way when the server last stopped: marked failed\n", static_cast<long long>(n));
    }
    if (m_config.open) {
        if (!is_loopback_host(m_config.host)) {
            throw std::runtime_error("--open serves everything to everyone, so it is allowed only on a loopback address "
                                     "(127.0.0.1, ::1, localhost), not " + m_config.host +
                                     "; create tokens with gridmap token create and start without --open");
        }
    } else if (!Access::has_admin_token(*store)) {
        throw std::runtime_error("no admin token in " + m_config.db + ": create one with gridmap token create --role admin "
                                 "--db " + m_config.db + " (it is printed once), or start with --open on a loopback "
                                 "address for a local demo");
    }
    prepare_upload_dir();
    m_port = m_loop->listen(m_config.host, m_config.port);
    return m_port;
}

// The private folder uploads go to: created (mode 0700) when missing; files an earlier server
// left there when it was killed are removed, since no request or job of this one owns them.
void Server::prepare_upload_dir() {
    namespace fs = std::filesystem;
    const fs::path dir = m_config.uploads();
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (!fs::is_directory(dir)) throw std::runtime_error("cannot create the upload folder " + dir.string());
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("upload-") || name.starts_with("import-")) fs::remove_all(entry.path(), ec);
    }
}

void Server::run() { m_loop->run(); }

void Server::stop() { m_loop->stop(); }

}  // namespace gridmap::http
