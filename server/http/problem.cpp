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
        {"type", "about:blank"},
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
