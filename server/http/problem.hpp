#pragma once

#include <string>

#include <httplib.h>

#include "geo/error.hpp"

namespace gridmap::http {

/// The reason phrase of an HTTP status ("Not Found").
const char* reason_phrase(int status) noexcept;

/// The HTTP status for a library error category (the only place that decides it).
int status_for(geo::Errc code) noexcept;

/// Answers with an RFC 9457 problem body (application/problem+json): type, title, status,
/// detail, instance. For a 5xx the detail says only "internal error" and the request id.
void send_problem(httplib::Response& res, int status, const std::string& detail,
                  const std::string& instance, const std::string& request_id);

}  // namespace gridmap::http
