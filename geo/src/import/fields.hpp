#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "geo/import/import.hpp"
#include "geo/schema.hpp"
#include "geo/types.hpp"

namespace geo::import::detail {

/// A source field as read, with its name decoded and repaired.
struct SourceField {
    int index = 0;             ///< OGR field index
    std::string raw_name;      ///< bytes as in the file
    std::string name;          ///< decoded, valid UTF-8, trimmed
    FieldType type = FieldType::text;
    bool name_was_cut = false;  ///< the name filled the DBF's 10 bytes and lost a partial character
};

/// Where a layer column's values come from.
struct ColumnPlan {
    Field field;
    std::optional<int> source_index;  ///< index into the SourceField list; nullopt: NULL/derived
    bool core = false;
};

/// Turns decoded names into valid, unique column names: control characters removed, blanks
/// trimmed, empty names become field_N, "fid"/"geom" and names already taken (compared
/// ASCII-case-insensitively, as SQLite does) get a suffix _2, _3, …
std::vector<std::string> unique_column_names(const std::vector<std::string>& names,
                                             const std::vector<std::string>& taken);

/// Plans the layer's columns: for a core layer its core columns first (filled from `--map`
/// or the first matching alias), then every other source field kept under a valid unique
/// name (`--map new=源字段` renames one). Throws geo::Error (invalid_argument) when a --map
/// names a field the file does not have.
std::vector<ColumnPlan> plan_columns(const schema::CoreLayer* core,
                                     const std::vector<SourceField>& sources,
                                     const std::map<std::string, std::string>& field_map,
                                     std::vector<FieldMapping>& report);

/// Parses a number at the start of text such as "12", " 12.5 ", "12层" or "1,200户";
/// nullopt when the text does not start with a number.
std::optional<double> parse_leading_number(const std::string& text);

}  // namespace geo::import::detail
