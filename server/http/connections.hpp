#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/guard.hpp"
#include "http/request_head.hpp"

namespace gridmap::http {

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
    /// Threads that read, answer and write; each answers one request at a time.
    std::size_t threads = 8;
    /// Request bodies held in memory at once (each up to policy.max_body_bytes); beyond it a 503.
    std::size_t max_buffered_body_bytes = 64u << 20;
    /// Where uploads (GuardPolicy::upload_path) are written, one private file each (mode 0600),
    /// removed when the request is over unless the application moved the file away.
    std::string upload_dir;
    /// An upload must arrive whole within this; and it may pause no longer than request_timeout.
    std::chrono::milliseconds upload_timeout{900'000};
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
    /// An upload's body, whole, in a file of its own ("" otherwise). The file is removed after
    /// the answer unless the application renames it away first.
    std::string upload_path;
    std::size_t upload_bytes = 0;
};

/// What the loop asks of the application.
struct LoopCallbacks {
    /// Answers one request; runs on any of the loop's threads, several at once. Must not throw.
    std::function<void(Exchange&)> process;
    /// A request refused by the loop itself (guard, limits, timeouts), for the log and metrics.
    std::function<void(const Refusal&, std::string_view method, std::string_view target, std::string_view request_id,
                       std::size_t bytes)>
        refused;
    std::function<std::string()> next_request_id;
    /// Decides, from its head alone, whether an upload may be sent at all (who is asking):
    /// a refusal is answered before a byte of the body is read. Null: every upload may.
    std::function<std::optional<Refusal>(const RequestHead&)> authorize_upload;
};

/// The server's front end. A few threads share one epoll set; each socket is armed for one
/// event at a time (EPOLLONESHOT), so one thread at a time owns a connection. A thread reads
/// what has arrived without blocking — a request head, then its body, under a deadline for the
/// whole request — and only once a request is whole and admitted does it run it, write the
/// answer and send what the socket takes; the rest is sent as the client reads. So a slow,
/// idle or stalled client holds a few kilobytes and no thread, and the answer to a
/// well-behaved one is never queued behind it. A sweeper thread ends what has run past its
/// deadline. (cpp-httplib's own loop gives each connection a thread for its life, and its read
/// timeout is per read.)
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
    /// Serves until stop(); blocks. Requests being answered are finished first.
    void run();
    /// Thread-safe and idempotent; run() returns soon after.
    void stop();

    std::size_t open_connections() const noexcept { return m_open.load(); }

private:
    struct Connection;
    using ConnectionPtr = std::shared_ptr<Connection>;

    void serve();
    void sweep();
    void accept_all();
    ConnectionPtr find(int fd);
    void drive(const ConnectionPtr& c, std::uint32_t events, bool timed_out);
    void step(Connection& c, std::uint32_t events, bool timed_out);
    void advance(Connection& c);
    void answer(Connection& c);
    void finish_answer(Connection& c);
    void refuse(Connection& c, const Refusal& r, std::string_view method, std::string_view target);
    void begin_close(Connection& c);
    void close_now(Connection& c);
    bool evict_idle();
    bool reserve_body(std::size_t bytes);

    LoopSettings m_settings;
    LoopCallbacks m_callbacks;
    int m_listen_fd = -1;
    int m_epoll_fd = -1;
    int m_stop_fd = -1;  // eventfd, level-triggered: once written every thread sees it
    std::atomic<bool> m_stopping{false};
    std::atomic<std::size_t> m_open{0};
    std::atomic<std::size_t> m_buffered_body{0};
    std::mutex m_table_mutex;
    std::unordered_map<int, ConnectionPtr> m_connections;
};

}  // namespace gridmap::http
