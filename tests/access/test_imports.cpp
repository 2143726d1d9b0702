// Imports over HTTP: who may upload, the limits, the archive rules, the job and its report, a
// reader during a replace, and that no uploaded file outlives its request or job.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "geo/store/store.hpp"
#include "hostile/server_process.hpp"
#include "http/server.hpp"
#include "server/server_fixture.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The demo district served without --open by a server of its own, with an admin and a planner token.
class ImportServer {
public:
    explicit ImportServer(std::size_t max_upload = 64u << 20) {
        gridmap::test::import_demo(db(), {"grid_cells", "buildings", "stations", "roads"});
        auto store = geo::store::open_store(db(), false);
        for (auto [who, role] : {std::pair{"admin", geo::access::Role::admin}, {"planner", geo::access::Role::planner}}) {
            geo::access::TokenRecord r;
            r.name = std::string(who) + "-导入";
            r.role = role;
            m_tokens[who] = geo::access::new_token();
            r.hash = geo::access::token_hash(m_tokens[who]);
            store->add_token(r);
        }
        gridmap::http::ServerConfig config;
        config.db = db();
        config.port = 0;
        config.threads = 4;
        config.access_log = false;
        config.max_upload_bytes = max_upload;
        m_running = std::make_unique<gridmap::test::ServerThread>(config);
    }
    std::string db() const { return (m_dir / "d.sqlite").string(); }
    fs::path uploads() const { return db() + ".uploads"; }
    int port() const { return m_running->port(); }
    httplib::Headers auth(const std::string& who) const { return {{"Authorization", "Bearer " + m_tokens.at(who)}}; }
    httplib::Client client() const { return m_running->client(); }
    // Follows a job until it ends; its last state.
    json wait(const std::string& location) const {
        const std::string path = location.substr(location.find("/jobs/"));
        for (int i = 0; i < 600; ++i) {
            const auto res = client().Get(path, auth("admin"));
            if (!res || res->status != 200) return json{{"http", res ? res->status : 0}};
            const json j = json::parse(res->body);
            if (j["status"] != "queued" && j["status"] != "running") return j;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return json{{"status", "timed out"}};
    }
    // What the upload folder holds now, besides nothing.
    std::vector<std::string> leftovers() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(uploads())) out.push_back(e.path().filename().string());
        return out;
    }

private:
    gridmap::test::TempDir m_dir;
    std::map<std::string, std::string> m_tokens;
    std::unique_ptr<gridmap::test::ServerThread> m_running;
};

std::string zipped_survey_buildings(const fs::path& dir) {
    const fs::path zip = dir / "楼栋.zip";
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
        const std::string member = "/vsizip/" + zip.string() + "/survey/bldg" + ext;
        const std::string src = gridmap::test::real_data(std::string("survey/sh_bldg_4528_zone40_cpg") + ext).string();
        EXPECT_EQ(CPLCopyFile(member.c_str(), src.c_str()), 0);
    }
    return gridmap::test::read_file(zip);
}

// A zip made by Python's zipfile (scripts/deps installs python3) from `script`, which writes
// to the path in sys.argv[1]: for archives no well-behaved tool would make.
std::string python_zip(const fs::path& dir, const std::string& script) {
    const fs::path zip = dir / "trick.zip";
    const auto r = gridmap::test::run({"/usr/bin/python3", "-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\n" + script + "\nz.close()",
                                       zip.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return gridmap::test::read_file(zip);
}

std::int64_t feature_count(const std::string& db, const std::string& layer) {
    auto store = geo::store::open_store_read_only(db);
    const auto info = store->layer(layer);
    return info ? info->feature_count : -1;
}

TEST(Imports, AnAdminUploadsAZippedShapefileAndGetsTheReport) {
    ImportServer server;
    gridmap::test::TempDir dir;
    const std::string zip = zipped_survey_buildings(dir.path());
    auto res = server.client().Post("/imports?layer=buildings&mode=replace&filename=%E6%A5%BC%E6%A0%8B.zip", server.auth("admin"), zip,
                                    "application/zip");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(json::parse(res->body)["kind"], "import");
    const json done = server.wait(res->get_header_value("Location"));
    ASSERT_EQ(done["status"], "succeeded") << done.dump();
    const auto report = server.client().Get("/jobs/" + done["id"].get<std::string>() + "/report", server.auth("admin"));
    ASSERT_TRUE(report && report->status == 200);
    const json r = json::parse(report->body);
    EXPECT_EQ(r["imported"], 1450);
    EXPECT_EQ(r["crs"]["code"], "EPSG:4528");
    EXPECT_EQ(r["source"], "楼栋.zip");
    EXPECT_EQ(feature_count(server.db(), "buildings"), 1450);
    auto store = geo::store::open_store_read_only(server.db());
    EXPECT_EQ(store->layer("buildings")->source_file, "楼栋.zip!survey/bldg.shp");
    bool audited = false;
    for (const auto& e : store->audit("", 1000)) audited = audited || (e.action == "import" && e.outcome == "ok" && e.who == "admin-导入");
    EXPECT_TRUE(audited);
    EXPECT_TRUE(server.leftovers().empty());
}

TEST(Imports, MultipartFormUploadsWorkToo) {
    ImportServer server;
    const std::string geojson = gridmap::test::read_file(fs::path(GRIDMAP_SOURCE_DIR) / "data/demo/stations.geojson");
    const std::string ascii_boundary = "----gridmapTestBoundary7MA4YWxk";
    const std::string body = "--" + ascii_boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" +
                             ascii_boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\data\\\\服务站.geojson\"\r\n" +
                             "Content-Type: application/geo+json\r\n\r\n" + geojson + "\r\n--" + ascii_boundary + "--\r\n";
    auto res = server.client().Post("/imports?layer=stations", server.auth("admin"), body,
                                    "multipart/form-data; boundary=" + ascii_boundary);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 202) << res->body;
    const json done = server.wait(res->get_header_value("Location"));
    ASSERT_EQ(done["status"], "succeeded") << done.dump();
    EXPECT_EQ(done["file"], "服务站.geojson");
    EXPECT_GT(feature_count(server.db(), "stations"), 10);
    EXPECT_TRUE(server.leftovers().empty());
}

// Sends a head only and reads the answer: a refusal must come before any body is sent.
std::string head_only(int port, const std::string& head) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    std::string answer;
    char buf[4096];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 3000) > 0) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        answer.append(buf, static_cast<std::size_t>(n));
        if (answer.find("\r\n\r\n") != std::string::npos && answer.find('}') != std::string::npos) break;
    }
    ::close(fd);
    return answer;
}

TEST(Imports, WhoMayUploadAndHowMuchIsDecidedBeforeTheBodyIsRead) {
    ImportServer server(1 << 20);
    const auto head = [&](const std::string& fields, const std::string& length) {
        return "POST /imports?layer=buildings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/zip\r\nContent-Length: " + length +
               "\r\n" + fields + "\r\n";
    };
    EXPECT_TRUE(head_only(server.port(), head("", "500000")).starts_with("HTTP/1.1 401"));
    EXPECT_TRUE(head_only(server.port(), head("Authorization: Bearer gm_wrong\r\n", "500000")).starts_with("HTTP/1.1 401"));
    EXPECT_TRUE(head_only(server.port(), head(server.auth("planner").begin()->first + ": " + server.auth("planner").begin()->second + "\r\n",
                                              "500000"))
                    .starts_with("HTTP/1.1 403"));
    const std::string admin = "Authorization: " + server.auth("admin").begin()->second + "\r\n";
    const std::string too_big = head_only(server.port(), head(admin, std::to_string((1 << 20) + 1)));
    EXPECT_TRUE(too_big.starts_with("HTTP/1.1 413")) << too_big;
    const std::string chunked = head_only(server.port(), "POST /imports?layer=buildings HTTP/1.1\r\nHost: 127.0.0.1\r\n" + admin +
                                                             "Content-Type: application/zip\r\nTransfer-Encoding: chunked\r\n\r\n");
    EXPECT_TRUE(chunked.starts_with("HTTP/1.1 411")) << chunked;
    auto wrong_type = server.client().Post("/imports?layer=buildings", server.auth("admin"), "x,y\n1,2\n", "text/csv");
    ASSERT_TRUE(wrong_type);
    EXPECT_EQ(wrong_type->status, 415);
    auto no_layer = server.client().Post("/imports", server.auth("admin"), "{}", "application/geo+json");
    ASSERT_TRUE(no_layer);
    EXPECT_EQ(no_layer->status, 400);
    auto bad_layer = server.client().Post("/imports?layer=gridmap_tokens", server.auth("admin"), "{}", "application/geo+json");
    ASSERT_TRUE(bad_layer);
    EXPECT_EQ(bad_layer->status, 400);
    // A client that stops half-way through its upload leaves nothing behind.
    head_only(server.port(), head(admin, "800000") + std::string(1000, 'x'));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(server.leftovers().empty());
    EXPECT_EQ(feature_count(server.db(), "buildings"), 1450);
}

TEST(Imports, ArchiveTricksFailTheJobAndChangeNothing) {
    ImportServer server;
    gridmap::test::TempDir dir;
    const std::vector<std::pair<std::string, std::string>> tricks = {
        {"a member outside the archive", "z.writestr('../../evil.shp', b'x' * 100)"},
        {"an absolute path", "z.writestr('/tmp/evil.shp', b'x' * 100)"},
        {"a symbolic link",
         "i = zipfile.ZipInfo('link.shp')\ni.external_attr = 0o120777 << 16\nz.writestr(i, '/etc/passwd')"},
        {"10,001 members", "for k in range(10001): z.writestr('m%05d.txt' % k, b'')"},
        {"a 1000:1 bomb (refused before it is expanded)", "z.writestr(zipfile.ZipInfo('b.shp'), b'\\0' * (200 << 20), compress_type=zipfile.ZIP_DEFLATED)"},
    };
    for (const auto& [what, script] : tricks) {
        const std::string zip = python_zip(dir.path(), script);
        auto res = server.client().Post("/imports?layer=buildings", server.auth("admin"), zip, "application/zip");
        ASSERT_TRUE(res) << what;
        ASSERT_EQ(res->status, 202) << what << ": " << res->body;
        const json done = server.wait(res->get_header_value("Location"));
        EXPECT_EQ(done["status"], "failed") << what << ": " << done.dump();
        // The server's own folders are never named to the client.
        EXPECT_EQ(done["error"]["detail"].get<std::string>().find(server.uploads().string()), std::string::npos) << done.dump();
        EXPECT_EQ(done["error"]["status"], 400) << what << ": " << done.dump();
        EXPECT_EQ(feature_count(server.db(), "buildings"), 1450) << what;
    }
    EXPECT_FALSE(fs::exists("/tmp/evil.shp"));
    EXPECT_TRUE(server.leftovers().empty());
}

TEST(Imports, OneImportPerLayerAtATimeAndReadersSeeNoError) {
    ImportServer server;
    gridmap::test::TempDir dir;
    const std::string zip = zipped_survey_buildings(dir.path());
    // Readers of the layer, all the while.
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0}, errors{0};
    std::thread reader([&] {
        auto c = server.client();
        while (!stop) {
            auto r = c.Get("/collections/buildings/items?limit=5", server.auth("planner"));
            if (!r || r->status != 200) ++errors;
            ++reads;
        }
    });
    // A walking-circles analysis holds the job thread, so both imports wait behind it.
    auto analysis = server.client().Post("/analysis/circles", server.auth("planner"), R"({"mode": "walking"})", "application/json");
    ASSERT_TRUE(analysis);
    auto first = server.client().Post("/imports?layer=buildings", server.auth("admin"), zip, "application/zip");
    auto second = server.client().Post("/imports?layer=buildings&mode=append", server.auth("admin"), zip, "application/zip");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->status, 202) << first->body;
    EXPECT_EQ(second->status, 409) << second->body;
    const json done = server.wait(first->get_header_value("Location"));
    EXPECT_EQ(done["status"], "succeeded") << done.dump();
    stop = true;
    reader.join();
    EXPECT_GT(reads.load(), 5);
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(feature_count(server.db(), "buildings"), 1450);
    EXPECT_TRUE(server.leftovers().empty());
}

// A GeoJSON of `n` small squares: big enough that importing it takes a while.
std::string many_squares(int n) {
    std::string out = R"({"type":"FeatureCollection","features":[)";
    char buf[400];
    for (int i = 0; i < n; ++i) {
        const double x = 121.48 + (i % 300) * 0.0001, y = 31.22 + (i / 300) * 0.0001;
        std::snprintf(buf, sizeof buf,
                      R"(%s{"type":"Feature","properties":{"name":"楼%d","floors":%d},"geometry":{"type":"Polygon","coordinates":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}})",
                      i ? "," : "", i, 1 + i % 30, x, y, x + 0.00005, y, x + 0.00005, y + 0.00005, x, y + 0.00005, x, y);
        out += buf;
    }
    return out + "]}";
}

TEST(Imports, AKillDuringAnUploadedImportLosesNothingAndTheJobSaysItFailed) {
    gridmap::test::TempDir uploads;
    const gridmap::test::ServerProcess::Settings settings{{"upload_dir", "\"" + uploads.path().string() + "\""}};
    auto first = std::make_unique<gridmap::test::ServerProcess>(settings);
    const std::int64_t before = feature_count(first->db(), "buildings");
    ASSERT_GT(before, 1000);
    const std::string body = many_squares(60000);
    httplib::Client client("127.0.0.1", first->port());
    client.set_read_timeout(60, 0);
    auto res = client.Post("/imports?layer=buildings&mode=replace", body, "application/geo+json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 202) << res->body;
    const std::string id = json::parse(res->body)["id"];
    // Killed once it is writing features.
    bool running = false;
    for (int i = 0; i < 600 && !running; ++i) {
        const auto s = client.Get("/jobs/" + id);
        ASSERT_TRUE(s && s->status == 200);
        const json j = json::parse(s->body);
        ASSERT_NE(j["status"], "succeeded") << "the import finished before it could be killed";
        running = j["status"] == "running" && j["progress"].get<double>() > 0.05;
        if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(running);
    first->kill9();
    EXPECT_FALSE(fs::is_empty(uploads.path())) << "the upload was already gone before the kill";

    gridmap::test::ServerProcess second(settings, first->db());
    const auto check = gridmap::test::run({gridmap::test::gridmap_binary().string(), "check", "--db", second.db()});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(feature_count(second.db(), "buildings"), before);
    httplib::Client again("127.0.0.1", second.port());
    const auto s = again.Get("/jobs/" + id);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->status, 200) << s->body;
    const json j = json::parse(s->body);
    EXPECT_EQ(j["status"], "failed") << j.dump();
    EXPECT_NE(j["error"]["detail"].get<std::string>().find("stopped"), std::string::npos) << j.dump();
    // The restarted server cleared what the killed one left in the upload folder.
    EXPECT_TRUE(fs::is_empty(uploads.path()));
    EXPECT_EQ(second.terminate(), 0);
}

}  // namespace

