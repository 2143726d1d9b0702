#include "http/connections.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "http/problem.hpp"

namespace gridmap::http {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_read_chunk = 64 * 1024;
constexpr std::size_t k_read_per_event = 1024 * 1024;
/// Bodies up to this size are not counted against the shared budget (analysis parameters).
constexpr std::size_t k_small_body = 64 * 1024;
/// How long a closing connection may keep sending before it is dropped (lingering close).
constexpr auto k_linger = std::chrono::milliseconds(1000);
constexpr auto k_sweep_interval = std::chrono::milliseconds(100);
/// A connection's event bits, plus one the sweeper sets: "look at your deadline".
constexpr std::uint32_t k_deadline_bit = 1u << 31;
/// Connections accepted per turn before the listener is handed to the next thread.
constexpr int k_accepts_per_turn = 64;

Clock::rep ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
constexpr auto k_min_idle_to_evict = std::chrono::milliseconds(1000);

std::string address_text(const sockaddr_storage& addr, int& port) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
        inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
        port = ntohs(a->sin6_port);
    }
    return buf;
}

// Sends what the socket takes now; false when the peer is gone.
bool send_some(int fd, const std::string& out, std::size_t& sent) {
    while (sent < out.size()) {
        const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
    }
    return true;
}

}  // namespace

/// An upload being written to a private temporary file. Dropping it removes the file, so every
/// way a request can end — refused, timed out, cut off, answered, the server stopping — leaves
/// nothing behind (the application renames a file it keeps).
class UploadFile {
public:
    UploadFile() = default;
    UploadFile(const UploadFile&) = delete;
    UploadFile& operator=(const UploadFile&) = delete;
    ~UploadFile() {
        close_file();
        if (!m_path.empty()) ::unlink(m_path.c_str());
    }

    /// Creates the file in `dir`; false (errno set) when it cannot.
    bool create(const std::string& dir) {
        std::string name = dir + "/upload-XXXXXX";
        m_fd = ::mkostemp(name.data(), O_CLOEXEC);  // mode 0600
        if (m_fd < 0) return false;
        m_path = std::move(name);
        return true;
    }
    /// Writes all of `data`; false with errno set (ENOSPC: the disk is full).
    bool write_all(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::write(m_fd, data.data(), data.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    void close_file() {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = -1;
    }
    const std::string& path() const noexcept { return m_path; }

private:
    int m_fd = -1;
    std::string m_path;
};

struct ConnectionLoop::Connection {
    enum class State {
        head,     ///< waiting for, or reading, a request head
        body,     ///< reading a body of known length
        writing,  ///< sending an answer the socket did not take at once
        closing,  ///< answer sent, write side shut; draining what the client still sends
        closed,   ///< descriptor closed; nobody claims it again
    };
    int fd = -1;
    // Shared between threads.
    std::atomic<bool> claimed{false};              ///< one thread at a time works on it
    std::atomic<std::uint32_t> pending_events{0};  ///< events not yet handled (k_deadline_bit too)
    std::atomic<Clock::rep> deadline{0};           ///< read by the sweeper, set by the owner
    std::atomic<Clock::rep> idle_since{0};         ///< when it last had nothing to do; 0 while busy
    // Only the thread that has claimed it touches the rest.
    State state = State::head;
    std::uint32_t interest = EPOLLIN;  ///< what to wait for next
    std::string in;            ///< received, not yet part of a request
    std::size_t scanned = 0;   ///< how far `in` was searched for the end of a head
    bool started = false;      ///< a byte of the current request has arrived
    bool peer_closed = false;  ///< the client shut its side: answer what is whole, then close
    std::string request;       ///< the guard's canonical head + body
    std::size_t body_bytes = 0;
    std::size_t reserved = 0;  ///< body bytes counted against the shared budget
    std::unique_ptr<UploadFile> upload;  ///< the body of an upload goes here, not into `request`
    std::size_t uploaded = 0;
    Clock::time_point upload_until{};
    bool keep_alive = true;
    int served = 0;
    std::string out;
    std::size_t sent = 0;
    bool close_after = false;
    std::string method, target;
    std::string peer_ip, local_ip;
    int peer_port = 0, local_port = 0;

    void set_deadline(Clock::duration d) { deadline.store(ticks(Clock::now() + d), std::memory_order_relaxed); }
    bool past_deadline() const { return ticks(Clock::now()) >= deadline.load(std::memory_order_relaxed); }
};

ConnectionLoop::ConnectionLoop(LoopSettings settings, LoopCallbacks callbacks)
    : m_settings(std::move(settings)), m_callbacks(std::move(callbacks)) {
    m_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    m_stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll_fd < 0 || m_stop_fd < 0) throw std::runtime_error(std::string("cannot create the event loop: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: every thread sees the stop
    ev.data.fd = m_stop_fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_stop_fd, &ev);
    m_settings.threads = std::max<std::size_t>(1, m_settings.threads);
    // Each connection holds a descriptor: keep a margin below the process's limit.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY && files.rlim_cur > 128) {
        m_settings.max_connections = std::min<std::size_t>(m_settings.max_connections, files.rlim_cur - 96);
    }
}

ConnectionLoop::~ConnectionLoop() {
    stop();
    for (auto& [fd, c] : m_connections) ::close(fd);
    if (m_listen_fd >= 0) ::close(m_listen_fd);
    ::close(m_stop_fd);
    ::close(m_epoll_fd);
}

int ConnectionLoop::listen(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        throw std::runtime_error("cannot listen on " + host + ": " + gai_strerror(rc));
    }
    std::string error = "no address";
    for (addrinfo* a = found; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        // SO_REUSEADDR lets a restarted server bind while old connections linger in TIME_WAIT; on
        // Linux it never lets two sockets listen on one port (SO_REUSEPORT would, and is not set).
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
            m_listen_fd = fd;
            break;
        }
        error = errno == EADDRINUSE ? "the port is already in use (is another server running there?)" : std::strerror(errno);
        ::close(fd);
    }
    freeaddrinfo(found);
    if (m_listen_fd < 0) throw std::runtime_error("cannot listen on " + host + ":" + service + ": " + error);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
    int bound_port = 0;
    address_text(bound, bound_port);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;  // one thread accepts at a time
    ev.data.fd = m_listen_fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_listen_fd, &ev);
    return bound_port;
}

void ConnectionLoop::stop() {
    m_stopping = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_stop_fd, &one, sizeof one);
}

void ConnectionLoop::run() {
    if (m_listen_fd < 0) throw std::logic_error("ConnectionLoop::run before listen");
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < m_settings.threads; ++i) threads.emplace_back([this] { serve(); });
    threads.emplace_back([this] { sweep(); });
    serve();
    for (auto& t : threads) t.join();
    // Every thread has finished what it held: close what is left.
    std::lock_guard lock(m_table_mutex);
    for (auto& [fd, c] : m_connections) ::close(fd);
    m_connections.clear();
    m_open = 0;
}

// One of the serving threads: takes one event at a time, so that a request that takes long to
// answer delays nothing but itself.
void ConnectionLoop::serve() {
    epoll_event ev{};
    while (!m_stopping) {
        const int n = epoll_wait(m_epoll_fd, &ev, 1, 1000);
        if (n <= 0) continue;
        const int fd = ev.data.fd;
        if (fd == m_stop_fd) break;
        if (fd == m_listen_fd) {
            accept_all();
        } else if (const auto c = find(fd)) {
            drive(c, ev.events, false);
        }
    }
}

ConnectionLoop::ConnectionPtr ConnectionLoop::find(int fd) {
    std::lock_guard lock(m_table_mutex);
    const auto it = m_connections.find(fd);
    return it == m_connections.end() ? nullptr : it->second;
}

// Hands `events` to the connection's owner, or becomes the owner. Whoever holds the claim does
// the work, re-arms the socket while still holding it, then lets go — and looks again, since
// an event that came in the meantime was left for it by a thread that could not claim.
void ConnectionLoop::drive(const ConnectionPtr& c, std::uint32_t events, bool timed_out) {
    c->pending_events.fetch_or(events | (timed_out ? k_deadline_bit : 0u), std::memory_order_release);
    for (;;) {
        if (c->claimed.exchange(true, std::memory_order_acquire)) return;
        const std::uint32_t todo = c->pending_events.exchange(0, std::memory_order_acquire);
        if (todo != 0 && c->state != Connection::State::closed) {
            step(*c, todo & ~k_deadline_bit, (todo & k_deadline_bit) != 0);
        }
        if (c->state == Connection::State::closed) return;  // keeps the claim: nobody may touch it
        if (todo != 0) {
            epoll_event ev{};
            ev.events = c->interest | EPOLLONESHOT;
            ev.data.fd = c->fd;
            epoll_ctl(m_epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
        }
        c->claimed.store(false, std::memory_order_release);
        if (c->pending_events.load(std::memory_order_acquire) == 0) return;
    }
}

void ConnectionLoop::accept_all() {
    for (int i = 0; i < k_accepts_per_turn; ++i) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        const int fd = accept4(m_listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: the sweeper arms the listener again in a moment, rather than
                // every thread spinning on it.
                return;
            }
            break;
        }
        if (m_open.load() >= m_settings.max_connections && !evict_idle()) {
            const Refusal full{503, "the server has too many open connections; try again", {{"Retry-After", "1"}}};
            const std::string id = m_callbacks.next_request_id();
            const std::string answer = problem_response(full.status, full.detail, "", id, full.headers);
            std::size_t sent = 0;
            send_some(fd, answer, sent);
            ::close(fd);
            if (m_callbacks.refused) m_callbacks.refused(full, "", "", id, answer.size());
            continue;
        }
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto c = std::make_shared<Connection>();
        c->fd = fd;
        c->peer_ip = address_text(peer, c->peer_port);
        sockaddr_storage local{};
        socklen_t local_len = sizeof local;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) c->local_ip = address_text(local, c->local_port);
        c->set_deadline(m_settings.request_timeout);
        c->idle_since.store(ticks(Clock::now()));
        {
            std::lock_guard lock(m_table_mutex);
            m_connections[fd] = c;
            m_open = m_connections.size();
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLONESHOT;
        ev.data.fd = fd;
        epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.fd = m_listen_fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_MOD, m_listen_fd, &ev);
}

// At the connection limit, a new client is worth more than one that has sat idle for a while
// (a second at least: a client just connected may not have sent its request yet).
bool ConnectionLoop::evict_idle() {
    const Clock::rep idle_before = ticks(Clock::now() - k_min_idle_to_evict);
    std::vector<ConnectionPtr> idle;
    {
        std::lock_guard lock(m_table_mutex);
        for (const auto& [fd, c] : m_connections) {
            const Clock::rep since = c->idle_since.load(std::memory_order_relaxed);
            if (since != 0 && since <= idle_before) idle.push_back(c);
        }
    }
    std::sort(idle.begin(), idle.end(), [](const ConnectionPtr& a, const ConnectionPtr& b) {
        return a->idle_since.load(std::memory_order_relaxed) < b->idle_since.load(std::memory_order_relaxed);
    });
    for (const auto& c : idle) {
        if (c->claimed.exchange(true, std::memory_order_acquire)) continue;
        // Still idle now that it is ours? Bytes the kernel holds for it that no thread has read
        // yet (a starved server) make it a client that has spoken, not an idle one.
        char byte = 0;
        const bool has_bytes = ::recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
        if (c->state == Connection::State::head && !c->started && c->in.empty() && !has_bytes) {
            close_now(*c);
            return true;
        }
        c->claimed.store(false, std::memory_order_release);
        if (c->pending_events.load(std::memory_order_acquire) != 0) drive(c, 0, false);
    }
    return false;
}

bool ConnectionLoop::reserve_body(std::size_t bytes) {
    std::size_t now = m_buffered_body.load();
    do {
        if (now + bytes > m_settings.max_buffered_body_bytes) return false;
    } while (!m_buffered_body.compare_exchange_weak(now, now + bytes));
    return true;
}

// One turn on a claimed connection: what `events` (or a passed deadline) call for.
void ConnectionLoop::step(Connection& c, std::uint32_t events, bool timed_out) {
    using State = Connection::State;
    if (timed_out && c.past_deadline()) {
        if ((c.state == State::head && c.started) || c.state == State::body) {
            return refuse(c, Refusal{408, "the request did not arrive whole in time", {}}, c.state == State::body ? c.method : "",
                          c.state == State::body ? c.target : "");
        }
        return close_now(c);  // idle, a stalled reader, or a finished linger
    }
    if (events == 0) return;  // a deadline that was moved on meanwhile
    if (c.state == State::writing) {
        if (events & (EPOLLERR | EPOLLHUP)) return close_now(c);
        const std::size_t before = c.sent;
        if (!send_some(c.fd, c.out, c.sent)) return close_now(c);
        if (c.sent == c.out.size()) {
            if (finish_answer(c), c.state == State::head) advance(c);
            return;
        }
        if (c.sent > before) c.set_deadline(m_settings.write_timeout);  // it took something: more time
        c.interest = EPOLLOUT;
        return;
    }
    // Reading (head, body or the drain of a closing connection): take what has arrived, bounded
    // by what the current request can still need, and by a share per turn.
    const std::size_t cap = c.state == State::body ? c.body_bytes + m_settings.head_limits.max_head_bytes
                                                   : m_settings.head_limits.max_head_bytes + 1;
    char buf[k_read_chunk];
    std::size_t taken = 0;
    for (;;) {
        if ((c.state != State::closing && c.in.size() >= cap) || taken >= k_read_per_event) break;
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
            taken += static_cast<std::size_t>(n);
            if (c.state == State::closing) continue;  // discarded
            if (!c.started) {
                c.started = true;
                c.idle_since.store(0, std::memory_order_relaxed);
                c.set_deadline(m_settings.request_timeout);
            } else if (c.upload) {
                // An upload may take long, but may not stall: each arrival buys request_timeout
                // more, up to upload_timeout in all.
                c.deadline.store(ticks(std::min(Clock::now() + m_settings.request_timeout, c.upload_until)),
                                 std::memory_order_relaxed);
            }
            c.in.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
            c.peer_closed = true;
            break;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            return close_now(c);
        }
    }
    if (c.state == State::closing) {
        if (c.peer_closed) return close_now(c);
        c.interest = EPOLLIN;
        return;
    }
    advance(c);
}

// Moves a reading connection on as far as its bytes allow: head, admission, body, answer —
// and on through requests the client has pipelined behind it.
void ConnectionLoop::advance(Connection& c) {
    using State = Connection::State;
    for (;;) {
        if (c.state == State::head) {
            const std::size_t end = find_head_end(c.in, c.scanned);
            if (end == std::string::npos) {
                c.scanned = c.in.size();
                if (c.in.size() > m_settings.head_limits.max_head_bytes) {
                    const bool in_request_line = c.in.find('\n') == std::string::npos;
                    return refuse(c, Refusal{in_request_line ? 414 : 431,
                                             in_request_line ? "the request target is too long" : "the request head is too large", {}},
                                  "", "");
                }
                if (c.peer_closed) return close_now(c);
                c.interest = EPOLLIN;
                return;
            }
            auto parsed = parse_request_head(std::string_view(c.in).substr(0, end), m_settings.head_limits);
            if (auto* r = std::get_if<Refusal>(&parsed)) return refuse(c, *r, "", "");
            const auto& head = std::get<RequestHead>(parsed);
            c.method = head.method;
            c.target = head.target;
            auto admitted = admit(head, m_settings.policy);
            if (auto* r = std::get_if<Refusal>(&admitted)) return refuse(c, *r, head.method, head.target);
            auto& a = std::get<Admission>(admitted);
            if (a.upload) {
                // Who may upload is decided before a byte of the body is taken.
                if (m_callbacks.authorize_upload) {
                    if (auto r = m_callbacks.authorize_upload(head)) return refuse(c, *r, head.method, head.target);
                }
                auto file = std::make_unique<UploadFile>();
                if (!file->create(m_settings.upload_dir)) {
                    return refuse(c, Refusal{503, "the server cannot store an upload now (" + std::string(std::strerror(errno)) + ")",
                                             {{"Retry-After", "60"}}},
                                  head.method, head.target);
                }
                c.upload = std::move(file);
                c.uploaded = 0;
                c.upload_until = Clock::now() + m_settings.upload_timeout;
            } else if (a.body_bytes > k_small_body) {
                if (!reserve_body(a.body_bytes)) {
                    return refuse(c, Refusal{503, "the server is receiving too many large requests; try again", {{"Retry-After", "1"}}},
                                  head.method, head.target);
                }
                c.reserved = a.body_bytes;
            }
            c.in.erase(0, end);
            c.scanned = 0;
            c.request = std::move(a.head);
            c.target = std::move(a.target);
            c.body_bytes = a.body_bytes;
            c.keep_alive = a.keep_alive;
            c.state = State::body;
            if (a.expect_continue && c.in.size() < a.body_bytes) {
                static const std::string k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
                std::size_t sent = 0;
                send_some(c.fd, k_continue, sent);
            }
        }
        // State::body
        if (c.upload) {
            const std::size_t take = std::min(c.in.size(), c.body_bytes - c.uploaded);
            if (take > 0) {
                if (!c.upload->write_all(std::string_view(c.in).substr(0, take))) {
                    const bool full = errno == ENOSPC || errno == EDQUOT;
                    c.upload.reset();
                    return refuse(c, full ? Refusal{507, "the server's disk is full: the upload was not kept", {}}
                                          : Refusal{500, "", {}},
                                  c.method, c.target);
                }
                c.in.erase(0, take);
                c.uploaded += take;
            }
            if (c.uploaded < c.body_bytes) {
                if (c.peer_closed) return close_now(c);
                c.interest = EPOLLIN;
                return;
            }
            c.upload->close_file();
        } else if (c.in.size() < c.body_bytes) {
            if (c.peer_closed) return close_now(c);
            c.interest = EPOLLIN;
            return;
        }
        if (!c.upload) {
            c.request.append(c.in, 0, c.body_bytes);
            c.in.erase(0, c.body_bytes);
        }
        answer(c);
        c.sent = 0;
        if (!send_some(c.fd, c.out, c.sent)) return close_now(c);
        if (c.sent < c.out.size()) {
            c.state = State::writing;
            c.set_deadline(m_settings.write_timeout);
            c.interest = EPOLLOUT;
            return;
        }
        finish_answer(c);
        if (c.state != State::head) return;
    }
}

// Runs the application on the whole request, in this thread.
void ConnectionLoop::answer(Connection& c) {
    c.close_after = !c.keep_alive || c.peer_closed || m_stopping || c.served + 1 >= m_settings.max_requests_per_connection;
    Exchange ex;
    ex.request = c.request;
    ex.peer_ip = c.peer_ip;
    ex.peer_port = c.peer_port;
    ex.local_ip = c.local_ip;
    ex.local_port = c.local_port;
    ex.socket = c.fd;
    ex.close = c.close_after;
    if (c.upload) {
        ex.upload_path = c.upload->path();
        ex.upload_bytes = c.uploaded;
    }
    try {
        m_callbacks.process(ex);
    } catch (...) {
        // process() must not throw; if it does anyway, the client still gets an answer.
        ex.response = problem_response(500, "", c.target, m_callbacks.next_request_id());
        ex.close = true;
    }
    c.out = std::move(ex.response);
    c.close_after = c.close_after || ex.close;
    ++c.served;
    std::string().swap(c.request);
    c.upload.reset();
    if (c.reserved > 0) {
        m_buffered_body -= c.reserved;
        c.reserved = 0;
    }
}

// The answer is sent: close, or wait for the next request (which may be here already).
void ConnectionLoop::finish_answer(Connection& c) {
    std::string().swap(c.out);
    c.sent = 0;
    if (c.close_after) return begin_close(c);
    c.state = Connection::State::head;
    c.scanned = 0;
    c.started = !c.in.empty();
    c.idle_since.store(c.started ? 0 : ticks(Clock::now()), std::memory_order_relaxed);
    c.set_deadline(c.started ? m_settings.request_timeout : m_settings.idle_timeout);
    c.interest = EPOLLIN;
}

void ConnectionLoop::refuse(Connection& c, const Refusal& r, std::string_view method, std::string_view target) {
    c.upload.reset();
    if (c.reserved > 0) {
        m_buffered_body -= c.reserved;
        c.reserved = 0;
    }
    const std::string id = m_callbacks.next_request_id();
    c.out = problem_response(r.status, r.detail, std::string(target), id, r.headers, method == "HEAD");
    c.sent = 0;
    c.close_after = true;
    c.idle_since.store(0, std::memory_order_relaxed);
    if (m_callbacks.refused) m_callbacks.refused(r, method, target, id, c.out.size());
    if (!send_some(c.fd, c.out, c.sent)) return close_now(c);
    if (c.sent == c.out.size()) return finish_answer(c);
    c.state = Connection::State::writing;
    c.set_deadline(m_settings.write_timeout);
    c.interest = EPOLLOUT;
}

// Shuts the write side and drains the client for a moment, so that it reads the answer rather
// than a reset caused by bytes it was still sending (a refused body, say).
void ConnectionLoop::begin_close(Connection& c) {
    if (c.peer_closed) return close_now(c);
    ::shutdown(c.fd, SHUT_WR);
    c.state = Connection::State::closing;
    c.idle_since.store(0, std::memory_order_relaxed);
    std::string().swap(c.in);
    c.set_deadline(k_linger);
    c.interest = EPOLLIN;
}

void ConnectionLoop::close_now(Connection& c) {
    c.upload.reset();
    if (c.reserved > 0) {
        m_buffered_body -= c.reserved;
        c.reserved = 0;
    }
    c.state = Connection::State::closed;
    c.idle_since.store(0, std::memory_order_relaxed);
    {
        // Out of the table before the descriptor is closed: once closed, its number may be
        // given to a new connection at once.
        std::lock_guard lock(m_table_mutex);
        const auto it = m_connections.find(c.fd);
        if (it != m_connections.end() && it->second.get() == &c) m_connections.erase(it);
        m_open = m_connections.size();
    }
    ::close(c.fd);  // also leaves the epoll set
}

// Every k_sweep_interval: connections past their deadline are told so; a listener paused for
// want of descriptors is armed again.
void ConnectionLoop::sweep() {
    while (!m_stopping) {
        pollfd p{m_stop_fd, POLLIN, 0};
        poll(&p, 1, static_cast<int>(k_sweep_interval.count()));
        if (m_stopping) break;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLONESHOT;
        ev.data.fd = m_listen_fd;
        epoll_ctl(m_epoll_fd, EPOLL_CTL_MOD, m_listen_fd, &ev);
        std::vector<ConnectionPtr> expired;
        {
            std::lock_guard lock(m_table_mutex);
            for (const auto& [fd, c] : m_connections) {
                if (c->past_deadline()) expired.push_back(c);
            }
        }
        for (const auto& c : expired) drive(c, 0, true);
    }
}

}  // namespace gridmap::http
