#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "geo/types.hpp"

// A subset of CQL2-text (OGC 21-065) for the `filter=` parameter of OGC API – Features:
// AND, OR, NOT, parentheses; = <> < <= > >=; [NOT] LIKE; [NOT] IN (…); [NOT] BETWEEN … AND …;
// IS [NOT] NULL; S_INTERSECTS(property, geometry) with BBOX, ENVELOPE or 2D WKT POINT,
// LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON in EPSG:4326 (lon, lat).
// Keywords are case-insensitive; property names are case-sensitive.
namespace geo::query {

/// A literal value: integer, decimal, UTF-8 text or TRUE/FALSE.
using Literal = std::variant<std::int64_t, double, std::string, bool>;

enum class CompareOp { eq, ne, lt, le, gt, ge };

/// A geometry literal in EPSG:4326, lon/lat degrees, 2D.
struct GeometryLiteral {
    enum class Kind { bbox, point, linestring, polygon, multipoint, multilinestring, multipolygon };
    Kind kind = Kind::bbox;
    BBox bbox;  ///< for Kind::bbox the box itself, otherwise the bounding box of the coordinates
    std::string wkt;  ///< canonical WKT rewritten from the parsed numbers; empty for Kind::bbox
};

struct Expr;

struct And {
    std::vector<Expr> terms;  ///< two or more
};
struct Or {
    std::vector<Expr> terms;  ///< two or more
};
struct Not {
    std::unique_ptr<Expr> operand;  ///< never null
};
/// `property op value`; `value op property` is stored with the operator mirrored.
struct Comparison {
    std::string property;
    CompareOp op = CompareOp::eq;
    Literal value;
};
/// `property [NOT] LIKE pattern`: '%' any run of characters, '_' one character, '\' makes
/// the next character literal. Case-sensitive.
struct Like {
    std::string property;
    std::string pattern;  ///< as written in the filter, quotes and '' escapes removed
    bool negated = false;
};
struct In {
    std::string property;
    std::vector<Literal> values;  ///< one or more
    bool negated = false;
};
/// Inclusive at both ends.
struct Between {
    std::string property;
    Literal low;
    Literal high;
    bool negated = false;
};
struct IsNull {
    std::string property;
    bool negated = false;  ///< IS NOT NULL
};
struct Intersects {
    std::string property;  ///< the geometry property, e.g. "geom"
    GeometryLiteral geometry;
};

/// A parsed filter. Trees from parse_cql2_text are at most Cql2Limits::max_depth deep.
struct Expr {
    std::variant<And, Or, Not, Comparison, Like, In, Between, IsNull, Intersects> node;
};

/// Bounds on what a filter may ask for, so that no request can exhaust time or memory.
struct Cql2Limits {
    std::size_t max_length = 8192;  ///< bytes of filter text
    int max_depth = 20;   ///< nesting of parentheses and NOT; capped at 100 whatever is set
    int max_terms = 100;  ///< predicates (comparisons, LIKE, IN, …) in the whole filter
    std::size_t max_wkt_points = 10000;  ///< coordinates in all geometry literals together
    std::size_t max_in_values = 500;     ///< values in all IN lists together
};

/// Parses CQL2 text. Throws geo::Error(Errc::invalid_argument) for anything it cannot
/// parse or that exceeds `limits`; the message starts with "filter: " and names the
/// 1-based character (not byte) position, e.g. "filter: expected a value after '=' at
/// position 12". Runs in time linear in the text length.
Expr parse_cql2_text(std::string_view text, const Cql2Limits& limits = {});

/// `S_INTERSECTS(property, literal)` for a query parameter `property=literal` (OGC API –
/// Features Part 3, queryables as query parameters): `literal` is one geometry literal as a
/// filter writes it (WKT, BBOX(…), ENVELOPE(…)). Throws geo::Error(Errc::invalid_argument)
/// when it is anything else.
Expr parse_intersects_parameter(std::string_view property, std::string_view literal,
                                const Cql2Limits& limits = {});

/// Every property name `e` uses, each once, in order of first appearance.
std::vector<std::string> property_names(const Expr& e);

/// `e` as fully parenthesized canonical CQL2 text (property names double-quoted), which
/// parse_cql2_text reads back to the same tree, given room for its extra parentheses in
/// max_depth. For logs and tests.
std::string to_cql2_text(const Expr& e);

}  // namespace geo::query
