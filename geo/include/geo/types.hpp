#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace geo {

/// An axis-aligned box. In the store and the HTTP interface it is in EPSG:4326 (lon, lat).
struct BBox {
    double minx = std::numeric_limits<double>::infinity();
    double miny = std::numeric_limits<double>::infinity();
    double maxx = -std::numeric_limits<double>::infinity();
    double maxy = -std::numeric_limits<double>::infinity();

    bool empty() const noexcept { return !(minx <= maxx && miny <= maxy); }
    void extend(double x, double y) noexcept {
        minx = std::min(minx, x);
        miny = std::min(miny, y);
        maxx = std::max(maxx, x);
        maxy = std::max(maxy, y);
    }
    void extend(const BBox& o) noexcept {
        if (o.empty()) return;
        extend(o.minx, o.miny);
        extend(o.maxx, o.maxy);
    }
};

/// Column types of a layer's attributes.
enum class FieldType { integer, real, text };

const char* to_string(FieldType t) noexcept;

/// One attribute column of a layer.
struct Field {
    std::string name;         ///< column name, valid UTF-8, unique in its layer (case-insensitively)
    FieldType type = FieldType::text;
    std::string source_name;  ///< the field it was imported from, decoded ("" when derived)
};

/// An attribute value: null, integer, real or UTF-8 text.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

/// A value as text: "" for null, integers in decimal, reals in the shortest form that reads
/// back as the same double.
std::string value_text(const Value& v);
/// A value as a whole number: integers as they are, finite reals rounded; nullopt for null,
/// text, or a real beyond the int64 range.
std::optional<std::int64_t> value_int(const Value& v);
/// A value as a real: reals and integers; nullopt for null and text.
std::optional<double> value_real(const Value& v);

/// What the catalog knows of a stored layer.
struct LayerInfo {
    std::string name;           ///< table name: lower-case ASCII letters, digits and '_'
    std::string title;          ///< human title, may be Chinese
    std::string geometry_type;  ///< POINT, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON or GEOMETRY
    std::string source_file;    ///< file name (no directories) of the latest import
    std::string source_crs;     ///< e.g. "EPSG:4528"; geometries are stored in EPSG:4326
    std::string encoding;       ///< attribute encoding of the source, e.g. "GB18030"
    std::string imported_at;    ///< UTC, ISO 8601
    std::int64_t feature_count = 0;
    std::int64_t version = 0;   ///< changes whenever the layer's features change (never repeats)
    BBox extent;                ///< EPSG:4326; empty for an empty layer
    std::vector<Field> fields;  ///< attribute columns in table order (fid and geometry excluded)
};

/// One feature as read from the store: attribute values in LayerInfo::fields order,
/// geometry as 2D little-endian ISO WKB in EPSG:4326.
struct Feature {
    std::int64_t fid = 0;
    std::vector<Value> values;
    std::vector<unsigned char> wkb;
    /// Which values were withheld from the caller (geo/access): true at i means values[i] is
    /// null because the caller may not see it, and writers leave the property out. Empty when
    /// nothing was withheld.
    std::vector<bool> withheld;

    bool is_withheld(std::size_t i) const noexcept { return i < withheld.size() && withheld[i]; }
};

}  // namespace geo
