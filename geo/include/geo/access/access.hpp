#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/types.hpp"

// Who may see what (DESIGN.md, "Access"). The rules live here, in geo/, so that every reader of
// the store — tiles, features, the point query, search — applies the same ones: the store
// takes a Scope with each query and withholds what the caller may not see.
namespace geo::access {

/// What a caller may do, in increasing order: each role may do everything the ones before it may.
enum class Role { anonymous, worker, planner, admin };

const char* to_string(Role role) noexcept;
/// "worker", "planner" or "admin"; nullopt for anything else (anonymous is not a token's role).
std::optional<Role> parse_role(std::string_view text);

/// Which features' attributes a caller sees. Planners, admins and Gridmap's own analyses see
/// everything; a grid worker sees the detail of the grid cells named in the token and
/// geometry (plus the public attributes of LayerPolicy) everywhere else.
struct Scope {
    bool unrestricted = true;
    /// Grid cell codes, sorted and unique; meaningful only when restricted.
    std::vector<std::string> cells;

    static Scope everything() { return {}; }
    /// A restricted scope over `cells` (sorted and deduplicated here; may be empty).
    static Scope within(std::vector<std::string> cells);
    bool covers_cell(std::string_view code) const;
    /// A short text that differs between scopes that may see different things: for cache keys.
    std::string key() const;
};

/// How one layer's attributes are guarded from a restricted caller.
struct LayerPolicy {
    /// Everything in the layer is public (stations, roads, service circles).
    bool all_public = false;
    /// The field naming the grid cell a feature lies in ("grid_code" for buildings, "code" for
    /// grid_cells); empty when no feature of the layer is ever inside a scope.
    std::string_view cell_field;
    /// Fields a restricted caller sees on every feature; every other field is withheld from
    /// the features outside the caller's cells.
    std::vector<std::string_view> public_fields;

    bool is_public(std::string_view field) const;
};

/// The policy of `layer`: buildings show no attribute outside the scope; grid cells show
/// code, name, community and street everywhere and worker, households and population (and
/// any other attribute) only inside it; stations, roads and service circles are public; any
/// other layer (imported by an admin, its content unknown) shows no attribute to a restricted
/// caller.
LayerPolicy policy(std::string_view layer);

/// A bearer token as the database keeps it: never the token itself, only its SHA-256.
struct TokenRecord {
    std::int64_t id = 0;
    std::string name;
    Role role = Role::worker;
    std::vector<std::string> grids;  ///< grid cell codes (workers); empty: geometry only
    std::string hash;                ///< SHA-256 of the token, 32 raw bytes
    std::string created_at;          ///< UTC, ISO 8601
    std::string expires_at;          ///< UTC, ISO 8601; "" for never
    std::string revoked_at;          ///< UTC, ISO 8601; "" while valid

    /// Whether the token may be used at `now_iso` (UTC, ISO 8601): not revoked, not expired.
    bool usable_at(std::string_view now_iso) const;
    /// The scope a request made with this token reads in.
    Scope scope() const;
};

/// A new random token: "gm_" and 43 characters of base64url (256 bits from the kernel's
/// random source). Throws geo::Error (unavailable) when no randomness can be had.
std::string new_token();
/// SHA-256 of `token`, 32 raw bytes.
std::string token_hash(std::string_view token);
/// Compares two hashes in time that depends only on their lengths.
bool same_hash(std::string_view a, std::string_view b) noexcept;

/// "30d" or "12h" (1 to 999999 days or hours) in seconds; nullopt for anything else.
std::optional<std::int64_t> parse_duration(std::string_view text);
/// "30d", "12h", "2027-06-30" or "2027-06-30T18:00:00Z" → an ISO 8601 UTC time after `now`
/// (seconds since the epoch). Throws geo::Error (invalid_argument) for anything else, a time
/// in the past, or more than ten years ahead.
std::string parse_expiry(std::string_view text, std::int64_t now);
/// Seconds since the epoch as ISO 8601 UTC ("2026-12-03T13:45:00Z").
std::string iso_utc(std::int64_t seconds);
/// Now as ISO 8601 UTC.
std::string now_utc();

/// One line of the audit log: who did what, when, and how it ended.
struct AuditEntry {
    std::int64_t id = 0;
    std::string at;            ///< UTC, ISO 8601
    std::int64_t token_id = 0; ///< 0: no valid token (a failed login), or the command line
    std::string who;           ///< the token's name, "cli" or "anonymous"
    std::string action;        ///< e.g. "import", "drop_layer", "token_create", "login_failed"
    std::string target;        ///< what it acted on: a layer, a token id, a path
    std::string outcome;       ///< "ok", "failed", "refused"
    std::string detail;
};

}  // namespace geo::access
