// A short mixed wrk load (tiles, items, what-is-here at random places in the demo district) on a
// real `gridmap serve`, alone and with 200 slow or idle connections open beside it: not one
// error or non-2xx answer. Throughput is measured in scripts/bench (BENCHMARKS.md), not here.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "hostile/server_process.hpp"

namespace {

struct WrkResult {
    long requests = -1;
    long errors = -1;
    long non2xx = -1;
    double p50_ms = 0;
    double p99_ms = 0;
    std::string output;
};

WrkResult run_wrk(int port, int connections, int seconds) {
    // The demo district's extent (data/demo, see data/README.md).
    const auto r = gridmap::test::run({"/usr/bin/wrk", "-t2", "-c" + std::to_string(connections), "-d" + std::to_string(seconds) + "s",
                                       "--timeout", "10s", "-s", std::string(GRIDMAP_SOURCE_DIR) + "/bench/wrk/mixed.lua",
                                       "http://127.0.0.1:" + std::to_string(port), "--", "121.4797", "31.2260", "121.5214",
                                       "31.2514"});
    WrkResult out;
    out.output = r.out + r.err;
    // The line bench/wrk/mixed.lua prints at the end.
    const auto at = out.output.find("mixed: requests ");
    if (at != std::string::npos) {
        std::sscanf(out.output.c_str() + at, "mixed: requests %ld errors %ld non2xx %ld p50_ms %lf p99_ms %lf", &out.requests,
                    &out.errors, &out.non2xx, &out.p50_ms, &out.p99_ms);
    }
    return out;
}

TEST(Load, MixedLoadHasNoErrors) {
    ASSERT_EQ(access("/usr/bin/wrk", X_OK), 0) << "wrk is missing: scripts/deps installs it";
    gridmap::test::ServerProcess server(gridmap::test::ServerProcess::Settings{{"access_log", "false"}});
    const auto alone = run_wrk(server.port(), 16, 4);
    ASSERT_GT(alone.requests, 100) << alone.output;
    EXPECT_EQ(alone.errors, 0) << alone.output;
    EXPECT_EQ(alone.non2xx, 0) << alone.output;
    RecordProperty("p50_ms", std::to_string(alone.p50_ms));
    RecordProperty("p99_ms", std::to_string(alone.p99_ms));
    std::printf("mixed load alone: %ld requests, p50 %.2f ms, p99 %.2f ms\n", alone.requests, alone.p50_ms, alone.p99_ms);

    // The same beside 100 clients trickling a header line every 200 ms and 100 idle ones.
    std::vector<int> slow;
    for (int i = 0; i < 200; ++i) {
        const int fd = gridmap::test::connect_loopback(server.port());
        ASSERT_GE(fd, 0);
        if (i % 2 == 0) send(fd, "GET /health HTTP/1.1\r\n", 22, MSG_NOSIGNAL);
        slow.push_back(fd);
    }
    std::atomic<bool> done{false};
    std::thread trickle([&] {
        while (!done) {
            for (std::size_t i = 0; i < slow.size(); i += 2) send(slow[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    });
    const auto beside = run_wrk(server.port(), 16, 4);
    done = true;
    trickle.join();
    for (int fd : slow) close(fd);
    ASSERT_GT(beside.requests, 100) << beside.output;
    EXPECT_EQ(beside.errors, 0) << beside.output;
    EXPECT_EQ(beside.non2xx, 0) << beside.output;
    std::printf("mixed load beside 200 slow clients: %ld requests, p50 %.2f ms, p99 %.2f ms\n", beside.requests,
                beside.p50_ms, beside.p99_ms);
    EXPECT_TRUE(server.alive());
    EXPECT_EQ(server.terminate(), 0);
}

}  // namespace
