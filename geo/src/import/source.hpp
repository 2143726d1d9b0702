#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capi/gdal.hpp"

namespace geo::import::detail {

/// An opened source layer and what is known about the file it came from.
struct Source {
    GDALDatasetUniquePtr dataset;
    OGRLayer* layer = nullptr;
    std::string driver;        ///< "ESRI Shapefile", "GPKG", "GeoJSON"
    std::string display_name;  ///< file name (or archive!member) for reports and the catalog
    std::string vsi_path;      ///< what GDAL opened
    std::optional<std::string> dbf_path;  ///< the .dbf of a shapefile (a VSI path)
    std::optional<std::string> cpg_path;  ///< the .cpg of a shapefile, when present
    std::optional<std::string> prj_path;  ///< the .prj of a shapefile, when present
    /// Records a shapefile's headers announce (checked against its files before GDAL opened
    /// them), and how many of those its DBF marks deleted; nullopt for other formats.
    std::optional<std::int64_t> announced;
    std::int64_t deleted = 0;
    std::vector<std::string> warnings;
    std::string vsimem_dir;  ///< in-memory copy made to rebuild a missing .shx; removed at close

    Source() = default;
    Source(Source&&) = default;
    Source& operator=(Source&&) = delete;
    Source(const Source&) = delete;
    ~Source();
};

/// Limits that keep an archive from exhausting memory or disk (zip bombs).
struct ArchiveLimits {
    std::uint64_t max_members = 10000;
    std::uint64_t max_total_bytes = 4ULL << 30;  ///< uncompressed
    double max_ratio = 200.0;                     ///< uncompressed / compressed
};

/// Opens `path` read-only: a .shp (its headers checked against its files first, see
/// check_shapefile; a missing .shx is rebuilt in memory, never beside the user's file), a
/// .zip/.tar/.tar.gz holding one dataset (read in place, never extracted), a .gpkg or a
/// .geojson/.json. `source_layer` picks an archive member or GeoPackage layer.
/// Shapefile attributes are read as raw bytes (decoding is the caller's job).
/// Throws geo::Error with a user-facing message.
Source open_source(const std::string& path, const std::optional<std::string>& source_layer,
                   const ArchiveLimits& limits = {});

/// Reads a whole small file through GDAL's virtual file system (at most `max_bytes`).
std::optional<std::string> read_vsi_file(const std::string& vsi_path, std::size_t max_bytes);

}  // namespace geo::import::detail
