#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::http {

/// An address or network a proxy may speak from: "127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8".
struct ProxyNet {
    unsigned char bytes[16] = {};
    int family = 0;      ///< AF_INET or AF_INET6
    int prefix_bits = 0;

    /// Parses one entry; nullopt when it is neither an IP address nor one with a /prefix.
    static std::optional<ProxyNet> parse(std::string_view text);
    /// Whether `ip` (as the socket layer prints it; IPv4-mapped IPv6 counts as IPv4) lies in it.
    bool contains(std::string_view ip) const;
};

/// What a trusted reverse proxy said of the client's request: the scheme and authority the
/// client used, and the path prefix the proxy mounts this server under.
struct ForwardedFields {
    std::string forwarded;    ///< Forwarded (RFC 7239)
    std::string proto;        ///< X-Forwarded-Proto
    std::string host;         ///< X-Forwarded-Host
    std::string prefix;       ///< X-Forwarded-Prefix
};

/// The public base URL ("https://map.example.org/gridmap", no trailing slash) a proxy's fields
/// give: Forwarded's proto and host first, else X-Forwarded-Proto and -Host; the first element
/// of each list (the proxy nearest the client). `fallback_scheme` and `fallback_host` fill what
/// the proxy did not say. nullopt when a field is present but malformed (a scheme other than
/// http/https, a host with characters no host name has, a prefix with dot segments): the
/// caller then ignores the proxy's fields altogether.
std::optional<std::string> forwarded_base(const ForwardedFields& fields, std::string_view fallback_scheme,
                                          std::string_view fallback_host);

/// Checks and normalises a configured public URL: http or https, a host, an optional port and
/// path, no query or fragment; the trailing slash removed. Throws std::invalid_argument.
std::string normalise_public_url(const std::string& url);

}  // namespace gridmap::http
