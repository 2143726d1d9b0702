#include "http/encoding.hpp"
#include "http/request_head.hpp"

#include <brotli/encode.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace gridmap::http {

namespace {


// The weight of one element's parameters: its q (0 to 1, three decimals at most); 1 when absent,
// -1 when malformed (the element is then ignored).
int weight_of(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        const std::string_view param = trim_ows(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
        if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
        const std::string_view v = param.substr(2);
        // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
        if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
        int thousandths = (v[0] - '0') * 1000;
        if (v.size() > 1) {
            if (v[1] != '.' || v.size() > 5) return -1;
            int scale = 100;
            for (char c : v.substr(2)) {
                if (c < '0' || c > '9') return -1;
                thousandths += (c - '0') * scale;
                scale /= 10;
            }
        }
        return thousandths > 1000 ? -1 : thousandths;
    }
    return 1000;
}

}  // namespace

const char* coding_name(Coding c) noexcept {
    switch (c) {
        case Coding::gzip: return "gzip";
        case Coding::br: return "br";
        case Coding::identity: break;
    }
    return "";
}

Coding choose_coding(std::string_view accept_encoding, bool brotli_allowed) {
    int gzip_q = -1, br_q = -1, any_q = -1;
    while (!accept_encoding.empty()) {
        const auto comma = accept_encoding.find(',');
        const std::string_view element = trim_ows(accept_encoding.substr(0, comma));
        accept_encoding = comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
        const auto semi = element.find(';');
        const std::string_view name = trim_ows(element.substr(0, semi));
        const int q = weight_of(semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1));
        if (q < 0) continue;
        if (iequals_ascii(name, "gzip") || iequals_ascii(name, "x-gzip")) gzip_q = std::max(gzip_q, q);
        else if (iequals_ascii(name, "br")) br_q = q;
        else if (name == "*") any_q = q;
    }
    if (gzip_q < 0) gzip_q = any_q;
    if (br_q < 0) br_q = any_q;
    if (!brotli_allowed) br_q = 0;
    if (br_q > 0 && br_q >= gzip_q) return Coding::br;
    if (gzip_q > 0) return Coding::gzip;
    return br_q > 0 ? Coding::br : Coding::identity;
}

bool compressible(std::string_view content_type) {
    std::string_view type = trim_ows(content_type.substr(0, content_type.find(';')));
    const std::string lower = lower_ascii(type);
    if (lower.starts_with("text/")) return true;
    if (lower.ends_with("+json") || lower.ends_with("+xml")) return true;
    for (const char* t : {"application/json", "application/javascript", "application/xml", "image/svg+xml"}) {
        if (lower == t) return true;
    }
    return false;
}

std::string gzip(const std::string& bytes, int level) {
    z_stream zs{};
    // 15 + 16: a gzip header and trailer around the deflate stream.
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib: deflateInit2 failed");
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(bytes.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zs.avail_in = static_cast<uInt>(bytes.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate failed");
    return out;
}

std::string brotli(const std::string& bytes, int quality) {
    std::string out(BrotliEncoderMaxCompressedSize(bytes.size()), '\0');
    std::size_t size = out.size();
    if (out.empty() || !BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, bytes.size(),
                                              reinterpret_cast<const std::uint8_t*>(bytes.data()), &size,
                                              reinterpret_cast<std::uint8_t*>(out.data()))) {
        throw std::runtime_error("brotli: compression failed");
    }
    out.resize(size);
    return out;
}

std::string encode_fast(Coding c, const std::string& bytes) {
    switch (c) {
        case Coding::gzip: return gzip(bytes, 1);
        case Coding::br: return brotli(bytes, 1);
        case Coding::identity: break;
    }
    return bytes;
}

std::string strong_etag(const std::string& bytes) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "\"%016llx-%zx\"", static_cast<unsigned long long>(h), bytes.size());
    return buf;
}

std::string coded_etag(const std::string& etag, Coding c) {
    if (c == Coding::identity || etag.size() < 2) return etag;
    return etag.substr(0, etag.size() - 1) + "-" + coding_name(c) + "\"";
}

bool etag_matches(std::string_view if_none_match, const std::string& etag) {
    while (!if_none_match.empty()) {
        const auto comma = if_none_match.find(',');
        std::string_view item = trim_ows(if_none_match.substr(0, comma));
        if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
        if (item.starts_with("W/")) item.remove_prefix(2);  // weak comparison
        if (item == "*" || item == etag) return true;
    }
    return false;
}

}  // namespace gridmap::http
