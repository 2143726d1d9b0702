#pragma once

// The one CSV writer: every CSV Gridmap writes (export, coverage, load, siting, norms, circles)
// goes through it, so that quoting and the formula guard cannot drift apart between them.

#include <charconv>
#include <concepts>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>

#include "geo/types.hpp"

namespace geo::io {

/// Writes CSV row by row: RFC 4180, UTF-8 without BOM, CRLF after every row.
///
/// Text cells are data (attribute values, names, field names): one that a spreadsheet would
/// run as a formula (see starts_like_formula) is written with a leading `'`, which Excel, WPS
/// and LibreOffice show as text; then it is quoted when it holds `,`, `"`, CR or LF. Numbers
/// written through the numeric overloads are never prefixed: -3.5 stays a number.
///
/// Writing to a stream, each row is written when it ends; cells after the last end_row() are
/// not written.
class CsvWriter {
public:
    /// Collects the rows in a string (str()).
    CsvWriter() = default;
    /// Writes each row to `out` when it ends; `out` must outlive the writer.
    explicit CsvWriter(std::ostream& out) : m_out(&out) {}

    /// A text cell, guarded and quoted as needed. Any bytes; UTF-8 is written as it is.
    CsvWriter& cell(std::string_view text);
    CsvWriter& cell(const char* text) { return cell(std::string_view(text)); }
    CsvWriter& cell(const std::string& text) { return cell(std::string_view(text)); }
    /// A whole number in decimal.
    template <std::integral T>
        requires(!std::same_as<T, bool> && !std::same_as<T, char>)
    CsvWriter& cell(T n) {
        char buf[24];
        const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
        return number(std::string_view(buf, static_cast<std::size_t>(end - buf)));
    }
    /// A real number with at most `significant_digits` significant digits (printf %g, without
    /// the locale); an empty cell when it is not finite. 15 digits is all a spreadsheet keeps.
    CsvWriter& cell(double x, int significant_digits = 15);
    /// An attribute value: null → empty cell, text as cell(text), numbers as numbers.
    CsvWriter& cell(const Value& v);
    /// Booleans have no CSV form of their own: write "true"/"false" (or 1/0) on purpose.
    CsvWriter& cell(bool) = delete;
    /// A real number with exactly `decimals` decimals; an empty cell when it is not finite.
    CsvWriter& cell_fixed(double x, int decimals);

    /// Ends the row (CRLF). A row with no cells is an empty line.
    CsvWriter& end_row();
    /// A whole row of text cells, e.g. the header.
    CsvWriter& row(std::initializer_list<std::string_view> texts);

    /// The rows written so far when collecting in a string; empty when writing to a stream.
    const std::string& str() const noexcept { return m_text; }

private:
    CsvWriter& number(std::string_view text);
    void separate();

    std::ostream* m_out = nullptr;
    std::string m_text;  // everything (string) or the current row (stream)
    bool m_row_has_cells = false;
};

/// Whether a spreadsheet could take `text` for a formula: it starts with `=`, `+`, `-`, `@`,
/// tab or CR (OWASP's list), or with the full-width ＝ ＋ － ＠ (U+FF1D, U+FF0B, U+FF0D, U+FF20).
bool starts_like_formula(std::string_view text) noexcept;

}  // namespace geo::io
