// The request head parser and the guard in front of every route: what a request may look like
// before any handler sees it. Each row is a request as a client could send it and the status
// the server answers before routing (0: let through).
#include <gtest/gtest.h>

#include "http/guard.hpp"
#include "http/request_head.hpp"

namespace {

using gridmap::http::Admission;
using gridmap::http::GuardPolicy;
using gridmap::http::Refusal;
using gridmap::http::RequestHead;

struct Case {
    const char* what;
    std::string head;
    int status;  ///< 0: admitted
};

// Parses and admits `head` the way the connection loop does; 0 when admitted.
int verdict(const std::string& head, Admission* admitted = nullptr) {
    const std::size_t end = gridmap::http::find_head_end(head);
    if (end == std::string::npos) return -1;
    auto parsed = gridmap::http::parse_request_head(std::string_view(head).substr(0, end), {});
    if (auto* r = std::get_if<Refusal>(&parsed)) return r->status;
    GuardPolicy policy;
    policy.max_body_bytes = 1000;
    policy.allowed_hosts = {"localhost", "gridmap.example.org"};
    auto result = gridmap::http::admit(std::get<RequestHead>(parsed), policy);
    if (auto* r = std::get_if<Refusal>(&result)) return r->status;
    if (admitted) *admitted = std::get<Admission>(result);
    return 0;
}

std::string get(const std::string& target, const std::string& fields = "Host: localhost\r\n") {
    return "GET " + target + " HTTP/1.1\r\n" + fields + "\r\n";
}

std::string post(const std::string& fields) { return "POST /analysis/coverage HTTP/1.1\r\nHost: localhost:8080\r\n" + fields + "\r\n"; }

TEST(RequestGuard, Table) {
    const std::vector<Case> cases = {
        {"plain GET", get("/health"), 0},
        {"bare LF line ends", "GET /health HTTP/1.1\nHost: localhost\n\n", 0},
        {"empty lines before the request line", "\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\n\r\n", 0},
        {"HTTP/1.0 without Host", "GET /health HTTP/1.0\r\n\r\n", 0},
        {"HTTP/1.1 without Host", "GET /health HTTP/1.1\r\n\r\n", 400},
        {"two Host fields", get("/health", "Host: localhost\r\nHost: localhost\r\n"), 400},
        {"Host of another site (DNS rebinding)", get("/health", "Host: evil.example\r\n"), 421},
        {"Host with a port", get("/health", "Host: localhost:8080\r\n"), 0},
        {"configured name, any case", get("/health", "Host: GridMap.Example.ORG\r\n"), 0},
        {"IPv4 literal", get("/health", "Host: 192.168.1.20:8080\r\n"), 0},
        {"IPv6 literal", get("/health", "Host: [::1]:8080\r\n"), 0},
        {"malformed IPv6 literal", get("/health", "Host: [::zz]\r\n"), 400},
        {"Host with a path", get("/health", "Host: localhost/x\r\n"), 400},
        {"Host with bytes outside ASCII", get("/health", "Host: \xe4\xb8\xad.example\r\n"), 400},
        {"port out of range", get("/health", "Host: localhost:70000\r\n"), 400},
        {"absolute-form target names the host", "GET http://evil.example/health HTTP/1.1\r\nHost: localhost\r\n\r\n", 421},
        {"absolute-form target of this server", "GET http://localhost:8080/health HTTP/1.1\r\nHost: x\r\n\r\n", 0},
        {"unknown method", "BREW /health HTTP/1.1\r\nHost: localhost\r\n\r\n", 501},
        {"TRACE", "TRACE / HTTP/1.1\r\nHost: localhost\r\n\r\n", 501},
        {"lower-case method", "get /health HTTP/1.1\r\nHost: localhost\r\n\r\n", 501},
        {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
        {"HTTP/0.9", "GET /health\r\n\r\n", 400},
        {"HTTP/1.2", "GET /health HTTP/1.2\r\nHost: localhost\r\n\r\n", 505},
        {"two spaces in the request line", "GET  /health HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
        {"tab in the request line", "GET\t/health HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
        {"target not starting with /", get("health"), 400},
        {"* with GET", get("*"), 400},
        {"raw byte 0xff in the target", get("/\xff"), 400},
        {"raw UTF-8 in the target", get("/collections/\xe6\xa5\xbc"), 400},
        {"%ff in the path", get("/%ff"), 400},
        {"%ff in a collection", get("/collections/%ff"), 400},
        {"%ff in a job id", get("/jobs/%ff"), 400},
        {"%ff in a tile path", get("/tiles/%ff.json"), 400},
        {"%ff in a feature id", get("/collections/buildings/items/%ff"), 400},
        {"%ff in a query value", get("/query/at?lon=%ff&lat=1"), 400},
        {"cut UTF-8 in a query value", get("/query/search?q=%E4%B8"), 400},
        {"overlong UTF-8 in a query value", get("/query/search?q=%C0%AF"), 400},
        {"UTF-16 surrogate in a query value", get("/query/search?q=%ED%A0%80"), 400},
        {"NUL in the path", get("/collections/buildings%00"), 400},
        {"NUL in a query value", get("/query/search?q=a%00b"), 400},
        {"malformed escape", get("/query/search?q=%zz"), 400},
        {"escape cut at the end", get("/query/search?q=%e"), 400},
        {"valid UTF-8 in a query value", get("/query/search?q=%E6%A5%BC%E6%A0%8B"), 0},
        {"right-to-left override (valid UTF-8)", get("/query/search?q=%E2%80%AEabc"), 0},
        {"dot-dot segment", get("/styles/../etc/passwd"), 400},
        {"encoded dot-dot segment", get("/styles/%2e%2e/etc/passwd"), 400},
        {"dot segment", get("/./health"), 400},
        {"two dots inside a name", get("/collections/a..b"), 0},
        {"space in a field name", get("/health", "Host: localhost\r\nX Y: 1\r\n"), 400},
        {"space before the colon", get("/health", "Host: localhost\r\nAccept : */*\r\n"), 400},
        {"folded field", get("/health", "Host: localhost\r\nX-A: 1\r\n 2\r\n"), 400},
        {"NUL in a field value", get("/health", std::string("Host: localhost\r\nX-A: a\0b\r\n", 27)), 400},
        {"bare CR in a field value", get("/health", "Host: localhost\r\nX-A: a\rb\r\n"), 400},
        {"line without colon", get("/health", "Host: localhost\r\nnonsense\r\n"), 400},
        {"field line of 9 KB", get("/health", "Host: localhost\r\nX-A: " + std::string(9000, 'a') + "\r\n"), 431},
        {"101 fields", get("/health", [] {
             std::string f = "Host: localhost\r\n";
             for (int i = 0; i < 100; ++i) f += "X-" + std::to_string(i) + ": 1\r\n";
             return f;
         }()), 431},
        {"head of 40 KB", get("/health", [] {
             std::string f = "Host: localhost\r\n";
             for (int i = 0; i < 8; ++i) f += "X-" + std::to_string(i) + ": " + std::string(5000, 'a') + "\r\n";
             return f;
         }()), 431},
        {"target of 9 KB", get("/query/search?q=" + std::string(9000, 'a')), 414},
        {"JSON body", post("Content-Type: application/json\r\nContent-Length: 2\r\n"), 0},
        {"JSON body with charset", post("Content-Type: Application/JSON; charset=utf-8\r\nContent-Length: 2\r\n"), 0},
        {"POST without a body", post(""), 0},
        {"text/plain body (a cross-site form)", post("Content-Type: text/plain\r\nContent-Length: 2\r\n"), 415},
        {"form body", post("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2\r\n"), 415},
        {"body without a type", post("Content-Length: 2\r\n"), 415},
        {"body over the limit", post("Content-Type: application/json\r\nContent-Length: 1001\r\n"), 413},
        {"absurd Content-Length", post("Content-Type: application/json\r\nContent-Length: 99999999999999999999999\r\n"), 413},
        {"negative Content-Length", post("Content-Type: application/json\r\nContent-Length: -1\r\n"), 400},
        {"Content-Length with a sign", post("Content-Type: application/json\r\nContent-Length: +5\r\n"), 400},
        {"Content-Length list", post("Content-Type: application/json\r\nContent-Length: 2, 2\r\n"), 400},
        {"two Content-Length fields", post("Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n"), 400},
        {"chunked body", post("Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"), 411},
        {"chunked and a length (smuggling)", post("Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"), 411},
        {"gzip body", post("Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n"), 415},
        {"POST from this server's page", post("Content-Type: application/json\r\nContent-Length: 2\r\nOrigin: http://localhost:8080\r\n"), 0},
        {"POST from another site", post("Content-Type: application/json\r\nContent-Length: 2\r\nOrigin: https://evil.example\r\n"), 403},
        {"POST from another port", post("Content-Type: application/json\r\nContent-Length: 2\r\nOrigin: http://localhost:3000\r\n"), 403},
        {"POST from a sandboxed frame", post("Origin: null\r\n"), 403},
        {"DELETE from another site", "DELETE /jobs/1-ab HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n\r\n", 403},
        {"GET from another site (reads are for CORS to decide)", get("/health", "Host: localhost\r\nOrigin: http://evil.example\r\n"), 0},
        {"Expect: 100-continue", post("Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"), 0},
        {"other expectation", post("Expect: teapot\r\n"), 417},
        {"1,000 ranges are ignored", get("/collections/buildings/items", "Host: localhost\r\nRange: bytes=" + [] {
             std::string r;
             for (int i = 0; i < 1000; ++i) r += (i ? "," : "") + std::to_string(i) + "-" + std::to_string(i);
             return r;
         }() + "\r\n"), 0},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(verdict(c.head), c.status) << c.what;
    }
}

TEST(RequestGuard, TheRouterSeesOnlyWhatWasChecked) {
    Admission a;
    ASSERT_EQ(verdict("GET http://localhost:8080/health?x=1 HTTP/1.1\r\nHost: other\r\nRange: bytes=0-1,3-4\r\n"
                      "Connection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\nAccept: */*\r\n\r\n",
                      &a),
              0);
    EXPECT_EQ(a.head, "GET /health?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n");
    EXPECT_FALSE(a.keep_alive);
    EXPECT_EQ(a.target, "/health?x=1");

    ASSERT_EQ(verdict(post("Content-Type: application/json\r\nContent-Length: 12\r\nExpect: 100-continue\r\n"), &a), 0);
    EXPECT_EQ(a.body_bytes, 12u);
    EXPECT_TRUE(a.expect_continue);
    EXPECT_TRUE(a.keep_alive);
    EXPECT_EQ(a.head, "POST /analysis/coverage HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\n"
                      "Content-Length: 12\r\n\r\n");

    ASSERT_EQ(verdict("GET /health HTTP/1.0\r\n\r\n", &a), 0);
    EXPECT_FALSE(a.keep_alive);
}

TEST(RequestGuard, HeadEnd) {
    using gridmap::http::find_head_end;
    const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
    EXPECT_EQ(find_head_end(head), head.size() - 4);
    // Found when the terminator arrives split over reads, scanning each byte once.
    for (std::size_t cut = 0; cut < head.size() - 4; ++cut) {
        EXPECT_EQ(find_head_end(std::string_view(head).substr(0, cut)), std::string::npos) << cut;
        EXPECT_EQ(find_head_end(head, cut), head.size() - 4) << cut;
    }
    EXPECT_EQ(find_head_end("\r\n\r\n\r\n"), std::string::npos);  // only empty lines so far
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\n\n"), 16u);
}

TEST(RequestGuard, PercentDecoding) {
    EXPECT_EQ(gridmap::http::percent_decode("a%20b%E6%A5%BC"), "a b\xe6\xa5\xbc");
    EXPECT_FALSE(gridmap::http::percent_decode("%"));
    EXPECT_FALSE(gridmap::http::percent_decode("%4"));
    EXPECT_FALSE(gridmap::http::percent_decode("%g0"));
}

}  // namespace
