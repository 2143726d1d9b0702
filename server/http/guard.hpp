#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "http/request_head.hpp"

namespace gridmap::http {

/// The name the router sees the client's Accept-Encoding under (the guard renames it).
inline constexpr const char* k_accept_encoding_field = "X-Gridmap-Accept-Encoding";


/// What the server accepts before any route sees a request.
struct GuardPolicy {
    std::size_t max_body_bytes = 1 << 20;
    /// Host names (lower case) a request may be addressed to, besides IP literals, which are
    /// always accepted. "*" accepts any name. Checking the name defeats DNS rebinding: a page
    /// on another site that makes its own name resolve to this server still sends its own name.
    std::vector<std::string> allowed_hosts = {"localhost"};
    /// Media types a request body may have (parameters such as charset are ignored).
    std::vector<std::string> body_types = {"application/json"};
    /// The path whose POST bodies are uploads: streamed to a file, not held in memory, up to
    /// max_upload_bytes, of one of upload_types. Empty: no uploads.
    std::string upload_path = "/imports";
    std::size_t max_upload_bytes = std::size_t{512} << 20;
    std::vector<std::string> upload_types = {"application/zip", "application/geopackage+sqlite3", "application/geo+json",
                                             "multipart/form-data"};
};

/// A request the guard lets through, as the router will see it.
struct Admission {
    std::size_t body_bytes = 0;    ///< the body that follows the head (its Content-Length)
    bool expect_continue = false;  ///< the client waits for "100 Continue" before sending the body
    bool keep_alive = true;        ///< the client allows another request on the connection
    /// The body is an upload (GuardPolicy::upload_path): it goes to a file, and `head` carries
    /// no Content-Length, so the router reads no body, and its Content-Type as
    /// X-Gridmap-Upload-Type (one a client sends itself is dropped).
    bool upload = false;
    /// The head rewritten for the router: origin-form target, one Host, Content-Length when
    /// there is a body, and none of the fields the server handles itself or ignores
    /// (Connection and the fields it names, Keep-Alive, Transfer-Encoding, TE, Upgrade, Expect,
    /// Range, If-Range). The router never parses anything the guard has not checked.
    std::string head;
    std::string target;  ///< origin-form, still percent-encoded: printable ASCII only
};

/// Decides whether a request may reach a route: HTTP version and method; Host against the
/// policy; absolute-form targets; the target's percent-encoding, UTF-8 and dot segments;
/// Content-Length against the body limit (before any body byte is read); no chunked or
/// content-encoded request bodies; body media types; Expect; and for methods that change
/// things (POST, PUT, PATCH, DELETE) an Origin, when sent, naming this server — so a page on
/// another site cannot make a browser write here. Never throws.
std::variant<Admission, Refusal> admit(const RequestHead& head, const GuardPolicy& policy);

/// The request's target with %XX decoded; nullopt when an escape is malformed. Exposed for tests.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace gridmap::http
