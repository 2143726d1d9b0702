#include "store/sql_filter.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "capi/sqlite.hpp"
#include "geo/error.hpp"

namespace geo::store::detail {

namespace {

using capi::quote_identifier;

// SQLite's default SQLITE_MAX_VARIABLE_NUMBER; the parser's limits stay far below it.
constexpr std::size_t max_parameters = 32766;

class WhereWriter {
  public:
    WhereWriter(std::string_view table, const std::vector<Field>& fields,
                std::vector<Value>& params, const std::string& geometry_column)
        : m_table(table), m_fields(fields), m_params(params), m_geometry_column(geometry_column) {}

    void write(const query::Expr& e) {
        std::visit([&](const auto& n) { write_node(n); }, e.node);
    }

    std::string take() { return std::move(m_sql); }

  private:
    void write_node(const query::And& n) { write_list(n.terms, " AND "); }
    void write_node(const query::Or& n) { write_list(n.terms, " OR "); }
    void write_node(const query::Not& n) {
        m_sql += "(NOT ";
        write(*n.operand);
        m_sql += ')';
    }
    // Appends are sequenced one by one: placeholders must be numbered in the order their
    // values are pushed, and operands of one '+' chain are evaluated in no fixed order.
    void write_node(const query::Comparison& n) {
        open_predicate(n.property);
        m_sql += ' ';
        m_sql += op_sql(n.op);
        m_sql += ' ';
        m_sql += bind(n.value);
        m_sql += ')';
    }
    void write_node(const query::Like& n) {
        open_predicate(n.property);
        m_sql += n.negated ? " NOT GLOB " : " GLOB ";
        m_sql += bind(Value(like_to_glob(n.pattern)));
        m_sql += ')';
    }
    void write_node(const query::In& n) {
        open_predicate(n.property);
        m_sql += n.negated ? " NOT IN (" : " IN (";
        for (std::size_t i = 0; i < n.values.size(); ++i) {
            if (i > 0) m_sql += ", ";
            m_sql += bind(n.values[i]);
        }
        m_sql += "))";
    }
    void write_node(const query::Between& n) {
        open_predicate(n.property);
        m_sql += n.negated ? " NOT BETWEEN " : " BETWEEN ";
        m_sql += bind(n.low);
        m_sql += " AND ";
        m_sql += bind(n.high);
        m_sql += ')';
    }
    void write_node(const query::IsNull& n) {
        open_predicate(n.property);
        m_sql += n.negated ? " IS NOT NULL)" : " IS NULL)";
    }
    void write_node(const query::Intersects& n) {
        check_geometry_property(n.property);
        const BBox& b = n.geometry.bbox;
        // The R*Tree narrows the candidates; its float boxes are rounded outwards, so it never
        // drops a match. ST_Intersects gives -1 on a NULL geometry, hence "= 1".
        m_sql += "(\"fid\" IN (SELECT pkid FROM ";
        m_sql += quote_identifier("idx_" + std::string(m_table) + "_" + m_geometry_column);
        m_sql += " WHERE xmin <= ";
        m_sql += bind(Value(b.maxx));
        m_sql += " AND xmax >= ";
        m_sql += bind(Value(b.minx));
        m_sql += " AND ymin <= ";
        m_sql += bind(Value(b.maxy));
        m_sql += " AND ymax >= ";
        m_sql += bind(Value(b.miny));
        m_sql += ") AND ST_Intersects(";
        m_sql += quote_identifier(m_geometry_column);
        if (n.geometry.kind == query::GeometryLiteral::Kind::bbox) {
            m_sql += ", BuildMbr(";
            for (double v : {b.minx, b.miny, b.maxx, b.maxy}) {
                m_sql += bind(Value(v));
                m_sql += ", ";
            }
            m_sql += "4326)) = 1)";
        } else {
            m_sql += ", GeomFromText(";
            m_sql += bind(Value(n.geometry.wkt));
            m_sql += ", 4326)) = 1)";
        }
    }

    void open_predicate(const std::string& property) {
        m_sql += '(';
        m_sql += column(property);
    }

    void write_list(const std::vector<query::Expr>& terms, const char* joiner) {
        m_sql += '(';
        for (std::size_t i = 0; i < terms.size(); ++i) {
            if (i > 0) m_sql += joiner;
            write(terms[i]);
        }
        m_sql += ')';
    }

    static const char* op_sql(query::CompareOp op) {
        switch (op) {
            case query::CompareOp::eq:
                return "=";
            case query::CompareOp::ne:
                return "<>";
            case query::CompareOp::lt:
                return "<";
            case query::CompareOp::le:
                return "<=";
            case query::CompareOp::gt:
                return ">";
            case query::CompareOp::ge:
                return ">=";
        }
        return "=";
    }

    std::string bind(Value v) {
        if (m_params.size() >= max_parameters) {
            throw Error(Errc::invalid_argument, "filter: the filter has too many values");
        }
        m_params.push_back(std::move(v));
        return "?" + std::to_string(m_params.size());
    }

    std::string bind(const query::Literal& literal) {
        return bind(std::visit(
            [](const auto& x) -> Value {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, bool>) {
                    return std::int64_t{x ? 1 : 0};
                } else {
                    return x;
                }
            },
            literal));
    }

    bool is_geometry_name(const std::string& name) const {
        return name == "geom" || name == "geometry" || name == m_geometry_column;
    }
    bool is_field(const std::string& name) const {
        return std::any_of(m_fields.begin(), m_fields.end(),
                           [&](const Field& f) { return f.name == name; });
    }

    std::string column(const std::string& name) const {
        if (is_field(name)) return quote_identifier(name);
        if (is_geometry_name(name)) {
            throw Error(Errc::invalid_argument,
                        "filter: \"" + name + "\" is the geometry; filter it with S_INTERSECTS(" +
                            name + ", BBOX(minx, miny, maxx, maxy))");
        }
        throw unknown(name);
    }

    void check_geometry_property(const std::string& name) const {
        if (is_geometry_name(name)) return;
        if (is_field(name)) {
            throw Error(Errc::invalid_argument,
                        "filter: S_INTERSECTS needs the geometry property \"" + m_geometry_column +
                            "\", not the attribute \"" + name + "\"");
        }
        throw unknown(name);
    }

    Error unknown(const std::string& name) const {
        std::string have;
        for (const auto& f : m_fields) have += f.name + ", ";
        have += m_geometry_column;
        return Error(Errc::invalid_argument,
                     "filter: unknown property \"" + name + "\"; the collection has: " + have);
    }

    std::string_view m_table;
    const std::vector<Field>& m_fields;
    std::vector<Value>& m_params;
    const std::string& m_geometry_column;
    std::string m_sql;
};

}  // namespace

std::string like_to_glob(std::string_view like_pattern) {
    std::string out;
    out.reserve(like_pattern.size() + 8);
    const auto literal = [&](char c) {
        if (c == '*' || c == '?' || c == '[') {
            out += '[';
            out += c;
            out += ']';
        } else {
            out += c;
        }
    };
    // Byte-wise is safe: the special characters are ASCII and never occur inside a UTF-8
    // multi-byte sequence.
    for (std::size_t i = 0; i < like_pattern.size(); ++i) {
        const char c = like_pattern[i];
        if (c == '\\' && i + 1 < like_pattern.size()) {
            literal(like_pattern[++i]);
        } else if (c == '%') {
            out += '*';
        } else if (c == '_') {
            out += '?';
        } else {
            literal(c);
        }
    }
    return out;
}

std::string to_sqlite_where(const query::Expr& e, std::string_view table,
                            const std::vector<Field>& fields, std::vector<Value>& params,
                            const std::string& geometry_column) {
    const std::size_t before = params.size();
    WhereWriter writer(table, fields, params, geometry_column);
    try {
        writer.write(e);
    } catch (...) {
        params.resize(before);
        throw;
    }
    return writer.take();
}

}  // namespace geo::store::detail
