// Every server limit is set and holds: body size (see test_features), read timeout,
// keep-alive count; and the configuration rejects what it does not know.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "geo/error.hpp"
#include "http/config.hpp"
#include "server/server_fixture.hpp"

namespace {

int connect_to(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

TEST(Limits, SlowClientIsCutOffAfterTheReadTimeout) {
    const int fd = connect_to(gridmap::test::demo_server().port());
    ASSERT_GE(fd, 0);
    const std::string partial = "GET /health HTTP/1.1\r\nHost: x\r\n";  // never finished
    ASSERT_EQ(send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
    const auto start = std::chrono::steady_clock::now();
    pollfd p{fd, POLLIN, 0};
    char buf[512];
    std::string answer;
    bool ended = false;  // answered (the server gives up on the request) or closed
    while (!ended && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
        if (poll(&p, 1, 100) > 0) {
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n > 0) answer.append(buf, static_cast<std::size_t>(n));
            ended = true;
        }
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    close(fd);
    EXPECT_TRUE(ended) << "a half-sent request held its worker for " << waited << " s";
    EXPECT_LT(waited, 3.0);  // read_timeout_s = 1 in the fixture
    EXPECT_GT(waited, 0.5);
    if (!answer.empty()) {
        EXPECT_TRUE(answer.starts_with("HTTP/1.1 408")) << answer;
    }
}

TEST(Limits, KeepAliveConnectionsEndAfterTheirRequestCount) {
    auto client = gridmap::test::demo_server().client();
    client.set_keep_alive(true);
    std::string connection;
    for (int i = 0; i < 3; ++i) {
        auto res = client.Get("/health");
        ASSERT_TRUE(res);
        connection = res->get_header_value("Connection");
    }
    EXPECT_EQ(connection, "close") << "keep_alive_max_count = 3 in the fixture";
}

TEST(Limits, ConfigurationLayers) {
    gridmap::test::TempDir dir;
    const auto file = (dir / "gridmap.json").string();
    std::ofstream(file) << R"({"port": 9001, "db": "district.sqlite", "items_max_limit": 500, "items_default_limit": 50})";
    auto config = gridmap::http::load_config(file, {{"GRIDMAP_PORT", "9002"}, {"GRIDMAP_THREADS", "6"}}, {{"port", "9003"}});
    EXPECT_EQ(config.port, 9003);  // flags over environment over file
    EXPECT_EQ(config.threads, 6);
    EXPECT_EQ(config.db, "district.sqlite");
    EXPECT_EQ(config.items_max_limit, 500);
    EXPECT_EQ(gridmap::http::load_config(file, {{"GRIDMAP_PORT", "9002"}}, {}).port, 9002);

    std::ofstream(file) << R"({"port": 9001, "colour": "red"})";
    EXPECT_THROW(gridmap::http::load_config(file, {}, {}), std::invalid_argument);
    std::ofstream(file) << R"({"port": "eighty"})";
    EXPECT_THROW(gridmap::http::load_config(file, {}, {}), std::invalid_argument);
    std::ofstream(file) << R"({"port": 70000})";
    EXPECT_THROW(gridmap::http::load_config(file, {}, {}), std::invalid_argument);
    std::ofstream(file) << "not json";
    EXPECT_THROW(gridmap::http::load_config(file, {}, {}), std::invalid_argument);
    EXPECT_THROW(gridmap::http::load_config(std::nullopt, {{"GRIDMAP_PORT", "x"}}, {}), std::invalid_argument);
    EXPECT_THROW(gridmap::http::load_config(std::nullopt, {}, {{"bogus", "1"}}), std::invalid_argument);
    EXPECT_GE(gridmap::http::ServerConfig{}.worker_threads(), 8);
}

TEST(Limits, ServeRefusesAnUnknownConfigKeyWithExitCode2) {
    gridmap::test::TempDir dir;
    const auto file = (dir / "gridmap.json").string();
    std::ofstream(file) << R"({"prot": 8080})";
    auto r = gridmap::test::run({gridmap::test::gridmap_binary().string(), "serve", "--config", file,
                                 "--db", gridmap::test::demo_server().db()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown key \"prot\""), std::string::npos) << r.err;
}

// Bytes that are not UTF-8 reach the answer through the percent-decoded path and the detail.
// `GET /%FF` used to end the process: the problem body's JSON refused to serialize them, inside
// cpp-httplib's error handler, where nothing catches.
TEST(Limits, AnyBytesInThePathGetAProblemAnswer) {
    auto client = gridmap::test::demo_server().client();
    client.set_url_encode(false);
    struct Case {
        std::string path;
        int status;
        std::string detail_part;
    };
    const std::vector<Case> cases = {
        // The guard refuses them at the door, before any route could quote them.
        {"/%FF", 400, "the path has a malformed %-escape or is not UTF-8"},
        {"/collections/%FF%FE%00x", 400, "the path has a malformed %-escape or is not UTF-8"},
        {"/collections/stations/items?limit=%FF%00", 400, "the query string has a malformed %-escape or is not UTF-8"},
        {"/collections/stations/items?bbox=1,2,3,%E4%B8", 400, "the query string has a malformed %-escape or is not UTF-8"},
        {"/collections/stations/items?filter=a%20%3D%201%FF%00", 400, "the query string has a malformed %-escape or is not UTF-8"},
        {"/tiles/%FF/1/1/1.mvt", 400, "the path has a malformed %-escape or is not UTF-8"},
        {"/collections/stations%00", 400, "the path holds a NUL character"},
    };
    for (const auto& c : cases) {
        auto res = client.Get(c.path);
        ASSERT_TRUE(res) << c.path << ": the server no longer answers";
        EXPECT_EQ(res->status, c.status) << c.path << " " << res->body;
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json") << c.path;
        const auto body = nlohmann::json::parse(res->body, nullptr, false);
        ASSERT_FALSE(body.is_discarded()) << c.path << " " << res->body;
        EXPECT_NE(body.value("detail", "").find(c.detail_part), std::string::npos) << c.path << " " << res->body;
    }
    auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

}  // namespace

namespace {

// A server of its own with routes that fail in every way a handler can.
TEST(Limits, WhateverAHandlerThrowsIsALogged500AndTheServerGoesOn) {
    gridmap::http::ServerConfig config;
    config.db = gridmap::test::demo_server().db();
    config.port = 0;
    config.threads = 2;
    config.open = true;
    gridmap::http::Server server(config);
    using gridmap::http::Role;
    server.get("boom-int", R"(/boom/int)", Role::worker, [](gridmap::http::RequestContext&) { throw 42; });
    server.get("boom-std", R"(/boom/std)", Role::worker, [](gridmap::http::RequestContext&) { throw std::runtime_error("secret detail"); });
    server.get("boom-bad-utf8", R"(/boom/utf8)", Role::worker, [](gridmap::http::RequestContext& ctx) {
        throw geo::Error(geo::Errc::invalid_argument, "no layer named \"\xff\xfe\"" + ctx.req.path);
    });
    const int port = server.bind();
    std::thread thread([&] { server.run(); });
    httplib::Client client("127.0.0.1", port);
    testing::internal::CaptureStderr();
    auto a = client.Get("/boom/int");
    auto b = client.Get("/boom/std");
    auto c = client.Get("/boom/utf8");
    auto health = client.Get("/health");
    const std::string log = testing::internal::GetCapturedStderr();
    server.stop();
    thread.join();
    ASSERT_TRUE(a && b && c && health);
    EXPECT_EQ(a->status, 500);
    EXPECT_EQ(b->status, 500);
    EXPECT_EQ(b->body.find("secret detail"), std::string::npos) << "an internal message reached the client";
    EXPECT_NE(b->body.find("internal error (request "), std::string::npos) << b->body;
    EXPECT_EQ(c->status, 400);  // invalid UTF-8 in a message is replaced, not thrown on
    EXPECT_NE(c->body.find("\xef\xbf\xbd"), std::string::npos) << c->body;
    EXPECT_EQ(health->status, 200);
    // Each 500 wrote its log line with the request id the client was given.
    EXPECT_NE(log.find(" /boom/int: unknown exception"), std::string::npos) << log;
    EXPECT_NE(log.find(" /boom/std: secret detail"), std::string::npos) << log;
    EXPECT_NE(log.find("error " + b->get_header_value("X-Request-Id")), std::string::npos) << log;
}

}  // namespace
