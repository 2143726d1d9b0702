#include "capi/sqlite.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spatialite.h>

#include "geo/error.hpp"

namespace geo::capi {

namespace {

Errc category_of(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return Errc::conflict;
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_NOMEM: return Errc::unavailable;
        case SQLITE_CONSTRAINT:
        case SQLITE_MISMATCH:
        case SQLITE_NOTADB: return Errc::invalid_argument;
        case SQLITE_CORRUPT: return Errc::unavailable;
        default: return Errc::internal;
    }
}

std::string database_name(sqlite3* db) {
    const char* name = db ? sqlite3_db_filename(db, "main") : nullptr;
    return name && *name ? name : "the database";
}

}  // namespace

std::string describe_failure(int rc, int system_errno, const std::string& path,
                             std::string_view what, std::string_view sqlite_message) {
    // Every write Gridmap makes is one transaction, which SQLite rolls back when it fails.
    const std::string unchanged = "; nothing was changed";
    const std::string os =
        system_errno != 0 ? std::string(" (") + std::strerror(system_errno) + ")" : "";
    switch (rc & 0xff) {
        case SQLITE_FULL: return "the disk is full while writing " + path + unchanged;
        case SQLITE_IOERR:
            if (system_errno == ENOSPC || system_errno == EDQUOT) {
                return "the disk is full while writing " + path + unchanged;
            }
            if (system_errno == EFBIG) {
                return "the disk is full or the file size limit was reached while writing " + path +
                       unchanged;
            }
            return "an input/output error occurred while using " + path + os + unchanged;
        case SQLITE_READONLY:
            return "cannot write " + path +
                   ": the file or its folder is read-only, or it was opened for reading only" +
                   unchanged;
        case SQLITE_CANTOPEN:
            return "cannot open " + path + os +
                   ": check that its folder exists and that you may read and write there";
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return path +
                   " is busy: another process is writing to it; try again when it has finished";
        case SQLITE_NOTADB: return path + " is not an SQLite database";
        case SQLITE_CORRUPT:
            return path + " is damaged (" + std::string(sqlite_message) +
                   "); restore it from a backup";
        case SQLITE_NOMEM: return "out of memory while using " + path;
        default: return std::string(what) + ": " + std::string(sqlite_message);
    }
}

void check(sqlite3* db, int rc, std::string_view what) {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    throw Error(category_of(rc),
                describe_failure(rc, db ? sqlite3_system_errno(db) : 0, database_name(db), what,
                                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

SpatialiteDb::SpatialiteDb(const std::string& path, Mode mode) : m_path(path) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
        case Mode::read_only: flags |= SQLITE_OPEN_READONLY; break;
        case Mode::read_write: flags |= SQLITE_OPEN_READWRITE; break;
        case Mode::create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    m_db.reset(raw);
    if (rc != SQLITE_OK) {
        throw Error(Errc::unavailable,
                    describe_failure(rc, raw ? sqlite3_system_errno(raw) : 0, path,
                                     "cannot open database " + path,
                                     raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(raw, 1);
    if (mode == Mode::read_only) open_immutable_if_unreadable();
    raw = m_db.get();
    sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
    // Writers wait for each other instead of failing at once; an import holds the
    // write lock for its whole transaction, so a second writer may wait a while.
    sqlite3_busy_timeout(raw, 5000);
    m_spatialite = spatialite_alloc_connection();
    spatialite_init_ex(raw, m_spatialite, 0);
}

// A reader of a WAL database needs its -shm (and -wal) file, which SQLite creates when they are
// missing; in a folder nobody may write to it cannot. Without a -wal file there, no writer can
// be at work either (one would need to create it), so the file is read as immutable.
void SpatialiteDb::open_immutable_if_unreadable() {
    const int rc =
        sqlite3_exec(m_db.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    if ((rc & 0xff) != SQLITE_CANTOPEN && (rc & 0xff) != SQLITE_READONLY) return;
    std::error_code ec;
    if (std::filesystem::file_size(m_path + "-wal", ec) > 0 && !ec) return;
    std::string uri = "file:";
    for (const unsigned char c : m_path) {
        if (c == '?' || c == '#' || c == '%' || c < 0x20) {
            static const char* hex = "0123456789ABCDEF";
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 0xF];
        } else {
            uri += static_cast<char>(c);
        }
    }
    uri += "?immutable=1";
    sqlite3* raw = nullptr;
    const int reopened = sqlite3_open_v2(
        uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
    if (reopened != SQLITE_OK) {
        sqlite3_close_v2(raw);
        return;
    }
    m_db.reset(raw);
    sqlite3_extended_result_codes(raw, 1);
}

SpatialiteDb::~SpatialiteDb() {
    // Statements are finalized before the connection closes, and the connection must close
    // before SpatiaLite's cache is released.
    m_prepared.clear();
    m_db.reset();
    if (m_spatialite) spatialite_cleanup_ex(m_spatialite);
}

void SpatialiteDb::require_writable() {
    if (sqlite3_db_readonly(m_db.get(), "main") == 1) {
        throw Error(Errc::unavailable,
                    describe_failure(SQLITE_READONLY, 0, database_name(m_db.get()), "",
                                     "attempt to write a readonly database"));
    }
}

void SpatialiteDb::rollback() noexcept {
    // SQLite has already rolled back after some errors (a full disk, an I/O error): a second
    // ROLLBACK would fail and hide the error that matters.
    if (!sqlite3_get_autocommit(m_db.get())) {
        sqlite3_exec(m_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void SpatialiteDb::exec(std::string_view sql) {
    char* err = nullptr;
    const std::string s(sql);
    const int rc = sqlite3_exec(m_db.get(), s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        const std::string message = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw Error(category_of(rc),
                    describe_failure(rc, sqlite3_system_errno(m_db.get()),
                                     database_name(m_db.get()), "database error", message));
    }
}

sqlite3_stmt* SpatialiteDb::take_prepared(const std::string& sql) {
    auto it = m_prepared.find(sql);
    if (it == m_prepared.end()) return nullptr;
    sqlite3_stmt* stmt = it->second.release();
    m_prepared.erase(it);
    return stmt;
}

void SpatialiteDb::keep_prepared(std::string sql, sqlite3_stmt* stmt) {
    Owned<sqlite3_stmt, sqlite3_finalize> owned(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    // The set of SQL texts a server runs is small; one that keeps growing (a new text per
    // request) must not hold statements forever.
    if (m_prepared.size() >= k_max_prepared) m_prepared.clear();
    m_prepared.try_emplace(std::move(sql), std::move(owned));
}

Statement::Statement(sqlite3* db, std::string_view sql) : m_db(db) {
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    m_stmt.reset(raw);
    check(db, rc, "preparing SQL");
}

Statement::Statement(SpatialiteDb& db, std::string_view sql) : m_db(db.get()), m_home(&db), m_sql(sql) {
    if (sqlite3_stmt* kept = db.take_prepared(m_sql)) {
        m_stmt.reset(kept);
        return;
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, m_sql.data(), static_cast<int>(m_sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    m_stmt.reset(raw);
    check(m_db, rc, "preparing SQL");
}

Statement::~Statement() {
    if (m_home && m_stmt) m_home->keep_prepared(std::move(m_sql), m_stmt.release());
}

Statement& Statement::bind(int i, std::int64_t v) {
    check(m_db, sqlite3_bind_int64(m_stmt.get(), i, v), "binding a value");
    return *this;
}
Statement& Statement::bind(int i, double v) {
    check(m_db, sqlite3_bind_double(m_stmt.get(), i, v), "binding a value");
    return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
    check(m_db,
          sqlite3_bind_text64(m_stmt.get(), i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
          "binding a value");
    return *this;
}
Statement& Statement::bind(int i, std::span<const unsigned char> blob) {
    check(m_db, sqlite3_bind_blob64(m_stmt.get(), i, blob.data(), blob.size(), SQLITE_TRANSIENT),
          "binding a value");
    return *this;
}
Statement& Statement::bind_null(int i) {
    check(m_db, sqlite3_bind_null(m_stmt.get(), i), "binding a value");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(m_stmt.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(m_db, rc, "running SQL");
    return false;
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(m_stmt.get());
    sqlite3_clear_bindings(m_stmt.get());
}

bool Statement::is_null(int col) const { return column_type(col) == SQLITE_NULL; }
std::int64_t Statement::column_int(int col) const { return sqlite3_column_int64(m_stmt.get(), col); }
double Statement::column_double(int col) const { return sqlite3_column_double(m_stmt.get(), col); }
std::string Statement::column_text(int col) const {
    const auto* p = sqlite3_column_text(m_stmt.get(), col);
    const int n = sqlite3_column_bytes(m_stmt.get(), col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
}
std::optional<std::string> Statement::column_text_opt(int col) const {
    if (is_null(col)) return std::nullopt;
    return column_text(col);
}
std::span<const unsigned char> Statement::column_blob(int col) const {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(m_stmt.get(), col));
    const int n = sqlite3_column_bytes(m_stmt.get(), col);
    return {p, static_cast<std::size_t>(n)};
}
int Statement::column_type(int col) const { return sqlite3_column_type(m_stmt.get(), col); }
int Statement::column_count() const { return sqlite3_column_count(m_stmt.get()); }
std::string Statement::column_name(int col) const {
    const char* n = sqlite3_column_name(m_stmt.get(), col);
    return n ? n : "";
}

std::string quote_identifier(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 2);
    out += '"';
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string quote_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\0') throw Error(Errc::invalid_argument, "a text for SQL holds a NUL byte");
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

}  // namespace geo::capi
