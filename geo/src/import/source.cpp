#include "import/source.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <unistd.h>

#include "geo/error.hpp"
#include "import/shapefile.hpp"

namespace geo::import::detail {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

enum class Kind { shapefile, dbf_only, geopackage, geojson, zip, tar, unknown };

Kind kind_of(const std::string& name) {
    const std::string l = lower(name);
    if (ends_with(l, ".shp")) return Kind::shapefile;
    if (ends_with(l, ".dbf")) return Kind::dbf_only;
    if (ends_with(l, ".gpkg")) return Kind::geopackage;
    if (ends_with(l, ".geojson") || ends_with(l, ".json")) return Kind::geojson;
    if (ends_with(l, ".zip")) return Kind::zip;
    if (ends_with(l, ".tar") || ends_with(l, ".tar.gz") || ends_with(l, ".tgz")) return Kind::tar;
    return Kind::unknown;
}

bool vsi_exists(const std::string& path) {
    VSIStatBufL st;
    return VSIStatL(path.c_str(), &st) == 0;
}

/// The sibling of a shapefile component with another extension, in either case.
std::optional<std::string> sibling(const std::string& shp, const char* ext_lower) {
    const std::string stem = shp.substr(0, shp.size() - 4);
    std::string upper = ext_lower;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    for (const std::string& candidate : {stem + ext_lower, stem + upper}) {
        if (vsi_exists(candidate)) return candidate;
    }
    return std::nullopt;
}

std::string member_list(const std::vector<std::string>& members) {
    std::string out;
    for (const auto& m : members) out += (out.empty() ? "" : ", ") + m;
    return out;
}

/// Picks the one dataset inside an archive, checking the archive's size on the way.
std::string pick_member(const std::string& archive_path, const std::string& vsi_root,
                        const std::optional<std::string>& wanted, const ArchiveLimits& limits) {
    char** listing = VSIReadDirRecursive(vsi_root.c_str());
    std::vector<std::string> entries;
    for (char** p = listing; p && *p; ++p) entries.emplace_back(*p);
    CSLDestroy(listing);
    if (entries.size() > limits.max_members) {
        throw Error(Errc::invalid_argument, archive_path + " holds " + std::to_string(entries.size()) +
                                                " entries, more than the " +
                                                std::to_string(limits.max_members) + " allowed");
    }
    std::uint64_t total = 0;
    std::vector<std::string> candidates;
    for (const auto& e : entries) {
        VSIStatBufL st;
        if (VSIStatL((vsi_root + "/" + e).c_str(), &st) == 0 && !VSI_ISDIR(st.st_mode)) {
            total += static_cast<std::uint64_t>(st.st_size);
        }
        const std::string base = fs::path(e).filename().string();
        if (base.empty() || base[0] == '.' || e.find("__MACOSX") != std::string::npos) continue;
        const Kind k = kind_of(e);
        if (k == Kind::shapefile || k == Kind::geopackage || k == Kind::geojson) {
            candidates.push_back(e);
        }
    }
    std::error_code ec;
    const auto compressed = std::max<std::uintmax_t>(fs::file_size(archive_path, ec), 1);
    if (total > limits.max_total_bytes ||
        static_cast<double>(total) / static_cast<double>(compressed) > limits.max_ratio) {
        throw Error(Errc::invalid_argument,
                    archive_path + " expands to " + std::to_string(total) +
                        " bytes, far more than its size suggests; refusing it as a possible zip bomb");
    }
    if (wanted) {
        std::vector<std::string> matches;
        for (const auto& c : candidates) {
            const fs::path p(c);
            if (c == *wanted || p.filename() == *wanted || p.stem() == *wanted) matches.push_back(c);
        }
        candidates = matches;
        if (candidates.empty()) {
            throw Error(Errc::invalid_argument,
                        archive_path + " has no member named " + *wanted);
        }
    }
    if (candidates.empty()) {
        throw Error(Errc::invalid_argument,
                    archive_path + " holds no shapefile, GeoPackage or GeoJSON" +
                        (entries.empty() ? std::string(" (the archive is empty or unreadable)")
                                         : std::string(" (it holds: ") + member_list(entries) + ")"));
    }
    if (candidates.size() > 1) {
        throw Error(Errc::invalid_argument, archive_path + " holds several datasets (" +
                                                member_list(candidates) +
                                                "); choose one with --source-layer NAME");
    }
    return candidates.front();
}

/// Copies a shapefile's parts into GDAL's in-memory file system and writes the missing .shx
/// there, so that the user's folder is never written to. The index is built first, from the
/// user's .shp: a record that runs past the end of the file is refused before anything is copied
/// (GDAL's own rebuild, SHAPE_RESTORE_SHX, trusts such a record's length and allocates for it).
std::string copy_to_vsimem(const std::string& shp, const std::string& display,
                           std::string& vsimem_dir) {
    static std::atomic<unsigned> counter{0};
    vsimem_dir = "/vsimem/gridmap_import_" + std::to_string(getpid()) + "_" +
                 std::to_string(counter.fetch_add(1));
    VSIMkdir(vsimem_dir.c_str(), 0755);
    const std::string stem = vsimem_dir + "/" + fs::path(shp).stem().string();
    write_shx(shp, stem + ".shx", display);
    for (const char* ext : {".shp", ".dbf", ".prj", ".cpg"}) {
        const std::string src = ext == std::string(".shp") ? shp : sibling(shp, ext).value_or("");
        if (src.empty()) continue;
        if (CPLCopyFile((stem + ext).c_str(), src.c_str()) != 0) {
            throw Error(Errc::invalid_argument, "cannot read " + src);
        }
    }
    return stem + ".shp";
}

}  // namespace

Source::~Source() {
    dataset.reset();
    if (!vsimem_dir.empty()) VSIRmdirRecursive(vsimem_dir.c_str());
}

std::optional<std::string> read_vsi_file(const std::string& vsi_path, std::size_t max_bytes) {
    VSILFILE* f = VSIFOpenL(vsi_path.c_str(), "rb");
    if (!f) return std::nullopt;
    std::string out(max_bytes, '\0');
    const std::size_t n = VSIFReadL(out.data(), 1, max_bytes, f);
    VSIFCloseL(f);
    out.resize(n);
    return out;
}

Source open_source(const std::string& path, const std::optional<std::string>& source_layer,
                   const ArchiveLimits& limits) {
    capi::ensure_gdal();
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(Errc::not_found, "file " + path + " does not exist");
    if (fs::is_directory(path, ec)) {
        throw Error(Errc::invalid_argument,
                    path + " is a folder; give the .shp, .zip, .gpkg or .geojson file inside it");
    }
    const std::string absolute = fs::absolute(path).lexically_normal().string();

    Source src;
    std::string inner = absolute;
    src.display_name = fs::path(path).filename().string();
    Kind kind = kind_of(path);
    if (kind == Kind::zip || kind == Kind::tar) {
        const std::string root = (kind == Kind::zip ? "/vsizip/" : "/vsitar/") + absolute;
        const std::string member = pick_member(path, root, source_layer, limits);
        inner = root + "/" + member;
        src.display_name += "!" + member;
        kind = kind_of(member);
    }
    if (kind == Kind::dbf_only) {
        throw Error(Errc::invalid_argument,
                    path + " is a .dbf table without a .shp: it has no geometry to import");
    }
    if (kind == Kind::unknown) {
        throw Error(Errc::unsupported, path +
                                           ": Gridmap imports shapefiles (.shp, or a .zip/.tar.gz "
                                           "holding one), GeoPackages (.gpkg) and GeoJSON (.geojson)");
    }

    std::vector<const char*> drivers;
    std::vector<const char*> open_options;
    if (kind == Kind::shapefile) {
        drivers = {"ESRI Shapefile", nullptr};
        // Raw DBF bytes: Gridmap decides the encoding itself (.cpg, code page, detection).
        open_options = {"ENCODING=", nullptr};
        src.dbf_path = sibling(inner, ".dbf");
        src.cpg_path = sibling(inner, ".cpg");
        src.prj_path = sibling(inner, ".prj");
        ShapefileParts parts{inner, sibling(inner, ".shx"), src.dbf_path, src.display_name};
        if (!parts.shx) {
            inner = copy_to_vsimem(inner, src.display_name, src.vsimem_dir);
            parts.shp = inner;
            parts.shx = sibling(inner, ".shx");
            src.warnings.push_back("the .shx index was missing; it was rebuilt in memory from the .shp");
        }
        // Before GDAL reads anything: GDAL takes a cut-short file for a shorter one.
        ShapefileLayout layout = check_shapefile(parts);
        src.announced = layout.records;
        src.deleted = layout.deleted;
        for (auto& w : layout.warnings) src.warnings.push_back(std::move(w));
    } else if (kind == Kind::geopackage) {
        drivers = {"GPKG", nullptr};
        open_options = {nullptr};
    } else {
        drivers = {"GeoJSON", nullptr};
        open_options = {nullptr};
    }

    capi::GdalErrorCapture errors;
    src.dataset.reset(static_cast<GDALDataset*>(
        GDALOpenEx(inner.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers.data(),
                   open_options.data(), nullptr)));
    if (!src.dataset) {
        throw Error(Errc::invalid_argument,
                    "cannot read " + src.display_name + ": " +
                        errors.last_failure("not a readable " + std::string(drivers[0]) + " file"));
    }
    src.vsi_path = inner;
    src.driver = src.dataset->GetDriverName();
    const int n_layers = src.dataset->GetLayerCount();
    if (n_layers == 0) throw Error(Errc::invalid_argument, src.display_name + " holds no layer");
    if (n_layers == 1) {
        src.layer = src.dataset->GetLayer(0);
    } else {
        if (source_layer) src.layer = src.dataset->GetLayerByName(source_layer->c_str());
        if (!src.layer) {
            std::vector<std::string> names;
            for (int i = 0; i < n_layers; ++i) names.push_back(src.dataset->GetLayer(i)->GetName());
            throw Error(Errc::invalid_argument, src.display_name + " holds several layers (" +
                                                    member_list(names) +
                                                    "); choose one with --source-layer NAME");
        }
    }
    if (src.announced && src.layer->GetFeatureCount(FALSE) != *src.announced) {
        throw Error(Errc::invalid_argument,
                    src.display_name + ": GDAL sees " +
                        std::to_string(src.layer->GetFeatureCount(FALSE)) + " records where the "
                        ".shx announces " + std::to_string(*src.announced) +
                        "; nothing was imported");
    }
    for (const auto& w : errors.warnings()) src.warnings.push_back(w);
    return src;
}

}  // namespace geo::import::detail
