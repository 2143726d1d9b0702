#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/guard.hpp"
#include "http/request_head.hpp"

namespace gridmap::http {

class WorkerPool;

/// Limits of the connection loop. Every one is a bound on what a client can hold.
struct LoopSettings {
    HeadLimits head_limits;
    GuardPolicy policy;
    /// A request must arrive whole (head and body) within this, counted from its first byte
    /// (for a new connection, from the accept).
    std::chrono::milliseconds request_timeout{10'000};
    /// A client that takes nothing of an answer for this long is cut off.
    std::chrono::milliseconds write_timeout{10'000};
    /// An idle keep-alive connection is closed after this.
    std::chrono::milliseconds idle_timeout{2'000};
    int max_requests_per_connection = 100;
    /// Open connections; at the limit idle ones are closed first, then new ones get a 503.
    std::size_t max_connections = 1024;
    std::size_t threads = 8;
    /// Whole requests waiting for a worker; beyond it a 503 with Retry-After.
    std::size_t max_queued = 512;
    /// Request bodies held in memory at once (each up to policy.max_body_bytes); beyond it a 503.
    std::size_t max_buffered_body_bytes = 64u << 20;
};

/// One admitted request handed to the application, and its answer.
struct Exchange {
    std::string_view request;  ///< the guard's canonical head, then the body
    std::string peer_ip;
    int peer_port = 0;
    std::string local_ip;
    int local_port = 0;
    int socket = -1;
    bool close = false;    ///< in: the connection ends after this answer; the application may set it
    std::string response;  ///< out: the answer's bytes (status line, fields, body)
};

/// What the loop asks of the application.
struct LoopCallbacks {
    /// Answers one request; runs on a worker thread. Must not throw.
    std::function<void(Exchange&)> process;
    /// A request refused by the loop itself (guard, limits, timeouts), for the log and metrics.
    std::function<void(const Refusal&, std::string_view method, std::string_view target, std::string_view request_id,
                       std::size_t bytes)>
        refused;
    std::function<std::string()> next_request_id;
};

/// The server's front end: one thread owns every socket and reads each request whole — head,
/// then body — under a deadline, without holding a worker; only a complete, admitted request
/// goes to a worker, which writes its answer into memory. The loop sends answers to slow readers
/// itself and keeps idle keep-alive connections without a thread. So slow, idle or many clients
/// cost a few kilobytes each, never a worker, and the answer to a well-behaved client is never
/// queued behind them. (cpp-httplib's own loop gives each connection a worker thread for its
/// lifetime, and its read timeout is per read.)
class ConnectionLoop {
public:
    ConnectionLoop(LoopSettings settings, LoopCallbacks callbacks);
    ~ConnectionLoop();
    ConnectionLoop(const ConnectionLoop&) = delete;
    ConnectionLoop& operator=(const ConnectionLoop&) = delete;

    /// Listens on host:port (port 0: any free port) and returns the port. A port another
    /// process listens on is an error (no SO_REUSEPORT: two servers never share a port).
    /// Throws std::runtime_error with a message for the administrator.
    int listen(const std::string& host, int port);
    /// Serves until stop(); blocks. Answers in progress are finished first.
    void run();
    /// Thread-safe and idempotent; run() returns soon after.
    void stop();

    std::size_t open_connections() const noexcept { return m_open.load(); }

private:
    struct Connection;
    using ConnectionPtr = std::shared_ptr<Connection>;

    void accept_all();
    void on_event(const ConnectionPtr& c, std::uint32_t events);
    void advance(const ConnectionPtr& c);
    void dispatch(const ConnectionPtr& c);
    void work(const ConnectionPtr& c);
    void completed();
    void finish_answer(const ConnectionPtr& c);
    void refuse(const ConnectionPtr& c, const Refusal& r, std::string_view method, std::string_view target);
    void begin_close(const ConnectionPtr& c);
    void close_now(const ConnectionPtr& c);
    void arm(const Connection& c, std::uint32_t events);
    void sweep();
    bool evict_idle();

    LoopSettings m_settings;
    LoopCallbacks m_callbacks;
    int m_listen_fd = -1;
    int m_epoll_fd = -1;
    int m_wake_fd = -1;  // eventfd: completions and stop()
    std::atomic<bool> m_stopping{false};
    std::atomic<std::size_t> m_open{0};
    std::unordered_map<int, ConnectionPtr> m_connections;  // loop thread only
    std::size_t m_buffered_body = 0;                          // loop thread only
    bool m_listen_paused = false;
    std::chrono::steady_clock::time_point m_listen_resume;
    std::mutex m_done_mutex;
    std::vector<ConnectionPtr> m_done;  // answered by a worker, back to the loop
    std::unique_ptr<WorkerPool> m_pool;
};

}  // namespace gridmap::http
