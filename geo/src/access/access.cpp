#include "geo/access/access.hpp"

#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "geo/error.hpp"

namespace geo::access {

const char* to_string(Role role) noexcept {
    switch (role) {
        case Role::anonymous: return "anonymous";
        case Role::worker: return "worker";
        case Role::planner: return "planner";
        case Role::admin: return "admin";
    }
    return "anonymous";
}

std::optional<Role> parse_role(std::string_view text) {
    if (text == "worker") return Role::worker;
    if (text == "planner") return Role::planner;
    if (text == "admin") return Role::admin;
    return std::nullopt;
}

Scope Scope::within(std::vector<std::string> cells) {
    std::sort(cells.begin(), cells.end());
    cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
    Scope s;
    s.unrestricted = false;
    s.cells = std::move(cells);
    return s;
}

bool Scope::covers_cell(std::string_view code) const {
    if (unrestricted) return true;
    return std::binary_search(cells.begin(), cells.end(), code);
}

std::string Scope::key() const {
    if (unrestricted) return "all";
    // Codes are short; a worker holds a handful. The hash keeps a long list's key short.
    std::string joined;
    for (const auto& c : cells) joined += c + '\n';
    const std::string h = token_hash(joined);
    static constexpr char hex[] = "0123456789abcdef";
    std::string key = "cells:";
    for (std::size_t i = 0; i < 8; ++i) {
        const auto b = static_cast<unsigned char>(h[i]);
        key += hex[b >> 4];
        key += hex[b & 15];
    }
    return key;
}

bool LayerPolicy::is_public(std::string_view field) const {
    return all_public || std::find(public_fields.begin(), public_fields.end(), field) != public_fields.end();
}

LayerPolicy policy(std::string_view layer) {
    if (layer == "stations" || layer == "roads" || layer == "service_circles") return {true, {}, {}};
    if (layer == "buildings") return {false, "grid_code", {}};
    if (layer == "grid_cells") return {false, "code", {"code", "name", "community", "street"}};
    return {false, {}, {}};
}

bool TokenRecord::usable_at(std::string_view now_iso) const {
    // ISO 8601 UTC times of one format compare as text.
    return revoked_at.empty() && (expires_at.empty() || now_iso < expires_at);
}

Scope TokenRecord::scope() const {
    return role == Role::worker ? Scope::within(grids) : Scope::everything();
}

std::string new_token() {
    std::array<unsigned char, 32> bytes{};
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = getrandom(bytes.data() + got, bytes.size() - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(Errc::unavailable, "no random bytes from the kernel to make a token");
        got += static_cast<std::size_t>(n);
    }
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string token = "gm_";
    // 256 bits in 6-bit groups: 42 full groups and 4 bits left over.
    unsigned buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            token += alphabet[(buffer >> bits) & 63];
        }
    }
    if (bits > 0) token += alphabet[(buffer << (6 - bits)) & 63];
    return token;
}

std::string token_hash(std::string_view token) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 || length != 32) {
        throw Error(Errc::internal, "SHA-256 failed");
    }
    return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

bool same_hash(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string iso_utc(std::int64_t seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string now_utc() {
    return iso_utc(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

namespace {

// Digits only, at most `max` of them.
std::optional<std::int64_t> small_number(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > max) return std::nullopt;
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
    if (text.empty() || (text.back() != 'd' && text.back() != 'h')) return std::nullopt;
    const auto n = small_number(text.substr(0, text.size() - 1), 6);
    if (!n || *n == 0) return std::nullopt;
    return *n * (text.back() == 'd' ? 86400 : 3600);
}

std::string parse_expiry(std::string_view text, std::int64_t now) {
    const auto bad = [&] {
        return Error(Errc::invalid_argument, "--expires takes a duration such as 30d or 12h, or a UTC date such as 2027-06-30 "
                                             "or 2027-06-30T18:00:00Z, not \"" + std::string(text.substr(0, 40)) + "\"");
    };
    constexpr std::int64_t ten_years = 10LL * 366 * 86400;
    std::int64_t at = 0;
    if (const auto span = parse_duration(text)) {
        at = now + *span;
    } else {
        // YYYY-MM-DD, optionally followed by THH:MM:SSZ.
        if (text.size() != 10 && text.size() != 20) throw bad();
        if (text[4] != '-' || text[7] != '-') throw bad();
        const auto y = small_number(text.substr(0, 4), 4), mo = small_number(text.substr(5, 2), 2),
                   d = small_number(text.substr(8, 2), 2);
        std::optional<std::int64_t> h = 0, mi = 0, s = 0;
        if (text.size() == 20) {
            if (text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z') throw bad();
            h = small_number(text.substr(11, 2), 2);
            mi = small_number(text.substr(14, 2), 2);
            s = small_number(text.substr(17, 2), 2);
        }
        if (!y || !mo || !d || !h || !mi || !s || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 ||
            *s > 59) {
            throw bad();
        }
        std::tm tm{};
        tm.tm_year = static_cast<int>(*y - 1900);
        tm.tm_mon = static_cast<int>(*mo - 1);
        tm.tm_mday = static_cast<int>(*d);
        tm.tm_hour = static_cast<int>(*h);
        tm.tm_min = static_cast<int>(*mi);
        tm.tm_sec = static_cast<int>(*s);
        at = timegm(&tm);
        // timegm normalises 2027-02-31 to March: refuse dates that do not exist.
        if (iso_utc(at).substr(0, text.size() == 10 ? 10 : 20) != text) throw bad();
    }
    if (at <= now) throw Error(Errc::invalid_argument, "--expires " + std::string(text) + " is not in the future");
    if (at > now + ten_years) throw Error(Errc::invalid_argument, "--expires is more than ten years ahead");
    return iso_utc(at);
}

}  // namespace geo::access
