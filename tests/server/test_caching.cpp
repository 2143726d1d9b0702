// Clients on slow links and behind proxies: compression, ETag and Cache-Control, 304s, the
// public base URL, problem types.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "http/encoding.hpp"
#include "http/forwarded.hpp"
#include "server/server_fixture.hpp"

namespace {

using gridmap::http::Coding;
using gridmap::test::demo_server;
using nlohmann::json;

// A client that says what it accepts itself and leaves bodies as they came.
httplib::Client raw_client() {
    auto client = demo_server().client();
    client.set_decompress(false);
    return client;
}

std::string gunzip(const std::string& in) {
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    std::string out(in.size() * 20 + 1024, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

TEST(AcceptEncoding, FollowsQValuesAndRefusals) {
    using gridmap::http::choose_coding;
    EXPECT_EQ(choose_coding(""), Coding::identity);
    EXPECT_EQ(choose_coding("gzip, deflate, br"), Coding::br);
    EXPECT_EQ(choose_coding("gzip, deflate, br", false), Coding::gzip);
    EXPECT_EQ(choose_coding("gzip;q=1.0, br;q=0.5"), Coding::gzip);
    EXPECT_EQ(choose_coding("br;q=0, gzip"), Coding::gzip);
    EXPECT_EQ(choose_coding("gzip;q=0"), Coding::identity);
    EXPECT_EQ(choose_coding("GZIP"), Coding::gzip);
    EXPECT_EQ(choose_coding("*"), Coding::br);
    EXPECT_EQ(choose_coding("*;q=0, identity"), Coding::identity);
    EXPECT_EQ(choose_coding("gzip;q=2"), Coding::identity);  // malformed weight: ignored
    EXPECT_EQ(choose_coding("deflate"), Coding::identity);
}

TEST(Compression, LargeJsonIsSentGzippedOrBrotliWithVary) {
    auto client = raw_client();
    const auto plain = client.Get("/collections/buildings/items?limit=1000", {{"Accept-Encoding", "identity"}});
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->status, 200);
    EXPECT_FALSE(plain->has_header("Content-Encoding"));
    EXPECT_EQ(plain->get_header_value("Vary"), "Accept-Encoding");
    const auto features = json::parse(plain->body)["features"].size();
    EXPECT_EQ(features, 1000u);

    const auto gz = client.Get("/collections/buildings/items?limit=1000", {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(gz);
    EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
    EXPECT_EQ(std::stoul(gz->get_header_value("Content-Length")), gz->body.size());
    EXPECT_LT(gz->body.size(), plain->body.size() / 4);
    EXPECT_EQ(gunzip(gz->body), plain->body);

    const auto br = client.Get("/collections/buildings/items?limit=1000", {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_TRUE(br);
    EXPECT_EQ(br->get_header_value("Content-Encoding"), "br");
    EXPECT_LT(br->body.size(), gz->body.size());
    // Three representations, three strong tags.
    const std::string tag = plain->get_header_value("ETag");
    EXPECT_EQ(gz->get_header_value("ETag"), tag.substr(0, tag.size() - 1) + "-gzip\"");
    EXPECT_EQ(br->get_header_value("ETag"), tag.substr(0, tag.size() - 1) + "-br\"");

    // OpenAPI and CSV too; a small answer is not worth it.
    const auto openapi = client.Get("/openapi.json", {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(openapi);
    EXPECT_EQ(openapi->get_header_value("Content-Encoding"), "gzip");
    const auto health = client.Get("/health", {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(health);
    EXPECT_FALSE(health->has_header("Content-Encoding"));
    // Tiles keep their own gzip; PNG is never compressed again.
    const auto png = client.Get("/tiles/all/15/27443/13388.png", {{"Accept-Encoding", "gzip, br"}});
    ASSERT_TRUE(png);
    EXPECT_FALSE(png->has_header("Content-Encoding"));
}

TEST(Caching, DescriptionsAreCachedAMinuteAndRevalidatedWith304) {
    auto client = raw_client();
    for (const char* path : {"/collections", "/collections/buildings", "/tiles/all.json", "/styles/gridmap.json", "/openapi.json", "/conformance", "/"}) {
        const auto first = client.Get(path, {{"Accept-Encoding", "gzip"}});
        ASSERT_TRUE(first) << path;
        ASSERT_EQ(first->status, 200) << path;
        EXPECT_EQ(first->get_header_value("Cache-Control"), "public, max-age=60") << path;
        const std::string etag = first->get_header_value("ETag");
        ASSERT_FALSE(etag.empty()) << path;
        const auto again = client.Get(path, {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
        ASSERT_TRUE(again) << path;
        EXPECT_EQ(again->status, 304) << path;
        EXPECT_TRUE(again->body.empty()) << path;
        EXPECT_EQ(again->get_header_value("ETag"), etag) << path;
        // A 304 says nothing of a length: Content-Length: 0 would be the 200's length (RFC 9110 §8.6).
        EXPECT_FALSE(again->has_header("Content-Length")) << path;
        // Weak comparison, and a list.
        const auto weak = client.Get(path, {{"Accept-Encoding", "gzip"}, {"If-None-Match", "\"other\", W/" + etag}});
        ASSERT_TRUE(weak);
        EXPECT_EQ(weak->status, 304) << path;
        const auto other = client.Get(path, {{"Accept-Encoding", "gzip"}, {"If-None-Match", "\"other\""}});
        ASSERT_TRUE(other);
        EXPECT_EQ(other->status, 200) << path;
    }
    // Features may change with any import: kept, but asked about every time.
    const auto items = client.Get("/collections/stations/items");
    ASSERT_TRUE(items);
    EXPECT_EQ(items->get_header_value("Cache-Control"), "public, no-cache");
    // What is never to be kept stays so.
    const auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_FALSE(health->has_header("ETag"));
}

TEST(Caching, AnswersToCredentialsArePrivate) {
    auto client = raw_client();
    // The demo server is open, so the token is not looked at; the answer still may differ by
    // who asks where tokens are checked, and must never sit in a shared cache.
    const auto res = client.Get("/collections", {{"Authorization", "Bearer not-checked-here"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("Cache-Control"), "private, max-age=60");
}

TEST(PublicUrl, ForwardedFieldsFromATrustedProxyMakeEveryLink) {
    auto client = raw_client();
    const httplib::Headers proxied{{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "map.example.org"},
                                   {"X-Forwarded-Prefix", "/gridmap/"}};
    const std::string base = "https://map.example.org/gridmap";
    const auto tilejson = client.Get("/tiles/all.json", proxied);
    ASSERT_TRUE(tilejson);
    EXPECT_EQ(json::parse(tilejson->body)["tiles"][0], base + "/tiles/all/{z}/{x}/{y}.mvt");
    const auto style = client.Get("/styles/gridmap.json", proxied);
    ASSERT_TRUE(style);
    EXPECT_EQ(json::parse(style->body)["sources"]["gridmap"]["url"], base + "/tiles/all.json");
    const auto items = client.Get("/collections/buildings/items?limit=1", proxied);
    ASSERT_TRUE(items);
    bool next = false;
    const json page = json::parse(items->body);
    for (const auto& l : page["links"]) {
        EXPECT_EQ(l["href"].get<std::string>().rfind(base + "/", 0), 0u) << l.dump();
        next = next || l["rel"] == "next";
    }
    EXPECT_TRUE(next);
    // RFC 7239's Forwarded says the same.
    const auto forwarded = client.Get("/tiles/all.json", {{"Forwarded", "for=203.0.113.9;proto=https;host=\"map.example.org:8443\""}});
    ASSERT_TRUE(forwarded);
    EXPECT_EQ(json::parse(forwarded->body)["tiles"][0], "https://map.example.org:8443/tiles/all/{z}/{x}/{y}.mvt");
    // Without a proxy, the Host the client used; a malformed proxy field is ignored whole.
    const std::string direct = "http://127.0.0.1:" + std::to_string(demo_server().port());
    for (const httplib::Headers& h : {httplib::Headers{}, httplib::Headers{{"X-Forwarded-Proto", "gopher"}, {"X-Forwarded-Host", "evil.example"}},
                                      httplib::Headers{{"X-Forwarded-Host", "evil.example/<script>"}},
                                      httplib::Headers{{"X-Forwarded-Prefix", "/../admin"}, {"X-Forwarded-Host", "evil.example"}}}) {
        const auto res = client.Get("/tiles/all.json", h);
        ASSERT_TRUE(res);
        EXPECT_EQ(json::parse(res->body)["tiles"][0], direct + "/tiles/all/{z}/{x}/{y}.mvt");
    }
}

TEST(PublicUrl, UntrustedPeersAndTheSettingWin) {
    gridmap::test::TempDir dir;
    std::filesystem::copy_file(demo_server().db(), dir.path() / "demo.sqlite");
    gridmap::http::ServerConfig config;
    config.db = (dir.path() / "demo.sqlite").string();
    config.port = 0;
    config.open = true;
    config.access_log = false;
    config.trusted_proxies = {"10.0.0.0/8"};  // not this test's loopback client
    {
        gridmap::test::ServerThread running(config);
        auto client = running.client();
        const auto res = client.Get("/tiles/all.json", {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "map.example.org"}});
        ASSERT_TRUE(res);
        EXPECT_EQ(json::parse(res->body)["tiles"][0],
                  "http://127.0.0.1:" + std::to_string(running.port()) + "/tiles/all/{z}/{x}/{y}.mvt");
    }
    config.public_url = "https://grid.example.org/district";
    gridmap::test::ServerThread running(config);
    auto client = running.client();
    const auto res = client.Get("/tiles/all.json", {{"X-Forwarded-Host", "map.example.org"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(json::parse(res->body)["tiles"][0], "https://grid.example.org/district/tiles/all/{z}/{x}/{y}.mvt");
}

TEST(PublicUrl, ProxyNetworksAndTheSettingAreChecked) {
    using gridmap::http::ProxyNet;
    const auto net = ProxyNet::parse("10.0.0.0/8");
    ASSERT_TRUE(net);
    EXPECT_TRUE(net->contains("10.20.30.40"));
    EXPECT_TRUE(net->contains("::ffff:10.1.2.3"));
    EXPECT_FALSE(net->contains("11.0.0.1"));
    EXPECT_FALSE(net->contains("::1"));
    const auto v6 = ProxyNet::parse("fd00::/8");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains("fd12::1"));
    EXPECT_FALSE(v6->contains("fe80::1"));
    EXPECT_FALSE(ProxyNet::parse("10.0.0.0/33"));
    EXPECT_FALSE(ProxyNet::parse("localhost"));
    EXPECT_EQ(gridmap::http::normalise_public_url("HTTPS://Map.Example.org/gridmap/"), "https://map.example.org/gridmap");
    for (const char* bad : {"map.example.org", "ftp://map.example.org", "https://map.example.org/?x=1", "https://u@map.example.org",
                            "https://map.example.org/../x", "https:///x"}) {
        EXPECT_THROW(gridmap::http::normalise_public_url(bad), std::invalid_argument) << bad;
    }
    EXPECT_THROW(gridmap::http::load_config(std::nullopt, {}, {{"trusted_proxies", "10.0.0.0/8,nonsense"}}), std::invalid_argument);
    EXPECT_EQ(gridmap::http::load_config(std::nullopt, {{"GRIDMAP_PUBLIC_URL", "https://a.example/"}}, {}).public_url, "https://a.example");
}

TEST(Problems, TypesNameTheErrorAndExplainThemselves) {
    auto client = raw_client();
    const auto missing = client.Get("/collections/no_such_layer");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    const auto body = json::parse(missing->body);
    EXPECT_EQ(body["type"], "/problems/not-found");
    const auto explained = client.Get(body["type"].get<std::string>());
    ASSERT_TRUE(explained);
    EXPECT_EQ(explained->status, 200);
    EXPECT_EQ(json::parse(explained->body)["status"], 404);
    const auto bad = client.Get("/collections/buildings/items?limit=-3");
    ASSERT_TRUE(bad);
    EXPECT_EQ(json::parse(bad->body)["type"], "/problems/invalid-request");
    const auto wrong_method = client.Delete("/conformance");
    ASSERT_TRUE(wrong_method);
    EXPECT_EQ(wrong_method->status, 405);
    EXPECT_EQ(json::parse(wrong_method->body)["type"], "/problems/method-not-allowed");
    const auto list = client.Get("/problems");
    ASSERT_TRUE(list);
    EXPECT_GE(json::parse(list->body)["problems"].size(), 15u);
    const auto unknown = client.Get("/problems/no-such-problem");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
}

TEST(Settings, ServeHelpListsEverySetting) {
    const std::string help = gridmap::http::settings_help();
    for (const char* key : {"db", "host", "port", "public_url", "trusted_proxies", "cors_origins", "style", "compress_min_bytes",
                            "max_upload_bytes", "upload_dir", "secure_cookies", "allowed_hosts"}) {
        EXPECT_NE(help.find(std::string("  ") + key + "  ("), std::string::npos) << key;
    }
    EXPECT_NE(help.find("GRIDMAP_PUBLIC_URL"), std::string::npos);
}

}  // namespace
