#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gridmap::http {

/// An answer the server gives before any route runs: a 4xx/5xx status, a detail for the
/// problem body, and headers such as Allow or Retry-After.
struct Refusal {
    int status = 400;
    std::string detail;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// A request line and its header fields, as received (RFC 9112 §2–5).
struct RequestHead {
    std::string method;
    std::string target;   ///< as sent: origin-form ("/a?b"), absolute-form or "*"
    std::string version;  ///< "HTTP/1.0" or "HTTP/1.1" (other versions are refused)
    std::vector<std::pair<std::string, std::string>> fields;  ///< names as sent, values trimmed

    /// The value of the first field named `name` (case-insensitive), if any.
    std::optional<std::string_view> field(std::string_view name) const;
    /// How many fields are named `name` (case-insensitive).
    std::size_t count(std::string_view name) const;
};

/// ASCII case-insensitive equality (header names, tokens, host names).
bool iequals_ascii(std::string_view a, std::string_view b) noexcept;

/// `s` without the spaces and tabs around it (a field value's optional white space).
std::string_view trim_ows(std::string_view s) noexcept;

/// `s` with ASCII letters in lower case (field names, schemes, host names, tokens).
std::string lower_ascii(std::string_view s);

/// The comma-separated elements of a list field (RFC 9110 §5.6.1), trimmed, empty ones dropped.
std::vector<std::string_view> list_elements(std::string_view value);

/// Bounds on a request head. Beyond them the head is refused, never stored.
struct HeadLimits {
    std::size_t max_head_bytes = 32 * 1024;    ///< request line and fields together → 431
    std::size_t max_target_bytes = 8 * 1024;   ///< the request target → 414
    std::size_t max_field_bytes = 8 * 1024;    ///< one field line → 431
    std::size_t max_fields = 100;              ///< → 431
};

/// Where the head in `buffer` ends: the offset just past the empty line that closes it, or
/// npos while it is incomplete. Lines end in CRLF or a bare LF. `from` is where an earlier call
/// stopped looking (the size of the buffer then), so that a head arriving in pieces is scanned
/// once.
std::size_t find_head_end(std::string_view buffer, std::size_t from = 0) noexcept;

/// Parses a complete head (up to and including its empty line). Strict where leniency lets two
/// parsers disagree about a request: no whitespace before a field's colon, no folded lines, no
/// control characters, no bytes outside ASCII in the request line. Never throws.
std::variant<RequestHead, Refusal> parse_request_head(std::string_view head, const HeadLimits& limits);

}  // namespace gridmap::http
