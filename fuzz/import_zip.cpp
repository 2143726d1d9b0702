// Imports: the input is written to a .zip in a private temporary folder and imported into a
// fresh SpatiaLite database there, through the same geo:: call as `gridmap import`. Any bytes
// either import, with the layer holding what the report says, or are refused with geo::Error
// (never `internal`) and the database holds no layer. Everything is removed after each input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <stdlib.h>

#include "fuzz_check.hpp"
#include "geo/import/import.hpp"
#include "geo/store/store.hpp"

namespace {

namespace fs = std::filesystem;
using gridmap::fuzz::check;

fs::path g_dir;       // this process's private folder
fs::path g_template;  // an empty store, copied for each input (creating one costs more)

void remove_dir() {
    std::error_code ec;
    if (!g_dir.empty()) fs::remove_all(g_dir, ec);
}

void remove_store(const fs::path& db) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        fs::remove(db.string() + suffix, ec);
}

void write_file(const fs::path& path, const std::uint8_t* data, std::size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    check(static_cast<bool>(out), "the input is written to the temporary folder", path.string());
}

bool is_missing_prj(const geo::Error& e) {
    return std::string_view(e.what()).find("has no .prj") != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::string pattern = (fs::temp_directory_path() / "gridmap-fuzz-import-XXXXXX").string();
    check(mkdtemp(pattern.data()) != nullptr, "a private temporary folder", pattern);
    g_dir = pattern;
    std::atexit(remove_dir);
    // GDAL's and SQLite's own temporary files go there too.
    setenv("CPL_TMPDIR", g_dir.c_str(), 1);
    setenv("SQLITE_TMPDIR", g_dir.c_str(), 1);
    g_template = g_dir / "template.sqlite";
    geo::store::open_store(g_template.string(), true)->layers();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fs::path zip = g_dir / "input.zip";
    const fs::path db = g_dir / "fuzz.sqlite";
    write_file(zip, data, size);
    fs::copy_file(g_template, db, fs::copy_options::overwrite_existing);
    {
        auto store = geo::store::open_store(db.string(), false);
        geo::import::ImportOptions options;
        options.path = zip.string();
        // Even-sized inputs go to the core buildings layer (field mapping, derived links), odd
        // ones to a user layer that takes any geometry: both paths from one corpus.
        options.layer = size % 2 == 0 ? "buildings" : "fuzzed";
        std::optional<geo::import::ImportReport> report;
        try {
            try {
                report = geo::import::import_file(*store, options);
            } catch (const geo::Error& e) {
                // As a user would after the first refusal: most survey files lack a .prj.
                if (!is_missing_prj(e)) throw;
                options.srs = "EPSG:4326";
                report = geo::import::import_file(*store, options);
            }
        } catch (const geo::Error& e) {
            check(e.code() != geo::Errc::internal,
                  "a bad file is the user's error, not an internal one", e.what());
            check(std::string_view(e.what()).size() > 0, "a refusal says why");
            check(store->layers().empty(), "a refused import leaves no layer behind", e.what());
        }
        if (report) {
            const auto info = store->layer(options.layer);
            check(info.has_value(), "an import leaves its layer");
            check(info->feature_count == report->imported &&
                      report->layer_feature_count == report->imported,
                  "the layer holds what the report says it imported");
            check(report->features_read >= report->imported, "no more imported than read");
        }
    }
    remove_store(db);
    std::error_code ec;
    fs::remove(zip, ec);
    return 0;
}
