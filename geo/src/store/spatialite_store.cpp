// The embedded backend: one SpatiaLite file in WAL mode. Each layer is a table
// (fid INTEGER PRIMARY KEY, attribute columns, geom) with an R*Tree index; the catalog
// lives in gridmap_layers and gridmap_fields. Every write happens inside one
// transaction, which is what makes imports all-or-nothing across crashes and kill -9.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "capi/sqlite.hpp"
#include "geo/error.hpp"
#include "geo/schema.hpp"
#include "geo/store/store.hpp"
#include "store/links.hpp"
#include "store/rtree_bulk.hpp"
#include "store/sql_filter.hpp"
#include "store/versions.hpp"
#include "geo/query/cql2.hpp"

#include <nlohmann/json.hpp>

namespace geo::store {

namespace {

using capi::quote_identifier;
using capi::SpatialiteDb;
using capi::Statement;

constexpr int k_schema_version = 3;

// Version 3: bearer tokens (hashes only) and the audit log. tokens_version in gridmap_meta
// changes with every token written, so servers reload their token cache only then.
constexpr const char* k_access_tables =
    "CREATE TABLE IF NOT EXISTS gridmap_tokens ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, grids TEXT NOT NULL,"
    " hash BLOB NOT NULL UNIQUE, created_at TEXT NOT NULL, expires_at TEXT NOT NULL DEFAULT '',"
    " revoked_at TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS gridmap_audit ("
    " id INTEGER PRIMARY KEY, at TEXT NOT NULL, token_id INTEGER NOT NULL, who TEXT NOT NULL,"
    " action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS gridmap_audit_at ON gridmap_audit(at);"
    "CREATE TABLE IF NOT EXISTS gridmap_jobs ("
    " id TEXT PRIMARY KEY, kind TEXT NOT NULL, layer TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL,"
    " created_at TEXT NOT NULL, finished_at TEXT NOT NULL, token_id INTEGER NOT NULL, who TEXT NOT NULL,"
    " file TEXT NOT NULL, report TEXT NOT NULL);"
    "INSERT OR IGNORE INTO gridmap_meta(key, value) VALUES ('tokens_version', '0');";

const std::set<std::string> k_geometry_types = {"POINT", "MULTIPOINT", "LINESTRING",
                                                "MULTILINESTRING", "POLYGON", "MULTIPOLYGON",
                                                "GEOMETRY"};

FieldType field_type_from(const std::string& s) {
    if (s == "integer") return FieldType::integer;
    if (s == "real") return FieldType::real;
    return FieldType::text;
}

const char* sql_type(FieldType t) {
    switch (t) {
        case FieldType::integer: return "INTEGER";
        case FieldType::real: return "REAL";
        case FieldType::text: return "TEXT";
    }
    return "TEXT";
}

std::string lower_ascii(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

void validate_fields(const std::vector<Field>& fields) {
    std::set<std::string> seen = {"fid", "geom"};
    for (const auto& f : fields) {
        if (f.name.empty()) throw Error(Errc::invalid_argument, "a field has an empty name");
        if (!seen.insert(lower_ascii(f.name)).second) {
            throw Error(Errc::invalid_argument,
                        "field name \"" + f.name + "\" is used twice or is reserved");
        }
    }
}

void bind_value(Statement& st, int i, const Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                st.bind_null(i);
            } else if constexpr (std::is_same_v<T, std::string>) {
                st.bind(i, std::string_view(x));
            } else {
                st.bind(i, x);
            }
        },
        v);
}

Value read_value(const Statement& st, int col) {
    switch (st.column_type(col)) {
        case SQLITE_INTEGER: return st.column_int(col);
        case SQLITE_FLOAT: return st.column_double(col);
        case SQLITE_TEXT: return st.column_text(col);
        case SQLITE_BLOB: return st.column_text(col);
        default: return std::monostate{};
    }
}

class SpatialiteStore;

class SpatialiteLayerWriter final : public LayerWriter {
public:
    SpatialiteLayerWriter(SpatialiteStore& store, const NewLayer& layer, WriteMode mode);
    ~SpatialiteLayerWriter() override;
    void add(const FeatureRow& row) override;
    LayerInfo commit() override;

private:
    SpatialiteStore& m_store;
    SpatialiteDb& m_db;
    NewLayer m_layer;
    bool m_new_table = true;
    bool m_done = false;
    std::vector<Field> m_all_fields;  // catalog fields after this write
    std::optional<Statement> m_insert;
    // Insert triggers of a new table, set aside while it fills (name, SQL).
    std::vector<std::pair<std::string, std::string>> m_suspended_triggers;

    void suspend_insert_triggers();
    void finish_new_table();
};

enum class Access { read_only, read_write, create };

class SpatialiteStore final : public Store {
public:
    SpatialiteStore(const std::string& path, Access access);

    std::vector<LayerInfo> layers() override;
    std::optional<LayerInfo> layer(std::string_view name) override;
    std::map<std::string, std::int64_t> layer_versions() override;
    std::unique_ptr<LayerWriter> write_layer(const NewLayer& layer, WriteMode mode) override;
    void read_features(std::string_view layer, const FeatureQuery& query,
                       const std::function<bool(const Feature&)>& visit) override;
    std::int64_t count_features(std::string_view layer, const FeatureQuery& query) override;
    void drop_layer(std::string_view layer) override;
    std::vector<std::string> check() override;
    std::int64_t add_token(const access::TokenRecord& token) override;
    std::vector<access::TokenRecord> tokens() override;
    bool revoke_token(std::int64_t id) override;
    std::int64_t tokens_version() override;
    void append_audit(const access::AuditEntry& entry) override;
    std::vector<access::AuditEntry> audit(std::string_view since, std::int64_t limit) override;
    void save_job(const JobRecord& job) override;
    std::optional<JobRecord> job(std::string_view id) override;
    std::int64_t fail_unfinished_jobs(std::string_view detail) override;

    SpatialiteDb& db() { return *m_db; }
    /// Rows whose spatial index entry is missing, stray or of the wrong box.
    std::int64_t spatial_index_mismatches(const std::string& layer);
    void drop_table(const std::string& name);
    void write_catalog(const NewLayer& layer, const std::vector<Field>& fields);
    bool writing = false;

private:
    void initialize();
    void upgrade();
    /// Whether the access tables exist (a read-only store of an older database has none).
    bool has_access_tables();
    std::unique_ptr<SpatialiteDb> m_db;
};

SpatialiteStore::SpatialiteStore(const std::string& path, Access access) {
    const bool exists = std::filesystem::exists(path);
    if (!exists && access != Access::create) {
        throw Error(Errc::not_found,
                    "database " + path + " does not exist (import a layer to create it)");
    }
    const bool read_only = access == Access::read_only;
    m_db = std::make_unique<SpatialiteDb>(
        path, read_only ? SpatialiteDb::Mode::read_only
              : exists  ? SpatialiteDb::Mode::read_write
                        : SpatialiteDb::Mode::create);
    bool has_catalog = false;
    std::int64_t tables = 0;
    try {
        Statement catalog(m_db->get(),
                          "SELECT 1 FROM sqlite_master WHERE type='table' AND name='gridmap_layers'");
        has_catalog = catalog.step();
        Statement any(m_db->get(), "SELECT count(*) FROM sqlite_master");
        any.step();
        tables = any.column_int(0);
    } catch (const Error& e) {
        // A full disk, a read-only folder or a busy database already say so, naming the file.
        if (e.code() != Errc::internal) throw;
        throw Error(e.code(), "cannot use " + path + " as a Gridmap database (" + e.what() + ")");
    }
    {
        // Never touch someone else's database (not even its journal mode), even when asked to
        // create one.
        if (!has_catalog && tables > 0) {
            throw Error(Errc::invalid_argument,
                        path + " is an SQLite database but not a Gridmap one; give another --db");
        }
    }
    if (read_only) {
        if (!has_catalog) {
            throw Error(Errc::invalid_argument,
                        path + " holds no Gridmap layers (an empty database)");
        }
        // Reading only: the journal mode, the catalog's schema and the file stay as they are.
        m_db->exec("PRAGMA query_only=1; PRAGMA cache_size=-131072;");
        Statement columns(m_db->get(), "PRAGMA table_info(gridmap_layers)");
        bool has_version = false;
        while (columns.step()) has_version = has_version || columns.column_text(1) == "version";
        if (!has_version) {
            throw Error(Errc::unsupported,
                        path + " was written by an older Gridmap; open it once for writing (any "
                               "gridmap import, or gridmap serve) to bring it up to date");
        }
        return;
    }
    // A large page cache keeps a big import's table and R*Tree pages in memory (128 MiB at most).
    m_db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
               " PRAGMA cache_size=-131072;");
    if (!has_catalog) {
        initialize();
    } else {
        upgrade();
    }
}

// Brings a catalog written by an earlier Gridmap up to date, in one transaction.
void SpatialiteStore::upgrade() {
    bool has_version = false;
    {
        Statement columns(m_db->get(), "PRAGMA table_info(gridmap_layers)");
        while (columns.step()) has_version = has_version || columns.column_text(1) == "version";
    }
    if (has_version && has_access_tables()) return;
    m_db->exec("BEGIN IMMEDIATE");
    try {
        // Version 2 added per-layer versions (tile cache invalidation).
        if (!has_version) m_db->exec("ALTER TABLE gridmap_layers ADD COLUMN version INTEGER NOT NULL DEFAULT 0;");
        m_db->exec(k_access_tables);
        Statement version(m_db->get(), "INSERT OR REPLACE INTO gridmap_meta(key, value) VALUES ('schema_version', ?)");
        version.bind(1, std::to_string(k_schema_version));
        version.run();
        m_db->exec("COMMIT");
    } catch (...) {
        m_db->rollback();
        throw;
    }
}

void SpatialiteStore::initialize() {
    // One transaction, so a kill during creation leaves no half-made catalog.
    m_db->exec("BEGIN IMMEDIATE");
    try {
        Statement check_meta(m_db->get(),
                             "SELECT 1 FROM sqlite_master WHERE name='spatial_ref_sys'");
        if (!check_meta.step()) {
            Statement init(m_db->get(), "SELECT InitSpatialMetadata(0, 'WGS84_ONLY')");
            init.step();
            if (init.column_int(0) != 1) {
                throw Error(Errc::internal, "SpatiaLite could not create its metadata tables");
            }
        }
        m_db->exec(
            "CREATE TABLE gridmap_layers ("
            " name TEXT PRIMARY KEY, title TEXT NOT NULL, geometry_type TEXT NOT NULL,"
            " source_file TEXT, source_crs TEXT, encoding TEXT, imported_at TEXT,"
            " feature_count INTEGER NOT NULL, minx REAL, miny REAL, maxx REAL, maxy REAL,"
            " version INTEGER NOT NULL DEFAULT 0);"
            "CREATE TABLE gridmap_fields ("
            " layer TEXT NOT NULL REFERENCES gridmap_layers(name) ON DELETE CASCADE,"
            " ord INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, source_name TEXT,"
            " PRIMARY KEY (layer, ord));"
            "CREATE TABLE gridmap_meta (key TEXT PRIMARY KEY, value TEXT);");
        m_db->exec(k_access_tables);
        Statement version(m_db->get(),
                          "INSERT INTO gridmap_meta(key, value) VALUES ('schema_version', ?)");
        version.bind(1, std::to_string(k_schema_version));
        version.run();
        m_db->exec("COMMIT");
    } catch (...) {
        m_db->rollback();
        throw;
    }
}

std::vector<LayerInfo> SpatialiteStore::layers() {
    std::vector<LayerInfo> out;
    Statement names(*m_db, "SELECT name FROM gridmap_layers ORDER BY name");
    while (names.step()) {
        if (auto info = layer(names.column_text(0))) out.push_back(std::move(*info));
    }
    return out;
}

std::optional<LayerInfo> SpatialiteStore::layer(std::string_view name) {
    Statement st(*m_db,
                 "SELECT name, title, geometry_type, source_file, source_crs, encoding,"
                 " imported_at, feature_count, minx, miny, maxx, maxy, version"
                 " FROM gridmap_layers WHERE name = ?");
    st.bind(1, name);
    if (!st.step()) return std::nullopt;
    LayerInfo info;
    info.name = st.column_text(0);
    info.title = st.column_text(1);
    info.geometry_type = st.column_text(2);
    info.source_file = st.column_text(3);
    info.source_crs = st.column_text(4);
    info.encoding = st.column_text(5);
    info.imported_at = st.column_text(6);
    info.feature_count = st.column_int(7);
    info.version = st.column_int(12);
    if (!st.is_null(8)) {
        info.extent.extend(st.column_double(8), st.column_double(9));
        info.extent.extend(st.column_double(10), st.column_double(11));
    }
    Statement fields(*m_db,
                     "SELECT name, type, source_name FROM gridmap_fields WHERE layer = ? ORDER BY ord");
    fields.bind(1, name);
    while (fields.step()) {
        info.fields.push_back(
            {fields.column_text(0), field_type_from(fields.column_text(1)), fields.column_text(2)});
    }
    return info;
}

std::map<std::string, std::int64_t> SpatialiteStore::layer_versions() {
    std::map<std::string, std::int64_t> out;
    Statement st(*m_db, "SELECT name, version FROM gridmap_layers");
    while (st.step()) out[st.column_text(0)] = st.column_int(1);
    return out;
}

std::unique_ptr<LayerWriter> SpatialiteStore::write_layer(const NewLayer& layer, WriteMode mode) {
    if (!schema::is_valid_layer_name(layer.name)) {
        throw Error(Errc::invalid_argument,
                    "\"" + layer.name +
                        "\" cannot name a layer: use 1-63 lower-case letters, digits and '_', "
                        "starting with a letter");
    }
    if (!k_geometry_types.contains(layer.geometry_type)) {
        throw Error(Errc::invalid_argument, "unknown geometry type " + layer.geometry_type);
    }
    validate_fields(layer.fields);
    if (writing) throw Error(Errc::conflict, "this connection is already writing a layer");
    return std::make_unique<SpatialiteLayerWriter>(*this, layer, mode);
}

void SpatialiteStore::drop_table(const std::string& name) {
    // Statements are finished before each DROP: SQLite refuses to drop a table that an
    // unfinished statement still reads.
    std::optional<bool> indexed;
    {
        Statement has_geom(m_db->get(),
                           "SELECT spatial_index_enabled FROM geometry_columns"
                           " WHERE f_table_name = lower(?) AND f_geometry_column = 'geom'");
        has_geom.bind(1, std::string_view(name));
        if (has_geom.step()) indexed = has_geom.column_int(0) != 0;
    }
    if (indexed) {
        if (*indexed) {
            Statement disable(m_db->get(), "SELECT DisableSpatialIndex(?, 'geom')");
            disable.bind(1, std::string_view(name));
            disable.run();
        }
        m_db->exec("DROP TABLE IF EXISTS " + quote_identifier("idx_" + name + "_geom"));
        Statement discard(m_db->get(), "SELECT DiscardGeometryColumn(?, 'geom')");
        discard.bind(1, std::string_view(name));
        discard.run();
    }
    m_db->exec("DROP TABLE IF EXISTS " + quote_identifier(name));
    Statement del(m_db->get(), "DELETE FROM gridmap_layers WHERE name = ?");
    del.bind(1, std::string_view(name));
    del.run();
}

void SpatialiteStore::write_catalog(const NewLayer& layer, const std::vector<Field>& fields) {
    const std::string q = quote_identifier(layer.name);
    Statement stats(m_db->get(), "SELECT count(*), min(MbrMinX(geom)), min(MbrMinY(geom)),"
                                 " max(MbrMaxX(geom)), max(MbrMaxY(geom)) FROM " + q);
    stats.step();
    Statement put(m_db->get(),
                  "INSERT OR REPLACE INTO gridmap_layers(name, title, geometry_type, source_file,"
                  " source_crs, encoding, imported_at, feature_count, minx, miny, maxx, maxy)"
                  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    put.bind(1, std::string_view(layer.name))
        .bind(2, std::string_view(layer.title))
        .bind(3, std::string_view(layer.geometry_type))
        .bind(4, std::string_view(layer.source_file))
        .bind(5, std::string_view(layer.source_crs))
        .bind(6, std::string_view(layer.encoding))
        .bind(7, std::string_view(access::now_utc()))
        .bind(8, stats.column_int(0));
    for (int i = 1; i <= 4; ++i) {
        if (stats.is_null(i)) {
            put.bind_null(8 + i);
        } else {
            put.bind(8 + i, stats.column_double(i));
        }
    }
    put.run();
    detail::mark_changed(*m_db, {layer.name});
    Statement clear(m_db->get(), "DELETE FROM gridmap_fields WHERE layer = ?");
    clear.bind(1, std::string_view(layer.name));
    clear.run();
    Statement add(m_db->get(),
                  "INSERT INTO gridmap_fields(layer, ord, name, type, source_name) VALUES (?,?,?,?,?)");
    for (std::size_t i = 0; i < fields.size(); ++i) {
        add.bind(1, std::string_view(layer.name))
            .bind(2, static_cast<std::int64_t>(i))
            .bind(3, std::string_view(fields[i].name))
            .bind(4, std::string_view(to_string(fields[i].type)))
            .bind(5, std::string_view(fields[i].source_name));
        add.run();
    }
}

// Whether a feature is inside the caller's cells, as SQL over the layer's columns; "0" for a
// layer none of whose features is ever inside a scope.
std::string inside_scope(const LayerInfo& info, const access::Scope& scope, const access::LayerPolicy& policy) {
    if (policy.cell_field.empty() || scope.cells.empty()) return "0";
    const bool has_field = std::any_of(info.fields.begin(), info.fields.end(),
                                       [&](const Field& f) { return f.name == policy.cell_field; });
    if (!has_field) return "0";
    std::string list;
    for (const auto& code : scope.cells) list += (list.empty() ? "" : ",") + capi::quote_literal(code);
    return "(" + quote_identifier(policy.cell_field) + " IN (" + list + "))";
}

// Whether a query in `scope` reads `info` through redaction (see source_of).
bool redacts(const LayerInfo& info, const access::Scope& scope) {
    return !scope.unrestricted && !access::policy(info.name).all_public;
}

// What a query reads FROM: the layer's table, or for a restricted scope the same table with
// every attribute the caller may not see nulled outside the caller's cells. The WHERE clause,
// filters included, then sees only what the caller may see: a worker cannot find a building
// outside its cells by its address. SQLite flattens the subquery, so the spatial index and
// the fid order still serve.
std::string source_of(const LayerInfo& info, const access::Scope& scope) {
    const std::string table = quote_identifier(info.name);
    if (!redacts(info, scope)) return table;
    const auto policy = access::policy(info.name);
    const std::string inside = inside_scope(info, scope, policy);
    std::string sql = "(SELECT fid, geom";
    for (const auto& f : info.fields) {
        const std::string column = quote_identifier(f.name);
        sql += policy.is_public(f.name) ? ", " + column : ", CASE WHEN " + inside + " THEN " + column + " END AS " + column;
    }
    return sql + " FROM " + table + ") AS " + table;
}

std::string where_clause(const LayerInfo& info, const FeatureQuery& query, std::vector<Value>& params) {
    std::vector<std::string> terms;
    if (query.bbox) {
        terms.push_back("fid IN (SELECT pkid FROM " + quote_identifier("idx_" + info.name + "_geom") +
                        " WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?)");
        for (double v : {query.bbox->maxx, query.bbox->minx, query.bbox->maxy, query.bbox->miny}) {
            params.emplace_back(v);
        }
        if (query.bbox_exact) {
            // A geometry whose own box lies inside the query box meets it: only the ones
            // crossing its edge need the exact (and much dearer) GEOS test.
            // A box without width or height is a point or a line to GEOS: as a flat polygon it
            // would meet nothing.
            const BBox& b = *query.bbox;
            const bool flat_x = b.minx == b.maxx, flat_y = b.miny == b.maxy;
            const char* shape = flat_x && flat_y ? "MakePoint(?, ?, 4326)"
                                : flat_x || flat_y ? "MakeLine(MakePoint(?, ?, 4326), MakePoint(?, ?, 4326))"
                                                   : "BuildMbr(?, ?, ?, ?, 4326)";
            terms.push_back("(MbrWithin(geom, BuildMbr(?, ?, ?, ?, 4326)) OR Intersects(geom, " + std::string(shape) + "))");
            for (double v : {b.minx, b.miny, b.maxx, b.maxy}) params.emplace_back(v);
            if (flat_x && flat_y) {
                for (double v : {b.minx, b.miny}) params.emplace_back(v);
            } else {
                for (double v : {b.minx, b.miny, b.maxx, b.maxy}) params.emplace_back(v);
            }
        }
    }
    if (query.fid) {
        terms.push_back("fid = ?");
        params.emplace_back(*query.fid);
    }
    for (const auto& [field, value] : query.equals) {
        const bool known = std::any_of(info.fields.begin(), info.fields.end(),
                                       [&field = field](const Field& f) { return f.name == field; });
        if (!known) {
            throw Error(Errc::invalid_argument, "layer " + info.name + " has no field \"" + field + "\"");
        }
        terms.push_back(quote_identifier(field) + " = ?");
        params.emplace_back(value);
    }
    if (query.filter) {
        // The filter numbers its placeholders (?N) by position in params, so it comes last.
        terms.push_back("(" + detail::to_sqlite_where(*query.filter, info.name, info.fields, params) + ")");
    }
    std::string sql;
    for (const auto& t : terms) sql += (sql.empty() ? " WHERE " : " AND ") + t;
    return sql;
}

void SpatialiteStore::read_features(std::string_view layer_name, const FeatureQuery& query,
                                    const std::function<bool(const Feature&)>& visit) {
    auto info = layer(layer_name);
    if (!info) throw Error(Errc::not_found, "no layer named \"" + std::string(layer_name) + "\"");
    std::string sql = "SELECT fid";
    std::vector<std::string> names;
    if (query.fields.empty()) {
        for (const auto& f : info->fields) names.push_back(f.name);
    } else {
        for (const auto& name : query.fields) {
            const bool known = std::any_of(info->fields.begin(), info->fields.end(),
                                           [&](const Field& f) { return f.name == name; });
            if (!known) throw Error(Errc::invalid_argument, "layer " + info->name + " has no field \"" + name + "\"");
            names.push_back(name);
        }
    }
    const int n = static_cast<int>(names.size());
    for (const auto& name : names) sql += ", " + quote_identifier(name);
    std::vector<Value> params;
    sql += query.geometry ? ", AsBinary(geom)" : ", NULL";
    // Redacted reads also say, row by row, whether the feature is inside the caller's cells.
    const bool redacted = redacts(*info, query.scope);
    const auto policy = access::policy(info->name);
    std::vector<bool> withheld_outside;
    if (redacted) {
        sql += ", " + inside_scope(*info, query.scope, policy);
        for (const auto& name : names) withheld_outside.push_back(!policy.is_public(name));
    }
    sql += " FROM " + source_of(*info, query.scope) + where_clause(*info, query, params) + " ORDER BY fid LIMIT ? OFFSET ?";
    params.emplace_back(query.limit);
    params.emplace_back(query.offset);
    Statement st(*m_db, sql);
    for (std::size_t i = 0; i < params.size(); ++i) bind_value(st, static_cast<int>(i + 1), params[i]);
    Feature feature;
    while (st.step()) {
        feature.fid = st.column_int(0);
        feature.values.clear();
        for (int i = 0; i < n; ++i) feature.values.push_back(read_value(st, i + 1));
        if (query.geometry) {
            const auto blob = st.column_blob(n + 1);
            feature.wkb.assign(blob.begin(), blob.end());
        }
        feature.withheld.clear();
        if (redacted && st.column_int(n + 2) == 0) feature.withheld = withheld_outside;
        if (!visit(feature)) break;
    }
}

std::int64_t SpatialiteStore::count_features(std::string_view layer_name, const FeatureQuery& query) {
    auto info = layer(layer_name);
    if (!info) throw Error(Errc::not_found, "no layer named \"" + std::string(layer_name) + "\"");
    std::vector<Value> params;
    Statement st(*m_db, "SELECT count(*) FROM " + source_of(*info, query.scope) + where_clause(*info, query, params));
    for (std::size_t i = 0; i < params.size(); ++i) bind_value(st, static_cast<int>(i + 1), params[i]);
    st.step();
    return st.column_int(0);
}

void SpatialiteStore::drop_layer(std::string_view name) {
    if (!layer(name)) throw Error(Errc::not_found, "no layer named \"" + std::string(name) + "\"");
    m_db->require_writable();
    m_db->exec("BEGIN IMMEDIATE");
    try {
        drop_table(std::string(name));
        detail::refresh_grid_links(*m_db);
        m_db->exec("COMMIT");
    } catch (...) {
        m_db->rollback();
        throw;
    }
}

// SpatiaLite's CheckSpatialIndex() records each check in its spatialite_history table, so it
// cannot run on a read-only connection (and would write to the database on every check): the
// same comparison in plain SQL. The R*Tree keeps 32-bit floats rounded outwards, so a box must
// hold its geometry's and be no more than a float's rounding larger.
std::int64_t SpatialiteStore::spatial_index_mismatches(const std::string& layer) {
    const std::string t = quote_identifier(layer);
    const std::string idx = quote_identifier("idx_" + layer + "_geom");
    const char* loose =
        "(r.xmin > MbrMinX(t.geom) OR r.xmax < MbrMaxX(t.geom) OR r.ymin > MbrMinY(t.geom) OR"
        " r.ymax < MbrMaxY(t.geom) OR"
        " r.xmin < MbrMinX(t.geom) - 1e-6 * (1 + abs(MbrMinX(t.geom))) OR"
        " r.xmax > MbrMaxX(t.geom) + 1e-6 * (1 + abs(MbrMaxX(t.geom))) OR"
        " r.ymin < MbrMinY(t.geom) - 1e-6 * (1 + abs(MbrMinY(t.geom))) OR"
        " r.ymax > MbrMaxY(t.geom) + 1e-6 * (1 + abs(MbrMaxY(t.geom))))";
    Statement missing(m_db->get(), "SELECT count(*) FROM " + t + " AS t LEFT JOIN " + idx +
                                       " AS r ON r.pkid = t.fid WHERE t.geom IS NOT NULL AND"
                                       " (r.pkid IS NULL OR " + loose + ")");
    missing.step();
    Statement stray(m_db->get(), "SELECT count(*) FROM " + idx + " AS r LEFT JOIN " + t +
                                     " AS t ON t.fid = r.pkid WHERE t.geom IS NULL");
    stray.step();
    return missing.column_int(0) + stray.column_int(0);
}

std::vector<std::string> SpatialiteStore::check() {
    std::vector<std::string> problems;
    Statement integrity(m_db->get(), "PRAGMA integrity_check");
    while (integrity.step()) {
        const std::string line = integrity.column_text(0);
        if (line != "ok") problems.push_back("integrity: " + line);
    }
    std::set<std::string> cataloged;
    for (const auto& info : layers()) {
        cataloged.insert(info.name);
        if (const std::int64_t wrong = spatial_index_mismatches(info.name); wrong != 0) {
            problems.push_back("layer " + info.name + ": spatial index does not match the table (" +
                               std::to_string(wrong) + " rows differ)");
        }
        Statement count(m_db->get(), "SELECT count(*) FROM " + quote_identifier(info.name));
        count.step();
        if (count.column_int(0) != info.feature_count) {
            problems.push_back("layer " + info.name + ": catalog says " +
                               std::to_string(info.feature_count) + " features, table has " +
                               std::to_string(count.column_int(0)));
        }
    }
    Statement geoms(m_db->get(), "SELECT f_table_name FROM geometry_columns");
    while (geoms.step()) {
        const std::string t = geoms.column_text(0);
        if (!cataloged.contains(t)) problems.push_back("table " + t + " is not in the catalog");
    }
    return problems;
}

bool SpatialiteStore::has_access_tables() {
    Statement st(m_db->get(),
                 "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('gridmap_tokens', 'gridmap_audit', 'gridmap_jobs')");
    st.step();
    return st.column_int(0) == 3;
}

std::int64_t SpatialiteStore::add_token(const access::TokenRecord& token) {
    if (token.hash.size() != 32) throw Error(Errc::invalid_argument, "a token's hash is 32 bytes");
    m_db->require_writable();
    m_db->exec("BEGIN IMMEDIATE");
    try {
        Statement put(m_db->get(),
                      "INSERT INTO gridmap_tokens(name, role, grids, hash, created_at, expires_at) VALUES (?,?,?,?,?,?)");
        put.bind(1, std::string_view(token.name))
            .bind(2, std::string_view(access::to_string(token.role)))
            .bind(3, std::string_view(nlohmann::json(token.grids).dump()))
            .bind(4, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(token.hash.data()), token.hash.size()))
            .bind(5, std::string_view(token.created_at.empty() ? access::now_utc() : token.created_at))
            .bind(6, std::string_view(token.expires_at));
        put.run();
        const std::int64_t id = sqlite3_last_insert_rowid(m_db->get());
        m_db->exec("UPDATE gridmap_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'tokens_version'");
        m_db->exec("COMMIT");
        return id;
    } catch (...) {
        m_db->rollback();
        throw;
    }
}

std::vector<access::TokenRecord> SpatialiteStore::tokens() {
    std::vector<access::TokenRecord> out;
    if (!has_access_tables()) return out;
    Statement st(m_db->get(),
                 "SELECT id, name, role, grids, hash, created_at, expires_at, revoked_at FROM gridmap_tokens ORDER BY id");
    while (st.step()) {
        access::TokenRecord t;
        t.id = st.column_int(0);
        t.name = st.column_text(1);
        // A role this version does not know (written by a later one) grants nothing.
        const auto role = access::parse_role(st.column_text(2));
        if (!role) continue;
        t.role = *role;
        const auto grids = nlohmann::json::parse(st.column_text(3), nullptr, false);
        if (grids.is_array()) {
            for (const auto& g : grids) {
                if (g.is_string()) t.grids.push_back(g.get<std::string>());
            }
        }
        const auto hash = st.column_blob(4);
        t.hash.assign(reinterpret_cast<const char*>(hash.data()), hash.size());
        t.created_at = st.column_text(5);
        t.expires_at = st.column_text(6);
        t.revoked_at = st.column_text(7);
        out.push_back(std::move(t));
    }
    return out;
}

bool SpatialiteStore::revoke_token(std::int64_t id) {
    m_db->require_writable();
    m_db->exec("BEGIN IMMEDIATE");
    try {
        Statement revoke(m_db->get(), "UPDATE gridmap_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = ''");
        revoke.bind(1, std::string_view(access::now_utc())).bind(2, id);
        revoke.run();
        const bool changed = sqlite3_changes(m_db->get()) > 0;
        if (changed) m_db->exec("UPDATE gridmap_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'tokens_version'");
        m_db->exec("COMMIT");
        return changed;
    } catch (...) {
        m_db->rollback();
        throw;
    }
}

std::int64_t SpatialiteStore::tokens_version() {
    Statement st(m_db->get(), "SELECT CAST(value AS INTEGER) FROM gridmap_meta WHERE key = 'tokens_version'");
    return st.step() ? st.column_int(0) : -1;
}

void SpatialiteStore::append_audit(const access::AuditEntry& e) {
    m_db->require_writable();
    Statement put(m_db->get(),
                  "INSERT INTO gridmap_audit(at, token_id, who, action, target, outcome, detail) VALUES (?,?,?,?,?,?,?)");
    put.bind(1, std::string_view(e.at.empty() ? access::now_utc() : e.at))
        .bind(2, e.token_id)
        .bind(3, std::string_view(e.who))
        .bind(4, std::string_view(e.action))
        .bind(5, std::string_view(e.target))
        .bind(6, std::string_view(e.outcome))
        .bind(7, std::string_view(e.detail));
    put.run();
}

void SpatialiteStore::save_job(const JobRecord& j) {
    m_db->require_writable();
    Statement put(m_db->get(),
                  "INSERT OR REPLACE INTO gridmap_jobs(id, kind, layer, status, detail, created_at, finished_at, token_id, who, file,"
                  " report) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    put.bind(1, std::string_view(j.id))
        .bind(2, std::string_view(j.kind))
        .bind(3, std::string_view(j.layer))
        .bind(4, std::string_view(j.status))
        .bind(5, std::string_view(j.detail))
        .bind(6, std::string_view(j.created_at))
        .bind(7, std::string_view(j.finished_at))
        .bind(8, j.token_id)
        .bind(9, std::string_view(j.who))
        .bind(10, std::string_view(j.file))
        .bind(11, std::string_view(j.report));
    put.run();
}

std::optional<JobRecord> SpatialiteStore::job(std::string_view id) {
    if (!has_access_tables()) return std::nullopt;
    Statement st(m_db->get(), "SELECT id, kind, layer, status, detail, created_at, finished_at, token_id, who, file, report"
                              " FROM gridmap_jobs WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return JobRecord{st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4),
                     st.column_text(5), st.column_text(6), st.column_int(7),  st.column_text(8), st.column_text(9),
                     st.column_text(10)};
}

std::int64_t SpatialiteStore::fail_unfinished_jobs(std::string_view detail) {
    m_db->require_writable();
    Statement st(m_db->get(), "UPDATE gridmap_jobs SET status = 'failed', detail = ?, finished_at = ?"
                              " WHERE status IN ('queued', 'running')");
    st.bind(1, detail).bind(2, std::string_view(access::now_utc()));
    st.run();
    return sqlite3_changes(m_db->get());
}

std::vector<access::AuditEntry> SpatialiteStore::audit(std::string_view since, std::int64_t limit) {
    std::vector<access::AuditEntry> out;
    if (!has_access_tables()) return out;
    Statement st(m_db->get(),
                 "SELECT id, at, token_id, who, action, target, outcome, detail FROM gridmap_audit"
                 " WHERE at >= ? ORDER BY id LIMIT ?");
    st.bind(1, since).bind(2, limit);
    while (st.step()) {
        out.push_back({st.column_int(0), st.column_text(1), st.column_int(2), st.column_text(3), st.column_text(4),
                       st.column_text(5), st.column_text(6), st.column_text(7)});
    }
    return out;
}

SpatialiteLayerWriter::SpatialiteLayerWriter(SpatialiteStore& store, const NewLayer& layer,
                                             WriteMode mode)
    : m_store(store), m_db(store.db()), m_layer(layer) {
    m_db.require_writable();
    m_db.exec("BEGIN IMMEDIATE");
    m_store.writing = true;
    try {
        auto existing = m_store.layer(layer.name);
        if (existing && mode == WriteMode::append) {
            if (existing->geometry_type != layer.geometry_type) {
                throw Error(Errc::conflict, "layer " + layer.name + " holds " +
                                                existing->geometry_type + " geometries; this file has " +
                                                layer.geometry_type +
                                                " (use --mode replace to replace the layer)");
            }
            m_new_table = false;
            m_all_fields = existing->fields;
            std::set<std::string> have;
            for (const auto& f : existing->fields) have.insert(lower_ascii(f.name));
            for (const auto& f : layer.fields) {
                if (have.insert(lower_ascii(f.name)).second) {
                    m_db.exec("ALTER TABLE " + quote_identifier(layer.name) + " ADD COLUMN " +
                              quote_identifier(f.name) + " " + sql_type(f.type));
                    m_all_fields.push_back(f);
                }
            }
            if (m_layer.title.empty()) m_layer.title = existing->title;
        } else {
            if (existing) m_store.drop_table(layer.name);
            // A table of this name that is not a layer (left by another tool) is not ours to drop.
            Statement other(m_db.get(), "SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?)");
            other.bind(1, std::string_view(layer.name));
            if (other.step()) {
                throw Error(Errc::conflict, "the database already has a table named " + layer.name +
                                                " that is not a Gridmap layer");
            }
            std::string sql = "CREATE TABLE " + quote_identifier(layer.name) +
                              " (fid INTEGER PRIMARY KEY";
            for (const auto& f : layer.fields) {
                sql += ", " + quote_identifier(f.name) + " " + sql_type(f.type);
            }
            sql += ")";
            m_db.exec(sql);
            Statement add_geom(m_db.get(), "SELECT AddGeometryColumn(?, 'geom', 4326, ?, 'XY', 1)");
            add_geom.bind(1, std::string_view(layer.name)).bind(2, std::string_view(layer.geometry_type));
            add_geom.step();
            if (add_geom.column_int(0) != 1) {
                throw Error(Errc::internal, "SpatiaLite could not add the geometry column of " +
                                                layer.name);
            }
            add_geom.reset();
            Statement index(m_db.get(), "SELECT CreateSpatialIndex(?, 'geom')");
            index.bind(1, std::string_view(layer.name));
            index.step();
            if (index.column_int(0) != 1) {
                throw Error(Errc::internal, "SpatiaLite could not index layer " + layer.name);
            }
            index.reset();
            suspend_insert_triggers();
            m_all_fields = layer.fields;
        }
        if (m_layer.title.empty()) m_layer.title = layer.name;
        std::string cols;
        std::string params;
        for (std::size_t i = 0; i < layer.fields.size(); ++i) {
            cols += quote_identifier(layer.fields[i].name) + ", ";
            params += "?, ";
        }
        m_insert.emplace(m_db.get(), "INSERT INTO " + quote_identifier(layer.name) + " (" + cols +
                                         "geom) VALUES (" + params + "GeomFromWKB(?, 4326))");
    } catch (...) {
        m_store.writing = false;
        m_db.rollback();
        throw;
    }
}

SpatialiteLayerWriter::~SpatialiteLayerWriter() {
    if (!m_done) {
        m_db.rollback();
        m_store.writing = false;
    }
}

void SpatialiteLayerWriter::add(const FeatureRow& row) {
    const int n = static_cast<int>(m_layer.fields.size());
    if (static_cast<int>(row.values.size()) != n) {
        throw Error(Errc::internal, "feature row has the wrong number of values");
    }
    for (int i = 0; i < n; ++i) bind_value(*m_insert, i + 1, row.values[static_cast<std::size_t>(i)]);
    m_insert->bind(n + 1, std::span<const unsigned char>(row.wkb));
    m_insert->run();
}

// A new table fills fastest without SpatiaLite's per-row insert triggers: a geometry type
// check, a timestamp update and an R*Tree insert (about 10 µs) for every row. They are set
// aside inside the transaction and their work is done once for all rows in commit().
void SpatialiteLayerWriter::suspend_insert_triggers() {
    {
        Statement triggers(m_db.get(),
                           "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
                           " AND substr(name, 1, 4) IN ('ggi_', 'tmi_', 'gii_')");
        triggers.bind(1, std::string_view(m_layer.name));
        while (triggers.step()) {
            m_suspended_triggers.emplace_back(triggers.column_text(0), triggers.column_text(1));
        }
    }
    for (const auto& [name, sql] : m_suspended_triggers) {
        m_db.exec("DROP TRIGGER " + quote_identifier(name));
    }
}

void SpatialiteLayerWriter::finish_new_table() {
    const std::string q = quote_identifier(m_layer.name);
    {
        // What the type-check trigger would have refused, row by row.
        Statement wrong(m_db.get(),
                        "SELECT count(*) FROM " + q +
                            " WHERE GeometryConstraints(geom, (SELECT geometry_type FROM geometry_columns"
                            " WHERE f_table_name = ? AND f_geometry_column = 'geom'), 4326) IS NOT 1");
        wrong.bind(1, std::string_view(m_layer.name));
        wrong.step();
        if (wrong.column_int(0) != 0) {
            throw Error(Errc::internal, std::to_string(wrong.column_int(0)) + " rows of layer " +
                                            m_layer.name + " are not " + m_layer.geometry_type +
                                            " in EPSG:4326");
        }
    }
    std::vector<detail::RtreeBox> boxes;
    {
        Statement st(m_db.get(), "SELECT fid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom)"
                                 " FROM " + q + " WHERE geom IS NOT NULL");
        while (st.step()) {
            boxes.push_back({st.column_int(0), st.column_double(1), st.column_double(2),
                             st.column_double(3), st.column_double(4)});
        }
    }
    detail::bulk_load_rtree(m_db.get(), "idx_" + m_layer.name + "_geom", std::move(boxes));
    for (const auto& [name, sql] : m_suspended_triggers) m_db.exec(sql);
    Statement touched(m_db.get(),
                      "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                      " WHERE f_table_name = ? AND f_geometry_column = 'geom'");
    touched.bind(1, std::string_view(m_layer.name));
    touched.run();
}

LayerInfo SpatialiteLayerWriter::commit() {
    m_insert.reset();
    if (m_new_table) finish_new_table();
    m_store.write_catalog(m_layer, m_all_fields);
    // After the catalog: the links need both layers registered, this one included.
    if (m_layer.name == "buildings" || m_layer.name == "grid_cells") {
        detail::refresh_grid_links(m_db);
    }
    m_db.exec("COMMIT");
    m_done = true;
    m_store.writing = false;
    return *m_store.layer(m_layer.name);
}

}  // namespace

std::unique_ptr<Store> open_store(const std::string& location, bool create) {
    return std::make_unique<SpatialiteStore>(location,
                                             create ? Access::create : Access::read_write);
}

std::unique_ptr<Store> open_store_read_only(const std::string& location) {
    return std::make_unique<SpatialiteStore>(location, Access::read_only);
}

}  // namespace geo::store
