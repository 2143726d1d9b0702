// POST /analysis/{kind} starts an analysis as a job; GET /jobs/{id} follows it and
// GET /jobs/{id}/result.{json,csv,geojson,png} fetches what it found.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "geo/analysis/run.hpp"
#include "geo/error.hpp"
#include "geo/schema.hpp"
#include "geo/text/encoding.hpp"
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
                      {"kind", job.kind()},
                      {"status", to_string(s.status)},
                      {"progress", std::round(s.progress * 1000) / 1000},
                      {"stage", s.stage},
                      {"cancel_requested", s.cancel_requested},
                      {"created", optional_time(s.created)},
                      {"started", optional_time(s.started)},
                      {"finished", optional_time(s.finished)}};
    ordered_json links = ordered_json::array({{{"href", self}, {"rel", "self"}, {"type", "application/json"}}});
    if (const auto* im = job.import()) {
        j["layer"] = im->options.layer;
        j["mode"] = im->options.mode == geo::store::WriteMode::append ? "append" : "replace";
        j["file"] = im->upload_name;
        if (s.status == Job::Status::succeeded) {
            links.push_back({{"href", self + "/report"}, {"rel", "result"}, {"type", "application/json"}, {"title", "import report"}});
        }
    } else if (s.status == Job::Status::succeeded) {
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
    if (!job) throw geo::Error(geo::Errc::not_found, "no job " + id + " (finished analyses are kept for a while only)");
    return job;
}

void start(Server& server, RequestContext& ctx) {
    const auto kind = geo::analysis::analysis_kind_from(ctx.req.matches[1].str());
    // The server's walkability table and standards, as `gridmap analyze` reads them from files.
    const auto request = geo::analysis::parse_analysis_request(kind, body_parameters(ctx.req.body),
                                                               server.standards_text(), server.walkability_text());
    // A missing layer is found now rather than in the job: the answer is immediate and a 404.
    if (kind != geo::analysis::AnalysisKind::norms && !ctx.store().layer(request.stations.layer)) {
        throw geo::Error(geo::Errc::not_found, "no layer named \"" + request.stations.layer + "\"");
    }
    const auto job = server.jobs().submit(request);
    ctx.res.status = 202;
    ctx.res.set_header("Location", ctx.base_url + "/jobs/" + job->id());
    ctx.res.set_content(json_text(job_json(*job, ctx.base_url)), "application/json");
}

// An import this server no longer holds in memory (an earlier server ran it, or it was
// dropped as one of the oldest), from its record in the database.
ordered_json record_json(const geo::store::JobRecord& r, const std::string& base_url) {
    const std::string self = base_url + "/jobs/" + r.id;
    ordered_json j = {{"id", r.id},
                      {"kind", r.kind},
                      {"status", r.status},
                      {"progress", r.status == "succeeded" ? 1 : 0},
                      {"stage", r.status == "succeeded" ? "done" : ""},
                      {"cancel_requested", false},
                      {"created", r.created_at.empty() ? ordered_json(nullptr) : ordered_json(r.created_at)},
                      {"started", nullptr},
                      {"finished", r.finished_at.empty() ? ordered_json(nullptr) : ordered_json(r.finished_at)},
                      {"layer", r.layer},
                      {"file", r.file}};
    ordered_json links = ordered_json::array({{{"href", self}, {"rel", "self"}, {"type", "application/json"}}});
    if (r.status == "succeeded") {
        links.push_back({{"href", self + "/report"}, {"rel", "result"}, {"type", "application/json"}, {"title", "import report"}});
    }
    if (r.status == "failed") j["error"] = {{"status", 400}, {"detail", r.detail}};
    j["links"] = std::move(links);
    return j;
}

void status(Server& server, RequestContext& ctx) {
    const std::string id = ctx.req.matches[1].str();
    if (!server.jobs().find(id)) {
        if (const auto record = ctx.store().job(id)) {
            ctx.res.set_header("Cache-Control", "no-store");
            ctx.res.set_content(json_text(record_json(*record, ctx.base_url)), "application/json");
            return;
        }
    }
    const auto job = job_of(server, id);
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
    if (!job->analysis()) throw geo::Error(geo::Errc::not_found, "job " + job->id() + " is an import: its report is at /jobs/" + job->id() + "/report");
    const auto r = job->result();
    if (!r) throw geo::Error(geo::Errc::conflict, "the analysis is still " + std::string(to_string(state.status)) + "; follow /jobs/" + job->id());
    if (format == "json") {
        ctx.res.set_content(geo::analysis::result_json(*r, *job->analysis()).dump(-1, ' ', false, ordered_json::error_handler_t::replace),
                            "application/json");
    } else if (format == "csv") {
        ctx.res.set_header("Content-Disposition", "attachment; filename=\"" + job->kind() + ".csv\"");
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
    if (job->import() && ctx.caller.role < Role::admin) {
        send_problem(ctx.res, 403, "imports are cancelled by the admin role", ctx.req.target, ctx.request_id);
        return;
    }
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

// The media type and its parameters of a Content-Type value, lower-cased type.
std::string media_type(const std::string& content_type) {
    std::string type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return type;
}

// The boundary parameter of a multipart Content-Type ("" when missing or malformed).
std::string multipart_boundary(const std::string& content_type) {
    const auto at = content_type.find("boundary=");
    if (at == std::string::npos) return "";
    std::string b = content_type.substr(at + 9);
    if (!b.empty() && b.front() == '"') {
        const auto end = b.find('"', 1);
        b = end == std::string::npos ? "" : b.substr(1, end - 1);
    } else {
        b = b.substr(0, b.find(';'));
    }
    // RFC 2046: 1-70 characters.
    return b.size() <= 70 ? b : "";
}

// The extension Gridmap's import reads a file by, from an upload's file name.
std::string extension_of(std::string_view name) {
    const auto dot = name.rfind('.');
    std::string ext = dot == std::string_view::npos ? "" : std::string(name.substr(dot));
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".json") ext = ".geojson";
    return ext == ".zip" || ext == ".gpkg" || ext == ".geojson" ? ext : "";
}

// A file name as the client gave it, for the report: the last path part, printable ASCII and
// UTF-8 kept, at most 200 bytes.
std::string shown_name(std::string_view name) {
    const auto slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    std::string out;
    for (char c : name.substr(0, 200)) {
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '"') out += c;
    }
    return geo::text::printable(out);
}

// Copies the first file part of a multipart/form-data upload into `to`; returns the part's
// file name. The upload is scanned in place (mapped, never read whole into memory).
std::string extract_multipart_file(const std::string& from, const std::string& to, const std::string& boundary) {
    const auto bad = [](const std::string& why) { return geo::Error(geo::Errc::invalid_argument, "the multipart upload " + why); };
    const int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw geo::Error(geo::Errc::internal, "cannot reopen the upload");
    struct stat st{};
    ::fstat(fd, &st);
    const std::size_t size = static_cast<std::size_t>(st.st_size);
    void* map = size > 0 ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    ::close(fd);
    if (map == MAP_FAILED) throw bad("is empty");
    struct Unmap {
        void* p;
        std::size_t n;
        ~Unmap() { ::munmap(p, n); }
    } unmap{map, size};
    const std::string_view data(static_cast<const char*>(map), size);
    const std::string delimiter = "--" + boundary;
    const std::boyer_moore_horspool_searcher next_delimiter(delimiter.begin(), delimiter.end());
    std::size_t at = std::search(data.begin(), data.end(), next_delimiter) - data.begin();
    for (int part = 0; part < 16 && at < data.size(); ++part) {
        std::size_t head_start = at + delimiter.size();
        if (data.substr(head_start, 2) == "--") break;  // the closing delimiter
        if (data.substr(head_start, 2) != "\r\n") throw bad("is malformed (a delimiter line)");
        head_start += 2;
        const std::size_t head_end = data.find("\r\n\r\n", head_start);
        if (head_end == std::string_view::npos || head_end - head_start > 8192) throw bad("is malformed (a part's header)");
        const std::string_view head = data.substr(head_start, head_end - head_start);
        const std::size_t body = head_end + 4;
        const auto end_it = std::search(data.begin() + static_cast<std::ptrdiff_t>(body), data.end(), next_delimiter);
        const std::size_t end = static_cast<std::size_t>(end_it - data.begin());
        if (end == data.size() || end < body + 2) throw bad("ends before its closing delimiter");
        // filename="…" in the part's Content-Disposition.
        const auto fn = head.find("filename=\"");
        if (fn != std::string_view::npos) {
            const auto close = head.find('"', fn + 10);
            if (close == std::string_view::npos) throw bad("has a file name without its closing quote");
            const std::string name(head.substr(fn + 10, close - fn - 10));
            std::ofstream out(to, std::ios::binary | std::ios::trunc);
            out.write(data.data() + body, static_cast<std::streamsize>(end - 2 - body));  // less the CRLF before the delimiter
            out.close();
            if (!out) throw geo::Error(geo::Errc::unavailable, "the server could not store the uploaded file (disk full?)");
            return name;
        }
        at = end;
    }
    throw bad("holds no file part (a part with filename=\"…\")");
}

// POST /imports?layer=&mode=&srs=&encoding=: the body (already in a private file) is imported
// as a job, as gridmap import would; 202 with the job.
void start_import(Server& server, RequestContext& ctx) {
    if (ctx.upload_path.empty()) {
        throw geo::Error(geo::Errc::invalid_argument,
                         "send the file as the request body (application/zip, application/geopackage+sqlite3, "
                         "application/geo+json) or as multipart/form-data");
    }
    ImportRequest request;
    auto& o = request.options;
    if (!ctx.req.has_param("layer")) throw geo::Error(geo::Errc::invalid_argument, "missing parameter layer");
    o.layer = ctx.req.get_param_value("layer");
    if (!geo::schema::is_valid_layer_name(o.layer)) {
        throw geo::Error(geo::Errc::invalid_argument, "\"" + geo::text::printable(o.layer) +
                                                          "\" cannot name a layer: use 1-63 lower-case letters, digits and '_', starting with a letter");
    }
    const std::string mode = ctx.req.has_param("mode") ? ctx.req.get_param_value("mode") : "replace";
    if (mode != "replace" && mode != "append") throw geo::Error(geo::Errc::invalid_argument, "mode must be replace or append");
    o.mode = mode == "append" ? geo::store::WriteMode::append : geo::store::WriteMode::replace;
    for (const char* key : {"srs", "encoding"}) {
        if (!ctx.req.has_param(key)) continue;
        const std::string v = ctx.req.get_param_value(key);
        if (v.empty() || v.size() > 64) throw geo::Error(geo::Errc::invalid_argument, std::string(key) + " must be 1-64 characters");
        (std::string_view(key) == "srs" ? o.srs : o.encoding) = v;
    }
    // The guard passes an upload's Content-Type on under this name (see Admission::upload).
    const std::string content_type = ctx.req.get_header_value("X-Gridmap-Upload-Type");
    const std::string type = media_type(content_type);
    // Each import gets a folder of its own, holding the file under the name the client gave
    // it, so the catalog's source_file reads as it does after gridmap import.
    static std::atomic<unsigned> counter{0};
    const std::string folder = std::filesystem::path(ctx.upload_path).parent_path().string() + "/import-" +
                               std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    std::filesystem::create_directory(folder);
    struct RemoveUnlessSubmitted {
        std::string path;
        ~RemoveUnlessSubmitted() {
            std::error_code ec;
            if (!path.empty()) std::filesystem::remove_all(path, ec);
        }
    } cleanup{folder};
    const auto stored_name = [](std::string name, const std::string& ext) {
        name = shown_name(name);
        if (extension_of(name) != ext) name += ext;
        return name == ext || name.starts_with(".") ? "upload" + ext : name;
    };
    if (type == "multipart/form-data") {
        const std::string boundary = multipart_boundary(content_type);
        if (boundary.empty()) throw geo::Error(geo::Errc::invalid_argument, "the multipart Content-Type has no usable boundary");
        const std::string part = folder + "/part";
        const std::string file_name = extract_multipart_file(ctx.upload_path, part, boundary);
        const std::string ext = extension_of(file_name);
        if (ext.empty()) {
            throw geo::Error(geo::Errc::unsupported, "the uploaded file \"" + shown_name(file_name) +
                                                         "\" is not a .zip (zipped shapefile), .gpkg or .geojson");
        }
        request.upload_name = stored_name(file_name, ext);
        o.path = folder + "/" + request.upload_name;
        std::filesystem::rename(part, o.path);
    } else {
        const std::string ext = type == "application/zip" ? ".zip" : type == "application/geopackage+sqlite3" ? ".gpkg" : ".geojson";
        request.upload_name = stored_name(ctx.req.has_param("filename") ? ctx.req.get_param_value("filename") : "", ext);
        o.path = folder + "/" + request.upload_name;
        // The loop removes the upload after the answer unless it has been moved away.
        std::filesystem::rename(ctx.upload_path, o.path);
    }
    cleanup.path.clear();  // the job owns the folder from here, refused or not
    request.token_id = ctx.caller.token_id;
    request.who = ctx.caller.name;
    const auto job = server.jobs().submit(std::move(request), ctx.store());
    ctx.res.status = 202;
    ctx.res.set_header("Location", ctx.base_url + "/jobs/" + job->id());
    ctx.res.set_header("Cache-Control", "no-store");
    ctx.res.set_content(json_text(job_json(*job, ctx.base_url)), "application/json");
}

// GET /jobs/{id}/report: what an import did, as gridmap import --report writes it.
void report(Server& server, RequestContext& ctx) {
    const std::string id = ctx.req.matches[1].str();
    if (!server.jobs().find(id)) {
        if (const auto record = ctx.store().job(id)) {
            if (record->status == "failed") throw geo::Error(geo::Errc::invalid_argument, "the import failed: " + record->detail);
            if (record->status != "succeeded") throw geo::Error(geo::Errc::conflict, "the import was " + record->status);
            ctx.res.set_content(record->report, "application/json");
            return;
        }
    }
    const auto job = job_of(server, id);
    if (!job->import()) throw geo::Error(geo::Errc::not_found, "job " + job->id() + " is an analysis: see /jobs/" + job->id());
    const auto state = job->snapshot();
    if (state.status == Job::Status::failed) throw geo::Error(geo::Errc::invalid_argument, "the import failed: " + state.error);
    if (state.status == Job::Status::cancelled) throw geo::Error(geo::Errc::conflict, "the import was cancelled");
    const auto r = job->report();
    if (!r) throw geo::Error(geo::Errc::conflict, "the import is still " + std::string(to_string(state.status)) + "; follow /jobs/" + job->id());
    ctx.res.set_content(json_text(geo::import::to_json(*r)), "application/json");
}

}  // namespace

void register_analysis_routes(Server& server) {
    server.post("/analysis/{kind}", R"(/analysis/([a-z_]+))", Role::planner, [&server](RequestContext& ctx) { start(server, ctx); });
    server.get("/jobs/{id}", R"(/jobs/([0-9a-f-]+))", Role::planner, [&server](RequestContext& ctx) { status(server, ctx); });
    server.del("/jobs/{id}", R"(/jobs/([0-9a-f-]+))", Role::planner, [&server](RequestContext& ctx) { cancel(server, ctx); });
    server.get("/jobs/{id}/result", R"(/jobs/([0-9a-f-]+)/result\.(json|csv|geojson|png))", Role::planner,
               [&server](RequestContext& ctx) { result(server, ctx); });
    server.post("/imports", R"(/imports)", Role::admin, [&server](RequestContext& ctx) { start_import(server, ctx); });
    server.get("/jobs/{id}/report", R"(/jobs/([0-9a-f-]+)/report)", Role::planner, [&server](RequestContext& ctx) { report(server, ctx); });
}

}  // namespace gridmap::http
