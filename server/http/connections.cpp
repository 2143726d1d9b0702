#include "http/connections.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "http/problem.hpp"
#include "http/thread_pool.hpp"

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

struct ConnectionLoop::Connection {
    enum class State {
        head,        ///< waiting for, or reading, a request head
        body,        ///< reading a body of known length
        processing,  ///< a worker owns the connection; the loop does not touch it
        writing,     ///< sending an answer the socket did not take at once
        closing,     ///< answer sent, write side shut; draining what the client still sends
    };
    int fd = -1;
    State state = State::head;
    /// True while a worker owns the connection; the loop reads no other field then. Set by the
    /// loop on dispatch, cleared (release) by whoever hands the connection back.
    std::atomic<bool> with_worker{false};
    std::string in;            ///< received, not yet part of a request
    std::size_t scanned = 0;   ///< how far `in` was searched for the end of a head
    bool started = false;      ///< a byte of the current request has arrived
    bool peer_closed = false;  ///< the client shut its side: answer what is whole, then close
    bool broken = false;       ///< a send failed: the client is gone
    std::string request;       ///< canonical head + body, handed to a worker
    std::size_t body_bytes = 0;
    std::size_t reserved = 0;  ///< body bytes counted against the shared budget
    bool keep_alive = true;
    int served = 0;
    std::string out;
    std::size_t sent = 0;
    bool close_after = false;
    Clock::time_point deadline;
    Clock::time_point idle_since;  ///< when it last had nothing to do (accept, or an answer sent)
    std::string method, target;
    std::string peer_ip, local_ip;
    int peer_port = 0, local_port = 0;
};

ConnectionLoop::ConnectionLoop(LoopSettings settings, LoopCallbacks callbacks)
    : m_settings(std::move(settings)), m_callbacks(std::move(callbacks)) {
    m_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    m_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll_fd < 0 || m_wake_fd < 0) throw std::runtime_error(std::string("cannot create the event loop: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_wake_fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_wake_fd, &ev);
    // Each connection holds a descriptor: keep a margin below the process's limit.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY && files.rlim_cur > 128) {
        m_settings.max_connections = std::min<std::size_t>(m_settings.max_connections, files.rlim_cur - 96);
    }
}

ConnectionLoop::~ConnectionLoop() {
    stop();
    if (m_pool) m_pool->shutdown();
    for (auto& [fd, c] : m_connections) ::close(fd);
    if (m_listen_fd >= 0) ::close(m_listen_fd);
    ::close(m_wake_fd);
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
    ev.events = EPOLLIN;
    ev.data.fd = m_listen_fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_listen_fd, &ev);
    return bound_port;
}

void ConnectionLoop::stop() {
    m_stopping = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_wake_fd, &one, sizeof one);
}

void ConnectionLoop::run() {
    if (m_listen_fd < 0) throw std::logic_error("ConnectionLoop::run before listen");
    m_pool = std::make_unique<WorkerPool>(m_settings.threads, m_settings.max_queued);
    std::vector<epoll_event> events(256);
    auto next_sweep = Clock::now() + k_sweep_interval;
    while (!m_stopping) {
        const int n = epoll_wait(m_epoll_fd, events.data(), static_cast<int>(events.size()),
                                 static_cast<int>(k_sweep_interval.count()));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (fd == m_listen_fd) {
                accept_all();
            } else if (fd == m_wake_fd) {
                std::uint64_t count = 0;
                [[maybe_unused]] const ssize_t r = ::read(m_wake_fd, &count, sizeof count);
                completed();
            } else if (auto it = m_connections.find(fd); it != m_connections.end()) {
                const ConnectionPtr c = it->second;  // the handler may erase the entry
                on_event(c, events[static_cast<std::size_t>(i)].events);
            }
        }
        if (Clock::now() >= next_sweep) {
            sweep();
            next_sweep = Clock::now() + k_sweep_interval;
        }
    }
    // Stop taking connections, let the workers finish what they hold, then close everything.
    epoll_ctl(m_epoll_fd, EPOLL_CTL_DEL, m_listen_fd, nullptr);
    m_pool->shutdown();
    for (auto& [fd, c] : m_connections) ::close(fd);
    m_connections.clear();
    m_open = 0;
}

void ConnectionLoop::arm(const Connection& c, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT;
    ev.data.fd = c.fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
}

void ConnectionLoop::accept_all() {
    for (;;) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        const int fd = accept4(m_listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: stop accepting for a moment rather than spin on the listener.
                epoll_ctl(m_epoll_fd, EPOLL_CTL_DEL, m_listen_fd, nullptr);
                m_listen_paused = true;
                m_listen_resume = Clock::now() + std::chrono::milliseconds(100);
            }
            return;
        }
        if (m_connections.size() >= m_settings.max_connections && !evict_idle()) {
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
        c->deadline = Clock::now() + m_settings.request_timeout;
        c->idle_since = Clock::now();
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLONESHOT;
        ev.data.fd = fd;
        if (epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            ::close(fd);
            continue;
        }
        m_connections.emplace(fd, std::move(c));
        m_open = m_connections.size();
    }
}

// At the connection limit, a new client is worth more than one that has sat idle for a while
// (a second at least: a client just connected may not have sent its request yet).
bool ConnectionLoop::evict_idle() {
    const auto idle_before = Clock::now() - k_min_idle_to_evict;
    ConnectionPtr oldest;
    for (const auto& [fd, c] : m_connections) {
        if (!c->with_worker.load(std::memory_order_acquire) && c->state == Connection::State::head && !c->started &&
            c->in.empty() && c->idle_since <= idle_before &&
            (!oldest || c->idle_since < oldest->idle_since)) {
            oldest = c;
        }
    }
    if (!oldest) return false;
    close_now(oldest);
    return true;
}

void ConnectionLoop::on_event(const ConnectionPtr& c, std::uint32_t events) {
    using State = Connection::State;
    // A worker that armed the socket itself cleared this first (release): what it wrote is seen.
    if (c->with_worker.load(std::memory_order_acquire)) return;
    if (c->state == State::writing) {
        if (events & (EPOLLERR | EPOLLHUP)) return close_now(c);
        if (!send_some(c->fd, c->out, c->sent)) return close_now(c);
        if (c->sent == c->out.size()) return finish_answer(c);
        c->deadline = Clock::now() + m_settings.write_timeout;  // it took something: more time
        return arm(*c, EPOLLOUT);
    }
    // Reading (head, body or the drain of a closing connection): take what has arrived, bounded
    // by what the current request can still need.
    const std::size_t cap = c->state == State::body ? c->body_bytes + m_settings.head_limits.max_head_bytes
                                                    : m_settings.head_limits.max_head_bytes + 1;
    char buf[k_read_chunk];
    // A client sending as fast as loopback allows must not keep the loop to itself: at most
    // k_read_per_event per turn, then the other connections get theirs.
    std::size_t taken = 0;
    for (;;) {
        if ((c->state != State::closing && c->in.size() >= cap) || taken >= k_read_per_event) break;
        const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
        if (n > 0) taken += static_cast<std::size_t>(n);
        if (n > 0) {
            if (c->state == State::closing) continue;  // discarded
            if (!c->started) {
                c->started = true;
                c->deadline = Clock::now() + m_settings.request_timeout;
            }
            c->in.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
            c->peer_closed = true;
            break;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            return close_now(c);
        }
    }
    if (c->state == State::closing) {
        if (c->peer_closed) return close_now(c);
        return arm(*c, EPOLLIN);
    }
    advance(c);
}

// Moves a reading connection on as far as its bytes allow: head, admission, body, dispatch.
void ConnectionLoop::advance(const ConnectionPtr& c) {
    using State = Connection::State;
    if (c->state == State::head) {
        const std::size_t end = find_head_end(c->in, c->scanned);
        if (end == std::string::npos) {
            c->scanned = c->in.size();
            if (c->in.size() > m_settings.head_limits.max_head_bytes) {
                const bool in_request_line = c->in.find('\n') == std::string::npos;
                return refuse(c, Refusal{in_request_line ? 414 : 431, in_request_line ? "the request target is too long" : "the request head is too large", {}}, "", "");
            }
            if (c->peer_closed) return close_now(c);
            return arm(*c, EPOLLIN);
        }
        auto parsed = parse_request_head(std::string_view(c->in).substr(0, end), m_settings.head_limits);
        if (auto* r = std::get_if<Refusal>(&parsed)) return refuse(c, *r, "", "");
        const auto& head = std::get<RequestHead>(parsed);
        c->method = head.method;
        c->target = head.target;
        auto admitted = admit(head, m_settings.policy);
        if (auto* r = std::get_if<Refusal>(&admitted)) return refuse(c, *r, head.method, head.target);
        auto& a = std::get<Admission>(admitted);
        if (a.body_bytes > k_small_body) {
            if (m_buffered_body + a.body_bytes > m_settings.max_buffered_body_bytes) {
                return refuse(c, Refusal{503, "the server is receiving too many large requests; try again", {{"Retry-After", "1"}}},
                              head.method, head.target);
            }
            m_buffered_body += a.body_bytes;
            c->reserved = a.body_bytes;
        }
        c->in.erase(0, end);
        c->scanned = 0;
        c->request = std::move(a.head);
        c->target = std::move(a.target);
        c->body_bytes = a.body_bytes;
        c->keep_alive = a.keep_alive;
        c->state = State::body;
        if (a.expect_continue && c->in.size() < a.body_bytes) {
            static const std::string k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
            std::size_t sent = 0;
            send_some(c->fd, k_continue, sent);
        }
    }
    if (c->state == State::body) {
        if (c->in.size() < c->body_bytes) {
            if (c->peer_closed) return close_now(c);
            return arm(*c, EPOLLIN);
        }
        c->request.append(c->in, 0, c->body_bytes);
        c->in.erase(0, c->body_bytes);
        dispatch(c);
    }
}

void ConnectionLoop::dispatch(const ConnectionPtr& c) {
    c->state = Connection::State::processing;
    c->with_worker.store(true, std::memory_order_relaxed);
    c->close_after = !c->keep_alive || c->peer_closed || m_stopping ||
                     c->served + 1 >= m_settings.max_requests_per_connection;
    const bool urgent = c->target == "/health";
    if (!m_pool->try_submit([this, c] { work(c); }, urgent)) {
        c->with_worker.store(false, std::memory_order_relaxed);
        c->state = Connection::State::body;
        refuse(c, Refusal{503, "the server is busy; try again", {{"Retry-After", "1"}}}, c->method, c->target);
    }
}

// On a worker thread: the connection is this thread's until it is handed back.
void ConnectionLoop::work(const ConnectionPtr& c) {
    Exchange ex;
    ex.request = c->request;
    ex.peer_ip = c->peer_ip;
    ex.peer_port = c->peer_port;
    ex.local_ip = c->local_ip;
    ex.local_port = c->local_port;
    ex.socket = c->fd;
    ex.close = c->close_after;
    try {
        m_callbacks.process(ex);
    } catch (...) {
        // process() must not throw; if it does anyway, the client still gets an answer.
        ex.response = problem_response(500, "", c->target, m_callbacks.next_request_id());
        ex.close = true;
    }
    c->out = std::move(ex.response);
    c->sent = 0;
    c->close_after = c->close_after || ex.close;
    // Most answers fit in the socket's buffer: send now, without a trip through the loop.
    c->broken = !send_some(c->fd, c->out, c->sent);
    // The common case — all sent, the connection stays open, nothing more has arrived — is
    // finished here, and the socket armed for the next request directly: handing it back
    // through the loop would cost two more thread wake-ups per request.
    if (!c->broken && c->sent == c->out.size() && !c->close_after && c->in.empty() && c->reserved == 0 && !m_stopping) {
        ++c->served;
        std::string().swap(c->request);
        std::string().swap(c->out);
        c->sent = 0;
        c->state = Connection::State::head;
        c->started = false;
        c->scanned = 0;
        c->idle_since = Clock::now();
        c->deadline = c->idle_since + m_settings.idle_timeout;
        c->with_worker.store(false, std::memory_order_release);
        arm(*c, EPOLLIN);
        return;
    }
    {
        std::lock_guard lock(m_done_mutex);
        m_done.push_back(c);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_wake_fd, &one, sizeof one);
}

void ConnectionLoop::completed() {
    std::vector<ConnectionPtr> done;
    {
        std::lock_guard lock(m_done_mutex);
        done.swap(m_done);
    }
    for (const auto& c : done) {
        c->with_worker.store(false, std::memory_order_relaxed);  // the mutex above ordered it
        m_buffered_body -= c->reserved;
        c->reserved = 0;
        ++c->served;
        std::string().swap(c->request);
        if (c->broken) {
            close_now(c);
        } else if (c->sent < c->out.size()) {
            c->state = Connection::State::writing;
            c->deadline = Clock::now() + m_settings.write_timeout;
            arm(*c, EPOLLOUT);
        } else {
            finish_answer(c);
        }
    }
}

void ConnectionLoop::finish_answer(const ConnectionPtr& c) {
    std::string().swap(c->out);
    c->sent = 0;
    if (c->close_after) return begin_close(c);
    c->state = Connection::State::head;
    c->idle_since = Clock::now();
    c->started = !c->in.empty();  // a pipelined request may already be here
    c->deadline = Clock::now() + (c->started ? m_settings.request_timeout : m_settings.idle_timeout);
    c->scanned = 0;
    advance(c);
}

void ConnectionLoop::refuse(const ConnectionPtr& c, const Refusal& r, std::string_view method, std::string_view target) {
    if (c->reserved > 0) {
        m_buffered_body -= c->reserved;
        c->reserved = 0;
    }
    const std::string id = m_callbacks.next_request_id();
    c->out = problem_response(r.status, r.detail, std::string(target), id, r.headers, method == "HEAD");
    c->sent = 0;
    c->close_after = true;
    if (m_callbacks.refused) m_callbacks.refused(r, method, target, id, c->out.size());
    if (!send_some(c->fd, c->out, c->sent)) return close_now(c);
    if (c->sent == c->out.size()) return finish_answer(c);
    c->state = Connection::State::writing;
    c->deadline = Clock::now() + m_settings.write_timeout;
    arm(*c, EPOLLOUT);
}

// Shuts the write side and drains the client for a moment, so that it reads the answer rather
// than a reset caused by bytes it was still sending (a refused body, say).
void ConnectionLoop::begin_close(const ConnectionPtr& c) {
    if (c->peer_closed) return close_now(c);
    ::shutdown(c->fd, SHUT_WR);
    c->state = Connection::State::closing;
    std::string().swap(c->in);
    c->deadline = Clock::now() + k_linger;
    arm(*c, EPOLLIN);
}

void ConnectionLoop::close_now(const ConnectionPtr& c) {
    if (c->reserved > 0) {
        m_buffered_body -= c->reserved;
        c->reserved = 0;
    }
    ::close(c->fd);  // also leaves the epoll set
    m_connections.erase(c->fd);
    m_open = m_connections.size();
}

void ConnectionLoop::sweep() {
    const auto now = Clock::now();
    if (m_listen_paused && now >= m_listen_resume) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = m_listen_fd;
        epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_listen_fd, &ev);
        m_listen_paused = false;
    }
    std::vector<ConnectionPtr> expired;
    for (const auto& [fd, c] : m_connections) {
        if (!c->with_worker.load(std::memory_order_acquire) && now >= c->deadline) expired.push_back(c);
    }
    for (const auto& c : expired) {
        using State = Connection::State;
        if ((c->state == State::head && c->started) || c->state == State::body) {
            refuse(c, Refusal{408, "the request did not arrive whole in time", {}}, c->state == State::body ? c->method : "",
                   c->state == State::body ? c->target : "");
        } else {
            close_now(c);  // idle, a stalled reader, or a finished linger
        }
    }
}

}  // namespace gridmap::http
