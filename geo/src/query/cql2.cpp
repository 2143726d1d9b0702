#include "geo/query/cql2.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "geo/error.hpp"

namespace geo::query {

namespace {

// The parser recurses once per level; whatever a caller configures, the stack stays small.
constexpr int hard_max_depth = 100;

bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

/// Decodes the code point at `s[i]`; returns its length in bytes, 0 when the bytes there are
/// not well-formed UTF-8 (overlong, surrogate, above U+10FFFF or cut off).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) noexcept {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t length = 0;
    char32_t min = 0;
    if (lead < 0x80) {
        cp = lead;
        return 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        cp = lead & 0x1F;
        min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        cp = lead & 0x0F;
        min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        cp = lead & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() - i < length) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if (!is_continuation(c)) return 0;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return length;
}

// CQL2's whitespace production.
bool is_whitespace(char32_t cp) noexcept {
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

bool is_ascii_letter(char32_t cp) noexcept {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}
bool is_digit(char32_t cp) noexcept { return cp >= '0' && cp <= '9'; }

// Non-ASCII letters are too many to list; instead the punctuation a Chinese input method
// types (full-width brackets, commas, quotes) is kept out, so that `名称＝'x'` is an error
// at the '＝' rather than a property named "名称＝".
bool is_identifier_codepoint(char32_t cp) noexcept {
    if (cp < 0x80) return is_ascii_letter(cp) || cp == '_' || cp == ':';
    if (is_whitespace(cp)) return false;
    if (cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
    if (cp == 0xD7 || cp == 0xF7) return false;
    if (cp >= 0x2000 && cp <= 0x206F) return false;
    if (cp >= 0x3000 && cp <= 0x3003) return false;
    if (cp >= 0x3008 && cp <= 0x3011) return false;
    if (cp >= 0x3014 && cp <= 0x301F) return false;
    if (cp >= 0xFE10 && cp <= 0xFE1F) return false;
    if (cp >= 0xFE30 && cp <= 0xFE6F) return false;
    if (cp >= 0xFF01 && cp <= 0xFF0F) return false;
    if (cp >= 0xFF1A && cp <= 0xFF20) return false;
    if (cp >= 0xFF3B && cp <= 0xFF40) return false;
    if (cp >= 0xFF5B && cp <= 0xFF65) return false;
    return cp != 0xFEFF;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

enum class Tok { end, identifier, quoted_identifier, string, number, lparen, rparen, comma, op };

struct Token {
    Tok kind = Tok::end;
    std::size_t offset = 0;  // byte offset of the first character
    std::string text;        // decoded name or string; source text of a number or operator
    Literal number;
};

class Lexer {
  public:
    explicit Lexer(std::string_view text) : m_text(text) {}

    std::vector<Token> tokens() {
        std::vector<Token> out;
        while (true) {
            skip_whitespace();
            if (m_pos >= m_text.size()) break;
            out.push_back(next());
        }
        Token end;
        end.offset = m_text.size();
        out.push_back(std::move(end));
        return out;
    }

  private:
    [[noreturn]] void fail(std::size_t offset, const std::string& what) const;

    char32_t peek_codepoint(std::size_t at, std::size_t& length) const {
        char32_t cp = 0;
        length = decode_utf8(m_text, at, cp);
        if (length == 0) fail(at, "the text is not valid UTF-8");
        return cp;
    }

    void skip_whitespace() {
        while (m_pos < m_text.size()) {
            std::size_t length = 0;
            const char32_t cp = peek_codepoint(m_pos, length);
            if (!is_whitespace(cp)) return;
            m_pos += length;
        }
    }

    char at(std::size_t i) const { return i < m_text.size() ? m_text[i] : '\0'; }

    Token next() {
        Token t;
        t.offset = m_pos;
        const char c = m_text[m_pos];
        switch (c) {
            case '(':
                t.kind = Tok::lparen;
                break;
            case ')':
                t.kind = Tok::rparen;
                break;
            case ',':
                t.kind = Tok::comma;
                break;
            case '=':
                t.kind = Tok::op;
                break;
            case '<':
                t.kind = Tok::op;
                if (at(m_pos + 1) == '=' || at(m_pos + 1) == '>') t.text = m_text.substr(m_pos, 2);
                break;
            case '>':
                t.kind = Tok::op;
                if (at(m_pos + 1) == '=') t.text = m_text.substr(m_pos, 2);
                break;
            case '!':
                if (at(m_pos + 1) == '=')
                    fail(m_pos, "'!=' is not CQL2; write '<>' for \"not equal\"");
                fail(m_pos, "unexpected character '!'");
            case '\'':
                return quoted(Tok::string, '\'');
            case '"':
                return quoted(Tok::quoted_identifier, '"');
            default:
                break;
        }
        if (t.kind != Tok::end) {
            if (t.text.empty()) t.text = std::string(1, c);
            m_pos += t.text.size();
            return t;
        }
        const auto digit_at = [&](std::size_t i) {
            return is_digit(static_cast<unsigned char>(at(i)));
        };
        if (digit_at(m_pos) || (c == '.' && digit_at(m_pos + 1)) ||
            ((c == '-' || c == '+') &&
             (digit_at(m_pos + 1) || (at(m_pos + 1) == '.' && digit_at(m_pos + 2))))) {
            return number();
        }
        std::size_t length = 0;
        const char32_t cp = peek_codepoint(m_pos, length);
        if (is_identifier_codepoint(cp)) return identifier();
        std::string what =
            "unexpected character '" + std::string(m_text.substr(m_pos, length)) + "'";
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            // Full-width forms of ASCII punctuation, as a Chinese input method types them.
            what += " (a full-width character; use '" +
                    std::string(1, static_cast<char>(cp - 0xFEE0)) + "')";
        } else if (cp < 0x20 || cp == 0x7F) {
            what = "unexpected control character";
        }
        fail(m_pos, what);
    }

    Token quoted(Tok kind, char quote) {
        Token t;
        t.kind = kind;
        t.offset = m_pos;
        std::size_t i = m_pos + 1;
        while (true) {
            if (i >= m_text.size()) {
                fail(m_pos, kind == Tok::string
                                ? "text value is not closed (missing ')"
                                : "quoted property name is not closed (missing \")");
            }
            if (m_text[i] == quote) {
                if (at(i + 1) != quote) break;
                t.text += quote;
                i += 2;
                continue;
            }
            std::size_t length = 0;
            const char32_t cp = peek_codepoint(i, length);
            if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F) {
                fail(i, "control character in quoted text");
            }
            t.text.append(m_text.substr(i, length));
            i += length;
        }
        m_pos = i + 1;
        if (kind == Tok::quoted_identifier && t.text.empty())
            fail(t.offset, "empty property name \"\"");
        return t;
    }

    Token number() {
        Token t;
        t.kind = Tok::number;
        t.offset = m_pos;
        std::size_t i = m_pos;
        if (m_text[i] == '-' || m_text[i] == '+') ++i;
        const auto digits = [&] {
            while (is_digit(static_cast<unsigned char>(at(i)))) ++i;
        };
        digits();
        bool integral = true;
        if (at(i) == '.') {
            integral = false;
            ++i;
            digits();
        }
        if (at(i) == 'e' || at(i) == 'E') {
            std::size_t j = i + 1;
            if (at(j) == '+' || at(j) == '-') ++j;
            if (is_digit(static_cast<unsigned char>(at(j)))) {
                integral = false;
                i = j;
                digits();
            }
        }
        const unsigned char after = static_cast<unsigned char>(at(i));
        if (is_ascii_letter(after) || is_digit(after) || after == '_' || after == '.' ||
            after >= 0x80) {
            // The message quotes the rest of the word, up to anything that is not printable
            // UTF-8: a message carrying raw bytes or a NUL would lose its position.
            std::size_t end = i;
            while (end < m_text.size() &&
                   std::string_view("(),=<>'\"").find(m_text[end]) == std::string_view::npos) {
                char32_t cp = 0;
                const std::size_t length = decode_utf8(m_text, end, cp);
                if (length == 0 || cp < 0x20 || cp == 0x7F || is_whitespace(cp)) break;
                end += length;
            }
            fail(m_pos,
                 "malformed number '" + std::string(m_text.substr(m_pos, end - m_pos)) + "'");
        }
        t.text = std::string(m_text.substr(m_pos, i - m_pos));
        // from_chars takes no leading '+'.
        const std::size_t skip = t.text[0] == '+' ? 1 : 0;
        const char* first = t.text.data() + skip;
        const char* last = t.text.data() + t.text.size();
        if (integral) {
            std::int64_t v = 0;
            const auto [ptr, ec] = std::from_chars(first, last, v);
            if (ec == std::errc() && ptr == last) {
                t.number = v;
                m_pos = i;
                return t;
            }
        }
        double d = 0;
        const auto [ptr, ec] = std::from_chars(first, last, d);
        if (ec != std::errc() || ptr != last || !std::isfinite(d)) {
            fail(m_pos, "number '" + t.text + "' is out of range");
        }
        t.number = d;
        m_pos = i;
        return t;
    }

    Token identifier() {
        Token t;
        t.kind = Tok::identifier;
        t.offset = m_pos;
        std::size_t i = m_pos;
        while (i < m_text.size()) {
            std::size_t length = 0;
            const char32_t cp = peek_codepoint(i, length);
            if (!is_identifier_codepoint(cp) && !is_digit(cp) && cp != '.') break;
            i += length;
        }
        t.text = std::string(m_text.substr(m_pos, i - m_pos));
        m_pos = i;
        return t;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
};

/// 1-based position of a byte offset, counted in code points so that it matches what a
/// person counts in an editor, Chinese text included.
std::size_t character_position(std::string_view text, std::size_t offset) {
    std::size_t n = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (!is_continuation(static_cast<unsigned char>(text[i]))) ++n;
    }
    return n;
}

[[noreturn]] void fail_at(std::string_view text, std::size_t offset, const std::string& what,
                          const std::string& tail = {}) {
    throw Error(Errc::invalid_argument, "filter: " + what + " at position " +
                                            std::to_string(character_position(text, offset)) +
                                            tail);
}

void Lexer::fail(std::size_t offset, const std::string& what) const {
    fail_at(m_text, offset, what);
}

// Shortest text that reads back to `v`; plain decimals (never "5e+05") below 1e17, which
// covers every coordinate, so that any WKT reader takes them.
std::string format_number(double v) {
    std::array<char, 512> buf{};
    const auto format = std::abs(v) < 1e17 ? std::chars_format::fixed : std::chars_format::general;
    const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, format);
    return std::string(buf.data(), ec == std::errc() ? ptr : buf.data());
}

bool is_reserved(std::string_view word) {
    static constexpr std::array<std::string_view, 10> reserved = {
        "AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE"};
    return std::any_of(reserved.begin(), reserved.end(),
                       [&](std::string_view r) { return iequals(r, word); });
}

CompareOp mirrored(CompareOp op) {
    switch (op) {
        case CompareOp::lt:
            return CompareOp::gt;
        case CompareOp::le:
            return CompareOp::ge;
        case CompareOp::gt:
            return CompareOp::lt;
        case CompareOp::ge:
            return CompareOp::le;
        default:
            return op;
    }
}

std::string_view op_text(CompareOp op) {
    switch (op) {
        case CompareOp::eq:
            return "=";
        case CompareOp::ne:
            return "<>";
        case CompareOp::lt:
            return "<";
        case CompareOp::le:
            return "<=";
        case CompareOp::gt:
            return ">";
        case CompareOp::ge:
            return ">=";
    }
    return "=";
}

class Parser {
  public:
    Parser(std::string_view text, const Cql2Limits& limits)
        : m_text(text),
          m_limits(limits),
          m_max_depth(std::min(limits.max_depth, hard_max_depth)),
          m_tokens(Lexer(text).tokens()) {}

    Expr parse() {
        if (peek().kind == Tok::end) fail(peek(), "the filter is empty");
        Expr e = parse_or();
        if (peek().kind != Tok::end) {
            if (peek().kind == Tok::rparen) fail(peek(), "unmatched ')'");
            fail_expected(peek(), "expected AND, OR or the end of the filter");
        }
        return e;
    }

  private:
    // Counts a level of nesting for as long as it lives.
    class Nesting {
      public:
        Nesting(Parser& p, const Token& at) : m_p(p) {
            if (++m_p.m_depth > m_p.m_max_depth) {
                m_p.fail(at, "the filter is nested too deeply (more than " +
                                 std::to_string(m_p.m_max_depth) +
                                 " levels of parentheses and NOT)");
            }
        }
        ~Nesting() { --m_p.m_depth; }
        Nesting(const Nesting&) = delete;
        Nesting& operator=(const Nesting&) = delete;

      private:
        Parser& m_p;
    };

    const Token& peek(std::size_t ahead = 0) const {
        return m_tokens[std::min(m_index + ahead, m_tokens.size() - 1)];
    }
    const Token& take() {
        const Token& t = m_tokens[m_index];
        if (m_index + 1 < m_tokens.size()) ++m_index;
        return t;
    }
    bool is_keyword(const Token& t, std::string_view word) const {
        return t.kind == Tok::identifier && iequals(t.text, word);
    }
    bool accept_keyword(std::string_view word) {
        if (!is_keyword(peek(), word)) return false;
        take();
        return true;
    }

    std::string describe(const Token& t) const {
        switch (t.kind) {
            case Tok::end:
                return "the end of the filter";
            case Tok::string: {
                std::string s = t.text;
                if (s.size() > 40) {
                    std::size_t cut = 40;
                    while (cut > 0 && is_continuation(static_cast<unsigned char>(s[cut]))) --cut;
                    s = s.substr(0, cut) + "…";
                }
                return "'" + s + "'";
            }
            case Tok::quoted_identifier:
                return "\"" + t.text + "\"";
            default:
                return "'" + t.text + "'";
        }
    }

    [[noreturn]] void fail(const Token& t, const std::string& what) const {
        fail_at(m_text, t.offset, what);
    }
    // For errors about what was found: the position, then what is there.
    [[noreturn]] void fail_expected(const Token& t, const std::string& expected) const {
        fail_at(m_text, t.offset, expected,
                t.kind == Tok::end ? ", where the filter ends" : ", found " + describe(t));
    }

    void expect(Tok kind, std::string_view what, std::string_view context) {
        if (peek().kind != kind)
            fail_expected(peek(), "expected " + std::string(what) + std::string(context));
        take();
    }

    void count_term(const Token& at) {
        if (++m_terms > m_limits.max_terms) {
            fail(at, "the filter has too many conditions (more than " +
                         std::to_string(m_limits.max_terms) + ")");
        }
    }

    Expr parse_or() {
        Expr first = parse_and();
        if (!is_keyword(peek(), "OR")) return first;
        Or node;
        node.terms.push_back(std::move(first));
        while (accept_keyword("OR")) node.terms.push_back(parse_and());
        return Expr{std::move(node)};
    }

    Expr parse_and() {
        Expr first = parse_not();
        if (!is_keyword(peek(), "AND")) return first;
        And node;
        node.terms.push_back(std::move(first));
        while (accept_keyword("AND")) node.terms.push_back(parse_not());
        return Expr{std::move(node)};
    }

    Expr parse_not() {
        if (!is_keyword(peek(), "NOT")) return parse_primary();
        Nesting level(*this, take());
        return Expr{Not{std::make_unique<Expr>(parse_not())}};
    }

    Expr parse_primary() {
        const Token& t = peek();
        if (t.kind == Tok::lparen) {
            Nesting level(*this, take());
            Expr e = parse_or();
            if (peek().kind == Tok::end) fail(t, "'(' is never closed");
            if (peek().kind != Tok::rparen) fail_expected(peek(), "expected AND, OR or ')'");
            take();
            return e;
        }
        if (t.kind == Tok::identifier && peek(1).kind == Tok::lparen && !is_reserved(t.text)) {
            if (iequals(t.text, "S_INTERSECTS")) return parse_intersects();
            fail(t,
                 "function '" + t.text + "' is not supported (spatial filters use S_INTERSECTS)");
        }
        return parse_predicate();
    }

    bool is_property(const Token& t) const {
        return t.kind == Tok::quoted_identifier ||
               (t.kind == Tok::identifier && !is_reserved(t.text));
    }
    bool is_literal(const Token& t) const {
        return t.kind == Tok::string || t.kind == Tok::number || is_keyword(t, "TRUE") ||
               is_keyword(t, "FALSE");
    }

    Literal take_literal() {
        const Token& t = take();
        if (t.kind == Tok::string) return t.text;
        if (t.kind == Tok::number) return t.number;
        return is_keyword(t, "TRUE");
    }

    // A value where one is required; `after` names what came before, for the message.
    Literal expect_literal(std::string_view after) {
        const Token& t = peek();
        if (is_literal(t)) return take_literal();
        std::string what = "expected a value after " + std::string(after);
        if (is_keyword(t, "NULL")) {
            what += " (test for missing values with IS NULL)";
        } else if (t.kind == Tok::quoted_identifier) {
            what += " (text values take single quotes: '" + t.text + "')";
        }
        fail_expected(t, what);
    }

    Expr parse_predicate() {
        const Token& first = peek();
        if (is_literal(first)) return parse_reversed_comparison();
        if (!is_property(first)) {
            fail_expected(first, "expected a condition such as name = 'x'");
        }
        count_term(first);
        std::string property = take().text;
        const Token& t = peek();
        if (t.kind == Tok::op) {
            take();
            const CompareOp op = to_op(t.text);
            const std::string after = "'" + t.text + "'";
            if (is_property(peek())) {
                std::string what = "comparing two properties is not supported; compare " +
                                   property + " with a value";
                if (peek().kind == Tok::quoted_identifier) {
                    what = "expected a value after " + after +
                           " (text values take single quotes: '" + peek().text + "')";
                }
                fail_expected(peek(), what);
            }
            return Expr{Comparison{std::move(property), op, expect_literal(after)}};
        }
        const bool negated = accept_keyword("NOT");
        const Token& keyword = peek();
        if (accept_keyword("LIKE")) {
            if (peek().kind != Tok::string)
                fail_expected(peek(), "expected a text pattern in single quotes after LIKE");
            return Expr{Like{std::move(property), take().text, negated}};
        }
        if (accept_keyword("IN")) return parse_in(std::move(property), negated);
        if (accept_keyword("BETWEEN")) {
            Literal low = expect_literal("BETWEEN");
            if (!accept_keyword("AND"))
                fail_expected(peek(), "expected AND between the two values of BETWEEN");
            Literal high = expect_literal("BETWEEN … AND");
            return Expr{Between{std::move(property), std::move(low), std::move(high), negated}};
        }
        if (!negated && accept_keyword("IS")) {
            const bool is_not = accept_keyword("NOT");
            if (!accept_keyword("NULL"))
                fail_expected(peek(), is_not ? "expected NULL after IS NOT"
                                             : "expected NULL or NOT NULL after IS");
            return Expr{IsNull{std::move(property), is_not}};
        }
        if (negated) fail_expected(keyword, "expected LIKE, IN or BETWEEN after NOT");
        fail_expected(keyword,
                      "expected an operator (=, <>, <, <=, >, >=, LIKE, IN, BETWEEN or IS) after " +
                          describe(first));
    }

    // `5 < floors`: stored as `floors > 5`.
    Expr parse_reversed_comparison() {
        const Token& first = peek();
        count_term(first);
        Literal value = take_literal();
        const Token& t = peek();
        if (t.kind != Tok::op) {
            const bool keyword = is_keyword(t, "LIKE") || is_keyword(t, "IN") ||
                                 is_keyword(t, "BETWEEN") || is_keyword(t, "IS") ||
                                 is_keyword(t, "NOT");
            if (keyword) fail(t, "a property name must come before " + t.text);
            fail_expected(
                t, "expected a comparison operator (=, <>, <, <=, >, >=) after " + describe(first));
        }
        take();
        const CompareOp op = to_op(t.text);
        if (!is_property(peek())) {
            const bool value_next = is_literal(peek());
            fail_expected(
                peek(), value_next
                            ? "a comparison needs a property on one side; expected a property name"
                            : "expected a property name after '" + t.text + "'");
        }
        return Expr{Comparison{take().text, mirrored(op), std::move(value)}};
    }

    static CompareOp to_op(std::string_view s) {
        if (s == "<>") return CompareOp::ne;
        if (s == "<") return CompareOp::lt;
        if (s == "<=") return CompareOp::le;
        if (s == ">") return CompareOp::gt;
        if (s == ">=") return CompareOp::ge;
        return CompareOp::eq;
    }

    Expr parse_in(std::string property, bool negated) {
        expect(Tok::lparen, "'(' after IN", "");
        In node{std::move(property), {}, negated};
        while (true) {
            const Token& t = peek();
            node.values.push_back(expect_literal(node.values.empty() ? "IN (" : "','"));
            if (++m_in_values > m_limits.max_in_values) {
                fail(t, "the filter has too many IN values (more than " +
                            std::to_string(m_limits.max_in_values) + ")");
            }
            if (peek().kind == Tok::comma) {
                take();
                continue;
            }
            if (peek().kind == Tok::rparen) break;
            fail_expected(peek(), "expected ',' or ')' in the IN list");
        }
        take();
        return Expr{std::move(node)};
    }

    bool is_geometry_start() const {
        const Token& t = peek();
        if (t.kind != Tok::identifier) return false;
        static constexpr std::array<std::string_view, 9> kinds = {
            "BBOX",       "ENVELOPE",        "POINT",        "LINESTRING",        "POLYGON",
            "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"};
        if (std::none_of(kinds.begin(), kinds.end(),
                         [&](std::string_view k) { return iequals(k, t.text); })) {
            return false;
        }
        return peek(1).kind == Tok::lparen || peek(1).kind == Tok::identifier;
    }

    Expr parse_intersects() {
        const Token& name = take();
        count_term(name);
        expect(Tok::lparen, "'('", " after S_INTERSECTS");
        std::string property;
        GeometryLiteral geometry;
        bool have_property = false;
        bool have_geometry = false;
        for (int arg = 0; arg < 2; ++arg) {
            if (arg == 1) expect(Tok::comma, "','", " between the two arguments of S_INTERSECTS");
            const Token& t = peek();
            if (is_geometry_start()) {
                if (have_geometry)
                    fail(t, "S_INTERSECTS needs a geometry property, not two geometry values");
                geometry = parse_geometry();
                have_geometry = true;
            } else if (is_property(t)) {
                if (have_property)
                    fail(t, "S_INTERSECTS needs one geometry value such as BBOX(…) or POLYGON(…)");
                property = take().text;
                have_property = true;
            } else {
                fail_expected(t, arg == 0
                                     ? "expected the geometry property (e.g. geom) in S_INTERSECTS"
                                     : "expected a geometry such as BBOX(minx, miny, maxx, maxy) "
                                       "or POLYGON((…))");
            }
        }
        expect(Tok::rparen, "')'", " to close S_INTERSECTS");
        return Expr{Intersects{std::move(property), std::move(geometry)}};
    }

    double take_coordinate(std::string_view what) {
        const Token& t = peek();
        if (t.kind != Tok::number)
            fail_expected(t, "expected a number (" + std::string(what) + ")");
        take();
        return std::visit(
            [](const auto& v) -> double {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
                    return static_cast<double>(v);
                } else {
                    return 0.0;
                }
            },
            t.number);
    }

    void check_lon(const Token& at, double lon) const {
        if (!(lon >= -180.0 && lon <= 180.0)) {
            fail(at, "longitude " + format_number(lon) +
                         " is outside -180…180 (coordinates are EPSG:4326 lon/lat)");
        }
    }
    void check_lat(const Token& at, double lat) const {
        if (!(lat >= -90.0 && lat <= 90.0)) {
            fail(at, "latitude " + format_number(lat) +
                         " is outside -90…90 (coordinates are EPSG:4326 lon/lat)");
        }
    }

    struct Point {
        double x;
        double y;
    };

    Point take_point(GeometryLiteral& g) {
        const Token& first = peek();
        const double x = take_coordinate("longitude");
        const Token& second = peek();
        const double y = take_coordinate("latitude");
        if (peek().kind == Tok::number) fail(peek(), "only 2D coordinates (lon lat) are supported");
        check_lon(first, x);
        check_lat(second, y);
        if (++m_points > m_limits.max_wkt_points) {
            fail(first, "the filter's geometries have too many points (more than " +
                            std::to_string(m_limits.max_wkt_points) + ")");
        }
        g.bbox.extend(x, y);
        g.wkt += format_number(x);
        g.wkt += ' ';
        g.wkt += format_number(y);
        return {x, y};
    }

    // "x y, x y, …" with its parentheses; returns the number of points and the first and last.
    std::size_t take_point_list(GeometryLiteral& g, std::size_t min_points, std::string_view what,
                                bool closed) {
        const Token& open = peek();
        expect(Tok::lparen, "'('", " to start the coordinates of a " + std::string(what));
        g.wkt += '(';
        std::size_t n = 0;
        Point first{};
        Point last{};
        while (true) {
            if (n > 0) g.wkt += ',';
            last = take_point(g);
            if (n == 0) first = last;
            ++n;
            if (peek().kind == Tok::comma) {
                take();
                continue;
            }
            if (peek().kind == Tok::rparen) break;
            fail_expected(peek(), "expected ',' or ')' after a coordinate pair");
        }
        take();
        g.wkt += ')';
        if (n < min_points) {
            fail(open, "a " + std::string(what) + " needs at least " + std::to_string(min_points) +
                           " points");
        }
        if (closed && (first.x != last.x || first.y != last.y)) {
            fail(open, "a polygon ring must end at the point it starts from");
        }
        return n;
    }

    // "(ring), (ring), …" with the enclosing parentheses.
    void take_list_of_lists(GeometryLiteral& g, std::size_t min_points, std::string_view what,
                            bool closed, std::string_view container) {
        expect(Tok::lparen, "'('", " to start a " + std::string(container));
        g.wkt += '(';
        while (true) {
            take_point_list(g, min_points, what, closed);
            if (peek().kind != Tok::comma) break;
            take();
            g.wkt += ',';
        }
        expect(Tok::rparen, "')'", " or ',' after a list of coordinates");
        g.wkt += ')';
    }

    GeometryLiteral parse_geometry() {
        using Kind = GeometryLiteral::Kind;
        const Token& name = take();
        const Token& after = peek();
        if (is_keyword(after, "EMPTY")) fail(after, "empty geometries are not supported");
        if (is_keyword(after, "Z") || is_keyword(after, "M") || is_keyword(after, "ZM")) {
            fail(after, "only 2D geometries are supported");
        }
        if (after.kind != Tok::lparen) fail_expected(after, "expected '(' after " + name.text);
        GeometryLiteral g;
        if (iequals(name.text, "GEOMETRYCOLLECTION")) {
            fail(name, "GEOMETRYCOLLECTION is not supported; use a MULTI… geometry");
        }
        if (iequals(name.text, "BBOX") || iequals(name.text, "ENVELOPE")) return parse_box(name);
        if (iequals(name.text, "POINT")) {
            g.kind = Kind::point;
            g.wkt = "POINT(";
            take();
            take_point(g);
            expect(Tok::rparen, "')'", " after the coordinates of POINT");
            g.wkt += ')';
        } else if (iequals(name.text, "LINESTRING")) {
            g.kind = Kind::linestring;
            g.wkt = "LINESTRING";
            take_point_list(g, 2, "line", false);
        } else if (iequals(name.text, "POLYGON")) {
            g.kind = Kind::polygon;
            g.wkt = "POLYGON";
            take_list_of_lists(g, 4, "polygon ring", true, "polygon");
        } else if (iequals(name.text, "MULTIPOINT")) {
            g.kind = Kind::multipoint;
            g.wkt = "MULTIPOINT(";
            take();
            // Both MULTIPOINT((1 2),(3 4)) and MULTIPOINT(1 2, 3 4) are in use.
            while (true) {
                const bool parenthesized = peek().kind == Tok::lparen;
                if (parenthesized) take();
                g.wkt += '(';
                take_point(g);
                g.wkt += ')';
                if (parenthesized) expect(Tok::rparen, "')'", " after a point of MULTIPOINT");
                if (peek().kind != Tok::comma) break;
                take();
                g.wkt += ',';
            }
            expect(Tok::rparen, "')'", " or ',' in MULTIPOINT");
            g.wkt += ')';
        } else if (iequals(name.text, "MULTILINESTRING")) {
            g.kind = Kind::multilinestring;
            g.wkt = "MULTILINESTRING";
            take_list_of_lists(g, 2, "line", false, "multi-line");
        } else {
            g.kind = Kind::multipolygon;
            g.wkt = "MULTIPOLYGON(";
            take();
            while (true) {
                take_list_of_lists(g, 4, "polygon ring", true, "polygon");
                if (peek().kind != Tok::comma) break;
                take();
                g.wkt += ',';
            }
            expect(Tok::rparen, "')'", " or ',' in MULTIPOLYGON");
            g.wkt += ')';
        }
        return g;
    }

    // BBOX(minx, miny, maxx, maxy) as in CQL2; ENVELOPE(west, east, north, south) as in
    // the CQL of OGC Catalogue Services, commas optional.
    GeometryLiteral parse_box(const Token& name) {
        const bool envelope = iequals(name.text, "ENVELOPE");
        take();
        std::array<double, 4> v{};
        std::array<const Token*, 4> at{};
        static constexpr std::array<std::string_view, 4> bbox_names = {"minx", "miny", "maxx",
                                                                       "maxy"};
        static constexpr std::array<std::string_view, 4> envelope_names = {"west", "east", "north",
                                                                           "south"};
        for (std::size_t i = 0; i < 4; ++i) {
            if (i > 0) {
                if (peek().kind == Tok::comma) {
                    take();
                } else if (!envelope) {
                    fail_expected(peek(), "expected ',' between the numbers of BBOX");
                }
            }
            at[i] = &peek();
            v[i] = take_coordinate(envelope ? envelope_names[i] : bbox_names[i]);
        }
        if (peek().kind == Tok::comma) fail(peek(), "only 2D boxes (4 numbers) are supported");
        expect(Tok::rparen, "')'",
               envelope ? " after the 4 numbers of ENVELOPE" : " after the 4 numbers of BBOX");
        GeometryLiteral g;
        g.kind = GeometryLiteral::Kind::bbox;
        if (envelope) {
            g.bbox = BBox{v[0], v[3], v[1], v[2]};
            check_lon(*at[0], v[0]);
            check_lon(*at[1], v[1]);
            check_lat(*at[2], v[2]);
            check_lat(*at[3], v[3]);
        } else {
            g.bbox = BBox{v[0], v[1], v[2], v[3]};
            check_lon(*at[0], v[0]);
            check_lat(*at[1], v[1]);
            check_lon(*at[2], v[2]);
            check_lat(*at[3], v[3]);
        }
        if (g.bbox.minx > g.bbox.maxx) {
            fail(name, std::string(envelope ? "ENVELOPE(west, east, north, south)"
                                            : "BBOX(minx, miny, maxx, maxy)") +
                           " has its west edge east of its east edge; boxes across the "
                           "antimeridian are not supported");
        }
        if (g.bbox.miny > g.bbox.maxy) {
            fail(name, std::string(envelope ? "ENVELOPE(west, east, north, south)"
                                            : "BBOX(minx, miny, maxx, maxy)") +
                           " has its south edge north of its north edge");
        }
        return g;
    }

    std::string_view m_text;
    const Cql2Limits& m_limits;
    int m_max_depth;
    std::vector<Token> m_tokens;
    std::size_t m_index = 0;
    int m_depth = 0;
    int m_terms = 0;
    std::size_t m_in_values = 0;
    std::size_t m_points = 0;
};

void collect_names(const Expr& e, std::vector<std::string>& out) {
    const auto add = [&](const std::string& name) {
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    };
    std::visit(
        [&](const auto& n) {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, And> || std::is_same_v<T, Or>) {
                for (const auto& t : n.terms) collect_names(t, out);
            } else if constexpr (std::is_same_v<T, Not>) {
                collect_names(*n.operand, out);
            } else {
                add(n.property);
            }
        },
        e.node);
}

std::string quote(std::string_view s, char q) {
    std::string out(1, q);
    for (char c : s) {
        if (c == q) out += q;
        out += c;
    }
    out += q;
    return out;
}

std::string literal_text(const Literal& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::int64_t>) {
                return std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>) {
                // Keeps a decimal a decimal when read back.
                std::string s = format_number(x);
                if (s.find_first_of(".e") == std::string::npos) s += ".0";
                return s;
            } else if constexpr (std::is_same_v<T, std::string>) {
                return quote(x, '\'');
            } else {
                return x ? "TRUE" : "FALSE";
            }
        },
        v);
}

std::string geometry_text(const GeometryLiteral& g) {
    if (g.kind != GeometryLiteral::Kind::bbox) return g.wkt;
    return "BBOX(" + format_number(g.bbox.minx) + ", " + format_number(g.bbox.miny) + ", " +
           format_number(g.bbox.maxx) + ", " + format_number(g.bbox.maxy) + ")";
}

void write_text(const Expr& e, std::string& out) {
    std::visit(
        [&](const auto& n) {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, And> || std::is_same_v<T, Or>) {
                out += '(';
                for (std::size_t i = 0; i < n.terms.size(); ++i) {
                    if (i > 0) out += std::is_same_v<T, And> ? " AND " : " OR ";
                    write_text(n.terms[i], out);
                }
                out += ')';
            } else if constexpr (std::is_same_v<T, Not>) {
                out += "NOT ";
                write_text(*n.operand, out);
            } else if constexpr (std::is_same_v<T, Intersects>) {
                out += "S_INTERSECTS(" + quote(n.property, '"') + ", " + geometry_text(n.geometry) +
                       ")";
            } else {
                out += quote(n.property, '"');
                if constexpr (std::is_same_v<T, Comparison>) {
                    out += ' ';
                    out += op_text(n.op);
                    out += ' ';
                    out += literal_text(n.value);
                } else if constexpr (std::is_same_v<T, Like>) {
                    out += n.negated ? " NOT LIKE " : " LIKE ";
                    out += quote(n.pattern, '\'');
                } else if constexpr (std::is_same_v<T, In>) {
                    out += n.negated ? " NOT IN (" : " IN (";
                    for (std::size_t i = 0; i < n.values.size(); ++i) {
                        if (i > 0) out += ", ";
                        out += literal_text(n.values[i]);
                    }
                    out += ')';
                } else if constexpr (std::is_same_v<T, Between>) {
                    out += n.negated ? " NOT BETWEEN " : " BETWEEN ";
                    out += literal_text(n.low) + " AND " + literal_text(n.high);
                } else {
                    out += n.negated ? " IS NOT NULL" : " IS NULL";
                }
            }
        },
        e.node);
}

}  // namespace

Expr parse_cql2_text(std::string_view text, const Cql2Limits& limits) {
    if (text.size() > limits.max_length) {
        throw Error(Errc::invalid_argument, "filter: the filter is too long (" +
                                                std::to_string(text.size()) + " bytes; at most " +
                                                std::to_string(limits.max_length) + ")");
    }
    return Parser(text, limits).parse();
}

std::vector<std::string> property_names(const Expr& e) {
    std::vector<std::string> out;
    collect_names(e, out);
    return out;
}

std::string to_cql2_text(const Expr& e) {
    std::string out;
    write_text(e, out);
    return out;
}

Expr parse_intersects_parameter(std::string_view property, std::string_view literal, const Cql2Limits& limits) {
    // The literal is read by the filter parser inside S_INTERSECTS(…); text that is more than
    // one literal (a ')' closing the call early, then more) parses to another tree, refused.
    std::string text = "S_INTERSECTS(\"";
    text += property;
    text += "\", ";
    text += literal;
    text += ')';
    const auto refuse = [&] {
        return Error(Errc::invalid_argument, std::string(property) +
                                                 ": expected one WKT geometry or BBOX(minx, miny, maxx, maxy) in lon/lat");
    };
    Expr e;
    try {
        e = parse_cql2_text(text, limits);
    } catch (const Error&) {
        throw refuse();
    }
    if (!std::holds_alternative<Intersects>(e.node)) throw refuse();
    return e;
}

}  // namespace geo::query
