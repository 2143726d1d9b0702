#include "geo/io/export.hpp"

#include <algorithm>
#include <cmath>

#include <ogr_geometry.h>

#include "capi/gdal.hpp"
#include "geo/error.hpp"
#include "geo/io/csv.hpp"

namespace geo::io {

namespace {

std::unique_ptr<OGRGeometry> from_wkb(const std::vector<unsigned char>& wkb) {
    OGRGeometry* g = nullptr;
    if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE) {
        return nullptr;
    }
    return std::unique_ptr<OGRGeometry>(g);
}

LayerInfo require_layer(store::Store& store, const std::string& layer) {
    auto info = store.layer(layer);
    if (!info) throw Error(Errc::not_found, "no layer named \"" + layer + "\"");
    return *info;
}

}  // namespace

void write_geojson(store::Store& store, const std::string& layer, const store::FeatureQuery& query,
                   std::ostream& out) {
    const LayerInfo info = require_layer(store, layer);
    out << R"({"type":"FeatureCollection","name":)" << nlohmann::json(info.name).dump()
        << R"(,"features":[)";
    bool first = true;
    std::string text;
    store.read_features(layer, query, [&](const Feature& f) {
        text.clear();
        append_feature_geojson(text, info, f, OutputCrs::crs84);
        out << (first ? "\n" : ",\n") << text;
        first = false;
        return true;
    });
    out << "\n]}\n";
}

void write_csv(store::Store& store, const std::string& layer, const store::FeatureQuery& query,
               std::ostream& out) {
    const LayerInfo info = require_layer(store, layer);
    CsvWriter csv(out);
    csv.cell("fid");
    for (const auto& f : info.fields) csv.cell(f.name);
    csv.cell("wkt").end_row();
    std::string wkt;
    store.read_features(layer, query, [&](const Feature& f) {
        csv.cell(f.fid);
        for (const auto& v : f.values) csv.cell(v);
        wkt.clear();
        if (auto g = from_wkb(f.wkb)) {
            char* text = nullptr;
            if (g->exportToWkt(&text, wkbVariantIso) == OGRERR_NONE && text) wkt = text;
            CPLFree(text);
        }
        csv.cell(wkt).end_row();
        return true;
    });
}

namespace {

constexpr double k_earth_radius_m = 6378137.0;

}  // namespace

void mercator_to_lonlat(double x, double y, double& lon, double& lat) noexcept {
    lon = x / k_earth_radius_m * 180.0 / M_PI;
    lat = (2.0 * std::atan(std::exp(y / k_earth_radius_m)) - M_PI / 2.0) * 180.0 / M_PI;
}

nlohmann::ordered_json feature_json(const LayerInfo& layer, const Feature& feature, OutputCrs crs,
                                    const std::vector<std::string>& properties) {
    std::string text;
    append_feature_geojson(text, layer, feature, crs, properties);
    return nlohmann::ordered_json::parse(text);
}

nlohmann::json layer_json(const LayerInfo& info) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : info.fields) {
        nlohmann::json field = {{"name", f.name}, {"type", to_string(f.type)}};
        if (!f.source_name.empty()) field["source"] = f.source_name;
        fields.push_back(field);
    }
    nlohmann::json extent = nullptr;
    if (!info.extent.empty()) {
        extent = {info.extent.minx, info.extent.miny, info.extent.maxx, info.extent.maxy};
    }
    return {{"name", info.name},
            {"title", info.title},
            {"geometry_type", info.geometry_type},
            {"feature_count", info.feature_count},
            {"extent", extent},
            {"source_file", info.source_file},
            {"source_crs", info.source_crs},
            {"encoding", info.encoding},
            {"imported_at", info.imported_at},
            {"fields", fields}};
}

}  // namespace geo::io
