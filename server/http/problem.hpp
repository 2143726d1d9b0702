#pragma once

#include <string>
#include <utility>
#include <vector>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "geo/error.hpp"

namespace gridmap::http {

/// A JSON answer's text. Text that is not UTF-8 (which an imported file may still hold) is
/// replaced by U+FFFD instead of throwing.
std::string json_text(const nlohmann::ordered_json& j);

/// Where the problem types are described (GET /problems/{name}).
inline constexpr const char* k_problem_types_path = "/problems";

/// The type URI of the problem a status stands for: "/problems/not-found" (relative to the
/// server, and served there with what it means), or "about:blank" for a status without one.
std::string problem_type(int status);

/// Every problem type: type, title, status and description (GET /problems).
nlohmann::ordered_json problem_types_json();

/// The reason phrase of an HTTP status ("Not Found").
const char* reason_phrase(int status) noexcept;

/// The HTTP status for a library error category (the only place that decides it).
int status_for(geo::Errc code) noexcept;

/// An RFC 9457 problem body: type, title, status, detail, instance. A 500's detail says only
/// "internal error" and the request id; other statuses keep theirs (what is busy, not served). Text that is not UTF-8 is replaced, never thrown on.
std::string problem_json(int status, const std::string& detail, const std::string& instance,
                         const std::string& request_id);

/// A whole HTTP/1.1 answer carrying a problem body, with `Connection: close`, for answers given
/// before or instead of the router (the connection loop's refusals, a failed handler).
/// `headers` are added as they are (Retry-After, Allow); `head_only` leaves the body out (HEAD).
std::string problem_response(int status, const std::string& detail, const std::string& instance,
                             const std::string& request_id,
                             const std::vector<std::pair<std::string, std::string>>& headers = {},
                             bool head_only = false);

/// Answers with problem_json() as application/problem+json.
void send_problem(httplib::Response& res, int status, const std::string& detail,
                  const std::string& instance, const std::string& request_id);

}  // namespace gridmap::http
