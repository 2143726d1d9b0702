#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace gridmap::test {

/// The built `gridmap serve`, run as a separate process on a copy of the demo district on an
/// ephemeral loopback port: an attack that crashes it or makes it grow shows up as an exit
/// status or a peak memory figure, not as a crash of the test.
class ServerProcess {
public:
    /// `settings`: extra configuration keys (the config file's JSON values, e.g. {"threads", "4"}).
    /// `from_db`: serve a copy of this database instead of a fresh demo district.
    using Settings = std::map<std::string, std::string>;
    explicit ServerProcess(const Settings& settings = {}, const std::string& from_db = "");
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    int port() const { return m_port; }
    pid_t pid() const { return m_pid; }
    std::string db() const { return (m_dir.path() / "demo.sqlite").string(); }
    std::filesystem::path dir() const { return m_dir.path(); }
    /// The server's stderr (its access log) so far.
    std::string log() const;
    /// True while the process runs.
    bool alive();
    /// Peak resident memory (VmHWM) in bytes.
    std::size_t peak_rss_bytes() const;
    /// SIGTERM, then the exit status (−signal when killed by one).
    int terminate();
    /// SIGKILL, as a power cut or the OOM killer would.
    void kill9();

private:
    TempDir m_dir;
    pid_t m_pid = -1;
    int m_port = 0;
    int m_exit = 0;
    bool m_reaped = false;
};

/// An answer read off a raw socket.
struct RawAnswer {
    int status = 0;  ///< 0: no status line (the server closed or timed out first)
    std::string head;
    std::string body;
    std::string header(const std::string& name) const;
};

/// Sends `request` as it is on a new connection and reads until the server closes it, the
/// answer's Content-Length is complete, or `timeout_s` passes.
RawAnswer raw_exchange(int port, const std::string& request, double timeout_s = 10);

/// A GET of `target` with `Connection: close` and Host 127.0.0.1, plus `fields` (CRLF-terminated lines).
std::string get_request(const std::string& target, const std::string& fields = "");

/// A TCP connection to 127.0.0.1:port; −1 when it fails. `receive_buffer` > 0 sets SO_RCVBUF
/// before connecting (a client that reads slowly, or not at all, with a small window).
int connect_loopback(int port, int receive_buffer = 0);

}  // namespace gridmap::test
