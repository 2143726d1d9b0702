#include "server/server_fixture.hpp"

#include <chrono>
#include <filesystem>

#include "geo/import/import.hpp"

namespace gridmap::test {

DemoServer::DemoServer() {
    {
        auto store = geo::store::open_store(db(), true);
        for (const char* layer : {"grid_cells", "buildings", "stations", "roads"}) {
            geo::import::ImportOptions options;
            options.path = (std::filesystem::path(GRIDMAP_SOURCE_DIR) / "data/demo" / (std::string(layer) + ".geojson")).string();
            options.layer = layer;
            geo::import::import_file(*store, options);
        }
    }
    gridmap::http::ServerConfig config;
    config.db = db();
    config.port = 0;
    config.threads = 4;
    config.access_log = false;
    config.max_body_bytes = 64 * 1024;
    config.items_max_limit = 1000;
    config.read_timeout_s = 1;
    config.keep_alive_max_count = 3;
    config.style = (std::filesystem::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json").string();
    m_server = std::make_unique<gridmap::http::Server>(config);
    m_port = m_server->bind();
    m_thread = std::thread([this] { m_server->run(); });
    // Ready when it answers.
    for (int i = 0; i < 200; ++i) {
        auto res = client().Get("/health");
        if (res && res->status == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("the test server did not start");
}

DemoServer::~DemoServer() {
    m_server->stop();
    if (m_thread.joinable()) m_thread.join();
}

httplib::Client DemoServer::client() const {
    httplib::Client c("127.0.0.1", m_port);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(10, 0);
    return c;
}

DemoServer& demo_server() {
    static DemoServer server;
    return server;
}

}  // namespace gridmap::test
