#include "http/request_head.hpp"

#include <algorithm>

namespace gridmap::http {

namespace {

char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// RFC 9110 §5.6.2 tchar.
bool is_token_char(unsigned char c) noexcept {
    if (c >= '0' && c <= '9') return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); });
}

// Field values: visible ASCII, obs-text, space and tab; never NUL, CR, LF or other controls.
bool is_field_value(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c == '\t' || (c >= 0x20 && c != 0x7f);
    });
}

Refusal bad(std::string detail) { return Refusal{400, std::move(detail), {}}; }

}  // namespace

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

std::vector<std::string_view> list_elements(std::string_view value) {
    std::vector<std::string_view> out;
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        const std::string_view item = trim_ows(value.substr(0, comma));
        if (!item.empty()) out.push_back(item);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::optional<std::string_view> RequestHead::field(std::string_view name) const {
    for (const auto& [n, v] : fields) {
        if (iequals_ascii(n, name)) return std::string_view(v);
    }
    return std::nullopt;
}

std::size_t RequestHead::count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(fields.begin(), fields.end(), [&](const auto& f) { return iequals_ascii(f.first, name); }));
}

std::size_t find_head_end(std::string_view buffer, std::size_t from) noexcept {
    // Step back so that a terminator split across two reads is still found.
    std::size_t i = from > 3 ? from - 3 : 0;
    // Empty lines before the request line are skipped (RFC 9112 §2.2), so they end nothing.
    std::size_t start = 0;
    while (start < buffer.size() && (buffer[start] == '\r' || buffer[start] == '\n')) ++start;
    i = std::max(i, start);
    for (;;) {
        const std::size_t nl = buffer.find('\n', i);
        if (nl == std::string_view::npos) return std::string_view::npos;
        // A line feed that follows another one, or CR LF, closes the head.
        if (nl > start && buffer[nl - 1] == '\n') return nl + 1;
        if (nl > start + 1 && buffer[nl - 1] == '\r' && buffer[nl - 2] == '\n') return nl + 1;
        i = nl + 1;
    }
}

std::variant<RequestHead, Refusal> parse_request_head(std::string_view head, const HeadLimits& limits) {
    if (head.size() > limits.max_head_bytes) {
        return Refusal{431, "the request head is larger than " + std::to_string(limits.max_head_bytes) + " bytes", {}};
    }
    std::size_t pos = 0;
    while (pos < head.size() && (head[pos] == '\r' || head[pos] == '\n')) ++pos;

    // Lines: terminated by LF, with an optional CR before it; a CR anywhere else is refused.
    auto next_line = [&](std::string_view& line) -> bool {
        const std::size_t nl = head.find('\n', pos);
        if (nl == std::string_view::npos) return false;
        line = head.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = nl + 1;
        return true;
    };

    std::string_view line;
    if (!next_line(line) || line.empty()) return bad("the request has no request line");
    if (line.find('\r') != std::string_view::npos) return bad("the request line holds a bare carriage return");

    RequestHead out;
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return bad("the request line must be METHOD TARGET HTTP/1.1, separated by single spaces");
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method)) return bad("the request method is not a token");
    if (target.size() > limits.max_target_bytes) {
        return Refusal{414, "the request target is longer than " + std::to_string(limits.max_target_bytes) + " bytes", {}};
    }
    if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
        return bad("the request target holds spaces, control characters or bytes outside ASCII (percent-encode them)");
    }
    if (version.size() != 8 || !version.starts_with("HTTP/") || version[5] < '0' || version[5] > '9' ||
        version[6] != '.' || version[7] < '0' || version[7] > '9') {
        return bad("the request line does not end in an HTTP version");
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        return Refusal{505, "only HTTP/1.0 and HTTP/1.1 are served", {}};
    }
    out.method = method;
    out.target = target;
    out.version = version;

    while (next_line(line)) {
        if (line.empty()) return out;
        if (line.size() > limits.max_field_bytes) {
            return Refusal{431, "a header field is longer than " + std::to_string(limits.max_field_bytes) + " bytes", {}};
        }
        if (out.fields.size() == limits.max_fields) {
            return Refusal{431, "the request has more than " + std::to_string(limits.max_fields) + " header fields", {}};
        }
        if (line.front() == ' ' || line.front() == '\t') return bad("folded header lines are not accepted");
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return bad("a header line has no colon");
        const std::string_view name = line.substr(0, colon);
        if (!is_token(name)) return bad("a header field name is empty or holds characters a name may not have");
        const std::string_view value = trim_ows(line.substr(colon + 1));
        if (!is_field_value(value)) return bad("the header field " + std::string(name) + " holds control characters");
        out.fields.emplace_back(std::string(name), std::string(value));
    }
    return bad("the request head does not end with an empty line");
}

}  // namespace gridmap::http
