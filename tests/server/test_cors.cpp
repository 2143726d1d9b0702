// Clients on every origin: CORS fields on answers, OPTIONS and preflight, 405 with Allow.
#include <gtest/gtest.h>

#include "server/server_fixture.hpp"

namespace {

using gridmap::test::demo_server;

const httplib::Headers k_other_site{{"Origin", "https://map.other.example"}};

TEST(Cors, ReadsFromAnyOriginCarryTheFieldsABrowserNeeds) {
    auto client = demo_server().client();
    for (const char* path : {"/collections", "/tiles/all.json", "/collections/stations/items?limit=1", "/health"}) {
        const auto res = client.Get(path, k_other_site);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 200) << path;
        EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "*") << path;
        const std::string exposed = res->get_header_value("Access-Control-Expose-Headers");
        for (const char* field : {"ETag", "Content-Crs", "Link"}) EXPECT_NE(exposed.find(field), std::string::npos) << path << ": " << exposed;
        // Cookies never cross origins.
        EXPECT_FALSE(res->has_header("Access-Control-Allow-Credentials")) << path;
    }
    // Errors too, so that a page on another site can read what went wrong.
    const auto missing = client.Get("/collections/no_such_layer", k_other_site);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(missing->get_header_value("Access-Control-Allow-Origin"), "*");
    // Without an Origin, no CORS fields.
    const auto same_site = client.Get("/collections");
    ASSERT_TRUE(same_site);
    EXPECT_FALSE(same_site->has_header("Access-Control-Allow-Origin"));
}

TEST(Cors, PreflightAndOptionsSayWhatAPathAllows) {
    auto client = demo_server().client();
    httplib::Headers preflight = k_other_site;
    preflight.emplace("Access-Control-Request-Method", "GET");
    preflight.emplace("Access-Control-Request-Headers", "authorization");
    const auto res = client.Options("/collections/buildings/items", preflight);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 204);
    EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "*");
    EXPECT_NE(res->get_header_value("Access-Control-Allow-Methods").find("GET"), std::string::npos);
    EXPECT_NE(res->get_header_value("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
    EXPECT_EQ(res->get_header_value("Allow"), "GET, HEAD, OPTIONS");
    const auto jobs = client.Options("/jobs/1-abc");
    ASSERT_TRUE(jobs);
    EXPECT_EQ(jobs->status, 204);
    EXPECT_EQ(jobs->get_header_value("Allow"), "GET, HEAD, DELETE, OPTIONS");
    const auto nothing = client.Options("/no/such/path", preflight);
    ASSERT_TRUE(nothing);
    EXPECT_EQ(nothing->status, 404);
}

TEST(Cors, AWrongMethodIs405WithAllow) {
    auto client = demo_server().client();
    const auto post = client.Post("/collections", "", "application/json");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 405) << post->body;
    EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD, OPTIONS");
    EXPECT_EQ(post->get_header_value("Content-Type"), "application/problem+json");
    const auto del = client.Delete("/health");
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 405);
    const auto unknown = client.Delete("/no/such/path");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
}

TEST(Cors, ANamedOriginIsEchoedAndOthersGetNoFields) {
    gridmap::http::ServerConfig config;
    config.db = demo_server().db();
    config.port = 0;
    config.threads = 2;
    config.access_log = false;
    config.open = true;
    config.cors_origins = {"https://map.district.example"};
    gridmap::test::ServerThread running(config);
    auto client = running.client();
    const auto named = client.Get("/collections", httplib::Headers{{"Origin", "https://map.district.example"}});
    ASSERT_TRUE(named);
    EXPECT_EQ(named->get_header_value("Access-Control-Allow-Origin"), "https://map.district.example");
    EXPECT_NE(named->get_header_value("Vary").find("Origin"), std::string::npos);
    const auto other = client.Get("/collections", k_other_site);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 200);
    EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
}

}  // namespace
