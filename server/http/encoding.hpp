#pragma once

#include <string>
#include <string_view>

namespace gridmap::http {

/// A content coding the server can send (RFC 9110 §8.4.1).
enum class Coding { identity, gzip, br };

/// The token of a coding as it appears in Content-Encoding ("" for identity).
const char* coding_name(Coding c) noexcept;

/// The coding to send for an Accept-Encoding field value: Brotli when the client accepts it (and
/// `brotli` allows it), else gzip, else identity. Follows RFC 9110 §12.5.3: q-values weigh the
/// choice, "q=0" refuses a coding, "*" stands for any not named, and an absent or empty field
/// means identity only.
Coding choose_coding(std::string_view accept_encoding, bool brotli = true);

/// Whether answers of this media type shrink when compressed: JSON (application/json, geo+json,
/// problem+json, schema+json, OpenAPI), CSV, plain text, HTML, JavaScript, SVG and XML. Not PNG
/// or other compressed formats. Parameters (; charset=…) are ignored.
bool compressible(std::string_view content_type);

/// gzip (RFC 1952) of bytes at a zlib level (1 fastest … 9 smallest; -1 zlib's default, 6).
std::string gzip(const std::string& bytes, int level = -1);

/// Brotli (RFC 7932) of bytes at a quality (0 fastest … 11 smallest).
std::string brotli(const std::string& bytes, int quality);

/// `bytes` in coding `c`, at the fastest level: answers made per request are compressed on
/// every request, and on 716 KB of GeoJSON level 1 costs a fifth of the time of gzip's default
/// for 20 % more bytes (Brotli at 1: smaller than gzip at 6). BENCHMARKS.md has the figures.
std::string encode_fast(Coding c, const std::string& bytes);

/// A strong ETag of bytes: a quoted 64-bit FNV-1a hash and the length. The same bytes give the
/// same tag in every process, so servers behind one load balancer agree.
std::string strong_etag(const std::string& bytes);

/// The tag of the same content sent in coding `c`: another representation, so another strong
/// tag (RFC 9110 §8.8.1) — `"…-gzip"`, `"…-br"`.
std::string coded_etag(const std::string& etag, Coding c);

/// Whether an If-None-Match field value matches `etag` (a list, or *), by weak comparison as
/// RFC 9110 §13.1.2 says.
bool etag_matches(std::string_view if_none_match, const std::string& etag);

}  // namespace gridmap::http
