// gridmap token create|list|revoke and gridmap audit: the administrator's side of access control.
#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "geo/access/access.hpp"
#include "geo/error.hpp"
#include "geo/store/store.hpp"
#include "geo/text/encoding.hpp"
#include "http/params.hpp"

namespace gridmap::cli {

namespace {

using geo::access::AuditEntry;
using geo::access::Role;
using geo::access::TokenRecord;

const OptionSpec k_db{"db", "FILE", "the Gridmap database (default: $GRIDMAP_DB or gridmap.sqlite)"};

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A name or grid code as given on the command line: printable UTF-8, no control characters.
std::string checked_text(const std::string& what, const std::string& text, std::size_t max_bytes) {
    if (text.size() > max_bytes) throw UsageError(what + " is longer than " + std::to_string(max_bytes) + " bytes");
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) throw UsageError(what + " holds a control character");
    }
    // Stored as SQLite text and JSON: it must be valid UTF-8.
    if (!geo::text::is_valid_utf8(text)) throw UsageError(what + " is not valid UTF-8");
    return text;
}

std::vector<std::string> split_grids(const std::string& list) {
    std::vector<std::string> out = gridmap::http::split_list(list);
    for (const auto& code : out) checked_text("a grid code", code, 64);
    if (out.size() > 1000) throw UsageError("--grids names more than 1,000 grid cells");
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

geo::access::AuditEntry cli_entry(std::string action, std::string target, std::string detail) {
    AuditEntry e;
    e.who = "cli";
    e.action = std::move(action);
    e.target = std::move(target);
    e.outcome = "ok";
    e.detail = std::move(detail);
    return e;
}

int run_token_create(const Args& args) {
    const auto role = geo::access::parse_role(args.value_or("role", ""));
    if (!role) throw UsageError("--role must be admin, planner or worker");
    TokenRecord record;
    record.role = *role;
    record.name = checked_text("--name", args.value_or("name", ""), 200);
    if (auto grids = args.value("grids")) record.grids = split_grids(*grids);
    if (!record.grids.empty() && record.role != Role::worker) {
        throw UsageError("--grids is for workers: planners and admins see every grid cell");
    }
    if (auto expires = args.value("expires")) {
        try {
            record.expires_at = geo::access::parse_expiry(*expires, now_seconds());
        } catch (const geo::Error& e) {
            throw UsageError(e.what());
        }
    }
    auto store = geo::store::open_store(args.value_or("db", default_db()), false);
    // Codes that name no cell are almost always typing mistakes; say so, but they may be
    // cells not imported yet.
    if (!record.grids.empty() && store->layer("grid_cells")) {
        for (const auto& code : record.grids) {
            geo::store::FeatureQuery q;
            q.equals.push_back({"code", code});
            q.geometry = false;
            if (store->count_features("grid_cells", q) == 0) {
                std::fprintf(stderr, "gridmap token create: warning: no grid cell has code %s (yet)\n", code.c_str());
            }
        }
    }
    const std::string token = geo::access::new_token();
    record.hash = geo::access::token_hash(token);
    record.created_at = geo::access::now_utc();
    record.id = store->add_token(record);
    store->append_audit(cli_entry("token_create", std::to_string(record.id),
                                  std::string(geo::access::to_string(record.role)) + " \"" + record.name + "\"" +
                                      (record.grids.empty() ? "" : " grids " + joined(record.grids)) +
                                      (record.expires_at.empty() ? "" : " expires " + record.expires_at)));
    std::fprintf(stderr, "Token %lld (%s%s%s%s). It is shown this once; the database keeps only its hash:\n",
                 static_cast<long long>(record.id), geo::access::to_string(record.role),
                 record.name.empty() ? "" : ", ", record.name.c_str(),
                 record.expires_at.empty() ? ", never expires" : (", expires " + record.expires_at).c_str());
    std::printf("%s\n", token.c_str());
    return 0;
}

int run_token_list(const Args& args) {
    auto store = geo::store::open_store_read_only(args.value_or("db", default_db()));
    const std::string now = geo::access::now_utc();
    std::printf("%-5s %-8s %-9s %-20s %-20s %-24s %s\n", "id", "role", "state", "created", "expires", "name", "grids");
    for (const auto& t : store->tokens()) {
        const char* state = !t.revoked_at.empty() ? "revoked" : t.usable_at(now) ? "valid" : "expired";
        std::printf("%-5lld %-8s %-9s %-20s %-20s %-24s %s\n", static_cast<long long>(t.id), geo::access::to_string(t.role),
                    state, t.created_at.c_str(), t.expires_at.empty() ? "never" : t.expires_at.c_str(), t.name.c_str(),
                    t.role == Role::worker ? (t.grids.empty() ? "(geometry only)" : joined(t.grids).c_str()) : "(all)");
    }
    return 0;
}

int run_token_revoke(const Args& args) {
    const std::string& text = args.positional(0);
    std::int64_t id = 0;
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw UsageError("ID is a token's number, as gridmap token list shows it");
    }
    id = std::stoll(text);
    auto store = geo::store::open_store(args.value_or("db", default_db()), false);
    if (!store->revoke_token(id)) {
        throw geo::Error(geo::Errc::not_found, "no valid token " + text + " (gridmap token list shows them)");
    }
    store->append_audit(cli_entry("token_revoke", text, ""));
    std::printf("Token %s revoked: requests with it are refused from now on.\n", text.c_str());
    return 0;
}

int run_audit(const Args& args) {
    std::string since;
    if (auto s = args.value("since")) {
        // A duration back from now, or a date.
        try {
            if (const auto back = geo::access::parse_duration(*s)) {
                since = geo::access::iso_utc(now_seconds() - *back);
            } else {
                since = *s;
                if (since.size() != 10 && since.size() != 20) throw geo::Error(geo::Errc::invalid_argument, "");
            }
        } catch (const geo::Error&) {
            throw UsageError("--since takes a UTC date (2026-12-01 or 2026-12-01T08:00:00Z) or a duration back (7d, 12h)");
        }
    }
    std::int64_t limit = 1000;
    if (auto l = args.value("limit")) {
        if (l->empty() || l->size() > 7 || l->find_first_not_of("0123456789") != std::string::npos) {
            throw UsageError("--limit is a number of lines");
        }
        limit = std::stoll(*l);
    }
    auto store = geo::store::open_store_read_only(args.value_or("db", default_db()));
    for (const auto& e : store->audit(since, limit)) {
        std::printf("%s  %-14s %-9s %-24s %-20s %s\n", e.at.c_str(), e.action.c_str(), e.outcome.c_str(),
                    (e.who + (e.token_id ? " (token " + std::to_string(e.token_id) + ")" : "")).c_str(),
                    e.target.c_str(), e.detail.c_str());
    }
    return 0;
}

}  // namespace

std::vector<Command> access_commands() {
    return {
        {{"token create",
          "Creates a bearer token for the HTTP server and prints it once (the database keeps only its SHA-256).",
          {},
          {k_db,
           {"role", "admin|planner|worker", "what the token may do"},
           {"grids", "CODE,CODE…", "workers: the grid cells whose detail the token sees"},
           {"name", "TEXT", "who holds it (shown in the audit log and token list)"},
           {"expires", "30d|12h|DATE", "when it stops working (default: never)"}},
          "Roles: worker (tiles and features; attributes only inside --grids), planner (everything\n"
          "readable, analyses), admin (also imports, layer deletion). Send it as\n"
          "Authorization: Bearer TOKEN, or log in with it at POST /session.\n"
          "Example: gridmap token create --role worker --grids 310115005-001-01 --name 张敏 --expires 180d\n"},
         &run_token_create},
        {{"token list", "Lists the tokens: id, role, state, dates, name and grids (never the tokens).", {}, {k_db}, ""},
         &run_token_list},
        {{"token revoke", "Revokes a token: requests with it are refused from the next one on.", {"ID"}, {k_db}, ""},
         &run_token_revoke},
        {{"audit",
          "Prints the audit log: imports, layer deletions, token creation and revocation, failed logins.",
          {},
          {k_db,
           {"since", "DATE|7d", "only lines at or after a UTC date, or within a duration back from now"},
           {"limit", "N", "at most N lines (default 1000)"}},
          ""},
         &run_audit},
    };
}

}  // namespace gridmap::cli
