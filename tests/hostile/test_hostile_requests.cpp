// One table of hostile requests against every route of a real `gridmap serve` process: each is
// answered — a 4xx problem+json for what is wrong, a normal answer for what is merely odd — and
// afterwards the server is up, its peak memory is bounded, and the database is exactly as before.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "geo/text/encoding.hpp"
#include "hostile/server_process.hpp"
#include "import/import_helpers.hpp"

namespace {

using gridmap::test::get_request;
using gridmap::test::raw_exchange;

enum class Want { refused, answered };

struct Case {
    std::string what;
    std::string request;  ///< the bytes sent
    Want want;
    int status = 0;  ///< when set, exactly this status
};

Case get(std::string what, const std::string& target, Want want, int status = 0) {
    return {std::move(what), get_request(target), want, status};
}

std::string repeat(const std::string& s, int n, const std::string& sep = "") {
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? sep : "") + s;
    return out;
}

std::string post(const std::string& path, const std::string& body, const std::string& type = "application/json",
                 const std::string& fields = "") {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + fields + "\r\n" + body;
}

std::vector<Case> cases() {
    const std::string bad_utf8 = "%FF%FE";
    const std::string sql = "%27%3B%20DROP%20TABLE%20buildings%3B%20--";  // '; DROP TABLE buildings; --
    const std::string rtl = "%E2%80%AE";                                    // U+202E RIGHT-TO-LEFT OVERRIDE
    const std::string items = "/collections/buildings/items";
    std::vector<Case> c = {
        // Invalid UTF-8 and NUL everywhere (a single %ff once aborted the process).
        get("%ff as the path", "/%ff", Want::refused, 400),
        get("%ff as a collection", "/collections/%ff", Want::refused, 400),
        get("%ff as a job", "/jobs/%ff", Want::refused, 400),
        get("%ff as a tile layer", "/tiles/%ff.json", Want::refused, 400),
        get("%ff as a feature id", items + "/%ff", Want::refused, 400),
        get("%ff in lon", "/query/at?lon=%ff&lat=1", Want::refused, 400),
        get("bad UTF-8 in a search", "/query/search?q=" + bad_utf8, Want::refused, 400),
        get("bad UTF-8 in a filter", items + "?filter=name%20%3D%20%27" + bad_utf8 + "%27", Want::refused, 400),
        get("bad UTF-8 in an equality filter", items + "?name=" + bad_utf8, Want::refused, 400),
        get("NUL in a search", "/query/search?q=a%00b", Want::refused, 400),
        get("NUL in a layer name", "/collections/buildings%00x", Want::refused, 400),
        get("filter then a 4-byte character", items + "?filter=floors%20%3E%201.5%F0%A0%80%80", Want::refused, 400),
        {"bad UTF-8 in headers", get_request("/health", "User-Agent: \xff\xfe\r\nIf-None-Match: \"\xff\"\r\nAccept-Encoding: \xff\r\n"),
         Want::answered, 200},
        // Right-to-left and other odd but valid characters are text like any other.
        get("right-to-left override in a search", "/query/search?q=" + rtl + "abc", Want::answered, 200),
        get("right-to-left override as a layer", "/collections/" + rtl + "buildings", Want::refused, 404),
        get("emoji in a filter string", items + "?filter=name%20%3D%20%27%F0%9F%98%80%27", Want::answered, 200),
        // SQL-looking text is data, never SQL.
        get("SQL in a search", "/query/search?q=" + sql, Want::answered, 200),
        get("SQL in a filter string", items + "?filter=name%20%3D%20%27x%27" + sql + "%27", Want::answered, 200),
        get("SQL after a filter", items + "?filter=name%20%3D%20%27x" + sql, Want::refused, 400),
        get("SQL in an equality filter", items + "?name=" + sql, Want::answered, 200),
        get("SQL as a layer", "/collections/buildings" + sql, Want::refused, 404),
        get("SQL as a property list", items + "?properties=name," + sql, Want::refused),
        get("SQL as a filter", items + "?filter=1%3D1%3B%20DELETE%20FROM%20buildings", Want::refused, 400),
        get("quoted property name", items + "?filter=%22name%22%22%20%3D%201", Want::refused, 400),
        // Sizes and ranges.
        get("limit 10^9", items + "?limit=1000000000", Want::refused, 400),
        get("limit 0", items + "?limit=0", Want::refused, 400),
        get("limit -1", items + "?limit=-1", Want::refused, 400),
        get("limit 1e3", items + "?limit=1e3", Want::refused, 400),
        get("offset 10^18", items + "?offset=1000000000000000000", Want::refused, 400),
        get("offset 2^64", items + "?offset=18446744073709551616", Want::refused, 400),
        get("inverted bbox", items + "?bbox=122,32,121,31", Want::refused, 400),
        get("NaN bbox", items + "?bbox=nan,nan,nan,nan", Want::refused, 400),
        get("infinite bbox", items + "?bbox=-inf,-inf,inf,inf", Want::refused, 400),
        get("bbox of 3 numbers", items + "?bbox=1,2,3", Want::refused, 400),
        get("bbox of 6 numbers with heights", items + "?bbox=1,2,3,4,5", Want::refused, 400),
        get("bbox beyond the poles", items + "?bbox=-180,-91,180,91", Want::refused, 400),
        get("bbox of 10^308", items + "?bbox=-1e308,-1e308,1e308,1e308", Want::refused, 400),
        get("unknown bbox-crs", items + "?bbox=1,2,3,4&bbox-crs=EPSG:99999", Want::refused, 400),
        get("unknown crs", items + "?crs=http://evil.example/crs", Want::refused, 400),
        get("whole world bbox", items + "?bbox=-180,-90,180,90&limit=1", Want::answered, 200),
        get("feature id beyond 64 bits", items + "/99999999999999999999999", Want::refused, 400),
        get("negative feature id", items + "/-1", Want::refused, 400),
        get("feature id not a number", items + "/1.5", Want::refused, 400),
        get("missing feature", items + "/999999", Want::refused, 404),
        // Deep and wide CQL2.
        get("filter nested 2,000 deep", items + "?filter=" + repeat("(", 2000) + "floors%3D1" + repeat(")", 2000), Want::refused, 400),
        get("filter with 400 ORs", items + "?filter=" + repeat("floors%3D1", 400, "%20OR%20"), Want::refused, 400),
        get("filter of 1,000 NOTs", items + "?filter=" + repeat("NOT%20", 1000) + "floors%3D1", Want::refused, 400),
        get("IN list of 2,000", items + "?filter=floors%20IN%20(" + repeat("1", 2000, ",") + ")", Want::refused, 400),
        get("LIKE of 2,000 %", items + "?filter=name%20LIKE%20%27" + repeat("%25", 2000) + "%27", Want::answered, 200),
        get("line of 1,000 points", items + "?filter=S_INTERSECTS(geom,LINESTRING(" + repeat("1%201", 1000, ",") + "))", Want::answered, 200),
        get("filter longer than a target may be", items + "?filter=" + repeat("floors%3D1", 700, "%20OR%20"), Want::refused, 414),
        // Tiles.
        get("zoom -1", "/tiles/buildings/-1/0/0.mvt", Want::refused),
        get("zoom 99", "/tiles/buildings/99/0/0.mvt", Want::refused, 400),
        get("zoom 2^31", "/tiles/buildings/2147483648/0/0.mvt", Want::refused, 400),
        get("x = 2^z", "/tiles/buildings/16/65536/0.mvt", Want::refused, 400),
        get("y -1", "/tiles/buildings/16/0/-1.mvt", Want::refused),
        get("x in hex", "/tiles/buildings/16/0x10/0.mvt", Want::refused),
        get("x with exponent", "/tiles/buildings/16/1e3/0.mvt", Want::refused),
        get("empty layer list", "/tiles//16/0/0.mvt", Want::refused),
        get("unknown layer", "/tiles/nosuch/16/0/0.mvt", Want::refused, 404),
        get("layer 810 times", "/tiles/" + repeat("buildings", 810, ",") + "/16/54906/26796.mvt", Want::refused, 400),
        get("all 500 times", "/tiles/" + repeat("all", 500, ",") + "/16/54906/26796.mvt", Want::refused, 400),
        get("TileJSON of 810 layers", "/tiles/" + repeat("buildings", 810, ",") + ".json", Want::refused, 400),
        get("PNG beyond zoom", "/tiles/buildings/30/0/0.png", Want::refused, 400),
        get("PNG of a tile in the district", "/tiles/buildings/16/54906/26796.png", Want::answered),
        // Points.
        get("lon NaN", "/query/at?lon=nan&lat=31", Want::refused, 400),
        get("lon infinite", "/query/at?lon=inf&lat=31", Want::refused, 400),
        get("lon 1e309", "/query/at?lon=1e309&lat=31", Want::refused, 400),
        get("lat 91", "/query/at?lon=121&lat=91", Want::refused, 400),
        get("lon missing", "/query/at?lat=31", Want::refused, 400),
        get("lon empty", "/query/at?lon=&lat=31", Want::refused, 400),
        get("10^9 stations per type", "/query/at?lon=121.49&lat=31.23&stations_per_type=1000000000", Want::refused, 400),
        get("cell at NaN", "/query/cell?lon=nan&lat=nan", Want::refused, 400),
        get("search of 6 KB", "/query/search?q=" + repeat("a", 6000), Want::refused, 400),
        get("empty search", "/query/search?q=", Want::refused, 400),
        get("search of wildcards", "/query/search?q=%25_%25_%5C", Want::answered, 200),
        // Jobs.
        get("unknown job", "/jobs/1-0123456789abcdef", Want::refused, 404),
        get("job id of 5 KB", "/jobs/" + repeat("a", 5000), Want::refused, 404),
        get("result of an unknown job", "/jobs/1-00/result.png", Want::refused, 404),
        get("result in an unknown format", "/jobs/1-00/result.exe", Want::refused, 404),
        // Analyses: bodies.
        {"unknown analysis", post("/analysis/nosuch", "{}"), Want::refused, 404},
        {"minutes 1e308", post("/analysis/coverage", R"({"minutes": 1e308})"), Want::refused, 400},
        {"minutes negative", post("/analysis/coverage", R"({"minutes": -5})"), Want::refused, 400},
        {"minutes NaN as text", post("/analysis/coverage", R"({"minutes": "NaN"})"), Want::refused, 400},
        {"10^9 sites", post("/analysis/siting", R"({"sites": 1000000000})"), Want::refused, 400},
        {"lattice of 1 cm", post("/analysis/siting", R"({"lattice": 0.01})"), Want::refused, 400},
        {"unknown parameter", post("/analysis/coverage", R"({"minuets": 10})"), Want::refused, 400},
        {"JSON nested 100,000 deep", post("/analysis/coverage", repeat("[", 100000) + repeat("]", 100000)), Want::refused, 400},
        {"nested parameter", post("/analysis/coverage", R"({"minutes": [[[10]]]})"), Want::refused, 400},
        {"bad UTF-8 in the body", post("/analysis/coverage", "{\"stations\": \"\xff\xfe\"}"), Want::refused, 400},
        {"not JSON", post("/analysis/coverage", "minutes=10"), Want::refused, 400},
        {"text/plain body (a cross-site form)", post("/analysis/circles", "{}", "text/plain"), Want::refused, 415},
        {"cross-site write", post("/analysis/circles", "{}", "application/json", "Origin: https://evil.example\r\n"), Want::refused, 403},
        {"chunked body", "POST /analysis/coverage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
         Want::refused, 411},
        {"gzip body", post("/analysis/coverage", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8), "application/json",
                           "Content-Encoding: gzip\r\n"),
         Want::refused, 415},
        {"body over the limit", "POST /analysis/coverage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                "Content-Length: 300000000\r\n\r\n{",
         Want::refused, 413},
        {"DELETE of a feature", "DELETE /collections/buildings/items/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
         Want::refused},
        // The request itself.
        {"Host of another site", "GET /health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", Want::refused, 421},
        {"no Host", "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n", Want::refused, 400},
        {"unknown method", "BREW /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", Want::refused, 501},
        {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Want::refused, 505},
        {"header of 64 KB", get_request("/health", "X-Big: " + std::string(64 * 1024, 'a') + "\r\n"), Want::refused, 431},
        {"200 headers", get_request("/health", repeat("X-A: 1\r\n", 200)), Want::refused, 431},
        {"target of 20 KB", get_request("/query/search?q=" + repeat("a", 20000)), Want::refused, 414},
        {"NUL in a header", get_request("/health", std::string("X-A: a\0b\r\n", 10)), Want::refused, 400},
        {"folded header", get_request("/health", "X-A: a\r\n b\r\n"), Want::refused, 400},
        {"garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n", Want::refused, 400},
        {"1,000 ranges", get_request(items + "?limit=50", "Range: bytes=" + [] {
             std::string r;
             for (int i = 0; i < 1000; ++i) r += (i ? "," : "") + std::string("0-3");
             return r;
         }() + "\r\n"),
         Want::answered, 200},
    };
    return c;
}

TEST(Hostile, EveryRouteAnswersEveryHostileRequest) {
    gridmap::test::ServerProcess server;
    const auto before = gridmap::test::database_fingerprint(server.db());
    const auto normal_page = raw_exchange(server.port(), get_request("/collections/buildings/items?limit=50"));
    ASSERT_EQ(normal_page.status, 200);

    for (const auto& c : cases()) {
        const auto answer = raw_exchange(server.port(), c.request);
        ASSERT_TRUE(server.alive()) << c.what << ": the server died\n" << server.log();
        ASSERT_NE(answer.status, 0) << c.what << ": no answer";
        if (c.status != 0) {
            EXPECT_EQ(answer.status, c.status) << c.what << ": " << answer.body.substr(0, 300);
        } else {
            EXPECT_LT(answer.status, 500) << c.what << ": " << answer.body.substr(0, 300);
        }
        if (c.want == Want::refused) {
            EXPECT_GE(answer.status, 400) << c.what;
            EXPECT_EQ(answer.header("Content-Type"), "application/problem+json") << c.what;
            const auto problem = nlohmann::json::parse(answer.body, nullptr, false);
            ASSERT_TRUE(problem.is_object()) << c.what << ": " << answer.body.substr(0, 300);
            EXPECT_EQ(problem.value("status", 0), answer.status) << c.what;
            EXPECT_FALSE(problem.value("detail", "").empty()) << c.what;
        } else {
            EXPECT_LT(answer.status, 400) << c.what << ": " << answer.body.substr(0, 300);
        }
        EXPECT_TRUE(geo::text::is_valid_utf8(answer.body) || answer.header("Content-Type").starts_with("image/") ||
                    answer.header("Content-Type").starts_with("application/vnd.mapbox"))
            << c.what;
        if (c.what == "1,000 ranges") {
            // Range is ignored: the whole page, once, not a thousand copies of parts of it.
            EXPECT_EQ(answer.body.size(), normal_page.body.size());
            EXPECT_EQ(answer.header("Content-Type"), "application/geo+json");
        }
    }

    EXPECT_EQ(raw_exchange(server.port(), get_request("/health")).status, 200);
    // A thousand-copy Range answer was 715 MB, a tile path of 810 layers 790 MB.
    EXPECT_LT(server.peak_rss_bytes(), 300u << 20) << "peak resident memory of the server";
    EXPECT_EQ(server.terminate(), 0) << server.log();
    EXPECT_EQ(gridmap::test::database_fingerprint(server.db()), before) << "a hostile request changed the data";
    const auto check = gridmap::test::gridmap({"check", "--db", server.db()});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    // Every refusal was logged with its status.
    const std::string log = server.log();
    EXPECT_NE(log.find(" 421 "), std::string::npos);
    EXPECT_NE(log.find(" 411 "), std::string::npos);
    EXPECT_EQ(log.find("error "), std::string::npos) << "an internal error was logged:\n" << log;
}

}  // namespace
