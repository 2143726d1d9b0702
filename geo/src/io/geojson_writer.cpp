// GeoJSON text straight from WKB: the items route writes thousands of features per answer, and
// going through OGR and JSON objects per feature cost five times the database read.
#include <charconv>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "geo/io/export.hpp"

namespace geo::io {

namespace {

constexpr double k_earth_radius_m = 6378137.0;

class WkbToJson {
public:
    WkbToJson(const std::vector<unsigned char>& wkb, OutputCrs crs, std::string& out)
        : m_p(wkb.data()), m_end(wkb.data() + wkb.size()), m_crs(crs), m_out(out) {}

    /// Appends the geometry; false (with `out` restored) when the WKB is malformed.
    bool write() {
        const std::size_t mark = m_out.size();
        if (!geometry(0) || m_p != m_end) {
            m_out.resize(mark);
            return false;
        }
        return true;
    }

private:
    bool byte_order() {
        if (m_end - m_p < 1) return false;
        m_little = *m_p++ == 1;
        return true;
    }
    bool u32(std::uint32_t& v) {
        if (m_end - m_p < 4) return false;
        unsigned char b[4];
        std::memcpy(b, m_p, 4);
        m_p += 4;
        v = m_little ? (b[0] | b[1] << 8 | b[2] << 16 | static_cast<std::uint32_t>(b[3]) << 24)
                     : (b[3] | b[2] << 8 | b[1] << 16 | static_cast<std::uint32_t>(b[0]) << 24);
        return true;
    }
    bool f64(double& v) {
        if (m_end - m_p < 8) return false;
        unsigned char b[8];
        std::memcpy(b, m_p, 8);
        m_p += 8;
        std::uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u |= static_cast<std::uint64_t>(b[m_little ? i : 7 - i]) << (8 * i);
        std::memcpy(&v, &u, 8);
        return true;
    }
    void number(double v, int precision) {
        char buf[48];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, precision);
        if (ec != std::errc()) {
            m_out += "0";
            return;
        }
        // Trailing zeros say nothing: 121.5000000 → 121.5.
        char* last = end;
        if (std::memchr(buf, '.', static_cast<std::size_t>(end - buf))) {
            while (last > buf && last[-1] == '0') --last;
            if (last > buf && last[-1] == '.') --last;
        }
        m_out.append(buf, last);
    }
    bool position() {
        double x = 0;
        double y = 0;
        if (!f64(x) || !f64(y) || !std::isfinite(x) || !std::isfinite(y)) return false;
        int precision = 7;
        switch (m_crs) {
            case OutputCrs::crs84: break;
            case OutputCrs::epsg4326:
            case OutputCrs::epsg4490: std::swap(x, y); break;
            case OutputCrs::epsg3857: {
                const double lat = std::clamp(y, -85.0511287798, 85.0511287798);
                x = k_earth_radius_m * x * M_PI / 180.0;
                y = k_earth_radius_m * std::log(std::tan(M_PI / 4.0 + lat * M_PI / 360.0));
                precision = 2;
                break;
            }
        }
        m_out += '[';
        number(x, precision);
        m_out += ',';
        number(y, precision);
        m_out += ']';
        return true;
    }
    bool count(std::uint32_t& n, std::size_t min_bytes_each) {
        if (!u32(n)) return false;
        return static_cast<std::size_t>(m_end - m_p) >= static_cast<std::size_t>(n) * min_bytes_each;
    }
    bool points() {
        std::uint32_t n = 0;
        if (!count(n, 16)) return false;
        m_out += '[';
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i) m_out += ',';
            if (!position()) return false;
        }
        m_out += ']';
        return true;
    }
    bool rings() {
        std::uint32_t n = 0;
        if (!count(n, 4)) return false;
        m_out += '[';
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i) m_out += ',';
            if (!points()) return false;
        }
        m_out += ']';
        return true;
    }
    // The coordinates of the parts of a multi-geometry, each a WKB geometry of `part_type`.
    bool parts(std::uint32_t part_type) {
        std::uint32_t n = 0;
        if (!count(n, 9)) return false;
        m_out += '[';
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i) m_out += ',';
            std::uint32_t type = 0;
            if (!byte_order() || !u32(type) || type != part_type) return false;
            const bool ok = type == 1 ? position() : type == 2 ? points() : rings();
            if (!ok) return false;
        }
        m_out += ']';
        return true;
    }
    bool geometry(int depth) {
        std::uint32_t type = 0;
        if (depth > 4 || !byte_order() || !u32(type)) return false;
        static const char* names[] = {"", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                                      "MultiPolygon", "GeometryCollection"};
        if (type < 1 || type > 7) return false;
        m_out += "{\"type\":\"";
        m_out += names[type];
        m_out += type == 7 ? "\",\"geometries\":" : "\",\"coordinates\":";
        bool ok = false;
        switch (type) {
            case 1: ok = position(); break;
            case 2: ok = points(); break;
            case 3: ok = rings(); break;
            case 4: ok = parts(1); break;
            case 5: ok = parts(2); break;
            case 6: ok = parts(3); break;
            case 7: {
                std::uint32_t n = 0;
                ok = count(n, 5);
                m_out += '[';
                for (std::uint32_t i = 0; ok && i < n; ++i) {
                    if (i) m_out += ',';
                    ok = geometry(depth + 1);
                }
                m_out += ']';
                break;
            }
        }
        m_out += '}';
        return ok;
    }

    const unsigned char* m_p;
    const unsigned char* m_end;
    OutputCrs m_crs;
    std::string& m_out;
    bool m_little = true;
};

void append_value(std::string& out, const Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                out += "null";
            } else {
                out += nlohmann::json(x).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            }
        },
        v);
}

}  // namespace

void append_feature_geojson(std::string& out, const LayerInfo& layer, const Feature& feature, OutputCrs crs,
                            const std::vector<std::string>& properties) {
    out += "{\"type\":\"Feature\",\"id\":";
    out += std::to_string(feature.fid);
    out += ",\"properties\":{";
    bool first = true;
    for (std::size_t i = 0; i < layer.fields.size() && i < feature.values.size(); ++i) {
        const auto& name = layer.fields[i].name;
        if (!properties.empty() && std::find(properties.begin(), properties.end(), name) == properties.end()) {
            continue;
        }
        if (!first) out += ',';
        first = false;
        out += nlohmann::json(name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out += ':';
        append_value(out, feature.values[i]);
    }
    out += "},\"geometry\":";
    if (!WkbToJson(feature.wkb, crs, out).write()) out += "null";
    out += '}';
}

}  // namespace geo::io
