#include "cli/commands.hpp"

#include <csignal>
#include <cstdio>
#include <thread>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/progress.hpp"
#include "http/config.hpp"
#include "http/server.hpp"
#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "geo/io/export.hpp"
#include "geo/store/store.hpp"

namespace gridmap::cli {

namespace {

const OptionSpec k_db{"db", "FILE", "the Gridmap database (default: $GRIDMAP_DB or gridmap.sqlite)"};

geo::BBox parse_bbox(const std::string& text) {
    std::vector<double> v;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ',')) {
        try {
            std::size_t used = 0;
            v.push_back(std::stod(part, &used));
            if (used != part.size()) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            throw UsageError("--bbox: \"" + part + "\" is not a number");
        }
    }
    if (v.size() != 4) throw UsageError("--bbox needs four numbers: minlon,minlat,maxlon,maxlat");
    geo::BBox b{v[0], v[1], v[2], v[3]};
    if (!(b.minx <= b.maxx && b.miny <= b.maxy) || b.minx < -180 || b.maxx > 180 || b.miny < -90 ||
        b.maxy > 90) {
        throw UsageError("--bbox must be minlon,minlat,maxlon,maxlat in degrees with min <= max");
    }
    return b;
}

void print_report(const geo::import::ImportReport& r) {
    std::printf("Imported %lld of %lld features into layer %s (%s, %s)\n",
                static_cast<long long>(r.imported), static_cast<long long>(r.features_read),
                r.layer.c_str(), r.mode.c_str(), r.geometry_type.c_str());
    std::printf("  source     %s (%s)\n", r.source.c_str(), r.driver.c_str());
    std::printf("  encoding   %s (from %s)\n", r.encoding.c_str(), r.encoding_source.c_str());
    std::printf("  crs        %s %s (from %s), stored as EPSG:4326\n", r.crs.c_str(),
                r.crs_name.c_str(), r.crs_source.c_str());
    std::printf("  repaired   %lld invalid polygons made valid\n", static_cast<long long>(r.repaired));
    std::printf("  skipped    %lld\n", static_cast<long long>(r.skipped));
    for (const auto& [reason, count] : r.skipped_by_reason) {
        std::printf("    %6lld  %s\n", static_cast<long long>(count), reason.c_str());
    }
    if (r.values_not_numbers > 0) {
        std::printf("  %lld values in numeric columns were not numbers and were stored empty\n",
                    static_cast<long long>(r.values_not_numbers));
    }
    std::printf("  fields\n");
    for (const auto& f : r.fields) {
        std::printf("    %-16s <- %-16s %s\n", f.target.c_str(),
                    f.source.empty() ? "-" : f.source.c_str(), f.how.c_str());
    }
    for (const auto& w : r.warnings) std::printf("  warning: %s\n", w.c_str());
    std::printf("  layer now has %lld features; took %.2f s (%.0f features/s)\n",
                static_cast<long long>(r.layer_feature_count), r.seconds,
                r.seconds > 0 ? static_cast<double>(r.features_read) / r.seconds : 0.0);
}

int run_import(const Args& args) {
    geo::import::ImportOptions options;
    options.path = args.positional(0);
    const auto layer = args.value("layer");
    if (!layer) throw UsageError("missing --layer NAME");
    options.layer = *layer;
    const std::string mode = args.value_or("mode", "replace");
    if (mode == "replace") {
        options.mode = geo::store::WriteMode::replace;
    } else if (mode == "append") {
        options.mode = geo::store::WriteMode::append;
    } else {
        throw UsageError("--mode must be replace or append, not " + mode);
    }
    options.srs = args.value("srs");
    options.encoding = args.value("encoding");
    options.source_layer = args.value("source-layer");
    options.title = args.value_or("title", "");
    for (const auto& m : args.values("map")) {
        const auto eq = m.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
            throw UsageError("--map needs field=源字段, got " + m);
        }
        options.field_map[m.substr(0, eq)] = m.substr(eq + 1);
    }
    const auto report_path = args.value("report");

    const std::string db = args.value_or("db", default_db());
    const bool existed = std::filesystem::exists(db);
    geo::import::ImportReport report;
    try {
        auto store = geo::store::open_store(db, true);
        ProgressBar bar("importing " + options.layer);
        report = geo::import::import_file(
            *store, options, [&](std::int64_t done, std::int64_t total) { bar.update(done, total); });
    } catch (...) {
        // A refused first import leaves no database behind: as before, there was none.
        if (!existed) {
            for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
                std::error_code ec;
                std::filesystem::remove(db + suffix, ec);
            }
        }
        throw;
    }
    print_report(report);
    if (report_path) {
        std::ofstream out(*report_path);
        out << geo::import::to_json(report).dump(2) << "\n";
        if (!out) throw geo::Error(geo::Errc::unavailable, "cannot write the report to " + *report_path);
    }
    return 0;
}

int run_layers(const Args& args) {
    auto store = geo::store::open_store_read_only(args.value_or("db", default_db()));
    const auto layers = store->layers();
    if (args.flag("json")) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& l : layers) out.push_back(geo::io::layer_json(l));
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    if (layers.empty()) {
        std::printf("no layers yet: import one with gridmap import FILE --layer NAME\n");
        return 0;
    }
    for (const auto& l : layers) {
        std::printf("%s (%s): %lld features, %s\n", l.name.c_str(), l.title.c_str(),
                    static_cast<long long>(l.feature_count), l.geometry_type.c_str());
        if (!l.extent.empty()) {
            std::printf("  extent   %.6f, %.6f — %.6f, %.6f (EPSG:4326)\n", l.extent.minx,
                        l.extent.miny, l.extent.maxx, l.extent.maxy);
        }
        std::printf("  source   %s, %s, %s, imported %s\n", l.source_file.c_str(),
                    l.source_crs.c_str(), l.encoding.c_str(), l.imported_at.c_str());
        std::printf("  fields  ");
        for (const auto& f : l.fields) std::printf(" %s:%s", f.name.c_str(), geo::to_string(f.type));
        std::printf("\n");
    }
    return 0;
}

int run_export(const Args& args) {
    const auto layer = args.value("layer");
    if (!layer) throw UsageError("missing --layer NAME");
    const std::string format = args.value_or("format", "geojson");
    if (format != "geojson" && format != "csv") {
        throw UsageError("--format must be geojson or csv, not " + format);
    }
    geo::store::FeatureQuery query;
    if (auto b = args.value("bbox")) query.bbox = parse_bbox(*b);
    auto store = geo::store::open_store_read_only(args.value_or("db", default_db()));
    std::ios::sync_with_stdio(false);
    if (format == "geojson") {
        geo::io::write_geojson(*store, *layer, query, std::cout);
    } else {
        geo::io::write_csv(*store, *layer, query, std::cout);
    }
    std::cout.flush();
    return 0;
}

int run_check(const Args& args) {
    auto store = geo::store::open_store_read_only(args.value_or("db", default_db()));
    const auto problems = store->check();
    for (const auto& p : problems) std::printf("%s\n", p.c_str());
    if (problems.empty()) std::printf("ok\n");
    return problems.empty() ? 0 : 1;
}

int run_serve(const Args& args) {
    std::map<std::string, std::string> flags;
    for (const char* key : {"db", "host", "port", "threads"}) {
        if (auto v = args.value(key)) flags[key] = *v;
    }
    if (args.flag("open")) flags["open"] = "true";
    gridmap::http::ServerConfig config;
    try {
        config = gridmap::http::load_config(args.value("config"), gridmap::http::process_environment(), flags);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    // SIGINT and SIGTERM are taken by a thread of their own, which stops the server cleanly.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    gridmap::http::Server server(config);
    int port = 0;
    try {
        port = server.bind();
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const geo::Error*>(&e)) throw;
        throw geo::Error(geo::Errc::unavailable, e.what());
    }
    std::printf("Gridmap serves %s on http://%s:%d/ (%d worker threads; Ctrl-C stops)\n",
                config.db.c_str(), config.host.c_str(), port, config.worker_threads());
    if (server.style_path().empty()) {
        std::printf("No map style: %s is not in the working directory nor beside the program, so PNG tiles and\n"
                    "/styles/gridmap.json answer 503. Give its path with --config (key style) or GRIDMAP_STYLE.\n",
                    config.style.c_str());
    }
    if (config.open) {
        std::printf("OPEN: no tokens are asked for; every request from this machine is served as an admin's.\n"
                    "      For a local demo only. Create tokens (gridmap token create) and start without --open\n"
                    "      before anyone else uses this server.\n");
    }
    std::fflush(stdout);
    std::thread waiter([&] {
        int sig = 0;
        sigwait(&signals, &sig);
        server.stop();
    });
    server.run();
    // The server ended on its own: wake the waiter so that it can be joined.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 0;
}

}  // namespace

std::string default_db() {
    const char* env = std::getenv("GRIDMAP_DB");
    return env && *env ? env : "gridmap.sqlite";
}

const std::vector<Command>& commands() {
    static const std::vector<Command> all = [] {
        std::vector<Command> list = {
        {{"import",
          "Imports a shapefile (.shp, or a .zip/.tar.gz holding one), GeoPackage or GeoJSON into a "
          "layer, in one transaction: on any error the database stays exactly as it was.",
          {"PATH"},
          {k_db,
           {"layer", "NAME", "the layer to write (buildings, grid_cells, stations, roads or your own)"},
           {"mode", "replace|append", "replace the layer (default) or add to it"},
           {"srs", "EPSG:XXXX", "the source CRS, when the file has no .prj or a wrong one"},
           {"encoding", "NAME", "the attribute encoding (GBK, GB18030, UTF-8, BIG5, CP1252, ...)"},
           {"map", "FIELD=SOURCE", "fill core FIELD from SOURCE, or rename SOURCE to FIELD", true},
           {"source-layer", "NAME", "which dataset of an archive or layer of a GeoPackage to read"},
           {"title", "TEXT", "the layer's title (default: the core layer's Chinese title)"},
           {"report", "FILE", "also write the import report as JSON to FILE"}},
          "The encoding comes from --encoding, else the .cpg, else the DBF code page byte, else\n"
          "detection (UTF-8, then GB18030). The CRS comes from --srs, else the .prj; without either\n"
          "the import stops and suggests a CRS when the coordinates make one plain.\n"
          "Example: gridmap import 楼栋.shp --layer buildings --db district.sqlite\n"},
         &run_import},
        {{"layers",
          "Lists each layer with its geometry type, feature count, extent (EPSG:4326) and fields.",
          {},
          {k_db, {"json", "", "print JSON instead of text"}},
          ""},
         &run_layers},
        {{"export",
          "Writes a layer's features to stdout as GeoJSON (EPSG:4326) or CSV (with a WKT column).",
          {},
          {k_db,
           {"layer", "NAME", "the layer to export"},
           {"format", "geojson|csv", "output format (default geojson)"},
           {"bbox", "MINLON,MINLAT,MAXLON,MAXLAT", "only features intersecting this box"}},
          ""},
         &run_export},
        {{"serve",
          "Serves the layers over HTTP: OGC API - Features, vector tiles (MVT) with TileJSON, "
          "/health, /metrics and /openapi.json.",
          {},
          {k_db,
           {"config", "FILE", "JSON configuration file: an object of the settings below"},
           {"host", "ADDRESS", "address to listen on (default 127.0.0.1)"},
           {"port", "PORT", "port to listen on (default 8080; 0 picks a free one)"},
           {"threads", "N", "worker threads (default: 4 per core, at least 8)"},
           {"open", "", "serve every request as an admin's, without tokens (loopback addresses only; for a local demo)"}},
          "Settings come from the defaults, then --config, then GRIDMAP_* environment variables\n"
          "(GRIDMAP_PORT=9000 …), then these flags. One access-log line per request goes to stderr.\n"
          "Without --open the database must hold an admin token (gridmap token create --role admin).\n\n" +
              gridmap::http::settings_help()},
         &run_serve},
        {analyze_spec(), &run_analyze},
        {{"check",
          "Checks the database: SQLite integrity, every layer's spatial index and catalog count. "
          "Exit code 1 when a problem is found.",
          {},
          {k_db},
          ""},
         &run_check},
        };
        for (auto& c : access_commands()) list.push_back(std::move(c));
        return list;
    }();
    return all;
}

}  // namespace gridmap::cli
