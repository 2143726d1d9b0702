// CQL2-text, from the text a client sends to the rows SQLite returns. Any bytes either parse
// or are refused with a positioned "filter: …" message; a parsed filter written back as
// canonical text parses to the same canonical text; and its SQL translation, against a small
// SpatiaLite table, either names an unknown property or runs.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "capi/sqlite.hpp"
#include "fuzz_check.hpp"
#include "geo/query/cql2.hpp"
#include "store/sql_filter.hpp"

namespace {

using gridmap::fuzz::check;

std::unique_ptr<geo::capi::SpatialiteDb> g_db;

// The attributes of the table below; the dictionary (cql2.dict) holds their names.
const std::vector<geo::Field>& fields() {
    static const std::vector<geo::Field> f = {{"name", geo::FieldType::text, ""},
                                              {"名称", geo::FieldType::text, ""},
                                              {"floors", geo::FieldType::integer, ""},
                                              {"area", geo::FieldType::real, ""},
                                              {"tag\"q", geo::FieldType::text, ""}};
    return f;
}

void run_sql(const geo::query::Expr& expr, std::string_view text) {
    std::vector<geo::Value> params;
    std::string where;
    try {
        where = geo::store::detail::to_sqlite_where(expr, "sites", fields(), params);
    } catch (const geo::Error& e) {
        gridmap::fuzz::check_refusal(e, "filter: ");
        return;
    }
    try {
        geo::capi::Statement st(g_db->get(), "SELECT fid FROM sites WHERE " + where);
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int n = static_cast<int>(i + 1);
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::monostate>) {
                        st.bind_null(n);
                    } else {
                        st.bind(n, v);
                    }
                },
                params[i]);
        }
        while (st.step()) {
        }
    } catch (const geo::Error& e) {
        gridmap::fuzz::fail(
            "the SQL of a parsed filter runs",
            std::string(e.what()) + "\nfilter: " + std::string(text) + "\nSQL: " + where);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_db = std::make_unique<geo::capi::SpatialiteDb>(":memory:",
                                                     geo::capi::SpatialiteDb::Mode::create);
    g_db->exec("SELECT InitSpatialMetadata(1, 'WGS84_ONLY')");
    g_db->exec(
        R"(CREATE TABLE sites (fid INTEGER PRIMARY KEY, name TEXT, "名称" TEXT, floors INTEGER,
                  area REAL, "tag""q" TEXT))");
    g_db->exec("SELECT AddGeometryColumn('sites', 'geom', 4326, 'GEOMETRY', 'XY')");
    g_db->exec("SELECT CreateSpatialIndex('sites', 'geom')");
    g_db->exec(R"(INSERT INTO sites VALUES
        (1, 'Alpha', '陆家嘴站', 3, 120.5, 'a', GeomFromText('POINT(121.50 31.24)', 4326)),
        (2, '50% off', '打折_店', NULL, -1.5, NULL,
            GeomFromText('POLYGON((121.54 31.21, 121.56 31.21, 121.56 31.23, 121.54 31.23, 121.54 31.21))', 4326)),
        (3, 'x'' OR 1=1 --', '星[号]*?', 0, NULL, '', GeomFromText('LINESTRING(121.45 31.20, 121.52 31.25)', 4326)),
        (4, NULL, NULL, 7, 0.0, 'b', NULL))");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    geo::query::Expr expr;
    try {
        expr = geo::query::parse_cql2_text(text);
    } catch (const geo::Error& e) {
        gridmap::fuzz::check_refusal(e, "filter: ");
        const std::string_view message = e.what();
        check(message.find(" position ") != std::string_view::npos ||
                  message.find("too long") != std::string_view::npos,
              "a refusal names the position", message);
        return 0;
    }
    for (const auto& name : geo::query::property_names(expr)) {
        check(!name.empty(), "property names are not empty", text);
    }
    const std::string canonical = geo::query::to_cql2_text(expr);
    // The canonical form adds parentheses around every AND and OR, and writes numbers out in
    // full: it needs more depth and length than the input, never more terms or points.
    geo::query::Cql2Limits roomy;
    roomy.max_length = std::numeric_limits<std::size_t>::max();
    roomy.max_depth = 100;
    geo::query::Expr again;
    try {
        again = geo::query::parse_cql2_text(canonical, roomy);
    } catch (const geo::Error& e) {
        gridmap::fuzz::fail("the canonical text parses again",
                            std::string(e.what()) + "\ncanonical: " + canonical);
    }
    check(geo::query::to_cql2_text(again) == canonical, "canonical text is a fixed point",
          canonical);
    run_sql(expr, text);
    return 0;
}
