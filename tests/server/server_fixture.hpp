#pragma once

#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

#include "http/server.hpp"
#include "support/test_support.hpp"

namespace gridmap::test {

/// A Gridmap server run in this process on a thread of its own, from start (it answers
/// /health) until destroyed.
class ServerThread {
public:
    explicit ServerThread(const gridmap::http::ServerConfig& config);
    ~ServerThread();
    ServerThread(const ServerThread&) = delete;
    ServerThread& operator=(const ServerThread&) = delete;
    int port() const { return m_port; }
    gridmap::http::Server& server() { return *m_server; }
    /// A fresh client for this server.
    httplib::Client client() const;

private:
    std::unique_ptr<gridmap::http::Server> m_server;
    std::thread m_thread;
    int m_port = 0;
};

/// The demo district imported into a temporary database, served by a real Gridmap server on an
/// ephemeral loopback port for the whole test suite.
class DemoServer {
public:
    DemoServer();
    int port() const { return m_running->port(); }
    std::string db() const { return (m_dir.path() / "demo.sqlite").string(); }
    /// A fresh client for this server.
    httplib::Client client() const { return m_running->client(); }

private:
    TempDir m_dir;
    std::unique_ptr<ServerThread> m_running;
};

/// The suite-wide server, started on first use.
DemoServer& demo_server();

/// A PNG decoded with Cairo: its size and the pixels drawn (neither fully transparent nor the
/// colour of the top left corner, the map background). Zero size when it does not decode.
struct Png {
    int width = 0;
    int height = 0;
    int drawn = 0;
};
Png decode_png(const std::string& bytes);

}  // namespace gridmap::test
