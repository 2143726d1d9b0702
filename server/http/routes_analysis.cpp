// POST /analysis/{kind} starts an analysis as a job; GET /jobs/{id} follows it and
// GET /jobs/{id}/result.{json,csv,geojson,png} fetches what it found.
#include <ctime>

#include <nlohmann/json.hpp>

#include "geo/analysis/run.hpp"
#include "geo/error.hpp"
#include "http/params.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace gridmap::http {

namespace {

using nlohmann::ordered_json;

std::string iso_time(std::chrono::system_clock::time_point t) {
    if (t == std::chrono::system_clock::time_point{}) return "";
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

ordered_json optional_time(std::chrono::system_clock::time_point t) {
    const std::string s = iso_time(t);
    return s.empty() ? ordered_json(nullptr) : ordered_json(s);
}

// The body's parameters as text, the form parse_analysis_request reads (as CLI flags are).
std::map<std::string, std::string> body_parameters(const std::string& body) {
    std::map<std::string, std::string> params;
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return params;
    ordered_json j;
    try {
        j = ordered_json::parse(body);
    } catch (const std::exception&) {
        throw geo::Error(geo::Errc::invalid_argument, "the request body is not JSON");
    }
    if (!j.is_object()) throw geo::Error(geo::Errc::invalid_argument, "the request body must be a JSON object of parameters");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const auto& v = it.value();
        if (v.is_string()) {
            params[it.key()] = v.get<std::string>();
        } else if (v.is_number() || v.is_boolean()) {
            params[it.key()] = v.dump();
        } else if (!v.is_null()) {
            throw geo::Error(geo::Errc::invalid_argument, "parameter " + it.key() + " must be a string, number or boolean");
        }
    }
    return params;
}

ordered_json job_json(const Job& job, const std::string& base_url) {
    const auto s = job.snapshot();
    const std::string self = base_url + "/jobs/" + job.id();
    ordered_json j = {{"id", job.id()},
                      {"kind", to_string(job.request().kind)},
                      {"status", to_string(s.status)},
                      {"progress", std::round(s.progress * 1000) / 1000},
                      {"stage", s.stage},
                      {"cancel_requested", s.cancel_requested},
                      {"created", optional_time(s.created)},
                      {"started", optional_time(s.started)},
                      {"finished", optional_time(s.finished)}};
    ordered_json links = ordered_json::array({{{"href", self}, {"rel", "self"}, {"type", "application/json"}}});
    if (s.status == Job::Status::succeeded) {
        for (auto [format, type] : {std::pair{"json", "application/json"}, {"csv", "text/csv"},
                                    {"geojson", "application/geo+json"}, {"png", "image/png"}}) {
            links.push_back({{"href", self + "/result." + format}, {"rel", "result"}, {"type", type}});
        }
    }
    if (s.status == Job::Status::failed) j["error"] = {{"status", s.error_status}, {"detail", s.error}};
    j["links"] = std::move(links);
    return j;
}

std::shared_ptr<Job> job_of(Server& server, const std::string& id) {
    auto job = server.jobs().find(id);
    if (!job) throw geo::Error(geo::Errc::not_found, "no analysis job " + id + " (finished jobs are kept for a while only)");
    return job;
}

void start(Server& server, RequestContext& ctx) {
    const auto kind = geo::analysis::analysis_kind_from(ctx.req.matches[1].str());
    const auto request = geo::analysis::parse_analysis_request(kind, body_parameters(ctx.req.body));
    // A missing layer is found now rather than in the job: the answer is immediate and a 404.
    if (kind != geo::analysis::AnalysisKind::norms && !ctx.store().layer(request.stations.layer)) {
        throw geo::Error(geo::Errc::not_found, "no layer named \"" + request.stations.layer + "\"");
    }
    const auto job = server.jobs().submit(request);
    ctx.res.status = 202;
    ctx.res.set_header("Location", ctx.base_url + "/jobs/" + job->id());
    ctx.res.set_content(json_text(job_json(*job, ctx.base_url)), "application/json");
}

void status(Server& server, RequestContext& ctx) {
    const auto job = job_of(server, ctx.req.matches[1].str());
    ctx.res.set_header("Cache-Control", "no-store");
    ctx.res.set_content(json_text(job_json(*job, ctx.base_url)), "application/json");
}

void result(Server& server, RequestContext& ctx) {
    const auto job = job_of(server, ctx.req.matches[1].str());
    const std::string format = ctx.req.matches[2].str();
    const auto state = job->snapshot();
    if (state.status == Job::Status::cancelled) throw geo::Error(geo::Errc::conflict, "the analysis was cancelled");
    if (state.status == Job::Status::failed) {
        throw geo::Error(state.error_status == 404 ? geo::Errc::not_found : geo::Errc::invalid_argument,
                         "the analysis failed: " + state.error);
    }
    const auto r = job->result();
    if (!r) throw geo::Error(geo::Errc::conflict, "the analysis is still " + std::string(to_string(state.status)) + "; follow /jobs/" + job->id());
    if (format == "json") {
        ctx.res.set_content(geo::analysis::result_json(*r, job->request()).dump(-1, ' ', false, ordered_json::error_handler_t::replace),
                            "application/json");
    } else if (format == "csv") {
        ctx.res.set_header("Content-Disposition", "attachment; filename=\"" + std::string(to_string(job->request().kind)) + ".csv\"");
        ctx.res.set_content(geo::analysis::result_csv(*r), "text/csv; charset=utf-8");
    } else if (format == "geojson") {
        ctx.res.set_content(geo::analysis::result_geojson(*r), "application/geo+json");
    } else {
        if (!server.style()) {
            throw geo::Error(geo::Errc::unavailable, "no map style is configured for PNG maps (" + server.config().style + ")");
        }
        const int width = ctx.req.has_param("width") ? static_cast<int>(parse_int("width", ctx.req.get_param_value("width"), 200, 4000)) : 1600;
        const int height = ctx.req.has_param("height") ? static_cast<int>(parse_int("height", ctx.req.get_param_value("height"), 200, 4000)) : 1200;
        ctx.res.set_content(geo::analysis::result_png(ctx.store(), *server.style(), *r, width, height), "image/png");
    }
}

// DELETE /jobs/{id}: a queued or running job is cancelled (200 once it has stopped, 202 while
// a running one finishes its current step); a finished one is forgotten with its result (204).
void cancel(Server& server, RequestContext& ctx) {
    const std::string id = ctx.req.matches[1].str();
    const auto job = job_of(server, id);
    const auto before = job->snapshot().status;
    if (before != Job::Status::queued && before != Job::Status::running) {
        server.jobs().dismiss(id);
        ctx.res.status = 204;
        return;
    }
    server.jobs().cancel(id);
    ctx.res.status = job->snapshot().status == Job::Status::cancelled ? 200 : 202;
    ctx.res.set_header("Cache-Control", "no-store");
    ctx.res.set_content(json_text(job_json(*job, ctx.base_url)),
                        "application/json");
}

}  // namespace

void register_analysis_routes(Server& server) {
    server.post("/analysis/{kind}", R"(/analysis/([a-z_]+))", Role::planner, [&server](RequestContext& ctx) { start(server, ctx); });
    server.get("/jobs/{id}", R"(/jobs/([0-9a-f-]+))", Role::planner, [&server](RequestContext& ctx) { status(server, ctx); });
    server.del("/jobs/{id}", R"(/jobs/([0-9a-f-]+))", Role::planner, [&server](RequestContext& ctx) { cancel(server, ctx); });
    server.get("/jobs/{id}/result", R"(/jobs/([0-9a-f-]+)/result\.(json|csv|geojson|png))", Role::planner,
               [&server](RequestContext& ctx) { result(server, ctx); });
}

}  // namespace gridmap::http
