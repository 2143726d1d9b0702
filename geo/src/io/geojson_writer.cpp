// GeoJSON text straight from WKB: the items route writes thousands of features per answer, and
// going through OGR and JSON objects per feature cost five times the database read.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <variant>

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
    // v with at most `precision` decimals, trailing zeros dropped (121.5000000 → 121.5). Whole
    // numbers of units of the last decimal are printed as integers: several times faster than
    // std::to_chars in fixed format, which dominated a page of polygons.
    void number(double v, int precision) {
        static constexpr std::int64_t k_pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
        char buf[48];
        const double scaled = precision >= 0 && precision <= 8 ? std::round(v * static_cast<double>(k_pow10[precision])) : 0;
        if (precision < 0 || precision > 8 || !(std::fabs(scaled) < 1e15)) {
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, precision);
            if (ec != std::errc()) {
                m_out += "0";
                return;
            }
            char* last = end;
            if (std::memchr(buf, '.', static_cast<std::size_t>(end - buf))) {
                while (last > buf && last[-1] == '0') --last;
                if (last > buf && last[-1] == '.') --last;
            }
            m_out.append(buf, last);
            return;
        }
        std::int64_t units = static_cast<std::int64_t>(scaled);
        if (units < 0) {
            m_out += '-';
            units = -units;
        }
        const std::int64_t unit = k_pow10[precision];
        m_out.append(buf, std::to_chars(buf, buf + sizeof buf, units / unit).ptr);
        std::int64_t fraction = units % unit;
        if (fraction == 0) return;
        int digits = precision;
        while (fraction % 10 == 0) {
            fraction /= 10;
            --digits;
        }
        // The fraction's digits, with the leading zeros its place needs: 0.0500 → ".05".
        char* end = buf + digits;
        for (char* p = end; p > buf;) {
            *--p = static_cast<char>('0' + fraction % 10);
            fraction /= 10;
        }
        m_out += '.';
        m_out.append(buf, end);
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

// The length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07u;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (cc & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

// A JSON string: quotes, backslashes and control characters escaped; bytes that are not UTF-8
// (the store holds decoded text, so this is a safety net) become U+FFFD.
void append_string(std::string& out, std::string_view s) {
    static constexpr char k_hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence(s, i);
            if (n == 0) {
                out += "\ufffd";
                ++i;
            } else {
                out.append(s, i, n);
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += k_hex[c >> 4];
                    out += k_hex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

void append_value(std::string& out, const Value& v) {
    char buf[32];
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        out.append(buf, std::to_chars(buf, buf + sizeof buf, *i).ptr);
    } else if (const auto* d = std::get_if<double>(&v)) {
        // Shortest text that reads back as the same double; JSON has no NaN or infinity.
        if (std::isfinite(*d)) {
            out.append(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr);
        } else {
            out += "null";
        }
    } else if (const auto* t = std::get_if<std::string>(&v)) {
        append_string(out, *t);
    } else {
        out += "null";
    }
}

}  // namespace

void append_feature_geojson(std::string& out, const LayerInfo& layer, const Feature& feature, OutputCrs crs,
                            const std::vector<std::string>& properties) {
    out += "{\"type\":\"Feature\",\"id\":";
    out += std::to_string(feature.fid);
    out += ",\"properties\":{";
    bool first = true;
    for (std::size_t i = 0; i < layer.fields.size() && i < feature.values.size(); ++i) {
        // A property the caller may not see is left out, not written as null.
        if (feature.is_withheld(i)) continue;
        const auto& name = layer.fields[i].name;
        if (!properties.empty() && std::find(properties.begin(), properties.end(), name) == properties.end()) {
            continue;
        }
        if (!first) out += ',';
        first = false;
        append_string(out, name);
        out += ':';
        append_value(out, feature.values[i]);
    }
    out += "},\"geometry\":";
    if (!WkbToJson(feature.wkb, crs, out).write()) out += "null";
    out += '}';
}

}  // namespace geo::io
