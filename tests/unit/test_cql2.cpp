// CQL2-text filters: the parser's tree, its errors and limits, and the SQL they become,
// run against a real SpatiaLite table.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "capi/sqlite.hpp"
#include "geo/error.hpp"
#include "geo/query/cql2.hpp"
#include "store/sql_filter.hpp"

namespace {

using geo::query::Cql2Limits;
using geo::query::parse_cql2_text;
using geo::query::to_cql2_text;

std::string canonical(const std::string& filter) { return to_cql2_text(parse_cql2_text(filter)); }

// The message of the geo::Error that parsing `filter` throws; fails the test otherwise.
std::string parse_error(const std::string& filter, const Cql2Limits& limits = {}) {
    try {
        parse_cql2_text(filter, limits);
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument) << filter;
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not a geo::Error for " << filter << ": " << e.what();
        return {};
    }
    ADD_FAILURE() << "no error for: " << filter;
    return {};
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    out.reserve(s.size() * static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

// ---- the tree ----------------------------------------------------------------------------

TEST(Cql2Parse, PrecedenceIsNotThenAndThenOr) {
    EXPECT_EQ(canonical("a = 1 OR b = 2 AND NOT c = 3"),
              R"(("a" = 1 OR ("b" = 2 AND NOT "c" = 3)))");
    EXPECT_EQ(canonical("NOT a = 1 AND b = 2"), R"((NOT "a" = 1 AND "b" = 2))");
    EXPECT_EQ(canonical("a = 1 AND b = 2 OR c = 3 AND d = 4"),
              R"((("a" = 1 AND "b" = 2) OR ("c" = 3 AND "d" = 4)))");
    EXPECT_EQ(canonical("a = 1 OR b = 2 OR c = 3"), R"(("a" = 1 OR "b" = 2 OR "c" = 3))");
}

TEST(Cql2Parse, ParenthesesOverridePrecedence) {
    EXPECT_EQ(canonical("(a = 1 OR b = 2) AND c = 3"), R"((("a" = 1 OR "b" = 2) AND "c" = 3))");
    EXPECT_EQ(canonical("NOT (a = 1 OR b = 2)"), R"(NOT ("a" = 1 OR "b" = 2))");
    EXPECT_EQ(canonical("((a = 1))"), R"("a" = 1)");
}

TEST(Cql2Parse, EveryOperator) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"a = 1", R"("a" = 1)"},
        {"a <> 1", R"("a" <> 1)"},
        {"a < 1", R"("a" < 1)"},
        {"a <= 1", R"("a" <= 1)"},
        {"a > 1", R"("a" > 1)"},
        {"a >= 1", R"("a" >= 1)"},
        {"a>=1", R"("a" >= 1)"},
        {"1 < a", R"("a" > 1)"},
        {"1 <= a", R"("a" >= 1)"},
        {"1 > a", R"("a" < 1)"},
        {"1 >= a", R"("a" <= 1)"},
        {"'x' = a", R"("a" = 'x')"},
        {"a LIKE 'x%'", R"("a" LIKE 'x%')"},
        {"a NOT LIKE 'x_'", R"("a" NOT LIKE 'x_')"},
        {"a IN (1, 2.5, 'x', TRUE)", R"("a" IN (1, 2.5, 'x', TRUE))"},
        {"a NOT IN ('x')", R"("a" NOT IN ('x'))"},
        {"a BETWEEN 1 AND 2", R"("a" BETWEEN 1 AND 2)"},
        {"a NOT BETWEEN -1.5 AND 2", R"("a" NOT BETWEEN -1.5 AND 2)"},
        {"a IS NULL", R"("a" IS NULL)"},
        {"a IS NOT NULL", R"("a" IS NOT NULL)"},
        {"a = TRUE", R"("a" = TRUE)"},
        {"a = false", R"("a" = FALSE)"},
        {"s_intersects(geom, bbox(1, 2, 3, 4))", R"(S_INTERSECTS("geom", BBOX(1, 2, 3, 4)))"},
        {"S_INTERSECTS(BBOX(1, 2, 3, 4), geom)", R"(S_INTERSECTS("geom", BBOX(1, 2, 3, 4)))"},
        {"S_INTERSECTS(geom, ENVELOPE(1, 3, 4, 2))", R"(S_INTERSECTS("geom", BBOX(1, 2, 3, 4)))"},
        {"S_INTERSECTS(geom, ENVELOPE(1 3 4 2))", R"(S_INTERSECTS("geom", BBOX(1, 2, 3, 4)))"},
        {"S_INTERSECTS(geom, POINT(121.5 31.25))", R"(S_INTERSECTS("geom", POINT(121.5 31.25)))"},
        {"S_INTERSECTS(geom, LineString(0 0, 1 1))",
         R"(S_INTERSECTS("geom", LINESTRING(0 0,1 1)))"},
        {"S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 0), (0.1 0.1, 0.2 0.1, 0.2 0.2, 0.1 0.1)))",
         R"(S_INTERSECTS("geom", POLYGON((0 0,1 0,1 1,0 0),(0.1 0.1,0.2 0.1,0.2 0.2,0.1 0.1))))"},
        {"S_INTERSECTS(geom, MULTIPOINT((0 0), (1 1)))",
         R"(S_INTERSECTS("geom", MULTIPOINT((0 0),(1 1))))"},
        {"S_INTERSECTS(geom, MULTIPOINT(0 0, 1 1))",
         R"(S_INTERSECTS("geom", MULTIPOINT((0 0),(1 1))))"},
        {"S_INTERSECTS(geom, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))",
         R"(S_INTERSECTS("geom", MULTILINESTRING((0 0,1 1),(2 2,3 3))))"},
        {"S_INTERSECTS(geom, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))",
         R"(S_INTERSECTS("geom", MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))))"},
    };
    for (const auto& [text, expected] : cases) {
        SCOPED_TRACE(text);
        const auto tree = parse_cql2_text(text);
        EXPECT_EQ(to_cql2_text(tree), expected);
        // The canonical text reads back to the same tree.
        EXPECT_EQ(canonical(expected), expected);
    }
}

TEST(Cql2Parse, KeywordsAreCaseInsensitive) {
    EXPECT_EQ(canonical("a between 1 and 2 and not b like 'x' Or c iS nOt NuLl or d In (1)"),
              R"((("a" BETWEEN 1 AND 2 AND NOT "b" LIKE 'x') OR "c" IS NOT NULL OR "d" IN (1)))");
}

TEST(Cql2Parse, Literals) {
    using geo::query::Comparison;
    const auto value_of = [](const std::string& text) {
        const auto e = parse_cql2_text("a = " + text);
        return std::get<Comparison>(e.node).value;
    };
    EXPECT_EQ(std::get<std::int64_t>(value_of("42")), 42);
    EXPECT_EQ(std::get<std::int64_t>(value_of("-42")), -42);
    EXPECT_EQ(std::get<std::int64_t>(value_of("+7")), 7);
    EXPECT_EQ(std::get<std::int64_t>(value_of("-9223372036854775808")), INT64_MIN);
    EXPECT_DOUBLE_EQ(std::get<double>(value_of("99999999999999999999")), 1e20);
    EXPECT_DOUBLE_EQ(std::get<double>(value_of("2.5")), 2.5);
    EXPECT_DOUBLE_EQ(std::get<double>(value_of("-0.25")), -0.25);
    EXPECT_DOUBLE_EQ(std::get<double>(value_of(".5")), 0.5);
    EXPECT_DOUBLE_EQ(std::get<double>(value_of("1e3")), 1000.0);
    EXPECT_DOUBLE_EQ(std::get<double>(value_of("-1.5E-2")), -0.015);
    EXPECT_EQ(std::get<std::string>(value_of("'it''s'")), "it's");
    EXPECT_EQ(std::get<std::string>(value_of("''")), "");
    EXPECT_EQ(std::get<std::string>(value_of("''''")), "'");
    EXPECT_EQ(std::get<std::string>(value_of("'陆家嘴 \"中心\"'")), "陆家嘴 \"中心\"");
    EXPECT_EQ(std::get<bool>(value_of("TRUE")), true);
    EXPECT_EQ(std::get<bool>(value_of("False")), false);
    EXPECT_EQ(canonical("a = 1e3"), R"("a" = 1000.0)");
}

TEST(Cql2Parse, ChinesePropertiesAndValues) {
    using geo::query::Comparison;
    const auto e = parse_cql2_text("名称 = '东方明珠' AND \"所属 街道\" LIKE '%陆家嘴%'");
    EXPECT_EQ(geo::query::property_names(e), (std::vector<std::string>{"名称", "所属 街道"}));
    const auto& first = std::get<Comparison>(std::get<geo::query::And>(e.node).terms[0].node);
    EXPECT_EQ(first.property, "名称");
    EXPECT_EQ(std::get<std::string>(first.value), "东方明珠");
    // Ideographic space separates like an ASCII space.
    EXPECT_EQ(canonical("名称\u3000=\u3000'x'"), R"("名称" = 'x')");
}

TEST(Cql2Parse, IdentifierForms) {
    EXPECT_EQ(canonical("ns:prop.sub_2 = 1"), R"("ns:prop.sub_2" = 1)");
    EXPECT_EQ(canonical("_x = 1"), R"("_x" = 1)");
    EXPECT_EQ(canonical(R"("tag""q" = 1)"), R"("tag""q" = 1)");
    EXPECT_EQ(canonical(R"("AND" = 1)"), R"("AND" = 1)");
    EXPECT_EQ(canonical("point = 1 AND bbox IS NULL"), R"(("point" = 1 AND "bbox" IS NULL))");
}

TEST(Cql2Parse, PropertyNamesInFirstAppearanceOrder) {
    const auto e = parse_cql2_text(
        "b = 1 AND (a LIKE 'x' OR b IS NULL) AND NOT S_INTERSECTS(geom, BBOX(0, 0, 1, 1)) AND c IN "
        "(1)");
    EXPECT_EQ(geo::query::property_names(e), (std::vector<std::string>{"b", "a", "geom", "c"}));
}

TEST(Cql2Parse, GeometryKeepsBoundingBoxAndCanonicalWkt) {
    const auto e = parse_cql2_text(
        "S_INTERSECTS(geom, polygon((121.5 31.2, 121.6 31.2, 121.6 31.3, 121.5 31.2)))");
    const auto& g = std::get<geo::query::Intersects>(e.node).geometry;
    EXPECT_EQ(g.kind, geo::query::GeometryLiteral::Kind::polygon);
    EXPECT_EQ(g.wkt, "POLYGON((121.5 31.2,121.6 31.2,121.6 31.3,121.5 31.2))");
    EXPECT_DOUBLE_EQ(g.bbox.minx, 121.5);
    EXPECT_DOUBLE_EQ(g.bbox.maxx, 121.6);
    EXPECT_DOUBLE_EQ(g.bbox.miny, 31.2);
    EXPECT_DOUBLE_EQ(g.bbox.maxy, 31.3);
}

// ---- errors ------------------------------------------------------------------------------

TEST(Cql2Errors, SayWhatAndWhere) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"floors = ", "filter: expected a value after '=' at position 10, where the filter ends"},
        {"floors = )", "filter: expected a value after '=' at position 10, found ')'"},
        {"floors == 3", "filter: expected a value after '=' at position 9, found '='"},
        {"名称 = ", "filter: expected a value after '=' at position 6, where the filter ends"},
        {"名称 = '东方' AND 地址 >",
         "filter: expected a value after '>' at position 19, where the filter ends"},
        {"a != 1", "filter: '!=' is not CQL2; write '<>' for \"not equal\" at position 3"},
        {"a = 1 b = 2",
         "filter: expected AND, OR or the end of the filter at position 7, found 'b'"},
        {"a = 1)", "filter: unmatched ')' at position 6"},
        {"(a = 1", "filter: '(' is never closed at position 1"},
        {"(a = 1 b", "filter: expected AND, OR or ')' at position 8, found 'b'"},
        {"", "filter: the filter is empty at position 1"},
        {"   ", "filter: the filter is empty at position 4"},
        {"name = 'abc", "filter: text value is not closed (missing ') at position 8"},
        {"\"name = 1", "filter: quoted property name is not closed (missing \") at position 1"},
        {"name = \"张三\"",
         "filter: expected a value after '=' (text values take single quotes: '张三') at position "
         "8, found \"张三\""},
        {"a = NULL",
         "filter: expected a value after '=' (test for missing values with IS NULL) at position 5, "
         "found 'NULL'"},
        {"a = b",
         "filter: comparing two properties is not supported; compare a with a value at position 5, "
         "found 'b'"},
        {"1 = 2",
         "filter: a comparison needs a property on one side; expected a property name at position "
         "5, found '2'"},
        {"a",
         "filter: expected an operator (=, <>, <, <=, >, >=, LIKE, IN, BETWEEN or IS) after 'a' at "
         "position 2, where the filter ends"},
        {"a NOT = 1", "filter: expected LIKE, IN or BETWEEN after NOT at position 7, found '='"},
        {"a LIKE 5",
         "filter: expected a text pattern in single quotes after LIKE at position 8, found '5'"},
        {"a IN ()", "filter: expected a value after IN ( at position 7, found ')'"},
        {"a IN (1 2)", "filter: expected ',' or ')' in the IN list at position 9, found '2'"},
        {"a BETWEEN 1 OR 2",
         "filter: expected AND between the two values of BETWEEN at position 13, found 'OR'"},
        {"a IS 1", "filter: expected NULL or NOT NULL after IS at position 6, found '1'"},
        {"AND = 1", "filter: expected a condition such as name = 'x' at position 1, found 'AND'"},
        {"NOT",
         "filter: expected a condition such as name = 'x' at position 4, where the filter ends"},
        {"5 LIKE 'x'", "filter: a property name must come before LIKE at position 3"},
        {"名称＝'x'",
         "filter: unexpected character '＝' (a full-width character; use '=') at position 3"},
        {"a = 1 AND （b = 2）",
         "filter: unexpected character '（' (a full-width character; use '(') at position 11"},
        {"a = 'x\x01'", "filter: control character in quoted text at position 7"},
        {"a = \xff", "filter: the text is not valid UTF-8 at position 5"},
        {"a = '\xe4\xb8'", "filter: the text is not valid UTF-8 at position 6"},
        {"a = 1.2.3", "filter: malformed number '1.2.3' at position 5"},
        {"a = 12abc", "filter: malformed number '12abc' at position 5"},
        // A 4-byte character whose continuation bytes look like NBSP (0xA0) and NEL (0x85) when
        // read as Latin-1: the message quotes it whole (it once cut it, and the server's JSON
        // writer then threw on the broken text).
        {"floors > 1.5\xf0\xa0\x80\x80", "filter: malformed number '1.5\xf0\xa0\x80\x80' at position 10"},
        {"floors > 1\xf0\x9f\x98\x85", "filter: malformed number '1\xf0\x9f\x98\x85' at position 10"},
        {"a = 12层", "filter: malformed number '12层' at position 5"},
        // Found by fuzz/cql2: raw bytes and a NUL after a number were quoted into the message,
        // which then lost its position (and its JSON problem answer was not UTF-8).
        {std::string("a =ameI S  1\xff\xff\xff\xff\x06\x00\xffNOT", 22),
         "filter: malformed number '1' at position 12"},
        {std::string("a = 1x\x00y", 8), "filter: malformed number '1x' at position 5"},
        {"a = 1e\x01", "filter: malformed number '1e' at position 5"},
        {"a = 1e999", "filter: number '1e999' is out of range at position 5"},
        {"a = @", "filter: unexpected character '@' at position 5"},
        {"\"\" = 1", "filter: empty property name \"\" at position 1"},
        {"S_WITHIN(geom, BBOX(0, 0, 1, 1))",
         "filter: function 'S_WITHIN' is not supported (spatial filters use S_INTERSECTS) at "
         "position 1"},
        {"CASEI(name) = 'x'",
         "filter: function 'CASEI' is not supported (spatial filters use S_INTERSECTS) at position "
         "1"},
        {"S_INTERSECTS(geom)",
         "filter: expected ',' between the two arguments of S_INTERSECTS at position 18, found "
         "')'"},
        {"S_INTERSECTS(geom, name)",
         "filter: S_INTERSECTS needs one geometry value such as BBOX(…) or POLYGON(…) at position "
         "20"},
        {"S_INTERSECTS(geom, BBOX(0, 0, 1))",
         "filter: expected ',' between the numbers of BBOX at position 32, found ')'"},
        {"S_INTERSECTS(geom, BBOX(0, 0, 0, 1, 1, 1))",
         "filter: only 2D boxes (4 numbers) are supported at position 35"},
        {"S_INTERSECTS(geom, BBOX(2, 0, 1, 1))",
         "filter: BBOX(minx, miny, maxx, maxy) has its west edge east of its east edge; boxes "
         "across the antimeridian are not supported at position 20"},
        {"S_INTERSECTS(geom, BBOX(0, 2, 1, 1))",
         "filter: BBOX(minx, miny, maxx, maxy) has its south edge north of its north edge at "
         "position 20"},
        {"S_INTERSECTS(geom, ENVELOPE(121, 31, 122, 32))",
         "filter: latitude 122 is outside -90…90 (coordinates are EPSG:4326 lon/lat) at position "
         "38"},
        {"S_INTERSECTS(geom, POINT(500000 3400000))",
         "filter: longitude 500000 is outside -180…180 (coordinates are EPSG:4326 lon/lat) at "
         "position 26"},
        {"S_INTERSECTS(geom, POINT(1 2 3))",
         "filter: only 2D coordinates (lon lat) are supported at position 30"},
        {"S_INTERSECTS(geom, POINT Z (1 2 3))",
         "filter: only 2D geometries are supported at position 26"},
        {"S_INTERSECTS(geom, POINT EMPTY)",
         "filter: empty geometries are not supported at position 26"},
        {"S_INTERSECTS(geom, LINESTRING(0 0))",
         "filter: a line needs at least 2 points at position 30"},
        {"S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 1)))",
         "filter: a polygon ring must end at the point it starts from at position 28"},
        {"S_INTERSECTS(geom, POLYGON((0 0, 1 0, 0 0)))",
         "filter: a polygon ring needs at least 4 points at position 28"},
        {"S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 0))",
         "filter: expected ')' to close S_INTERSECTS at position 49, where the filter ends"},
        {"S_INTERSECTS(geom, GEOMETRYCOLLECTION(POINT(0 0)))",
         "filter: GEOMETRYCOLLECTION is not supported; use a MULTI… geometry at position 20"},
        {"S_INTERSECTS(geom, POINT(0 x))",
         "filter: expected a number (latitude) at position 28, found 'x'"},
    };
    for (const auto& [text, expected] : cases) EXPECT_EQ(parse_error(text), expected) << text;
}

// ---- limits ------------------------------------------------------------------------------

// Under a second even with sanitizers; quadratic or exponential work would take far longer.
template <typename F>
void expect_quick_refusal(F&& f, const std::string& expected_part) {
    const auto start = std::chrono::steady_clock::now();
    const std::string message = f();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_NE(message.find(expected_part), std::string::npos) << message;
    EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(Cql2Limits, TooLongIsRefusedBeforeParsing) {
    const std::string huge(1 << 20, '(');
    expect_quick_refusal([&] { return parse_error(huge); },
                         "filter: the filter is too long (1048576 bytes; at most 8192)");
    EXPECT_NO_THROW(parse_cql2_text("a = '" + std::string(8186, 'x') + "'"));
    parse_error("a = '" + std::string(8187, 'x') + "'");
}

TEST(Cql2Limits, DeepNestingIsRefused) {
    Cql2Limits roomy;
    roomy.max_length = 1 << 20;
    const std::string parens = repeat("(", 10000) + "a = 1" + repeat(")", 10000);
    expect_quick_refusal([&] { return parse_error(parens, roomy); },
                         "the filter is nested too deeply (more than 20 levels of parentheses and "
                         "NOT) at position 21");
    expect_quick_refusal([&] { return parse_error(parens); }, "the filter is too long");
    const std::string nots = repeat("NOT ", 10000) + "a = 1";
    expect_quick_refusal([&] { return parse_error(nots, roomy); }, "nested too deeply");
    const std::string mixed = repeat("NOT (", 10000) + "a = 1" + repeat(")", 10000);
    expect_quick_refusal([&] { return parse_error(mixed, roomy); }, "nested too deeply");

    // A caller's higher limit is capped, so the stack stays safe.
    Cql2Limits reckless = roomy;
    reckless.max_depth = 1000000;
    expect_quick_refusal([&] { return parse_error(parens, reckless); }, "more than 100 levels");

    EXPECT_NO_THROW(parse_cql2_text(repeat("(", 20) + "a = 1" + repeat(")", 20)));
    parse_error(repeat("(", 21) + "a = 1" + repeat(")", 21));
    EXPECT_NO_THROW(parse_cql2_text(repeat("NOT ", 20) + "a = 1"));
}

TEST(Cql2Limits, TooManyTermsIsRefused) {
    Cql2Limits roomy;
    roomy.max_length = 1 << 20;
    const std::string ors = "a = 1" + repeat(" OR a = 1", 10000);
    expect_quick_refusal(
        [&] { return parse_error(ors, roomy); },
        "filter: the filter has too many conditions (more than 100) at position 901");
    const std::string ands = "a = 1" + repeat(" AND (b = 2 OR c = 3)", 5000);
    expect_quick_refusal([&] { return parse_error(ands, roomy); }, "too many conditions");

    EXPECT_NO_THROW(parse_cql2_text("a = 1" + repeat(" OR a = 1", 99)));
    parse_error("a = 1" + repeat(" OR a = 1", 100));
}

TEST(Cql2Limits, TooManyValuesAndPointsAreRefused) {
    Cql2Limits limits;
    limits.max_in_values = 3;
    limits.max_wkt_points = 4;
    EXPECT_NO_THROW(parse_cql2_text("a IN (1, 2) OR b IN (3)", limits));
    EXPECT_EQ(parse_error("a IN (1, 2) OR b IN (3, 4)", limits),
              "filter: the filter has too many IN values (more than 3) at position 25");
    EXPECT_NO_THROW(parse_cql2_text("S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 0)))", limits));
    EXPECT_EQ(
        parse_error(
            "S_INTERSECTS(geom, POINT(0 0)) OR S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 0)))",
            limits),
        "filter: the filter's geometries have too many points (more than 4) at position 78");

    Cql2Limits roomy;
    roomy.max_length = 1 << 20;
    const std::string big_in = "a IN (1" + repeat(", 1", 10000) + ")";
    expect_quick_refusal([&] { return parse_error(big_in, roomy); },
                         "too many IN values (more than 500)");
    const std::string big_line =
        "S_INTERSECTS(geom, LINESTRING(0 0" + repeat(", 1 1", 20000) + "))";
    expect_quick_refusal([&] { return parse_error(big_line, roomy); },
                         "too many points (more than 10000)");
}

// Random token soup: every input either parses or is refused with invalid_argument.
TEST(Cql2Limits, GarbageNeverCrashes) {
    const std::vector<std::string> pieces = {
        "(",    ")",     ",",       "=",          "<>",    "<",       ">=",
        "AND",  "OR",    "NOT",     "LIKE",       "IN",    "BETWEEN", "IS",
        "NULL", "TRUE",  "a",       "名称",       "\"q\"", "'s'",     "'",
        "\"",   "1",     "-2.5",    "1e",         ".",     "-",       "S_INTERSECTS",
        "BBOX", "POINT", "POLYGON", "MULTIPOINT", "0 0",   "\xe4",    "\\",
        "％",   " "};
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> length(1, 40);
    int parsed = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        const int n = length(rng);
        for (int k = 0; k < n; ++k) text += pieces[pick(rng)] + (k % 3 == 0 ? " " : "");
        try {
            const auto e = parse_cql2_text(text);
            ++parsed;
            EXPECT_EQ(canonical(to_cql2_text(e)), to_cql2_text(e)) << text;
        } catch (const geo::Error& e) {
            ASSERT_EQ(e.code(), geo::Errc::invalid_argument) << text;
            ASSERT_EQ(std::string(e.what()).rfind("filter: ", 0), 0u) << text;
        }
    }
    EXPECT_GT(parsed, 0);
}

// ---- SQL against a real SpatiaLite table -------------------------------------------------

class Cql2Sql : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        s_db = std::make_unique<geo::capi::SpatialiteDb>(":memory:",
                                                         geo::capi::SpatialiteDb::Mode::create);
        s_db->exec("SELECT InitSpatialMetadata(1, 'WGS84_ONLY')");
        s_db->exec(
            R"(CREATE TABLE sites (fid INTEGER PRIMARY KEY, name TEXT, "名称" TEXT, floors INTEGER,
                      area REAL, kind TEXT, "tag""q" TEXT, code TEXT, open INTEGER))");
        s_db->exec("SELECT AddGeometryColumn('sites', 'geom', 4326, 'GEOMETRY', 'XY')");
        s_db->exec("SELECT CreateSpatialIndex('sites', 'geom')");
        // fid, name, 名称, floors, area, kind, tag"q, code, open, geometry
        s_db->exec(R"(INSERT INTO sites VALUES
            (1, 'Alpha', '陆家嘴站', 3, 120.5, 'station', 'a', '5', 1, GeomFromText('POINT(121.50 31.24)', 4326)),
            (2, 'alpha', '世纪公园', 1, 3000.0, 'park', 'b', NULL, 0,
                GeomFromText('POLYGON((121.54 31.21, 121.56 31.21, 121.56 31.23, 121.54 31.23, 121.54 31.21))', 4326)),
            (3, 'Beta', '东方明珠', 10, 800.25, 'tower', 'a', '10', 1, GeomFromText('POINT(121.4997 31.2397)', 4326)),
            (4, 'O''Brien', '张江', 5, NULL, 'office', NULL, NULL, 0, GeomFromText('POINT(121.59 31.20)', 4326)),
            (5, '50% off', '打折_店', 2, 45.0, 'shop', 'c', '050', 1, GeomFromText('POINT(121.47 31.23)', 4326)),
            (6, 'Gamma', NULL, NULL, 60.0, NULL, NULL, NULL, NULL,
                GeomFromText('LINESTRING(121.45 31.20, 121.52 31.25)', 4326)),
            (7, 'x'' OR 1=1 --', '注入', 0, 0.0, 'test', NULL, NULL, 0, GeomFromText('POINT(121.40 31.10)', 4326)),
            (8, '*star?', '星[号]', -2, -1.5, 'shop', NULL, NULL, 0, GeomFromText('POINT(121.60 31.30)', 4326)),
            (9, '', '空', 7, 70.0, 'office', NULL, NULL, 0, GeomFromText('POINT(121.55 31.22)', 4326)),
            (10, 'Delta', '陆家嘴中心', 20, 1000.0, 'office', NULL, NULL, 0, NULL))");
    }
    static void TearDownTestSuite() { s_db.reset(); }

    static const std::vector<geo::Field>& fields() {
        static const std::vector<geo::Field> f = {
            {"name", geo::FieldType::text, ""},      {"名称", geo::FieldType::text, ""},
            {"floors", geo::FieldType::integer, ""}, {"area", geo::FieldType::real, ""},
            {"kind", geo::FieldType::text, ""},      {"tag\"q", geo::FieldType::text, ""},
            {"code", geo::FieldType::text, ""},      {"open", geo::FieldType::integer, ""}};
        return f;
    }

    static void bind_all(geo::capi::Statement& st, const std::vector<geo::Value>& params) {
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int index = static_cast<int>(i) + 1;
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::monostate>) {
                        st.bind_null(index);
                    } else if constexpr (std::is_same_v<T, std::string>) {
                        st.bind(index, std::string_view(v));
                    } else {
                        st.bind(index, v);
                    }
                },
                params[i]);
        }
    }

    static std::vector<std::int64_t> fids(const std::string& filter) {
        std::vector<geo::Value> params;
        const auto where =
            geo::store::detail::to_sqlite_where(parse_cql2_text(filter), "sites", fields(), params);
        geo::capi::Statement st(s_db->get(),
                                "SELECT fid FROM sites WHERE " + where + " ORDER BY fid");
        bind_all(st, params);
        std::vector<std::int64_t> out;
        while (st.step()) out.push_back(st.column_int(0));
        return out;
    }

    static std::string sql_error(const std::string& filter) {
        std::vector<geo::Value> params{std::int64_t{99}};
        try {
            geo::store::detail::to_sqlite_where(parse_cql2_text(filter), "sites", fields(), params);
        } catch (const geo::Error& e) {
            EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
            EXPECT_EQ(params.size(), 1u) << "params are left as they were";
            return e.what();
        }
        ADD_FAILURE() << "no error for: " << filter;
        return {};
    }

    static std::unique_ptr<geo::capi::SpatialiteDb> s_db;
};

std::unique_ptr<geo::capi::SpatialiteDb> Cql2Sql::s_db;

using Fids = std::vector<std::int64_t>;

struct FilterCase {
    const char* filter;
    Fids expected;
};

const FilterCase filter_cases[] = {
    // comparisons, both orders, integer and real columns
    {"floors > 3", {3, 4, 9, 10}},
    {"3 < floors", {3, 4, 9, 10}},
    {"floors >= 3 AND floors <= 7", {1, 4, 9}},
    {"floors <> 3", {2, 3, 4, 5, 7, 8, 9, 10}},
    {"floors = 3.0", {1}},
    {"floors = '3'", {1}},  // text literal, INTEGER column: converted by affinity
    {"area = 120.5", {1}},
    {"area < 0", {8}},
    {"-1.6 < area AND area < 0", {8}},
    {"open = TRUE", {1, 3, 5}},
    {"open = false", {2, 4, 7, 8, 9, 10}},
    // a number against a TEXT column compares as text
    {"code = 5", {1}},
    {"code > 3", {1}},
    // text: = is exact and case-sensitive
    {"name = 'Alpha'", {1}},
    {"name <> 'Alpha'", {2, 3, 4, 5, 6, 7, 8, 9, 10}},
    {"name = ''", {9}},
    {"name = 'O''Brien'", {4}},
    // injection attempts are just values
    {"name = 'x'' OR 1=1 --'", {7}},
    {"name = 'x'' OR ''1''=''1'", {}},
    {"name = 'a''); DROP TABLE sites; --'", {}},
    // LIKE: case-sensitive, % and _, \ escapes, GLOB's own wildcards literal
    {"name LIKE 'alpha'", {2}},
    {"name LIKE 'A%'", {1}},
    {"name LIKE '%a'", {1, 2, 3, 6, 10}},
    {"name LIKE '_eta'", {3}},
    {"name NOT LIKE '%a'", {4, 5, 7, 8, 9}},
    {"name LIKE '50\\%%'", {5}},
    {"name LIKE '50\\% off'", {5}},
    {"name LIKE '\\%%'", {}},
    {"name LIKE '*%'", {8}},
    {"name LIKE '%?'", {8}},
    {"name LIKE ''", {9}},
    {"name LIKE '%''%'", {4, 7}},
    {"名称 LIKE '陆家嘴%'", {1, 10}},
    {"名称 LIKE '打折\\_店'", {5}},
    {"名称 LIKE '打折_店'", {5}},
    {"名称 LIKE '__'", {4, 7}},
    {"名称 LIKE '星[号]'", {8}},
    {"\"名称\" = '东方明珠'", {3}},
    // IN, BETWEEN, NULL
    {"name IN ('Alpha', 'Beta', 'nobody')", {1, 3}},
    {"kind NOT IN ('office', 'shop')", {1, 2, 3, 7}},
    {"floors IN (1, 3, 20)", {1, 2, 10}},
    {"floors BETWEEN 2 AND 5", {1, 4, 5}},
    {"floors NOT BETWEEN 2 AND 5", {2, 3, 7, 8, 9, 10}},
    {"area BETWEEN -2 AND 0", {7, 8}},
    {"area IS NULL", {4}},
    {"名称 IS NULL", {6}},
    {"kind IS NOT NULL", {1, 2, 3, 4, 5, 7, 8, 9, 10}},
    {"\"tag\"\"q\" = 'a'", {1, 3}},
    // boolean structure
    {"NOT floors > 3", {1, 2, 5, 7, 8}},
    {"floors = 1 OR floors = 3 AND kind = 'park'", {2}},
    {"(floors = 1 OR floors = 3) AND kind = 'station'", {1}},
    {"NOT (kind = 'office' OR kind = 'shop')", {1, 2, 3, 7}},
    {"floors between 2 and 5 and not kind = 'shop'", {1, 4}},
    // spatial, EPSG:4326 lon/lat
    {"S_INTERSECTS(geom, BBOX(121.49, 31.23, 121.51, 31.25))", {1, 3, 6}},
    {"S_INTERSECTS(geom, ENVELOPE(121.49, 121.51, 31.25, 31.23))", {1, 3, 6}},
    {"NOT S_INTERSECTS(geom, BBOX(121.49, 31.23, 121.51, 31.25))", {2, 4, 5, 7, 8, 9, 10}},
    {"S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))", {1, 2, 3, 4, 5, 6, 7, 8, 9}},
    {"S_INTERSECTS(geom, POINT(121.55 31.22))", {2, 9}},
    {"S_INTERSECTS(geom, POLYGON((121.53 31.20, 121.57 31.20, 121.57 31.24, 121.53 31.24, 121.53 "
     "31.20)))",
     {2, 9}},
    {"S_INTERSECTS(geom, LINESTRING(121.40 31.10, 121.40 31.30))", {7}},
    {"S_INTERSECTS(geom, MULTIPOINT((121.50 31.24), (121.59 31.20)))", {1, 4}},
    {"S_INTERSECTS(geom, MULTIPOINT(121.50 31.24, 121.59 31.20))", {1, 4}},
    {"S_INTERSECTS(geom, MULTILINESTRING((121.40 31.10, 121.40 31.30), (121.60 31.30, 121.60 "
     "31.40)))",
     {7, 8}},
    {"S_INTERSECTS(geom, MULTIPOLYGON(((121.465 31.225, 121.475 31.225, 121.475 31.235, 121.465 "
     "31.235, "
     "121.465 31.225)), ((121.58 31.19, 121.60 31.19, 121.60 31.21, 121.58 31.21, 121.58 31.19))))",
     {4, 5}},
    {"S_INTERSECTS(geom, BBOX(121.49, 31.23, 121.51, 31.25)) AND kind = 'tower'", {3}},
    {"S_INTERSECTS(geom, BBOX(0, 0, 1, 1))", {}},
};

TEST_F(Cql2Sql, FilterTable) {
    for (const auto& c : filter_cases) {
        SCOPED_TRACE(c.filter);
        EXPECT_EQ(fids(c.filter), c.expected);
    }
}

TEST_F(Cql2Sql, ValuesAreBoundNeverPasted) {
    std::vector<geo::Value> params;
    const auto where = geo::store::detail::to_sqlite_where(
        parse_cql2_text("name = 'x'' OR 1=1 --' AND 名称 LIKE '陆家嘴%' AND floors IN (1, 2.5) AND "
                        "open = TRUE"),
        "sites", fields(), params);
    EXPECT_EQ(
        where,
        R"((("name" = ?1) AND ("名称" GLOB ?2) AND ("floors" IN (?3, ?4)) AND ("open" = ?5)))");
    ASSERT_EQ(params.size(), 5u);
    EXPECT_EQ(std::get<std::string>(params[0]), "x' OR 1=1 --");
    EXPECT_EQ(std::get<std::string>(params[1]), "陆家嘴*");
    EXPECT_EQ(std::get<std::int64_t>(params[2]), 1);
    EXPECT_DOUBLE_EQ(std::get<double>(params[3]), 2.5);
    EXPECT_EQ(std::get<std::int64_t>(params[4]), 1);
}

TEST_F(Cql2Sql, IdentifiersAreQuoted) {
    std::vector<geo::Value> params;
    const auto where = geo::store::detail::to_sqlite_where(parse_cql2_text(R"("tag""q" IS NULL)"),
                                                           "sites", fields(), params);
    EXPECT_EQ(where, R"(("tag""q" IS NULL))");
    EXPECT_TRUE(params.empty());
}

TEST_F(Cql2Sql, SpatialSqlUsesTheIndexAndBoundCoordinates) {
    std::vector<geo::Value> params;
    const auto where = geo::store::detail::to_sqlite_where(
        parse_cql2_text("S_INTERSECTS(geom, POINT(121.5 31.2))"), "sites", fields(), params);
    EXPECT_EQ(
        where,
        R"(("fid" IN (SELECT pkid FROM "idx_sites_geom" WHERE xmin <= ?1 AND xmax >= ?2 AND ymin <= ?3 )"
        R"(AND ymax >= ?4) AND ST_Intersects("geom", GeomFromText(?5, 4326)) = 1))");
    ASSERT_EQ(params.size(), 5u);
    EXPECT_EQ(std::get<std::string>(params[4]), "POINT(121.5 31.2)");
}

// Placeholders are numbered by their place in params, so other terms can come first.
TEST_F(Cql2Sql, PlaceholdersFollowExistingParams) {
    std::vector<geo::Value> params{std::int64_t{2}};
    const auto where = geo::store::detail::to_sqlite_where(
        parse_cql2_text("kind = 'office' OR floors < 1"), "sites", fields(), params);
    EXPECT_EQ(where, R"((("kind" = ?2) OR ("floors" < ?3)))");
    params.emplace_back(std::int64_t{2});
    geo::capi::Statement st(s_db->get(), "SELECT fid FROM sites WHERE fid > ?1 AND " + where +
                                             " ORDER BY fid LIMIT ?" +
                                             std::to_string(params.size()));
    bind_all(st, params);
    Fids out;
    while (st.step()) out.push_back(st.column_int(0));
    EXPECT_EQ(out, (Fids{4, 7}));
}

TEST_F(Cql2Sql, UnknownPropertiesAreNamed) {
    EXPECT_EQ(sql_error("nope = 1"),
              "filter: unknown property \"nope\"; the collection has: name, 名称, floors, area, "
              "kind, tag\"q, "
              "code, open, geom");
    EXPECT_NE(sql_error("Name = 'x'").find("unknown property \"Name\""), std::string::npos);
    EXPECT_NE(sql_error("floors > 1 AND 地址 IS NULL").find("unknown property \"地址\""),
              std::string::npos);
    EXPECT_EQ(sql_error("geom IS NULL"),
              "filter: \"geom\" is the geometry; filter it with S_INTERSECTS(geom, BBOX(minx, "
              "miny, maxx, maxy))");
    EXPECT_EQ(
        sql_error("S_INTERSECTS(name, BBOX(0, 0, 1, 1))"),
        "filter: S_INTERSECTS needs the geometry property \"geom\", not the attribute \"name\"");
    EXPECT_NE(sql_error("S_INTERSECTS(shape, BBOX(0, 0, 1, 1))").find("unknown property \"shape\""),
              std::string::npos);
}

TEST(Cql2Glob, TranslatesLikePatterns) {
    using geo::store::detail::like_to_glob;
    EXPECT_EQ(like_to_glob("a%b_c"), "a*b?c");
    EXPECT_EQ(like_to_glob("\\%\\_\\\\"), "%_\\");
    EXPECT_EQ(like_to_glob("*?[]"), "[*][?][[]]");
    EXPECT_EQ(like_to_glob("\\*"), "[*]");
    EXPECT_EQ(like_to_glob("end\\"), "end\\");
    EXPECT_EQ(like_to_glob("陆家嘴_"), "陆家嘴?");
}

}  // namespace
