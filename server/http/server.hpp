#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "geo/store/store.hpp"
#include "geo/style/style.hpp"
#include "geo/analysis/walking.hpp"
#include "geo/query/cell_index.hpp"
#include "http/access.hpp"
#include "http/config.hpp"
#include "http/connections.hpp"
#include "http/forwarded.hpp"
#include "http/jobs.hpp"
#include "http/route_patterns.hpp"
#include "http/metrics.hpp"
#include "http/tile_cache.hpp"

namespace gridmap::http {

using geo::access::Role;

/// What a route handler gets besides the request.
struct RequestContext {
    RequestContext(const httplib::Request& request, httplib::Response& response, std::string id, std::string base,
                   geo::store::Store& unscoped)
        : req(request), res(response), request_id(std::move(id)), base_url(std::move(base)), base_store(&unscoped) {}

    const httplib::Request& req;
    httplib::Response& res;
    std::string request_id;
    /// The absolute URL of the server as the client reached it, without a trailing slash.
    std::string base_url;
    /// Who is asking; the route's minimum role has been checked before the handler runs.
    Caller caller;
    /// This thread's store, unscoped; routes read through store().
    geo::store::Store* base_store = nullptr;
    /// POST /imports: the file the upload's body was written to (the route may rename it away;
    /// otherwise it is removed after the answer). "" for every other request.
    std::string upload_path;

    /// The store as the caller may see it: every read is made in the caller's scope.
    geo::store::Store& store() {
        if (!m_view) m_view = geo::store::scoped_view(*base_store, caller.scope);
        return *m_view;
    }

private:
    std::unique_ptr<geo::store::Store> m_view;
};

/// cpp-httplib's router and response writer, run on a request that the connection loop has
/// already read whole and admitted (cpp-httplib's own socket loop is not used).
class Router final : public httplib::Server {
public:
    /// Routes one request read from `stream` and writes its answer to it; `close` asks for
    /// `Connection: close`. Returns false when there was no request to read.
    bool route(httplib::Stream& stream, bool close, bool& closed) { return process_request(stream, close, closed, nullptr); }
};

/// The Gridmap HTTP server: a ConnectionLoop reads and admits requests, cpp-httplib routes
/// them. Route handlers parse the request, call one geo:: function and serialize the result;
/// geo::Error becomes a problem+json answer.
class Server {
public:
    explicit Server(ServerConfig config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Checks the database and binds the listening socket; returns the port (useful with port 0).
    /// Throws std::runtime_error when the address cannot be bound (a port another process
    /// listens on included), geo::Error for the database.
    int bind();
    /// Serves until stop(); blocks.
    void run();
    void stop();

    const ServerConfig& config() const noexcept { return m_config; }
    Metrics& metrics() noexcept { return m_metrics; }
    TileCache& tile_cache() noexcept { return m_tile_cache; }
    /// The style PNG tiles are drawn with; nullptr when the configured file does not exist.
    const geo::style::Style* style() const noexcept { return m_style.get(); }
    /// Where the style was found ("" when it was not: see locate_style).
    const std::string& style_path() const noexcept { return m_style_path; }
    /// The style file as loaded, parsed once (served to web maps with its URLs made absolute).
    const nlohmann::ordered_json& style_document() const noexcept { return m_style_document; }

    /// This thread's store connection (SQLite connections are not shared between threads),
    /// unscoped: for the server's own work (indexes, jobs, the audit log). Route handlers read
    /// through RequestContext::store(), which applies the caller's scope.
    geo::store::Store& unscoped_store();

    /// The authorization point: tokens, sessions, --open.
    Access& access() noexcept { return m_access; }
    /// Writes one line to the audit log (database and stderr) for what `caller` did. A failure
    /// to write it is logged, never thrown: the action itself has already happened.
    void audit(const Caller& caller, std::string action, std::string target, std::string outcome, std::string detail);

    using Handler = std::function<void(RequestContext&)>;
    /// Registers a GET route. `pattern` is a regex over the path; `name` labels metrics and logs;
    /// callers below `minimum` get 401 (no valid credentials) or 403 (a lesser role).
    void get(const std::string& name, const std::string& pattern, Role minimum, Handler handler);
    /// Registers a POST route, as get().
    void post(const std::string& name, const std::string& pattern, Role minimum, Handler handler);
    /// Registers a DELETE route, as get().
    void del(const std::string& name, const std::string& pattern, Role minimum, Handler handler);
    /// The minimum role of each registered route, "METHOD name" → role (for /openapi.json and
    /// the tests' route table).
    const std::map<std::string, Role>& route_roles() const noexcept { return m_route_roles; }
    /// Connections open now (for /metrics).
    std::size_t open_connections() const noexcept { return m_loop ? m_loop->open_connections() : 0; }
    /// The grid cells in memory for /query/cell, rebuilt when the grid_cells layer changes.
    std::shared_ptr<const geo::query::CellIndex> cell_index();
    /// The roads as a walking network for /query/at, rebuilt when the roads layer changes;
    /// null without roads.
    std::shared_ptr<const geo::analysis::WalkingNetwork> walking_network();
    /// The walkability table's and the standards file's text as configured ("" for the built-in
    /// ones), for analyses submitted over HTTP: the same rules as `gridmap analyze` with
    /// --walkability and --standards.
    const std::string& walkability_text() const noexcept { return m_walkability_text; }
    const std::string& standards_text() const noexcept { return m_standards_text; }
    /// The analyses running for clients.
    JobRunner& jobs() noexcept { return m_jobs; }

private:
    void handle(const std::string& name, Role minimum, const Handler& handler, const httplib::Request& req,
                httplib::Response& res);
    void register_routes();
    void process(Exchange& exchange);
    std::optional<Refusal> authorize_upload(const RequestHead& head);
    /// The methods with a route for `path` (GET implies HEAD), in a fixed order; empty when none.
    std::vector<std::string> methods_for(const std::string& path) const;
    /// methods_for(path) as an Allow field value ("GET, HEAD, DELETE"); "" when none.
    std::string allow_list(const std::string& path) const;
    /// Adds the CORS fields an answer to `req` carries (none without an Origin, or for an
    /// origin that cors_origins does not name).
    void add_cors(const httplib::Request& req, httplib::Response& res) const;
    /// The server's base URL as this request's client reaches it: public_url, else what a
    /// trusted proxy forwarded, else the Host field.
    std::string base_url(const httplib::Request& req) const;
    /// After every route: Vary, ETag and Cache-Control on JSON, GeoJSON and CSV answers, 304
    /// for a matching If-None-Match, then gzip or Brotli when the client accepts it.
    void finish_answer(const httplib::Request& req, httplib::Response& res) const;
    void prepare_upload_dir();
    void log_refusal(const Refusal& refusal, std::string_view method, std::string_view target,
                     std::string_view request_id, std::size_t bytes);

    ServerConfig m_config;
    Access m_access;
    std::vector<ProxyNet> m_trusted_proxies;
    std::map<std::string, Role> m_route_roles;
    RoutePatterns m_patterns;
    Metrics m_metrics;
    TileCache m_tile_cache;
    std::unique_ptr<geo::style::Style> m_style;
    std::string m_style_path;
    nlohmann::ordered_json m_style_document;
    JobRunner m_jobs;
    std::mutex m_cell_index_mutex;
    std::shared_ptr<const geo::query::CellIndex> m_cell_index;
    std::mutex m_walking_mutex;
    std::shared_ptr<const geo::analysis::WalkingNetwork> m_walking;
    std::int64_t m_walking_version = -2;  // roads version m_walking was built from (−1: none)
    std::string m_walkability_text;
    std::string m_standards_text;
    geo::analysis::Walkability m_walkability = geo::analysis::default_walkability();
    Router m_http;
    std::unique_ptr<ConnectionLoop> m_loop;
    int m_port = 0;
};

void register_system_routes(Server& server);
void register_feature_routes(Server& server);
void register_tile_routes(Server& server);
void register_query_routes(Server& server);
void register_analysis_routes(Server& server);
void register_session_routes(Server& server);
void register_problem_routes(Server& server);

}  // namespace gridmap::http
