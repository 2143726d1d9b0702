#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace geo::import::detail {

/// The parts of one shapefile, as paths GDAL's virtual file system can open (plain files,
/// /vsizip/…, /vsimem/…). `display` names the .shp for messages ("x.shp", "a.zip!x.shp").
struct ShapefileParts {
    std::string shp;
    std::optional<std::string> shx;
    std::optional<std::string> dbf;
    std::string display;
};

/// What a shapefile's headers announce, once they have been found to agree with the files.
struct ShapefileLayout {
    std::int64_t records = 0;  ///< shapes indexed by the .shx (the DBF, if any, has as many)
    std::int64_t deleted = 0;  ///< DBF records marked deleted, which GDAL leaves out
    std::vector<std::string> warnings;
};

/// Checks every size and count in the headers of a shapefile's .shp, .shx and .dbf against the
/// real files before GDAL reads them, so that a file that cannot be read whole is refused
/// instead of imported in part: the .shp and .shx lengths, each index entry (its record must
/// lie inside the .shp), the DBF header and record lengths against its fields and its size,
/// and the record counts of the .shx and the DBF against each other. Reads each file once,
/// with a bounded buffer, whatever the headers claim.
/// Throws geo::Error (invalid_argument) naming the file and what is wrong.
ShapefileLayout check_shapefile(const ShapefileParts& parts);

/// Writes an index (.shx) for `shp` to `shx_path` by walking the .shp's record headers, each of
/// which must fit inside the file: GDAL's own rebuild trusts the lengths it reads and can be
/// made to allocate without bound. Returns the number of records.
/// Throws geo::Error (invalid_argument) for a record that runs past the end of the file.
std::int64_t write_shx(const std::string& shp, const std::string& shx_path,
                       const std::string& display);

}  // namespace geo::import::detail
