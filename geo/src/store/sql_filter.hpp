#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "geo/query/cql2.hpp"
#include "geo/types.hpp"

namespace geo::store::detail {

/// Translates a parsed CQL2 filter into an SQLite/SpatiaLite boolean expression over the
/// layer table `table` (columns fid, the attributes `fields`, `geometry_column`, and the
/// R*Tree "idx_<table>_<geometry_column>"). No value is written into the SQL: each is
/// appended to `params` and referenced as ?N, N being its 1-based index in `params`, so the
/// clause may sit anywhere in a statement whose other values are also in `params`.
///
/// Semantics, where SQL and CQL2 could differ:
/// - Property names must equal a field name exactly; S_INTERSECTS takes "geom", "geometry"
///   or `geometry_column`. Otherwise geo::Error(invalid_argument) with a message listing the
///   properties the collection has.
/// - Values are bound with the literal's type (TRUE/FALSE as 1/0) and SQLite's column
///   affinity decides: a number against a text column compares as text (`name = 5` matches
///   '5'), text against a numeric column is converted when it looks like a number.
/// - LIKE is case-sensitive as CQL2 requires: it becomes GLOB, with '%', '_' and '\'-escapes
///   translated and GLOB's own '*', '?', '[' matched literally. '_' matches one character,
///   not one byte.
/// - NULL attributes satisfy no comparison, LIKE, IN or BETWEEN, negated or not.
/// - S_INTERSECTS uses the R*Tree, then ST_Intersects; a feature without geometry never
///   intersects. Coordinates are EPSG:4326 lon/lat, as parsed.
std::string to_sqlite_where(const query::Expr& e, std::string_view table,
                            const std::vector<Field>& fields, std::vector<Value>& params,
                            const std::string& geometry_column = "geom");

/// The GLOB pattern matching what the CQL2 LIKE pattern matches, case-sensitively.
std::string like_to_glob(std::string_view like_pattern);

}  // namespace geo::store::detail
