#include "geo/text/encoding.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>

#include "geo/error.hpp"

namespace geo::text {

namespace {

const iconv_t invalid_cd = reinterpret_cast<iconv_t>(-1);

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

/// Length of the sequence a lead byte starts, or 0 when it cannot start one.
std::size_t sequence_length(unsigned char lead) noexcept {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

/// The allowed range of the byte after `lead`: narrower than 80..BF for the leads where
/// the full range would give overlongs (E0, F0), surrogates (ED) or > U+10FFFF (F4).
std::pair<unsigned char, unsigned char> second_byte_range(unsigned char lead) noexcept {
    switch (lead) {
        case 0xE0:
            return {0xA0, 0xBF};
        case 0xED:
            return {0x80, 0x9F};
        case 0xF0:
            return {0x90, 0xBF};
        case 0xF4:
            return {0x80, 0x8F};
        default:
            return {0x80, 0xBF};
    }
}

/// True when `bytes` (fewer bytes than the lead announces) could be completed into a
/// well-formed sequence.
bool is_valid_prefix(std::string_view bytes) noexcept {
    const auto lead = static_cast<unsigned char>(bytes[0]);
    const std::size_t length = sequence_length(lead);
    if (length < 2 || bytes.size() >= length) return false;
    for (std::size_t i = 1; i < bytes.size(); ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (i == 1) {
            const auto [low, high] = second_byte_range(lead);
            if (c < low || c > high) return false;
        } else if (!is_continuation(c)) {
            return false;
        }
    }
    return true;
}

/// Calls `f` with each code point of well-formed UTF-8.
template <typename F>
void for_each_code_point(std::string_view utf8, F&& f) {
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        const std::size_t length = std::max<std::size_t>(sequence_length(lead), 1);
        char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
        for (std::size_t k = 1; k < length && i + k < utf8.size(); ++k) {
            cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
        }
        f(cp);
        i += length;
    }
}

bool is_cjk(char32_t cp) noexcept {
    return (cp >= 0x2E80 && cp <= 0x2FDF)        // radicals
           || (cp >= 0x3000 && cp <= 0x303F)     // CJK symbols and punctuation
           || (cp >= 0x3100 && cp <= 0x312F)     // bopomofo
           || (cp >= 0x31C0 && cp <= 0x31EF)     // strokes
           || (cp >= 0x3200 && cp <= 0x4DBF)     // enclosed, compatibility, extension A
           || (cp >= 0x4E00 && cp <= 0x9FFF)     // unified ideographs
           || (cp >= 0xF900 && cp <= 0xFAFF)     // compatibility ideographs
           || (cp >= 0xFE30 && cp <= 0xFE4F)     // compatibility forms
           || (cp >= 0xFF00 && cp <= 0xFFEF)     // halfwidth and fullwidth forms
           || (cp >= 0x20000 && cp <= 0x3134F);  // extensions B–G
}

std::string upper_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\r\n\v\f";
    const std::size_t first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    const std::size_t last = s.find_last_not_of(space);
    return s.substr(first, last - first + 1);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool iconv_knows(const std::string& name) {
    const iconv_t cd = iconv_open("UTF-8", name.c_str());
    if (cd == invalid_cd) return false;
    iconv_close(cd);
    return true;
}

std::optional<std::string> known(std::string name) {
    if (iconv_knows(name)) return name;
    return std::nullopt;
}

std::optional<std::string> from_code_page(int cp) {
    switch (cp) {
        case 936:
        case 54936:
        case 20936:
            return "GB18030";
        case 950:
            return "BIG5";
        case 65001:
            return "UTF-8";
        case 10000:
            return known("MACINTOSH");
        case 10007:
            return known("MAC-CYRILLIC");
        case 10029:
            return known("MAC-CENTRALEUROPE");
        default:
            break;
    }
    // Windows' ISO 8859 code pages: 28591 is ISO-8859-1 … 28605 is ISO-8859-15.
    if (cp >= 28591 && cp <= 28605) return known("ISO-8859-" + std::to_string(cp - 28590));
    return known("CP" + std::to_string(cp));
}

/// ISO-8859-n from the spellings writers use: "88591", "8859_1", "ISO8859-1", "ISO_8859-1".
std::optional<std::string> iso_8859(std::string_view upper) {
    const auto skip_separator = [](std::string_view s) {
        if (s.starts_with('-') || s.starts_with('_')) s.remove_prefix(1);
        return s;
    };
    std::string_view rest = upper;
    if (rest.starts_with("ISO")) rest = skip_separator(rest.substr(3));
    if (!rest.starts_with("8859")) return std::nullopt;
    rest = skip_separator(rest.substr(4));
    if (!all_digits(rest) || rest.size() > 2) return std::nullopt;
    return known("ISO-8859-" + std::string(rest));
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) noexcept {
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto lead = static_cast<unsigned char>(bytes[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = sequence_length(lead);
        if (length == 0 || bytes.size() - i < length) return false;
        const auto [low, high] = second_byte_range(lead);
        const auto second = static_cast<unsigned char>(bytes[i + 1]);
        if (second < low || second > high) return false;
        for (std::size_t k = 2; k < length; ++k) {
            if (!is_continuation(static_cast<unsigned char>(bytes[i + k]))) return false;
        }
        i += length;
    }
    return true;
}

std::string printable(std::string_view bytes, std::size_t max_bytes) {
    std::string out;
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto lead = static_cast<unsigned char>(bytes[i]);
        std::size_t length = lead < 0x80 ? 1 : sequence_length(lead);
        if (length > 1 && (bytes.size() - i < length || !is_valid_utf8(bytes.substr(i, length)))) {
            length = 0;
        }
        std::string piece;
        if (length == 0 || lead < 0x20 || lead == 0x7F) {
            static constexpr char k_hex[] = "0123456789ABCDEF";
            piece = {'\\', 'x', k_hex[lead >> 4], k_hex[lead & 0xF]};
            length = 1;
        } else {
            piece = bytes.substr(i, length);
        }
        if (out.size() + piece.size() > max_bytes) {
            out += "…";
            break;
        }
        out += piece;
        i += length;
    }
    return out;
}

std::string trim_cut_utf8(std::string_view bytes) {
    // A cut sequence has at most 3 of its bytes left: look back that far for its lead.
    const std::size_t lookback = std::min<std::size_t>(bytes.size(), 3);
    for (std::size_t back = 1; back <= lookback; ++back) {
        const std::size_t start = bytes.size() - back;
        const auto c = static_cast<unsigned char>(bytes[start]);
        if (is_continuation(c)) continue;
        // Only text that is UTF-8 up to the cut was cut as UTF-8: GBK "陆家嘴" ends in EC,
        // which would start a UTF-8 sequence too.
        if (is_valid_prefix(bytes.substr(start)) && is_valid_utf8(bytes.substr(0, start))) {
            return std::string(bytes.substr(0, start));
        }
        break;
    }
    return std::string(bytes);
}

std::optional<std::string> canonical_encoding(std::string_view name) {
    std::string upper = upper_ascii(trim(name));
    if (upper.empty() || upper.size() > 64) return std::nullopt;
    // GDAL's shapefile driver spells a DBF language driver id "LDID/77".
    if (upper.starts_with("LDID/")) {
        const std::string_view id = std::string_view(upper).substr(5);
        if (!all_digits(id) || id.size() > 3) return std::nullopt;
        const int value = std::stoi(std::string(id));
        if (value > 255) return std::nullopt;
        return encoding_from_ldid(static_cast<unsigned char>(value));
    }
    // iconv reads "//TRANSLIT" and similar suffixes as options, and a user's name must
    // not switch them on.
    const bool plain = std::all_of(upper.begin(), upper.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.' || c == ':' || c == ' ';
    });
    if (!plain) return std::nullopt;

    // ESRI writes "ANSI 1252".
    if (upper.starts_with("ANSI ")) upper = std::string(trim(std::string_view(upper).substr(5)));
    if (upper.starts_with("CP") && all_digits(std::string_view(upper).substr(2))) {
        upper = upper.substr(2);
    } else if (upper.starts_with("WINDOWS-") && all_digits(std::string_view(upper).substr(8))) {
        upper = upper.substr(8);
    }
    if (all_digits(upper) && !upper.starts_with("8859")) {
        if (upper.size() > 5) return std::nullopt;
        return from_code_page(std::stoi(upper));
    }
    if (auto iso = iso_8859(upper)) return iso;

    if (upper == "GBK" || upper == "GB2312" || upper == "GB18030" || upper == "EUC-CN" ||
        upper == "EUCCN" || upper == "GB_2312-80" || upper == "MS936" || upper == "CSGB2312") {
        return "GB18030";
    }
    if (upper == "UTF-8" || upper == "UTF8" || upper == "UTF_8") return "UTF-8";
    if (upper == "BIG5" || upper == "BIG-5" || upper == "CSBIG5") return "BIG5";
    if (upper == "LATIN1" || upper == "LATIN-1" || upper == "L1") return "ISO-8859-1";
    if (upper == "ANSI") return std::nullopt;  // the writer's system code page: unknown here
    return known(upper);
}

std::optional<std::string> encoding_from_cpg(std::string_view cpg_contents) {
    if (cpg_contents.starts_with(utf8_bom)) cpg_contents.remove_prefix(utf8_bom.size());
    cpg_contents = trim(cpg_contents);
    // Some writers pad the file with NULs or add a second line; the first line counts.
    const std::size_t end = cpg_contents.find_first_of(std::string_view("\r\n\0", 3));
    if (end != std::string_view::npos) cpg_contents = trim(cpg_contents.substr(0, end));
    return canonical_encoding(cpg_contents);
}

std::optional<std::string> encoding_from_ldid(unsigned char ldid) {
    // The dBASE / ArcGIS language driver table, as GDAL's shapefile driver reads it.
    // 0x57 ("ANSI") names the writer's system code page, which the file does not record.
    struct Entry {
        unsigned char ldid;
        int code_page;
    };
    static constexpr Entry table[] = {
        {0x01, 437},   {0x02, 850},   {0x03, 1252}, {0x04, 10000}, {0x08, 865},  {0x09, 437},
        {0x0A, 850},   {0x0B, 437},   {0x0D, 437},  {0x0E, 850},   {0x0F, 437},  {0x10, 850},
        {0x11, 437},   {0x12, 850},   {0x13, 932},  {0x14, 850},   {0x15, 437},  {0x16, 850},
        {0x17, 865},   {0x18, 437},   {0x19, 437},  {0x1A, 850},   {0x1B, 437},  {0x1C, 863},
        {0x1D, 850},   {0x1F, 852},   {0x22, 852},  {0x23, 852},   {0x24, 860},  {0x25, 850},
        {0x26, 866},   {0x37, 850},   {0x40, 852},  {0x4D, 936},   {0x4E, 949},  {0x4F, 950},
        {0x50, 874},   {0x58, 1252},  {0x59, 1252}, {0x64, 852},   {0x65, 866},  {0x66, 865},
        {0x67, 861},   {0x6A, 737},   {0x6B, 857},  {0x6C, 863},   {0x78, 950},  {0x79, 949},
        {0x7A, 936},   {0x7B, 932},   {0x7C, 874},  {0x86, 737},   {0x87, 852},  {0x88, 857},
        {0x96, 10007}, {0x97, 10029}, {0xC8, 1250}, {0xC9, 1251},  {0xCA, 1254}, {0xCB, 1253},
        {0xCC, 1257},
    };
    const auto it = std::ranges::find(table, ldid, &Entry::ldid);
    if (it == std::end(table)) return std::nullopt;
    return from_code_page(it->code_page);
}

Decoder::Decoder(const std::string& encoding) : m_encoding(encoding), m_cd(invalid_cd) {
    if (m_encoding == "UTF-8" || m_encoding == "UTF8") return;
    if (m_encoding.find('/') != std::string::npos ||
        (m_cd = iconv_open("UTF-8", m_encoding.c_str())) == invalid_cd) {
        throw Error(Errc::invalid_argument,
                    "unknown text encoding '" + m_encoding +
                        "': give a code page such as GBK, CP936, UTF-8 or CP1252");
    }
}

Decoder::~Decoder() {
    if (m_cd != invalid_cd) iconv_close(m_cd);
}

std::optional<std::string> Decoder::decode(std::string_view bytes) {
    if (m_cd == invalid_cd) {
        if (!is_valid_utf8(bytes)) return std::nullopt;
        return std::string(bytes);
    }
    iconv(m_cd, nullptr, nullptr, nullptr, nullptr);  // forget state left by a failed call

    std::string out;
    out.reserve(bytes.size() + bytes.size() / 2);
    // glibc's iconv takes char** for the input but never writes through it.
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    std::array<char, 4096> chunk;
    bool flushing = false;
    while (true) {
        char* dst = chunk.data();
        std::size_t dst_left = chunk.size();
        const std::size_t rc = flushing ? iconv(m_cd, nullptr, nullptr, &dst, &dst_left)
                                        : iconv(m_cd, &in, &in_left, &dst, &dst_left);
        const int err = errno;
        out.append(chunk.data(), chunk.size() - dst_left);
        if (rc != static_cast<std::size_t>(-1)) {
            if (flushing) break;
            flushing = true;  // emit what a stateful encoding still holds
            continue;
        }
        if (err != E2BIG) return std::nullopt;  // EILSEQ: invalid; EINVAL: cut at the end
    }
    return out;
}

Detected detect_encoding(std::span<const std::string> samples) {
    if (std::all_of(samples.begin(), samples.end(),
                    [](const std::string& s) { return is_valid_utf8(s); })) {
        return {"UTF-8", true};
    }

    Decoder gb18030("GB18030");
    std::size_t non_ascii = 0;
    std::size_t cjk = 0;
    std::size_t double_byte = 0;
    std::size_t gb2312_area = 0;
    bool all_decode = true;
    for (const std::string& sample : samples) {
        const std::optional<std::string> text = gb18030.decode(sample);
        if (!text) {
            all_decode = false;
            break;
        }
        for_each_code_point(*text, [&](char32_t cp) {
            if (cp < 0x80) return;
            ++non_ascii;
            if (is_cjk(cp)) ++cjk;
        });
        // Latin-1 text decodes as GBK too when each accented letter is followed by an
        // ASCII letter ("Crème" → E8 6D), and lands on rare ideographs whose second byte
        // is below 0x80. Chinese text is mostly in the GB2312 area, both bytes ≥ 0xA1.
        for (std::size_t i = 0; i < sample.size();) {
            const auto lead = static_cast<unsigned char>(sample[i]);
            if (lead < 0x80) {
                ++i;
                continue;
            }
            const auto next = i + 1 < sample.size() ? static_cast<unsigned char>(sample[i + 1]) : 0;
            if (next >= 0x30 && next <= 0x39) {  // four-byte sequence
                i += 4;
                continue;
            }
            ++double_byte;
            if (lead >= 0xA1 && lead <= 0xF7 && next >= 0xA1 && next <= 0xFE) ++gb2312_area;
            i += 2;
        }
    }
    if (all_decode && non_ascii > 0 && cjk * 2 >= non_ascii && gb2312_area * 2 >= double_byte) {
        return {"GB18030", true};
    }

    // The five bytes CP1252 leaves undefined; ISO-8859-1 maps them to C1 controls.
    const auto undefined_in_cp1252 = [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D;
    };
    const bool cp1252 = std::none_of(samples.begin(), samples.end(), [&](const std::string& s) {
        return std::any_of(s.begin(), s.end(), undefined_in_cp1252);
    });
    return {cp1252 ? "CP1252" : "ISO-8859-1", false};
}

}  // namespace geo::text
