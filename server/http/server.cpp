#include "http/server.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "geo/error.hpp"
#include "http/problem.hpp"
#include "http/thread_pool.hpp"

namespace gridmap::http {

namespace {

std::atomic<std::uint64_t> g_next_request{1};

// The route name of the request this thread is handling, for the access log and metrics:
// cpp-httplib runs routing, the handler and the logger on the same worker thread.
thread_local std::string t_route;
thread_local std::string t_request_id;
thread_local std::chrono::steady_clock::time_point t_started;

std::string next_request_id() {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(g_next_request.fetch_add(1)));
    return buf;
}

bool plausible_host(const std::string& host) {
    if (host.empty() || host.size() > 255) return false;
    for (char c : host) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                        c == '[' || c == ']';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

Server::Server(ServerConfig config) : m_config(std::move(config)), m_tile_cache(m_config.cache_bytes), m_jobs(m_config.db) {
    m_http.new_task_queue = [this] {
        return new BoundedThreadPool(static_cast<std::size_t>(m_config.worker_threads()),
                                     m_config.max_queued_requests);
    };
    // A style that exists but does not parse is a configuration error, found at start.
    if (std::filesystem::exists(m_config.style)) {
        std::ifstream in(m_config.style, std::ios::binary);
        m_style_json.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        m_style = std::make_unique<geo::style::Style>(geo::style::load_style(m_style_json));
    }
    m_http.set_tcp_nodelay(true);
    m_http.set_payload_max_length(m_config.max_body_bytes);
    m_http.set_read_timeout(m_config.read_timeout_s, 0);
    m_http.set_write_timeout(m_config.write_timeout_s, 0);
    m_http.set_keep_alive_max_count(static_cast<std::size_t>(m_config.keep_alive_max_count));
    m_http.set_keep_alive_timeout(m_config.keep_alive_timeout_s);

    m_http.set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
        t_started = std::chrono::steady_clock::now();
        t_route = "(unmatched)";
        t_request_id = next_request_id();
        res.set_header("X-Request-Id", t_request_id);
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // Answers cpp-httplib gives itself (no route, payload too large, bad request line) get a
    // problem body too.
    m_http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (res.get_header_value("Content-Type") == "application/problem+json") return;
        std::string detail = "no such resource";
        if (res.status == 413) detail = "the request body is larger than this server accepts";
        else if (res.status == 400) detail = "the request is malformed";
        else if (res.status == 405) detail = "this resource does not support " + req.method;
        else if (res.status != 404) detail = reason_phrase(res.status);
        send_problem(res, res.status, detail, req.path, t_request_id);
    });
    m_http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        send_problem(res, 500, "", req.path, t_request_id);
    });
    m_http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_started).count();
        m_metrics.record(req.method, t_route, res.status, seconds, res.body.size());
        if (m_config.access_log) {
            std::fprintf(stderr, "%s %s %d %zu %.1fms %s\n", req.method.c_str(), req.path.c_str(),
                         res.status, res.body.size(), seconds * 1000.0, t_request_id.c_str());
        }
    });
    register_routes();
}

Server::~Server() { stop(); }

void Server::register_routes() {
    register_system_routes(*this);
    register_feature_routes(*this);
    register_tile_routes(*this);
    register_query_routes(*this);
    register_analysis_routes(*this);
}

geo::store::Store& Server::store() {
    thread_local std::unique_ptr<geo::store::Store> t_store;
    thread_local const Server* t_owner = nullptr;
    if (!t_store || t_owner != this) {
        t_store = geo::store::open_store(m_config.db, false);
        t_owner = this;
    }
    return *t_store;
}

void Server::get(const std::string& name, const std::string& pattern, Handler handler) {
    m_http.Get(pattern, [this, name, handler = std::move(handler)](const httplib::Request& req,
                                                                   httplib::Response& res) {
        handle(name, handler, req, res);
    });
}

std::shared_ptr<const geo::query::CellIndex> Server::cell_index() {
    const auto versions = store().layer_versions();
    const auto it = versions.find("grid_cells");
    const std::int64_t version = it == versions.end() ? -1 : it->second;
    std::lock_guard lock(m_cell_index_mutex);
    // Readers of the old index keep it alive through their shared_ptr while a new one replaces it.
    if (!m_cell_index || m_cell_index->version() != version) m_cell_index = geo::query::CellIndex::build(store());
    return m_cell_index;
}

std::shared_ptr<const geo::analysis::WalkingNetwork> Server::walking_network() {
    const auto versions = store().layer_versions();
    const auto it = versions.find("roads");
    const std::int64_t version = it == versions.end() ? -1 : it->second;
    std::lock_guard lock(m_walking_mutex);
    if (m_walking_version != version) {
        m_walking = geo::analysis::WalkingNetwork::build(store());
        m_walking_version = version;
    }
    return m_walking;
}

void Server::post(const std::string& name, const std::string& pattern, Handler handler) {
    m_http.Post(pattern, [this, name, handler = std::move(handler)](const httplib::Request& req,
                                                                    httplib::Response& res) {
        handle(name, handler, req, res);
    });
}

void Server::handle(const std::string& name, const Handler& handler, const httplib::Request& req,
                    httplib::Response& res) {
    t_route = name;
    const std::string host = req.get_header_value("Host");
    RequestContext ctx{req, res, t_request_id, Caller{},
                       "http://" + (plausible_host(host) ? host
                                                         : m_config.host + ":" + std::to_string(m_port))};
    try {
        handler(ctx);
    } catch (const geo::Error& e) {
        const int status = status_for(e.code());
        if (status >= 500) {
            std::fprintf(stderr, "error %s %s: %s\n", t_request_id.c_str(), req.path.c_str(), e.what());
        }
        send_problem(res, status, e.what(), req.path, t_request_id);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error %s %s: %s\n", t_request_id.c_str(), req.path.c_str(), e.what());
        send_problem(res, 500, "", req.path, t_request_id);
    }
}

int Server::bind() {
    // Fail at start, not at the first request, when the database cannot be read.
    geo::store::open_store(m_config.db, false)->layers();
    m_port = m_config.port == 0 ? m_http.bind_to_any_port(m_config.host)
                                : (m_http.bind_to_port(m_config.host, m_config.port) ? m_config.port : -1);
    if (m_port <= 0) {
        throw std::runtime_error("cannot listen on " + m_config.host + ":" + std::to_string(m_config.port));
    }
    return m_port;
}

void Server::run() { m_http.listen_after_bind(); }

void Server::stop() {
    if (m_http.is_running()) m_http.stop();
}

}  // namespace gridmap::http
