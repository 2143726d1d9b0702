#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace gridmap::http {

std::string json_text(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

const char* reason_phrase(int status) noexcept {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 411: return "Length Required";
        case 416: return "Range Not Satisfiable";
        case 417: return "Expectation Failed";
        case 421: return "Misdirected Request";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return status >= 500 ? "Server Error" : "Client Error";
    }
}

namespace {

// Every problem type the server answers with: its name (the last segment of the type URI), the
// status it comes with, and what a client can do about it.
struct ProblemType {
    const char* name;
    int status;
    const char* meaning;
};

constexpr ProblemType k_types[] = {
    {"invalid-request", 400, "A parameter, the path or the body is not what this resource takes; the detail names which and why. Correct the request; sending it again unchanged fails again."},
    {"unauthenticated", 401, "The resource needs a token (Authorization: Bearer …, or a session from POST /session), or the token sent was not accepted (unknown, expired or revoked)."},
    {"forbidden", 403, "The token's role may not do this, or a page on another site tried to change something. Ask an administrator for a token with the role the detail names."},
    {"not-found", 404, "No such resource: a layer, feature, job or path this server does not have, or a file it could not find (such as the map style)."},
    {"method-not-allowed", 405, "The resource exists but not for this method; the Allow field lists the methods it has."},
    {"request-timeout", 408, "The request did not arrive whole in time (read_timeout_s)."},
    {"conflict", 409, "The resource is not in a state that allows this, such as the result of a job that was cancelled or has not finished."},
    {"length-required", 411, "A request body must be sent with Content-Length; chunked bodies are not accepted."},
    {"too-large", 413, "The body is larger than this server accepts (max_body_bytes, max_upload_bytes)."},
    {"target-too-long", 414, "The request target is longer than 8 KiB; send a long filter in a POST body where the resource takes one."},
    {"unsupported-media-type", 415, "The body's media type or encoding, or the file's format, is not one this resource takes."},
    {"expectation-failed", 417, "Only Expect: 100-continue is understood."},
    {"misdirected-host", 421, "The Host field names a host this server does not answer to (allowed_hosts)."},
    {"too-many-requests", 429, "Too many attempts in a short time; wait for Retry-After seconds."},
    {"header-too-large", 431, "The request head or one of its fields is too large."},
    {"internal-error", 500, "Something failed inside the server; the detail holds a request id to find in the server's log."},
    {"not-implemented", 501, "The method is not one this server implements."},
    {"unavailable", 503, "The server is busy (too many connections or jobs) or a resource it needs is missing; try again after Retry-After seconds."},
    {"http-version", 505, "Only HTTP/1.0 and HTTP/1.1 are spoken."},
};

}  // namespace

std::string problem_type(int status) {
    for (const auto& t : k_types) {
        if (t.status == status) return std::string(k_problem_types_path) + "/" + t.name;
    }
    return "about:blank";
}

nlohmann::ordered_json problem_types_json() {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& t : k_types) {
        list.push_back({{"type", std::string(k_problem_types_path) + "/" + t.name},
                        {"title", reason_phrase(t.status)},
                        {"status", t.status},
                        {"description", t.meaning}});
    }
    return list;
}

int status_for(geo::Errc code) noexcept {
    switch (code) {
        case geo::Errc::invalid_argument: return 400;
        case geo::Errc::not_found: return 404;
        case geo::Errc::unsupported: return 415;
        case geo::Errc::conflict: return 409;
        case geo::Errc::unavailable: return 503;
        case geo::Errc::internal: return 500;
    }
    return 500;
}

std::string problem_json(int status, const std::string& detail, const std::string& instance,
                         const std::string& request_id) {
    const nlohmann::ordered_json body = {
        {"type", problem_type(status)},
        {"title", reason_phrase(status)},
        {"status", status},
        // A 500's details stay in the log; a 501, 503 or 505 says what the client can do.
        {"detail", status == 500 || (status > 500 && detail.empty()) ? "internal error (request " + request_id + ")" : detail},
        {"instance", instance},
    };
    return json_text(body);
}

std::string problem_response(int status, const std::string& detail, const std::string& instance,
                             const std::string& request_id,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             bool head_only) {
    const std::string body = problem_json(status, detail, instance, request_id);
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    out += "Content-Type: application/problem+json\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "X-Request-Id: " + request_id + "\r\n";
    for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (!head_only) out += body;
    return out;
}

void send_problem(httplib::Response& res, int status, const std::string& detail,
                  const std::string& instance, const std::string& request_id) {
    res.status = status;
    res.set_content(problem_json(status, detail, instance, request_id), "application/problem+json");
}

}  // namespace gridmap::http
