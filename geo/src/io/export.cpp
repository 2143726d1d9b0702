#include "geo/io/export.hpp"

#include <algorithm>
#include <cmath>

#include <ogr_api.h>
#include <ogr_geometry.h>

#include "capi/gdal.hpp"
#include "geo/error.hpp"

namespace geo::io {

namespace {

std::unique_ptr<OGRGeometry> from_wkb(const std::vector<unsigned char>& wkb) {
    OGRGeometry* g = nullptr;
    if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE) {
        return nullptr;
    }
    return std::unique_ptr<OGRGeometry>(g);
}

nlohmann::json value_json(const Value& v) {
    return std::visit(
        [](const auto& x) -> nlohmann::json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return nullptr;
            } else {
                return x;
            }
        },
        v);
}

std::string csv_escape(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string value_text(const Value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return "";
            } else if constexpr (std::is_same_v<T, std::string>) {
                return x;
            } else if constexpr (std::is_same_v<T, double>) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.15g", x);
                return buf;
            } else {
                return std::to_string(x);
            }
        },
        v);
}

LayerInfo require_layer(store::Store& store, const std::string& layer) {
    auto info = store.layer(layer);
    if (!info) throw Error(Errc::not_found, "no layer named \"" + layer + "\"");
    return *info;
}

}  // namespace

nlohmann::json wkb_to_geojson(const std::vector<unsigned char>& wkb) {
    auto g = from_wkb(wkb);
    if (!g) return nullptr;
    const char* options[] = {"COORDINATE_PRECISION=7", nullptr};
    char* text = OGR_G_ExportToJsonEx(OGRGeometry::ToHandle(g.get()), const_cast<char**>(options));
    if (!text) return nullptr;
    nlohmann::json out = nlohmann::json::parse(text, nullptr, false);
    CPLFree(text);
    return out.is_discarded() ? nlohmann::json(nullptr) : out;
}

void write_geojson(store::Store& store, const std::string& layer, const store::FeatureQuery& query,
                   std::ostream& out) {
    const LayerInfo info = require_layer(store, layer);
    out << R"({"type":"FeatureCollection","name":)" << nlohmann::json(info.name).dump()
        << R"(,"features":[)";
    bool first = true;
    store.read_features(layer, query, [&](const Feature& f) {
        nlohmann::ordered_json props = nlohmann::ordered_json::object();
        for (std::size_t i = 0; i < info.fields.size(); ++i) props[info.fields[i].name] = value_json(f.values[i]);
        nlohmann::ordered_json feature = {{"type", "Feature"}, {"id", f.fid}, {"properties", props},
                                          {"geometry", wkb_to_geojson(f.wkb)}};
        out << (first ? "\n" : ",\n") << feature.dump();
        first = false;
        return true;
    });
    out << "\n]}\n";
}

void write_csv(store::Store& store, const std::string& layer, const store::FeatureQuery& query,
               std::ostream& out) {
    const LayerInfo info = require_layer(store, layer);
    out << "fid";
    for (const auto& f : info.fields) out << ',' << csv_escape(f.name);
    out << ",wkt\r\n";
    store.read_features(layer, query, [&](const Feature& f) {
        out << f.fid;
        for (const auto& v : f.values) out << ',' << csv_escape(value_text(v));
        std::string wkt;
        if (auto g = from_wkb(f.wkb)) {
            char* text = nullptr;
            if (g->exportToWkt(&text, wkbVariantIso) == OGRERR_NONE && text) wkt = text;
            CPLFree(text);
        }
        out << ',' << csv_escape(wkt) << "\r\n";
        return true;
    });
}

namespace {

constexpr double k_earth_radius_m = 6378137.0;

// Projects every coordinate of an OGR geometry to Web Mercator in place.
struct ToMercator final : public OGRCoordinateTransformation {
    OGRSpatialReference* GetSourceCS() override { return nullptr; }
    OGRSpatialReference* GetTargetCS() override { return nullptr; }
    OGRCoordinateTransformation* Clone() const override { return new ToMercator(*this); }
    OGRCoordinateTransformation* GetInverse() const override { return nullptr; }
    int Transform(int n, double* x, double* y, double*, double*, int* ok) override {
        for (int i = 0; i < n; ++i) {
            const double lat = std::clamp(y[i], -85.0511287798, 85.0511287798);
            x[i] = k_earth_radius_m * x[i] * M_PI / 180.0;
            y[i] = k_earth_radius_m * std::log(std::tan(M_PI / 4.0 + lat * M_PI / 360.0));
            if (ok) ok[i] = TRUE;
        }
        return TRUE;
    }
};

nlohmann::json geometry_json(const std::vector<unsigned char>& wkb, OutputCrs crs) {
    auto g = from_wkb(wkb);
    if (!g) return nullptr;
    int precision = 7;
    if (crs == OutputCrs::epsg4326 || crs == OutputCrs::epsg4490) g->swapXY();
    if (crs == OutputCrs::epsg3857) {
        ToMercator to_mercator;
        g->transform(&to_mercator);
        precision = 2;
    }
    const std::string option = "COORDINATE_PRECISION=" + std::to_string(precision);
    const char* options[] = {option.c_str(), nullptr};
    char* text = OGR_G_ExportToJsonEx(OGRGeometry::ToHandle(g.get()), const_cast<char**>(options));
    if (!text) return nullptr;
    nlohmann::json out = nlohmann::json::parse(text, nullptr, false);
    CPLFree(text);
    return out.is_discarded() ? nlohmann::json(nullptr) : out;
}

}  // namespace

void mercator_to_lonlat(double x, double y, double& lon, double& lat) noexcept {
    lon = x / k_earth_radius_m * 180.0 / M_PI;
    lat = (2.0 * std::atan(std::exp(y / k_earth_radius_m)) - M_PI / 2.0) * 180.0 / M_PI;
}

nlohmann::ordered_json feature_json(const LayerInfo& layer, const Feature& feature, OutputCrs crs,
                                    const std::vector<std::string>& properties) {
    nlohmann::ordered_json props = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < layer.fields.size() && i < feature.values.size(); ++i) {
        const auto& name = layer.fields[i].name;
        if (!properties.empty() && std::find(properties.begin(), properties.end(), name) == properties.end()) {
            continue;
        }
        props[name] = value_json(feature.values[i]);
    }
    return {{"type", "Feature"}, {"id", feature.fid}, {"properties", props},
            {"geometry", geometry_json(feature.wkb, crs)}};
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
