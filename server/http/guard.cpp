#include "http/guard.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "geo/text/encoding.hpp"

namespace gridmap::http {

namespace {


Refusal refuse(int status, std::string detail) { return Refusal{status, std::move(detail), {}}; }

// host[:port] of a Host field or an absolute URI's authority; the name lower-cased, an IPv6
// literal with its brackets. Only characters a host name or address may hold.
struct Authority {
    std::string host;
    int port = -1;  ///< -1: not given
    bool ip_literal = false;
};

std::optional<Authority> parse_authority(std::string_view text) {
    Authority a;
    std::string_view port;
    if (text.starts_with('[')) {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const std::string inner(text.substr(1, close - 1));
        in6_addr addr{};
        if (inet_pton(AF_INET6, inner.c_str(), &addr) != 1) return std::nullopt;
        a.host = lower_ascii(text.substr(0, close + 1));
        a.ip_literal = true;
        text.remove_prefix(close + 1);
        if (!text.empty()) {
            if (text.front() != ':') return std::nullopt;
            port = text.substr(1);
        }
    } else {
        const std::size_t colon = text.find(':');
        const std::string_view name = text.substr(0, colon);
        if (name.empty() || name.size() > 253) return std::nullopt;
        for (char c : name) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                            c == '-' || c == '_';
            if (!ok) return std::nullopt;
        }
        a.host = lower_ascii(name);
        in_addr addr{};
        a.ip_literal = inet_pton(AF_INET, a.host.c_str(), &addr) == 1;
        if (colon != std::string_view::npos) port = text.substr(colon + 1);
    }
    if (!port.empty()) {
        int p = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) return std::nullopt;
        a.port = p;
    }
    return a;
}

bool host_allowed(const Authority& a, const GuardPolicy& policy) {
    if (a.ip_literal) return true;
    return std::any_of(policy.allowed_hosts.begin(), policy.allowed_hosts.end(),
                       [&](const std::string& h) { return h == "*" || h == a.host; });
}

// An Origin names this server when its host and port are the ones the request was sent to.
bool same_origin(std::string_view origin, const Authority& target) {
    int default_port = 0;
    if (origin.starts_with("http://")) {
        default_port = 80;
        origin.remove_prefix(7);
    } else if (origin.starts_with("https://")) {
        default_port = 443;
        origin.remove_prefix(8);
    } else {
        return false;  // "null" (a sandboxed frame, a file: page) or another scheme
    }
    const auto o = parse_authority(origin);
    if (!o || o->host != target.host) return false;
    const int origin_port = o->port == -1 ? default_port : o->port;
    return target.port == -1 ? origin_port == default_port : origin_port == target.port;
}

bool valid_escapes_and_text(std::string_view text, bool& has_nul) {
    const auto decoded = percent_decode(text);
    if (!decoded) return false;
    has_nul = decoded->find('\0') != std::string::npos;
    return geo::text::is_valid_utf8(*decoded);
}

// "." or ".." as a whole path segment, also when written with %2e.
bool has_dot_segment(std::string_view path) {
    const auto decoded = percent_decode(path);
    if (!decoded) return false;
    std::string_view p = *decoded;
    while (!p.empty()) {
        const std::size_t slash = p.find('/');
        const std::string_view segment = p.substr(0, slash);
        if (segment == "." || segment == "..") return true;
        if (slash == std::string_view::npos) break;
        p.remove_prefix(slash + 1);
    }
    return false;
}

bool changes_state(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Fields the server deals with itself or ignores on purpose; the router never sees them.
bool dropped_field(std::string_view name) {
    for (std::string_view f : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade",
                               "expect", "range", "if-range", "content-length", "host", "trailer", "x-gridmap-upload-type",
                               "x-gridmap-accept-encoding"}) {
        if (iequals_ascii(name, f)) return true;
    }
    return false;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const int hi = hex(text[i + 1]);
        const int lo = hex(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::variant<Admission, Refusal> admit(const RequestHead& head, const GuardPolicy& policy) {
    static constexpr std::string_view known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    if (std::find(std::begin(known), std::end(known), head.method) == std::end(known)) {
        Refusal r = refuse(501, "the method " + head.method + " is not served here");
        r.headers.emplace_back("Allow", "GET, HEAD, POST, DELETE, OPTIONS");
        return r;
    }

    // The target: origin-form, or absolute-form whose authority stands in for Host (RFC 9112 §3.2.2).
    std::string_view target = head.target;
    std::optional<Authority> authority;
    if (target == "*") {
        if (head.method != "OPTIONS") return refuse(400, "the target * is only meaningful with OPTIONS");
    } else if (target.front() != '/') {
        const std::string scheme = lower_ascii(target.substr(0, std::min<std::size_t>(target.size(), 8)));
        std::size_t skip = scheme.starts_with("http://") ? 7 : scheme.starts_with("https://") ? 8 : 0;
        if (skip == 0) return refuse(400, "the request target must be a path starting with /");
        target.remove_prefix(skip);
        const std::size_t path_start = std::min(target.find('/'), target.find('?'));
        authority = parse_authority(target.substr(0, path_start));
        if (!authority) return refuse(400, "the request target's host is malformed");
        target = path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
        if (target.front() == '?') return refuse(400, "the request target must have a path before its query");
    }

    const std::size_t hosts = head.count("Host");
    if (hosts > 1) return refuse(400, "the request has more than one Host field");
    if (hosts == 0 && head.version == "HTTP/1.1") return refuse(400, "an HTTP/1.1 request must have a Host field");
    if (!authority && hosts == 1) {
        authority = parse_authority(*head.field("Host"));
        if (!authority) return refuse(400, "the Host field is malformed");
    }
    if (authority && !host_allowed(*authority, policy)) {
        return refuse(421, "this server does not answer for the host name \"" + authority->host +
                               "\"; its administrator can add the name to allowed_hosts");
    }

    Admission out;
    out.target = std::string(target);
    if (target != "*") {
        const std::size_t q = target.find('?');
        const std::string_view path = target.substr(0, q);
        const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
        bool nul = false;
        if (!valid_escapes_and_text(path, nul)) {
            return refuse(400, "the path has a malformed %-escape or is not UTF-8 once decoded");
        }
        if (nul) return refuse(400, "the path holds a NUL character");
        if (has_dot_segment(path)) return refuse(400, "the path holds a . or .. segment");
        if (!valid_escapes_and_text(query, nul)) {
            return refuse(400, "the query string has a malformed %-escape or is not UTF-8 once decoded");
        }
        if (nul) return refuse(400, "the query string holds a NUL character");
    }

    // Framing: only Content-Length bodies, checked against the limit before a byte is read.
    if (head.count("Transfer-Encoding") > 0) {
        return refuse(411, "request bodies must be sent with a Content-Length (chunked or other transfer codings are not accepted)");
    }
    const bool upload = !policy.upload_path.empty() && head.method == "POST" &&
                        std::string_view(target).substr(0, target.find('?')) == policy.upload_path;
    const std::size_t max_body = upload ? policy.max_upload_bytes : policy.max_body_bytes;
    const auto& body_types = upload ? policy.upload_types : policy.body_types;
    const std::size_t lengths = head.count("Content-Length");
    if (lengths > 1) return refuse(400, "the request has more than one Content-Length field");
    if (lengths == 1) {
        const std::string_view text = *head.field("Content-Length");
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
            return refuse(400, "Content-Length is not a whole number");
        }
        if (ec == std::errc::result_out_of_range || n > max_body) {
            return refuse(413, std::string(upload ? "the upload" : "the request body") + " is larger than this server accepts (" +
                                   std::to_string(max_body) + " bytes)");
        }
        out.body_bytes = static_cast<std::size_t>(n);
    }
    if (out.body_bytes > 0) {
        if (const auto coding = head.field("Content-Encoding"); coding && !iequals_ascii(*coding, "identity")) {
            return refuse(415, "compressed request bodies (Content-Encoding) are not accepted; send the body as it is");
        }
        if (changes_state(head.method)) {
            const auto type = head.field("Content-Type");
            const std::string media = type ? lower_ascii(trim_ows(type->substr(0, type->find(';')))) : std::string();
            if (std::find(body_types.begin(), body_types.end(), media) == body_types.end()) {
                std::string accepted;
                for (const auto& t : body_types) accepted += (accepted.empty() ? "" : ", ") + t;
                Refusal r = refuse(415, "the request body must be " + accepted +
                                            (type ? "" : " (the request has no Content-Type)"));
                r.headers.emplace_back("Accept-Post", accepted);
                return r;
            }
        }
    }

    if (changes_state(head.method)) {
        if (const auto origin = head.field("Origin"); origin && !(authority && same_origin(*origin, *authority))) {
            return refuse(403, "a page on another site may not change anything here");
        }
    }

    if (const auto expect = head.field("Expect")) {
        if (!iequals_ascii(*expect, "100-continue")) return refuse(417, "only Expect: 100-continue is understood");
        out.expect_continue = out.body_bytes > 0;
    }

    bool close = head.version == "HTTP/1.0";  // 1.0 connections end after one answer
    std::vector<std::string_view> hop_by_hop;
    for (const auto& [name, value] : head.fields) {
        if (!iequals_ascii(name, "Connection")) continue;
        for (auto token : list_elements(value)) {
            if (iequals_ascii(token, "close")) close = true;
            hop_by_hop.push_back(token);
        }
    }
    out.keep_alive = !close;

    out.head.reserve(256);
    out.head.append(head.method).append(" ").append(target).append(" ").append(head.version).append("\r\n");
    if (authority) out.head.append("Host: ").append(authority->host).append(authority->port == -1 ? "" : ":" + std::to_string(authority->port)).append("\r\n");
    for (const auto& [name, value] : head.fields) {
        if (dropped_field(name)) continue;
        if (std::any_of(hop_by_hop.begin(), hop_by_hop.end(), [&](std::string_view t) { return iequals_ascii(t, name); })) continue;
        // An upload's body is not the router's to read (it would parse a multipart body it
        // never gets): its type is passed on under a name of the server's own.
        if (upload && out.body_bytes > 0 && iequals_ascii(name, "Content-Type")) {
            out.head.append("X-Gridmap-Upload-Type: ").append(value).append("\r\n");
            continue;
        }
        // The server compresses answers itself (after the route, so that ETags and sizes are its
        // own); cpp-httplib, which would compress them again, never sees what the client accepts.
        if (iequals_ascii(name, "Accept-Encoding")) {
            out.head.append(k_accept_encoding_field).append(": ").append(value).append("\r\n");
            continue;
        }
        out.head.append(name).append(": ").append(value).append("\r\n");
    }
    out.upload = upload && out.body_bytes > 0;
    if (out.body_bytes > 0 && !out.upload) out.head.append("Content-Length: ").append(std::to_string(out.body_bytes)).append("\r\n");
    out.head.append("\r\n");
    return out;
}

}  // namespace gridmap::http
