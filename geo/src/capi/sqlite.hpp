#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "capi/free.hpp"

namespace geo::capi {

/// A SQLite connection with SpatiaLite's functions registered on it. One per thread.
/// SQL-level load_extension() stays disabled: SpatiaLite is linked, not loaded.
class SpatialiteDb {
public:
    enum class Mode { read_only, read_write, create };

    /// Opens (or creates) `path`. Throws geo::Error (unavailable) when the file cannot be opened.
    /// read_only never writes: a WAL database in a folder where SQLite cannot create its -shm
    /// file is read as immutable when it has no -wal file (no writer can be at work there).
    SpatialiteDb(const std::string& path, Mode mode);
    ~SpatialiteDb();
    SpatialiteDb(const SpatialiteDb&) = delete;
    SpatialiteDb& operator=(const SpatialiteDb&) = delete;

    sqlite3* get() const noexcept { return m_db.get(); }
    const std::string& path() const noexcept { return m_path; }

    /// Throws geo::Error (unavailable) when the file was opened read-only, or SQLite fell back
    /// to reading only (a write-protected file): before a write starts, rather than part-way.
    void require_writable();

    /// Rolls back the open transaction, if there still is one; never throws (for catch blocks
    /// and destructors, where the error being handled is the one to report).
    void rollback() noexcept;

    /// Runs one or more statements without results. Throws geo::Error on failure.
    void exec(std::string_view sql);

private:
    friend class Statement;
    void open_immutable_if_unreadable();
    /// A prepared statement for `sql` kept from an earlier use, or null.
    sqlite3_stmt* take_prepared(const std::string& sql);
    /// Keeps a reset statement for the next use of the same SQL.
    void keep_prepared(std::string sql, sqlite3_stmt* stmt);

    static constexpr std::size_t k_max_prepared = 64;
    std::string m_path;
    Owned<sqlite3, sqlite3_close_v2> m_db;
    void* m_spatialite = nullptr;  // SpatiaLite's per-connection cache
    std::unordered_map<std::string, Owned<sqlite3_stmt, sqlite3_finalize>> m_prepared;
};

/// A prepared statement. Binding indexes start at 1, column indexes at 0, as in SQLite.
class Statement {
public:
    /// Prepares `sql` for one use.
    Statement(sqlite3* db, std::string_view sql);
    /// Takes `sql` prepared from the connection's store of statements, and gives it back reset
    /// when done: for the queries a server runs on every request, where parsing and planning
    /// the SQL would cost more than running it. Nested uses of the same SQL each get their own.
    Statement(SpatialiteDb& db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::int64_t v);
    Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
    Statement& bind(int i, double v);
    Statement& bind(int i, std::string_view v);
    Statement& bind(int i, std::span<const unsigned char> blob);
    Statement& bind_null(int i);

    /// Advances to the next row; false when done. Throws geo::Error on failure.
    bool step();
    /// Runs a statement that returns no rows and resets it for reuse.
    void run();
    void reset();

    bool is_null(int col) const;
    std::int64_t column_int(int col) const;
    double column_double(int col) const;
    std::string column_text(int col) const;
    std::optional<std::string> column_text_opt(int col) const;
    std::span<const unsigned char> column_blob(int col) const;
    int column_type(int col) const;
    int column_count() const;
    std::string column_name(int col) const;

    sqlite3_stmt* get() const noexcept { return m_stmt.get(); }

private:
    sqlite3* m_db;
    Owned<sqlite3_stmt, sqlite3_finalize> m_stmt;
    SpatialiteDb* m_home = nullptr;  ///< where the statement goes back to, when reused
    std::string m_sql;
};

/// Quotes an SQL identifier: every table and column name goes through this.
std::string quote_identifier(std::string_view name);

/// Quotes a text as an SQL string literal ('it''s'). Throws geo::Error (invalid_argument) for
/// a NUL byte, which SQL text cannot hold.
std::string quote_literal(std::string_view text);

/// Throws geo::Error if `rc` is an error code, with a message naming the database file: what
/// went wrong in words a user can act on for a full disk, an I/O error, a read-only file, a file
/// that cannot be opened, a busy or damaged database; `what` and SQLite's message otherwise.
void check(sqlite3* db, int rc, std::string_view what);

/// The message check() gives for result code `rc` (extended codes too) and the OS error behind
/// it (sqlite3_system_errno; 0 when none).
std::string describe_failure(int rc, int system_errno, const std::string& path,
                             std::string_view what, std::string_view sqlite_message);

}  // namespace geo::capi
