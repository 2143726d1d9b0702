#include "hostile/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

namespace gridmap::test {

namespace fs = std::filesystem;

ServerProcess::ServerProcess(const std::map<std::string, std::string>& settings, const std::string& from_db) {
    if (from_db.empty()) {
        import_demo(db());
    } else {
        for (const std::string suffix : {"", "-wal"}) {
            if (fs::exists(from_db + suffix)) fs::copy_file(from_db + suffix, db() + suffix);
        }
    }
    // Open (every request an admin's) unless a test says otherwise: these suites are about
    // surviving hostile traffic; tests/access checks the tokens. No style path: the server must
    // find its own, and it runs from / (below), not from the checkout.
    std::string config = "{\"port\": 0, \"access_log\": true" + std::string(settings.contains("open") ? "" : ", \"open\": true");
    for (const auto& [key, value] : settings) config += ", \"" + key + "\": " + value;
    config += "}";
    const fs::path config_file = m_dir / "gridmap.json";
    std::ofstream(config_file) << config;

    int out_pipe[2];
    if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
    const std::string log_file = (m_dir / "server.log").string();
    const std::string binary = gridmap_binary().string();
    const std::string db_path = db();
    m_pid = fork();
    if (m_pid < 0) throw std::runtime_error("fork failed");
    if (m_pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        const int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) dup2(log, STDERR_FILENO);
        close(out_pipe[0]);
        close(out_pipe[1]);
        const std::string config_path = config_file.string();
        if (chdir("/") != 0) _exit(126);
        execl(binary.c_str(), binary.c_str(), "serve", "--db", db_path.c_str(), "--config", config_path.c_str(),
              nullptr);
        _exit(127);
    }
    close(out_pipe[1]);
    // "Gridmap serves … on http://127.0.0.1:PORT/ …" is the first line on stdout.
    std::string out;
    char buf[512];
    pollfd p{out_pipe[0], POLLIN, 0};
    const auto start = std::chrono::steady_clock::now();
    while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
        if (poll(&p, 1, 100) > 0) {
            const ssize_t n = read(out_pipe[0], buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    close(out_pipe[0]);
    const auto at = out.find("http://127.0.0.1:");
    if (at == std::string::npos) {
        kill9();
        throw std::runtime_error("gridmap serve did not start: " + out + log());
    }
    m_port = std::stoi(out.substr(at + 17));
}

ServerProcess::~ServerProcess() {
    if (!m_reaped) {
        ::kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
}

std::string ServerProcess::log() const { return read_file(m_dir.path() / "server.log"); }

bool ServerProcess::alive() {
    if (m_reaped) return false;
    int status = 0;
    if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_reaped = true;
        m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return false;
    }
    return true;
}

std::size_t ServerProcess::peak_rss_bytes() const {
    std::ifstream in("/proc/" + std::to_string(m_pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

int ServerProcess::terminate() {
    if (!m_reaped) {
        ::kill(m_pid, SIGTERM);
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_reaped = true;
        m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    return m_exit;
}

void ServerProcess::kill9() {
    if (m_reaped) return;
    ::kill(m_pid, SIGKILL);
    int status = 0;
    waitpid(m_pid, &status, 0);
    m_reaped = true;
    m_exit = -SIGKILL;
}

std::string RawAnswer::header(const std::string& name) const {
    std::string lower_head = head;
    std::string lower_name = name;
    for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower_head.find("\r\n" + lower_name + ":");
    if (at == std::string::npos) return "";
    const auto start = head.find_first_not_of(' ', at + 3 + name.size());
    return head.substr(start, head.find("\r\n", start) - start);
}

int connect_loopback(int port, int receive_buffer) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receive_buffer > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
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

RawAnswer raw_exchange(int port, const std::string& request, double timeout_s) {
    RawAnswer answer;
    const int fd = connect_loopback(port);
    if (fd < 0) return answer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    // The server may answer (and close) before it has read everything: a refused body.
    std::size_t sent = 0;
    std::string in;
    char buf[65536];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, static_cast<short>(POLLIN | (sent < request.size() ? POLLOUT : 0)), 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        if ((p.revents & POLLOUT) && sent < request.size()) {
            const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n > 0) sent += static_cast<std::size_t>(n);
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            in.append(buf, static_cast<std::size_t>(n));
            const auto end = in.find("\r\n\r\n");
            if (end != std::string::npos) {
                answer.head = in.substr(0, end + 2);
                const std::string length = answer.header("Content-Length");
                if (!length.empty() && in.size() >= end + 4 + std::stoull(length)) break;
            }
        }
    }
    close(fd);
    const auto end = in.find("\r\n\r\n");
    if (end == std::string::npos || !in.starts_with("HTTP/1.1 ")) return answer;
    answer.head = in.substr(0, end + 2);
    answer.body = in.substr(end + 4);
    answer.status = std::atoi(in.c_str() + 9);
    return answer;
}

std::string get_request(const std::string& target, const std::string& fields) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + fields + "\r\n";
}

}  // namespace gridmap::test
