#include "http/forwarded.hpp"
#include "http/request_head.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace gridmap::http {

namespace {

// The first element of a comma-separated list.
std::string_view first_element(std::string_view list) { return trim_ows(list.substr(0, list.find(','))); }

// A host with an optional port as it may stand in a URL: a name or IPv4 literal, or a
// bracketed IPv6 literal, then ":digits".
bool valid_authority(std::string_view a) {
    if (a.empty() || a.size() > 255) return false;
    if (a.front() == '[') {
        const auto close = a.find(']');
        if (close == std::string_view::npos || a.substr(1, close - 1).find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
            return false;
        }
        a.remove_prefix(close + 1);
        if (a.empty()) return true;
        if (a.front() != ':') return false;
        a.remove_prefix(1);
        return !a.empty() && a.size() <= 5 && a.find_first_not_of("0123456789") == std::string_view::npos;
    }
    const auto colon = a.find(':');
    const std::string_view host = a.substr(0, colon);
    if (host.empty() || host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != std::string_view::npos) {
        return false;
    }
    if (colon == std::string_view::npos) return true;
    const std::string_view port = a.substr(colon + 1);
    return !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
}

// A path prefix: "" or "/a/b" of unreserved characters, without dot segments; the trailing
// slash removed. nullopt when it is anything else.
std::optional<std::string> valid_prefix(std::string_view p) {
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    if (p.empty()) return std::string();
    if (p.front() != '/' || p.size() > 200) return std::nullopt;
    if (p.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") != std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view rest = p.substr(1);
    while (true) {
        const auto slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        if (segment.empty() || segment == "." || segment == "..") return std::nullopt;
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return std::string(p);
}

// A Forwarded parameter's value: a token or a quoted string (RFC 7239 §4).
std::string_view unquote(std::string_view v) {
    v = trim_ows(v);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
}

}  // namespace

std::optional<ProxyNet> ProxyNet::parse(std::string_view text) {
    text = trim_ows(text);
    ProxyNet net;
    const auto slash = text.find('/');
    const std::string address(text.substr(0, slash));
    if (inet_pton(AF_INET, address.c_str(), net.bytes) == 1) {
        net.family = AF_INET;
        net.prefix_bits = 32;
    } else if (inet_pton(AF_INET6, address.c_str(), net.bytes) == 1) {
        net.family = AF_INET6;
        net.prefix_bits = 128;
    } else {
        return std::nullopt;
    }
    if (slash != std::string_view::npos) {
        const std::string_view bits = text.substr(slash + 1);
        if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
        const int n = std::stoi(std::string(bits));
        if (n > net.prefix_bits) return std::nullopt;
        net.prefix_bits = n;
    }
    return net;
}

bool ProxyNet::contains(std::string_view ip) const {
    std::string text(ip);
    if (text.starts_with("::ffff:") && text.find('.') != std::string::npos) text = text.substr(7);  // IPv4-mapped
    unsigned char addr[16] = {};
    const int fam = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (fam != family || inet_pton(fam, text.c_str(), addr) != 1) return false;
    const int full = prefix_bits / 8;
    if (std::memcmp(addr, bytes, static_cast<std::size_t>(full)) != 0) return false;
    const int rest = prefix_bits % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (addr[full] & mask) == (bytes[full] & mask);
}

std::optional<std::string> forwarded_base(const ForwardedFields& f, std::string_view fallback_scheme,
                                          std::string_view fallback_host) {
    std::string scheme, host;
    if (!f.forwarded.empty()) {
        // for=…;proto=https;host=map.example.org — parameters of the first element.
        std::string_view params = first_element(f.forwarded);
        while (!params.empty()) {
            const auto semi = params.find(';');
            const std::string_view pair = trim_ows(params.substr(0, semi));
            params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            const std::string name = lower_ascii(trim_ows(pair.substr(0, eq)));
            if (name == "proto") scheme = lower_ascii(unquote(pair.substr(eq + 1)));
            else if (name == "host") host = std::string(unquote(pair.substr(eq + 1)));
        }
    }
    if (scheme.empty() && !f.proto.empty()) scheme = lower_ascii(first_element(f.proto));
    if (host.empty() && !f.host.empty()) host = std::string(first_element(f.host));
    if (scheme.empty()) scheme = std::string(fallback_scheme);
    if (host.empty()) host = std::string(fallback_host);
    if ((scheme != "http" && scheme != "https") || !valid_authority(host)) return std::nullopt;
    const auto prefix = valid_prefix(first_element(f.prefix));
    if (!prefix) return std::nullopt;
    // The default port of the scheme is left out, as browsers write origins.
    const std::string default_port = scheme == "https" ? ":443" : ":80";
    if (host.size() > default_port.size() && host.ends_with(default_port) && host.back() != ']') {
        host.resize(host.size() - default_port.size());
    }
    return scheme + "://" + lower_ascii(host) + *prefix;
}

std::string normalise_public_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : lower_ascii(url.substr(0, scheme_end));
    const std::string rest = scheme_end == std::string::npos ? "" : url.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    const auto prefix = valid_prefix(slash == std::string::npos ? "" : std::string_view(rest).substr(slash));
    if ((scheme != "http" && scheme != "https") || !valid_authority(authority) || !prefix ||
        rest.find_first_of("?#@") != std::string::npos) {
        throw std::invalid_argument("public_url: \"" + url +
                                    "\" is not a base URL (https://map.example.org, or with a path: https://example.org/gridmap)");
    }
    return scheme + "://" + lower_ascii(authority) + *prefix;
}

}  // namespace gridmap::http
