#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geo/store/store.hpp"

namespace geo::import {

/// What to import and how.
struct ImportOptions {
    std::string path;   ///< .shp, .zip/.tar/.tar.gz holding one, .gpkg, .geojson/.json
    std::string layer;  ///< target layer name
    store::WriteMode mode = store::WriteMode::replace;
    std::optional<std::string> srs;       ///< overrides (or stands in for) the .prj
    std::optional<std::string> encoding;  ///< overrides .cpg, code page and detection
    std::optional<std::string> source_layer;  ///< which layer or archive member to read
    /// target field → source field: a core column (`name=名称`) or a rename for other fields.
    std::map<std::string, std::string> field_map;
    std::string title;  ///< catalog title; defaults to the core layer's Chinese title
};

/// How one source field was stored.
struct FieldMapping {
    std::string source;  ///< decoded source name ("" for a core column with no source)
    std::string target;  ///< column name in the layer
    std::string how;     ///< "core (automatic)", "core (--map)", "kept", "renamed: …"
};

/// What an import did, for the person who ran it.
struct ImportReport {
    std::string source;  ///< the path given
    std::string layer;
    std::string mode;
    std::string driver;  ///< GDAL driver that read the file
    std::string geometry_type;
    std::string encoding;         ///< canonical name, e.g. GB18030
    std::string encoding_source;  ///< "--encoding", ".cpg", "DBF code page 0x4D", "detected", "guessed", "UTF-8 by format"
    std::string crs;              ///< e.g. "EPSG:4528"
    std::string crs_name;
    std::string crs_source;       ///< ".prj", "--srs", "format"
    std::int64_t features_read = 0;
    std::int64_t imported = 0;
    std::int64_t repaired = 0;  ///< invalid polygons made valid with GEOS MakeValid
    std::int64_t skipped = 0;
    std::map<std::string, std::int64_t> skipped_by_reason;
    std::vector<std::string> skipped_examples;  ///< "feature 17: empty geometry", the first few
    std::int64_t values_not_numbers = 0;  ///< text in a numeric core column, stored as NULL
    std::vector<FieldMapping> fields;
    std::vector<std::string> warnings;
    std::int64_t layer_feature_count = 0;  ///< the layer's size after the import
    double seconds = 0;
};

nlohmann::json to_json(const ImportReport& report);

/// Called now and then with features read so far and the total (0 when unknown).
using Progress = std::function<void(std::int64_t done, std::int64_t total)>;

/// Reads a vector file, repairs what can be repaired, reprojects to EPSG:4326 and writes
/// the layer in one transaction: on any error nothing changes. Throws geo::Error with a
/// message for the user: invalid_argument for a bad or unreadable file, a missing CRS (with
/// a guess when one is plain) or an undecodable encoding; unsupported for formats Gridmap
/// does not read; conflict when another writer holds the store.
ImportReport import_file(store::Store& store, const ImportOptions& options,
                         const Progress& progress = {});

}  // namespace geo::import
