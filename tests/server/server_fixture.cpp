#include "server/server_fixture.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include <cairo.h>

#include "geo/import/import.hpp"

namespace gridmap::test {

ServerThread::ServerThread(const gridmap::http::ServerConfig& config) {
    m_server = std::make_unique<gridmap::http::Server>(config);
    m_port = m_server->bind();
    m_thread = std::thread([this] { m_server->run(); });
    // Ready when it answers.
    for (int i = 0; i < 200; ++i) {
        auto res = client().Get("/health");
        if (res && res->status == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_server->stop();
    m_thread.join();
    throw std::runtime_error("the test server did not start");
}

ServerThread::~ServerThread() {
    m_server->stop();
    if (m_thread.joinable()) m_thread.join();
}

httplib::Client ServerThread::client() const {
    httplib::Client c("127.0.0.1", m_port);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(20, 0);
    return c;
}

DemoServer::DemoServer() {
    import_demo(db());
    gridmap::http::ServerConfig config;
    config.db = db();
    config.port = 0;
    config.threads = 4;
    config.access_log = false;
    config.open = true;  // tests/access checks tokens and scopes
    config.max_body_bytes = 64 * 1024;
    config.items_max_limit = 1000;
    config.read_timeout_s = 1;
    config.keep_alive_max_count = 3;
    config.style = (std::filesystem::path(GRIDMAP_SOURCE_DIR) / "styles/gridmap.json").string();
    m_running = std::make_unique<ServerThread>(config);
}

DemoServer& demo_server() {
    static DemoServer server;
    return server;
}

Png decode_png(const std::string& bytes) {
    struct Reader {
        const std::string* data;
        std::size_t pos;
    } reader{&bytes, 0};
    cairo_surface_t* surface = cairo_image_surface_create_from_png_stream(
        [](void* closure, unsigned char* out, unsigned int length) {
            auto* r = static_cast<Reader*>(closure);
            if (r->pos + length > r->data->size()) return CAIRO_STATUS_READ_ERROR;
            std::memcpy(out, r->data->data() + r->pos, length);
            r->pos += length;
            return CAIRO_STATUS_SUCCESS;
        },
        &reader);
    Png png;
    if (cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS) {
        png.width = cairo_image_surface_get_width(surface);
        png.height = cairo_image_surface_get_height(surface);
        const int stride = cairo_image_surface_get_stride(surface);
        const unsigned char* data = cairo_image_surface_get_data(surface);
        std::uint32_t background = 0;
        std::memcpy(&background, data, 4);  // a corner: the map background
        for (int y = 0; y < png.height; ++y) {
            for (int x = 0; x < png.width; ++x) {
                std::uint32_t px = 0;
                std::memcpy(&px, data + y * stride + x * 4, 4);
                if (px != background && (px >> 24) != 0) ++png.drawn;
            }
        }
    }
    cairo_surface_destroy(surface);
    return png;
}

}  // namespace gridmap::test
