#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace gridmap::http {

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
        case 416: return "Range Not Satisfiable";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
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

void send_problem(httplib::Response& res, int status, const std::string& detail,
                  const std::string& instance, const std::string& request_id) {
    const char* title = reason_phrase(status);
    nlohmann::ordered_json body = {
        {"type", "about:blank"},
        {"title", title},
        {"status", status},
        {"detail", status >= 500 ? "internal error (request " + request_id + ")" : detail},
        {"instance", instance},
    };
    res.status = status;
    // The path and the detail may quote any bytes a client sent (a percent-decoded %FF): they
    // are written with U+FFFD for what is not UTF-8, since a throw here ends the process.
    res.set_content(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                    "application/problem+json");
}

}  // namespace gridmap::http
