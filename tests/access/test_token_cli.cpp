// gridmap token create|list|revoke and gridmap audit, as an administrator runs them; and the
// pieces they are made of (token format, hashing, expiry parsing, scope keys).
#include <gtest/gtest.h>

#include "geo/access/access.hpp"
#include "geo/error.hpp"
#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace {

using gridmap::test::run;

std::vector<std::string> cli(const std::string& db, std::vector<std::string> args) {
    std::vector<std::string> all = {GRIDMAP_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back("--db");
    all.push_back(db);
    return all;
}

TEST(TokenCli, CreateListRevokeAndAudit) {
    gridmap::test::TempDir dir;
    const std::string db = (dir / "d.sqlite").string();
    gridmap::test::import_demo(db, {"grid_cells"});

    const auto created = run(cli(db, {"token", "create", "--role", "worker", "--grids", "310101013-001-01,310101013-001-02",
                                      "--name", "张敏", "--expires", "30d"}));
    ASSERT_EQ(created.exit_code, 0) << created.err;
    const std::string token = created.out.substr(0, created.out.find('\n'));
    EXPECT_TRUE(token.starts_with("gm_")) << created.out;
    EXPECT_EQ(token.size(), 46u);
    EXPECT_NE(created.err.find("shown this once"), std::string::npos) << created.err;

    // Only the hash is kept.
    {
        auto store = geo::store::open_store_read_only(db);
        const auto tokens = store->tokens();
        ASSERT_EQ(tokens.size(), 1u);
        EXPECT_EQ(tokens[0].hash, geo::access::token_hash(token));
        EXPECT_EQ(tokens[0].role, geo::access::Role::worker);
        EXPECT_EQ(tokens[0].grids, (std::vector<std::string>{"310101013-001-01", "310101013-001-02"}));
        EXPECT_EQ(tokens[0].name, "张敏");
        EXPECT_FALSE(tokens[0].expires_at.empty());
        EXPECT_EQ(gridmap::test::read_file(db).find(token), std::string::npos) << "the token itself is in the database file";
    }

    const auto list = run(cli(db, {"token", "list"}));
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find("张敏"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("valid"), std::string::npos) << list.out;
    EXPECT_EQ(list.out.find(token), std::string::npos);

    const auto revoked = run(cli(db, {"token", "revoke", "1"}));
    EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
    const auto again = run(cli(db, {"token", "revoke", "1"}));
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("no valid token 1"), std::string::npos) << again.err;
    EXPECT_NE(run(cli(db, {"token", "list"})).out.find("revoked"), std::string::npos);

    const auto audit = run(cli(db, {"audit"}));
    ASSERT_EQ(audit.exit_code, 0) << audit.err;
    EXPECT_NE(audit.out.find("token_create"), std::string::npos) << audit.out;
    EXPECT_NE(audit.out.find("token_revoke"), std::string::npos) << audit.out;
    EXPECT_EQ(audit.out.find(token), std::string::npos);
    EXPECT_EQ(run(cli(db, {"audit", "--since", "2099-01-01"})).out, "");
}

TEST(TokenCli, MistakesAreUsageErrorsAndChangeNothing) {
    gridmap::test::TempDir dir;
    const std::string db = (dir / "d.sqlite").string();
    gridmap::test::import_demo(db, {"grid_cells"});
    const std::vector<std::vector<std::string>> wrong = {
        {"token", "create", "--role", "boss"},
        {"token", "create"},
        {"token", "create", "--role", "planner", "--grids", "310101013-001-01"},
        {"token", "create", "--role", "admin", "--expires", "yesterday"},
        {"token", "create", "--role", "admin", "--expires", "2020-01-01"},
        {"token", "create", "--role", "admin", "--expires", "2027-02-30"},
        {"token", "create", "--role", "admin", "--expires", "99999999d"},
        {"token", "create", "--role", "worker", "--name", "a\x01" "b"},
        {"token", "create", "--role", "worker", "--name", "\xff\xfe"},
        {"token", "revoke", "x1"},
        {"token", "revoke", "99999999999999999999999"},
        {"token", "frobnicate"},
        {"audit", "--since", "last week"},
    };
    for (const auto& args : wrong) {
        const auto r = run(cli(db, args));
        std::string shown;
        for (const auto& a : args) shown += a + " ";
        EXPECT_EQ(r.exit_code, 2) << shown << "\n" << r.err;
        EXPECT_FALSE(r.err.empty()) << shown;
        EXPECT_EQ(r.err.find("internal"), std::string::npos) << r.err;
    }
    EXPECT_TRUE(geo::store::open_store_read_only(db)->tokens().empty());
}

TEST(AccessPieces, TokensAreRandomAndHashedWithSha256) {
    const std::string a = geo::access::new_token(), b = geo::access::new_token();
    EXPECT_NE(a, b);
    EXPECT_EQ(a.size(), 46u);
    EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 3), std::string::npos);
    // FIPS 180-2's example.
    const std::string h = geo::access::token_hash("abc");
    std::string hex;
    for (unsigned char c : h) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", c);
        hex += buf;
    }
    EXPECT_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_TRUE(geo::access::same_hash(h, geo::access::token_hash("abc")));
    EXPECT_FALSE(geo::access::same_hash(h, geo::access::token_hash("abd")));
    EXPECT_FALSE(geo::access::same_hash(h, h.substr(1)));
}

TEST(AccessPieces, ExpiryTimesAndScopes) {
    const std::int64_t now = 1796300000;  // 2026-12-03T...Z
    EXPECT_EQ(geo::access::parse_expiry("1d", now), geo::access::iso_utc(now + 86400));
    EXPECT_EQ(geo::access::parse_expiry("12h", now), geo::access::iso_utc(now + 43200));
    EXPECT_EQ(geo::access::parse_expiry("2027-06-30", now), "2027-06-30T00:00:00Z");
    EXPECT_EQ(geo::access::parse_expiry("2027-06-30T18:00:00Z", now), "2027-06-30T18:00:00Z");
    for (const char* bad : {"", "0d", "-1d", "1w", "2027-13-01", "2027-02-29", "2027-06-30 18:00", "2020-01-01", "2040-01-01"}) {
        EXPECT_THROW(geo::access::parse_expiry(bad, now), geo::Error) << bad;
    }
    geo::access::TokenRecord t;
    t.expires_at = "2027-01-01T00:00:00Z";
    EXPECT_TRUE(t.usable_at("2026-12-31T23:59:59Z"));
    EXPECT_FALSE(t.usable_at("2027-01-01T00:00:00Z"));
    t.revoked_at = "2026-12-01T00:00:00Z";
    EXPECT_FALSE(t.usable_at("2026-12-31T23:59:59Z"));

    const auto a = geo::access::Scope::within({"b", "a", "a"});
    EXPECT_EQ(a.cells, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(a.covers_cell("a"));
    EXPECT_FALSE(a.covers_cell("c"));
    EXPECT_EQ(a.key(), geo::access::Scope::within({"a", "b"}).key());
    EXPECT_NE(a.key(), geo::access::Scope::within({"a"}).key());
    EXPECT_NE(geo::access::Scope::within({}).key(), geo::access::Scope::everything().key());
    EXPECT_TRUE(geo::access::Scope::everything().covers_cell("anything"));
}

}  // namespace
