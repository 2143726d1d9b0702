#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/access/access.hpp"
#include "geo/types.hpp"

namespace geo::query {
struct Expr;
}

namespace geo::store {

/// How an import treats a layer that already exists.
enum class WriteMode {
    replace,  ///< the new features take the layer's place in one atomic swap
    append,   ///< the new features are added; the layer is created if missing
};

/// A layer about to be written: its schema and where it came from.
struct NewLayer {
    std::string name;           ///< see schema::is_valid_layer_name
    std::string title;
    std::string geometry_type;  ///< POINT, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON or GEOMETRY
    std::vector<Field> fields;  ///< attribute columns, in the order of FeatureRow::values
    std::string source_file;
    std::string source_crs;
    std::string encoding;
};

/// One feature to write: values in NewLayer::fields order; geometry as 2D ISO WKB in
/// EPSG:4326 of the layer's geometry type.
struct FeatureRow {
    std::vector<Value> values;
    std::vector<unsigned char> wkb;
};

/// Writes one layer inside one transaction. Nothing is visible to readers, and nothing
/// survives a crash, until commit() returns; destroying the writer without commit() rolls
/// everything back. While a writer lives, other writers wait (one writer at a time).
class LayerWriter {
public:
    virtual ~LayerWriter() = default;
    /// Throws geo::Error when the row does not fit the layer.
    virtual void add(const FeatureRow& row) = 0;
    /// Builds the spatial index, refreshes derived links (each building's grid cell, each
    /// cell's household and population totals), updates the catalog and commits.
    virtual LayerInfo commit() = 0;
};

/// Which features to read. All conditions must hold.
struct FeatureQuery {
    std::optional<BBox> bbox;  ///< EPSG:4326; features whose geometry intersects it
    /// false: features whose bounding box meets `bbox` (no exact test; for tiles, which clip).
    bool bbox_exact = true;
    std::optional<std::int64_t> fid;  ///< just this feature
    /// field = value conditions; text values compare with the column's type (SQLite affinity).
    std::vector<std::pair<std::string, std::string>> equals;
    /// A CQL2 filter (parsed; see geo/query/cql2.hpp); its properties must be fields of the layer.
    std::shared_ptr<const query::Expr> filter;
    std::int64_t limit = -1;   ///< −1: no limit
    std::int64_t offset = 0;
    /// Only these fields, in this order, fill Feature::values (empty: every field of the
    /// layer, in LayerInfo::fields order). Unknown names throw geo::Error (invalid_argument).
    std::vector<std::string> fields;
    /// false: Feature::wkb stays empty (for analyses that need only attributes; much faster).
    bool geometry = true;
    /// Whose eyes the features are for (geo/access): outside a restricted scope the withheld
    /// attributes read as null, are marked in Feature::withheld, and match no filter or
    /// equality condition, so a caller cannot find by a value it may not see.
    access::Scope scope;
};

/// A job a server ran for a client (an import over HTTP), as the database keeps it: so that
/// how it ended is still known after the server restarts, or on another server.
struct JobRecord {
    std::string id;
    std::string kind;     ///< "import"
    std::string layer;
    std::string status;   ///< queued, running, succeeded, failed, cancelled
    std::string detail;   ///< failed: why
    std::string created_at, finished_at;  ///< UTC, ISO 8601 ("" until finished)
    std::int64_t token_id = 0;
    std::string who;
    std::string file;     ///< the file as the client named it
    std::string report;   ///< succeeded: the import report as JSON text
};

/// The layers of one Gridmap database. Callers see only this interface, so that another
/// backend (PostGIS) can be added without touching them. An instance is used by one thread.
class Store {
public:
    virtual ~Store() = default;

    /// Every layer in the catalog, by name.
    virtual std::vector<LayerInfo> layers() = 0;
    /// The layer named `name`, or nullopt.
    virtual std::optional<LayerInfo> layer(std::string_view name) = 0;
    /// Each layer's version (LayerInfo::version), cheaply: for validating caches per request.
    virtual std::map<std::string, std::int64_t> layer_versions() = 0;

    /// Starts writing a layer. Throws geo::Error: invalid_argument for a bad name or schema,
    /// conflict when `append` meets a layer of another geometry type or another writer
    /// holds the database past the busy timeout.
    virtual std::unique_ptr<LayerWriter> write_layer(const NewLayer& layer, WriteMode mode) = 0;

    /// Calls `visit` for each matching feature in fid order until it returns false.
    /// Throws geo::Error (not_found) for an unknown layer.
    virtual void read_features(std::string_view layer, const FeatureQuery& query,
                               const std::function<bool(const Feature&)>& visit) = 0;

    /// How many features match `query` (limit and offset ignored).
    virtual std::int64_t count_features(std::string_view layer, const FeatureQuery& query) = 0;

    /// Deletes a layer. Throws geo::Error (not_found) when it does not exist.
    virtual void drop_layer(std::string_view layer) = 0;

    /// Checks the database: SQLite integrity and every layer's spatial index and catalog
    /// count. Returns the problems found (empty when all is well).
    virtual std::vector<std::string> check() = 0;

    // Access control: bearer tokens (only their hashes) and the audit log.

    /// Stores a new token (its hash set, id ignored); returns its id.
    virtual std::int64_t add_token(const access::TokenRecord& token) = 0;
    /// Every token, revoked and expired ones included, by id.
    virtual std::vector<access::TokenRecord> tokens() = 0;
    /// Revokes token `id` now. Returns false when there is no such token or it was revoked before.
    virtual bool revoke_token(std::int64_t id) = 0;
    /// Changes whenever a token is added or revoked, by any process: for caching tokens().
    virtual std::int64_t tokens_version() = 0;
    /// Appends one line to the audit log (its id and, when empty, its time are set here).
    virtual void append_audit(const access::AuditEntry& entry) = 0;
    /// Audit lines at or after `since` (ISO 8601 UTC; "" for all), oldest first, at most `limit`.
    virtual std::vector<access::AuditEntry> audit(std::string_view since, std::int64_t limit) = 0;

    /// Writes (or rewrites) a job's record.
    virtual void save_job(const JobRecord& job) = 0;
    /// The record of job `id`, or nullopt.
    virtual std::optional<JobRecord> job(std::string_view id) = 0;
    /// Marks every queued or running job failed with `detail` (a server starting: whatever was
    /// under way when it stopped did not finish); returns how many.
    virtual std::int64_t fail_unfinished_jobs(std::string_view detail) = 0;
};

/// `base` seen by a caller in `scope`: every read through it is made in that scope, whatever
/// the query says, so a route handed this view cannot forget the caller. Writes pass through.
/// `base` must outlive the view.
std::unique_ptr<Store> scoped_view(Store& base, access::Scope scope);

/// Opens the store at `location` — a SpatiaLite file path. With `create`, a missing file is
/// created with an empty catalog. Throws geo::Error (not_found, unavailable) otherwise.
std::unique_ptr<Store> open_store(const std::string& location, bool create);

/// Opens the existing store at `location` for reading only (SQLITE_OPEN_READONLY): nothing is
/// written to the file or its -wal, not even the journal mode or a catalog upgrade, so it works
/// on a read-only file or folder. Writing through it throws geo::Error (unavailable).
/// Throws geo::Error: not_found, invalid_argument (not a Gridmap database), unsupported (a
/// catalog from an older Gridmap, not yet upgraded), unavailable.
std::unique_ptr<Store> open_store_read_only(const std::string& location);

}  // namespace geo::store
