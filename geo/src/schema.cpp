#include "geo/schema.hpp"

#include <array>

namespace geo::schema {

namespace {

// Aliases cover the names seen in Chinese survey deliveries (full and cut at the DBF's
// 10-byte limit), their pinyin initials, and common English names.
const std::vector<CoreLayer>& layers() {
    static const std::vector<CoreLayer> all = {
        {"buildings",
         "楼栋",
         "polygon",
         {
             {"name", FieldType::text, {"name", "名称", "名字", "建筑名称", "楼栋名称", "楼栋名", "bldg_name", "mc", "jzmc"}, false, "building name"},
             {"address", FieldType::text, {"address", "addr", "地址", "门牌地址", "门牌号", "dz", "addr_full"}, false, "address"},
             {"floors", FieldType::integer, {"floors", "层数", "楼层", "楼层数", "地上层数", "建筑层数", "levels", "building_levels", "building:levels", "cs"}, false, "floors above ground"},
             {"households", FieldType::integer, {"households", "户数", "住户数", "总户数", "hs", "hushu"}, false, "households"},
             {"population", FieldType::integer, {"population", "人口", "人口数", "人数", "常住人口", "rk", "pop"}, false, "residents"},
             {"use", FieldType::text, {"use", "用途", "建筑用途", "类型", "类别", "type", "kind", "building", "yt"}, false, "use or type"},
             {"grid_code", FieldType::text, {}, true, "code of the grid cell holding the building's point on surface"},
             {"pos_lon", FieldType::real, {}, true, "longitude of the building's point on surface"},
             {"pos_lat", FieldType::real, {}, true, "latitude of the building's point on surface"},
         }},
        {"grid_cells",
         "网格",
         "polygon",
         {
             {"code", FieldType::text, {"code", "网格编码", "网格编号", "网格代码", "编码", "编号", "grid_code", "wgbm", "wgbh"}, false, "hierarchical code street-community-grid"},
             {"name", FieldType::text, {"name", "网格名称", "名称", "wgmc", "mc"}, false, "grid name"},
             {"community", FieldType::text, {"community", "社区", "所属社区", "社区名称", "居委会", "sq", "sqmc"}, false, "community (社区居委会)"},
             {"street", FieldType::text, {"street", "街道", "所属街道", "街道名称", "乡镇街道", "jd", "jdmc"}, false, "street (街道)"},
             {"worker", FieldType::text, {"worker", "网格员", "责任人", "负责人", "wgy"}, false, "grid worker"},
             // Recomputed from the buildings whenever both layers exist; read from the file
             // only until then.
             {"households", FieldType::integer, {"households", "户数", "总户数", "住户数", "hs"}, false, "households of the buildings in the cell"},
             {"population", FieldType::integer, {"population", "人口", "人口数", "总人口", "常住人口", "rk"}, false, "population of the buildings in the cell"},
         }},
        {"stations",
         "服务站",
         "point",
         {
             {"name", FieldType::text, {"name", "名称", "站点名称", "机构名称", "设施名称", "mc"}, false, "station name"},
             {"type", FieldType::text, {"type", "类型", "类别", "设施类型", "kind", "lx"}, false, "facility type"},
             {"floor_area_m2", FieldType::real, {"floor_area_m2", "floor_area", "面积", "建筑面积", "使用面积", "用房面积", "area", "mj"}, false, "floor area in m²"},
         }},
        {"roads",
         "道路",
         "line",
         {
             {"name", FieldType::text, {"name", "名称", "道路名称", "路名", "mc"}, false, "road name"},
             {"type", FieldType::text, {"type", "kind", "类型", "道路等级", "等级", "highway", "dj"}, false, "road class"},
         }},
        {"service_circles",
         "服务圈",
         "polygon",
         {
             {"station_fid", FieldType::integer, {"station_fid"}, false, "fid of the station"},
             {"station_name", FieldType::text, {"station_name"}, false, "name of the station"},
             {"station_type", FieldType::text, {"station_type"}, false, "type of the station"},
             {"minutes", FieldType::real, {"minutes"}, false, "walking minutes"},
             {"mode", FieldType::text, {"mode"}, false, "euclidean or walking"},
             {"speed_m_per_min", FieldType::real, {"speed_m_per_min"}, false, "walking speed, metres a minute"},
             {"radius_m", FieldType::real, {"radius_m"}, false, "minutes × speed, metres"},
             {"snap_m", FieldType::real, {"snap_m"}, false, "walking: station to its nearest road, metres"},
             {"area_m2", FieldType::real, {"area_m2"}, false, "area of the circle, m²"},
             {"note", FieldType::text, {"note"}, false, "why a walking circle fell back to euclidean"},
         }},
    };
    return all;
}

constexpr std::array<std::string_view, 12> k_reserved_prefixes = {
    "gridmap_", "idx_",       "sqlite_",  "spatial", "geometry_", "views_",
    "virts_",   "sql_stat",   "spatialite", "elementarygeometries", "knn", "data_licenses"};

}  // namespace

std::span<const CoreLayer> core_layers() { return layers(); }

const CoreLayer* core_layer(std::string_view name) {
    for (const auto& l : layers()) {
        if (l.name == name) return &l;
    }
    return nullptr;
}

bool is_valid_layer_name(std::string_view name) {
    if (name.empty() || name.size() > 63) return false;
    if (name[0] < 'a' || name[0] > 'z') return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    for (auto prefix : k_reserved_prefixes) {
        if (name.starts_with(prefix)) return false;
    }
    return true;
}

}  // namespace geo::schema
