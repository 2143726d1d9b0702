#include "geo/io/csv.hpp"

#include <array>
#include <cmath>

namespace geo::io {

bool starts_like_formula(std::string_view text) noexcept {
    if (text.empty()) return false;
    switch (text.front()) {
        case '=':
        case '+':
        case '-':
        case '@':
        case '\t':
        case '\r':
            return true;
        default:
            break;
    }
    // Excel and WPS in Chinese locales take a full-width ＝ (typed with a Chinese IME) as the
    // start of a formula too, and the others are its siblings: all are EF BC xx in UTF-8.
    static constexpr std::array<std::string_view, 4> k_full_width = {"\xEF\xBC\x9D", "\xEF\xBC\x8B",
                                                                     "\xEF\xBC\x8D", "\xEF\xBC\xA0"};
    for (auto prefix : k_full_width) {
        if (text.starts_with(prefix)) return true;
    }
    return false;
}

void CsvWriter::separate() {
    if (m_row_has_cells) m_text += ',';
    m_row_has_cells = true;
}

CsvWriter& CsvWriter::cell(std::string_view text) {
    separate();
    // The quote makes the spreadsheet show the cell as text (OWASP "CSV Injection"); it goes
    // inside the RFC 4180 quotes, where the spreadsheet still sees it as the first character.
    const bool guard = starts_like_formula(text);
    const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos;
    if (quote) m_text += '"';
    if (guard) m_text += '\'';
    for (char c : text) {
        if (c == '"') m_text += '"';
        m_text += c;
    }
    if (quote) m_text += '"';
    return *this;
}

CsvWriter& CsvWriter::number(std::string_view text) {
    separate();
    m_text += text;
    return *this;
}

CsvWriter& CsvWriter::cell(double x, int significant_digits) {
    if (!std::isfinite(x)) return number({});
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, significant_digits);
    return number(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

CsvWriter& CsvWriter::cell_fixed(double x, int decimals) {
    if (!std::isfinite(x)) return number({});
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, decimals);
    // Beyond 64 characters (|x| ≥ 1e60 or so) fixed notation is no use to anyone.
    if (r.ec != std::errc{}) return cell(x);
    return number(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

CsvWriter& CsvWriter::cell(const Value& v) {
    return std::visit(
        [this](const auto& x) -> CsvWriter& {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return number({});
            } else {
                return cell(x);
            }
        },
        v);
}

CsvWriter& CsvWriter::end_row() {
    m_text += "\r\n";
    m_row_has_cells = false;
    if (m_out) {
        *m_out << m_text;
        m_text.clear();
    }
    return *this;
}

CsvWriter& CsvWriter::row(std::initializer_list<std::string_view> texts) {
    for (auto t : texts) cell(t);
    return end_row();
}

}  // namespace geo::io
