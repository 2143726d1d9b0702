#include "http/params.hpp"

#include <cmath>
#include <sstream>

#include "geo/error.hpp"
#include "geo/text/encoding.hpp"

namespace gridmap::http {

using geo::io::OutputCrs;

namespace {

const char* k_crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

}  // namespace

double parse_double(const std::string& name, const std::string& text) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(v)) {
        throw geo::Error(geo::Errc::invalid_argument,
                         name + ": \"" + geo::text::printable(text) + "\" is not a number");
    }
    return v;
}

std::int64_t parse_int(const std::string& name, const std::string& text, std::int64_t min, std::int64_t max) {
    std::size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || v < min || v > max) {
        throw geo::Error(geo::Errc::invalid_argument, name + " must be a whole number from " +
                                                          std::to_string(min) + " to " +
                                                          std::to_string(max) + ", not \"" +
                                                          geo::text::printable(text) + "\"");
    }
    return v;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

OutputCrs parse_crs(const std::string& name, const std::string& text) {
    if (text == k_crs84 || text == "CRS84" || text == "OGC:CRS84") return OutputCrs::crs84;
    for (const auto& [code, crs] : {std::pair{"4326", OutputCrs::epsg4326}, std::pair{"4490", OutputCrs::epsg4490},
                                    std::pair{"3857", OutputCrs::epsg3857}}) {
        if (text == std::string("http://www.opengis.net/def/crs/EPSG/0/") + code ||
            text == std::string("EPSG:") + code) {
            return crs;
        }
    }
    throw geo::Error(geo::Errc::invalid_argument,
                     name + ": unsupported CRS \"" + geo::text::printable(text) + "\"; use one of " + k_crs84 +
                         ", http://www.opengis.net/def/crs/EPSG/0/4326, …/4490 or …/3857");
}

std::string crs_uri(OutputCrs crs) {
    switch (crs) {
        case OutputCrs::crs84: return k_crs84;
        case OutputCrs::epsg4326: return "http://www.opengis.net/def/crs/EPSG/0/4326";
        case OutputCrs::epsg4490: return "http://www.opengis.net/def/crs/EPSG/0/4490";
        case OutputCrs::epsg3857: return "http://www.opengis.net/def/crs/EPSG/0/3857";
    }
    return k_crs84;
}

std::vector<std::string> supported_crs_uris() {
    return {crs_uri(OutputCrs::crs84), crs_uri(OutputCrs::epsg4326), crs_uri(OutputCrs::epsg4490),
            crs_uri(OutputCrs::epsg3857)};
}

geo::BBox parse_bbox(const std::string& text, OutputCrs crs) {
    const auto parts = split_list(text);
    if (parts.size() != 4) {
        throw geo::Error(geo::Errc::invalid_argument,
                         "bbox needs four numbers separated by commas: minx,miny,maxx,maxy");
    }
    double v[4];
    for (int i = 0; i < 4; ++i) v[i] = parse_double("bbox", parts[static_cast<std::size_t>(i)]);
    geo::BBox b;
    if (crs == OutputCrs::epsg4326 || crs == OutputCrs::epsg4490) {
        b = {v[1], v[0], v[3], v[2]};  // lat,lon order in, lon/lat out
    } else if (crs == OutputCrs::epsg3857) {
        geo::io::mercator_to_lonlat(v[0], v[1], b.minx, b.miny);
        geo::io::mercator_to_lonlat(v[2], v[3], b.maxx, b.maxy);
    } else {
        b = {v[0], v[1], v[2], v[3]};
    }
    if (!(b.minx <= b.maxx && b.miny <= b.maxy)) {
        throw geo::Error(geo::Errc::invalid_argument, "bbox: the minimum must not exceed the maximum");
    }
    if (b.minx < -180 || b.maxx > 180 || b.miny < -90 || b.maxy > 90) {
        throw geo::Error(geo::Errc::invalid_argument,
                         "bbox: longitudes must lie in -180..180 and latitudes in -90..90");
    }
    return b;
}

}  // namespace gridmap::http
