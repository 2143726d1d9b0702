// Slow, idle, stalled and too many clients, against a real `gridmap serve` process: none of
// them holds a worker, so /health and every other route stay answered; each is cut off by its
// deadline. And a second server cannot take a port that is in use.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "hostile/server_process.hpp"

namespace {

using gridmap::test::connect_loopback;
using gridmap::test::get_request;
using gridmap::test::raw_exchange;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The slowest of `n` /health requests made one after another, in seconds.
double slowest_health(int port, int n) {
    double worst = 0;
    for (int i = 0; i < n; ++i) {
        const auto start = Clock::now();
        const auto answer = raw_exchange(port, get_request("/health"), 5);
        EXPECT_EQ(answer.status, 200) << answer.head << answer.body;
        worst = std::max(worst, seconds_since(start));
    }
    return worst;
}

// The server's count of open connections, from /metrics.
int open_connections(int port) {
    const auto answer = raw_exchange(port, get_request("/metrics"), 5);
    const std::string key = "\ngridmap_http_open_connections ";
    const auto at = answer.body.find(key);
    return at == std::string::npos ? -1 : std::atoi(answer.body.c_str() + at + key.size());
}

// Whether the server has closed `fd` (or answered on it) by now.
bool closed_or_answered(int fd, std::string* answer = nullptr) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return false;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0 && answer) answer->append(buf, static_cast<std::size_t>(n));
    return true;
}

TEST(SlowClients, TwoHundredSlowAndIdleConnectionsDoNotDelayHealth) {
    gridmap::test::ServerProcess server(gridmap::test::ServerProcess::Settings{{"threads", "8"}, {"read_timeout_s", "3"}});
    std::vector<int> trickling;
    std::vector<int> idle;
    for (int i = 0; i < 100; ++i) {
        const int fd = connect_loopback(server.port());
        ASSERT_GE(fd, 0);
        const std::string line = "GET /health HTTP/1.1\r\n";
        ASSERT_EQ(send(fd, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
        trickling.push_back(fd);
        idle.push_back(connect_loopback(server.port()));
    }
    // Eight of cpp-httplib's workers once sufficed to stop every route; now 200 clients hold none.
    const auto start = Clock::now();
    while (seconds_since(start) < 2.0) {
        for (int fd : trickling) send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
        EXPECT_LT(slowest_health(server.port(), 5), 1.0) << "with 200 slow or idle connections open";
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    // read_timeout_s is the deadline for a whole request, however steadily it trickles: each
    // trickling client gets a 408 (and idle ones are closed) soon after 3 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    int answered = 0;
    int with_408 = 0;
    for (int fd : trickling) {
        send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
        std::string answer;
        if (closed_or_answered(fd, &answer)) ++answered;
        if (answer.starts_with("HTTP/1.1 408")) ++with_408;
        close(fd);
    }
    int idle_closed = 0;
    for (int fd : idle) {
        if (closed_or_answered(fd)) ++idle_closed;
        close(fd);
    }
    EXPECT_EQ(answered, 100);
    EXPECT_EQ(with_408, 100);
    EXPECT_EQ(idle_closed, 100);
    EXPECT_TRUE(server.alive());
    EXPECT_EQ(server.terminate(), 0);
}

TEST(SlowClients, ClientsThatDoNotReadHoldNoWorker) {
    gridmap::test::ServerProcess server(gridmap::test::ServerProcess::Settings{{"threads", "2"}, {"write_timeout_s", "10"}});
    const std::string page = "GET /collections/buildings/items?limit=10000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const std::size_t page_bytes = raw_exchange(server.port(), get_request("/collections/buildings/items?limit=10000")).body.size();
    ASSERT_GT(page_bytes, 500000u);
    // Sixteen clients with small windows each ask for ten whole layers (more than the
    // kernel's socket buffers hold) and never read: with two workers, both would be stuck in
    // send() until write_timeout_s if the workers wrote to sockets themselves.
    std::vector<int> stalled;
    for (int i = 0; i < 16; ++i) {
        const int fd = connect_loopback(server.port(), 8192);
        std::string requests;
        for (int k = 0; k < 10; ++k) requests += page;
        send(fd, requests.data(), requests.size(), MSG_NOSIGNAL);
        stalled.push_back(fd);
    }
    // The threads first build the pages the kernel's buffers will take (a second or two of
    // work, more on a loaded machine or under the sanitizers); a page that cannot be sent
    // waits in the connection, not in a thread. So /health soon answers promptly again, long
    // before the 10 s write timeout would free a thread that was stuck in send().
    const auto settling = Clock::now();
    while (seconds_since(settling) < 8.0) {
        const auto t = Clock::now();
        const auto answer = raw_exchange(server.port(), get_request("/health"), 15);
        ASSERT_EQ(answer.status, 200);
        if (seconds_since(t) < 0.05) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_LT(seconds_since(settling), 10.0) << "/health never became prompt while 16 clients did not read";
    EXPECT_LT(slowest_health(server.port(), 10), 1.0);
    EXPECT_GE(open_connections(server.port()), 17);
    // Cut off once they have taken nothing for write_timeout_s.
    const auto start = Clock::now();
    int open = -1;
    while ((open = open_connections(server.port())) > 1 && seconds_since(start) < 60) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(open, 1) << "only the one asking for /metrics";
    for (int fd : stalled) {
        // What was already in the kernel's buffers still arrives, then the end: never all ten.
        std::size_t total = 0;
        char buf[65536];
        pollfd p{fd, POLLIN, 0};
        ssize_t n = 1;
        while (n > 0 && poll(&p, 1, 2000) > 0) {
            n = recv(fd, buf, sizeof buf, 0);
            if (n > 0) total += static_cast<std::size_t>(n);
        }
        EXPECT_LE(n, 0) << "the connection is still open";
        EXPECT_LT(total, 10 * page_bytes);
        close(fd);
    }
    EXPECT_EQ(server.terminate(), 0);
}

TEST(SlowClients, AtTheConnectionLimitIdleClientsMakeRoomThenNewOnesGet503) {
    gridmap::test::ServerProcess server(gridmap::test::ServerProcess::Settings{{"max_connections", "32"}, {"read_timeout_s", "20"}});
    std::vector<int> idle;
    for (int i = 0; i < 32; ++i) idle.push_back(connect_loopback(server.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    // A new client is worth more than one that has sent nothing for a second: it makes room.
    EXPECT_EQ(raw_exchange(server.port(), get_request("/health"), 5).status, 200);

    // Clients in the middle of a request, or just connected, are not dropped for a newcomer: it
    // gets a 503.
    std::vector<int> busy;
    for (int i = 0; i < 40; ++i) {
        const int fd = connect_loopback(server.port());
        send(fd, "GET /health HTTP/1.1\r\n", 22, MSG_NOSIGNAL);
        busy.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto answer = raw_exchange(server.port(), get_request("/health"), 5);
    EXPECT_EQ(answer.status, 503);
    EXPECT_EQ(answer.header("Retry-After"), "1");
    for (int fd : idle) close(fd);
    for (int fd : busy) close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(raw_exchange(server.port(), get_request("/health"), 5).status, 200);
    EXPECT_EQ(server.terminate(), 0);
}

TEST(SlowClients, PipelinedAndKeepAliveRequestsAreAnsweredInOrder) {
    gridmap::test::ServerProcess server;
    const int fd = connect_loopback(server.port());
    const std::string two = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                            "GET /collections/stations/items/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    send(fd, two.data(), two.size(), MSG_NOSIGNAL);
    std::string in;
    char buf[65536];
    ssize_t n = 0;
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 5000) > 0 && (n = recv(fd, buf, sizeof buf, 0)) > 0) in.append(buf, static_cast<std::size_t>(n));
    close(fd);
    const auto first = in.find("HTTP/1.1 200");
    const auto second = in.find("HTTP/1.1 200", first + 1);
    ASSERT_NE(second, std::string::npos) << in;
    EXPECT_NE(in.find("\"status\":\"ok\""), std::string::npos);
    EXPECT_GT(in.find("\"type\":\"Feature\""), second);
    EXPECT_EQ(server.terminate(), 0);
}

TEST(ServerProcess, ASecondServerOnABusyPortRefusesToStart) {
    gridmap::test::ServerProcess server;
    // cpp-httplib set SO_REUSEPORT, so a second server started silently and requests alternated
    // between two databases.
    const auto second = gridmap::test::run({gridmap::test::gridmap_binary().string(), "serve", "--db", server.db(),
                                            "--port", std::to_string(server.port()), "--open"});
    EXPECT_NE(second.exit_code, 0);
    EXPECT_NE(second.err.find("already in use"), std::string::npos) << second.err;
    EXPECT_TRUE(server.alive());
    EXPECT_EQ(server.terminate(), 0);
}

}  // namespace

namespace {

TEST(ServerProcess, StartedOutsideTheCheckoutItFindsItsStyle) {
    // ServerProcess runs gridmap serve from / with no style path configured.
    gridmap::test::ServerProcess server;
    const auto style = raw_exchange(server.port(), get_request("/styles/gridmap.json"), 10);
    EXPECT_EQ(style.status, 200) << style.head << style.body;
    EXPECT_NE(style.body.find("\"layers\""), std::string::npos);
    const auto png = raw_exchange(server.port(), get_request("/tiles/all/14/13716/6693.png"), 10);
    EXPECT_TRUE(png.status == 200 || png.status == 204) << png.head << png.body;
    EXPECT_EQ(server.log().find("No map style"), std::string::npos);
    EXPECT_EQ(server.terminate(), 0);
}

}  // namespace
