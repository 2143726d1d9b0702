#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace geo::text {

/// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes) noexcept;

/// `bytes` as an error message may quote what a user sent: well-formed UTF-8 is kept, any
/// other byte and every ASCII control character is written as \xHH, and what would make the
/// result longer than `max_bytes` bytes is cut, at a character boundary, and ends in "…".
/// The result is valid UTF-8 without NUL or any other ASCII control character.
std::string printable(std::string_view bytes, std::size_t max_bytes = 64);

/// Drops a multi-byte UTF-8 sequence cut off at the end of `bytes` (DBF field names are
/// cut at 10 bytes, often in the middle of a Chinese character). Other bytes stay as they are.
std::string trim_cut_utf8(std::string_view bytes);

/// The iconv name Gridmap uses for an encoding given by a user, a .cpg file or a code page:
/// "936", "CP936", "GBK", "GB2312", "GB18030" → "GB18030" (a superset that decodes all of them);
/// "UTF-8", "UTF8", "65001" → "UTF-8"; "1252", "CP1252", "ANSI 1252" → "CP1252";
/// "8859_1", "ISO-8859-1", "latin1" → "ISO-8859-1"; "950", "BIG5" → "BIG5"; other names are
/// returned upper-cased if iconv knows them. nullopt when iconv does not know the name.
std::optional<std::string> canonical_encoding(std::string_view name);

/// The encoding named by a .cpg file's contents (whitespace and a BOM ignored), or nullopt.
std::optional<std::string> encoding_from_cpg(std::string_view cpg_contents);

/// The encoding named by a DBF header's language driver id (byte 29), or nullopt when the
/// byte tells nothing: 0 (no marker) and 0x57 ("ANSI", the system code page) say nothing.
/// 0x4D, 0x7A → GB18030 (ArcGIS 936); 0x03 → CP1252; 0x01 → CP437; 0x4F → BIG5; …
std::optional<std::string> encoding_from_ldid(unsigned char ldid);

/// Converts text from one encoding to UTF-8. Owns an iconv descriptor; one per thread.
class Decoder {
public:
    /// `encoding` is a canonical name (see canonical_encoding). Throws geo::Error
    /// (invalid_argument) when iconv does not know it.
    explicit Decoder(const std::string& encoding);
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    /// The UTF-8 text, or nullopt when `bytes` is not valid in the encoding. A UTF-8
    /// decoder validates instead of converting.
    std::optional<std::string> decode(std::string_view bytes);
    const std::string& encoding() const noexcept { return m_encoding; }

private:
    std::string m_encoding;
    void* m_cd;  // iconv_t
};

/// What detection concluded from a file's text.
struct Detected {
    std::string encoding;  ///< canonical name
    bool certain;          ///< false when this is a best guess the user should confirm
};

/// Picks the encoding of attribute text that carries no marker, from samples of its raw
/// bytes: all valid UTF-8 (ASCII included) → UTF-8, certain; otherwise all decode as GB18030
/// and the non-ASCII text is mostly CJK → GB18030, certain; otherwise CP1252 where every
/// byte is defined in it, else ISO-8859-1, both uncertain.
Detected detect_encoding(std::span<const std::string> samples);

}  // namespace geo::text
