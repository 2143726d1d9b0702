// gridmap analyze KIND: the planners' analyses from the command line, with the same
// parameters and results as POST /analysis/{kind}.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "geo/analysis/run.hpp"
#include "geo/error.hpp"
#include "geo/style/style.hpp"

namespace gridmap::cli {

namespace {

std::string read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw geo::Error(geo::Errc::not_found, std::string("cannot read the ") + what + " " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Every analysis parameter, as a flag: max_snap is --max-snap.
std::string flag_of(const std::string& parameter) {
    std::string f = parameter;
    for (char& c : f) c = c == '_' ? '-' : c;
    return f;
}

}  // namespace

CommandSpec analyze_spec() {
    CommandSpec spec{"analyze",
                     "Runs a planners' analysis: coverage, load, siting, norms, or circles (regenerates the "
                     "service_circles layer).",
                     {"KIND"},
                     {{"db", "FILE", "the Gridmap database (default: $GRIDMAP_DB or gridmap.sqlite)"},
                      {"format", "json|csv|geojson|png", "what to write (default json)"},
                      {"out", "FILE", "write to FILE instead of stdout (png needs it)"},
                      {"style", "FILE", "png: the MapLibre style of the base layers (default styles/gridmap.json)"},
                      {"width", "PX", "png: width in pixels (default 1600)"},
                      {"height", "PX", "png: height in pixels (default 1200)"},
                      {"standards", "FILE", "norms: a standards file (default: the built-in table, as config/standards.json)"},
                      {"walkability", "FILE",
                       "walking mode: which roads are walked (default: the built-in table, as config/walkability.json)"}},
                     ""};
    // The analyses' own parameters, each once, with the kinds that take it.
    std::map<std::string, std::pair<std::string, std::string>> params;  // name → (kinds, help)
    for (auto kind : {geo::analysis::AnalysisKind::coverage, geo::analysis::AnalysisKind::load,
                      geo::analysis::AnalysisKind::siting, geo::analysis::AnalysisKind::norms,
                      geo::analysis::AnalysisKind::circles}) {
        for (const auto& [name, help] : geo::analysis::analysis_parameters(kind)) {
            auto& [kinds, text] = params[name];
            kinds += (kinds.empty() ? "" : ",") + std::string(geo::analysis::to_string(kind));
            if (text.empty()) text = help;
        }
    }
    for (const auto& [name, entry] : params) {
        spec.options.push_back({flag_of(name), "VALUE", entry.second + " [" + entry.first + "]"});
    }
    spec.details =
        "Examples:\n"
        "  gridmap analyze coverage --db district.sqlite --type 社区服务站 --minutes 10 --mode walking\n"
        "  gridmap analyze coverage --preset 15 --format png --out coverage.png\n"
        "  gridmap analyze load --capacity 3000 --format csv\n"
        "  gridmap analyze siting --sites 5 --minutes 10 --format geojson\n"
        "  gridmap analyze norms --standards config/standards.json\n"
        "  gridmap analyze coverage --mode walking --walkability config/walkability.json\n"
        "  gridmap analyze circles --mode walking   (rewrites the service_circles layer)\n"
        "Coverage counts a building as covered when its point on surface lies inside a circle.\n";
    return spec;
}

int run_analyze(const Args& args) {
    geo::analysis::AnalysisKind kind;
    try {
        kind = geo::analysis::analysis_kind_from(args.positional(0));
    } catch (const geo::Error& e) {
        throw UsageError(e.what());
    }
    const std::string format = args.value_or("format", "json");
    if (format != "json" && format != "csv" && format != "geojson" && format != "png") {
        throw UsageError("--format must be json, csv, geojson or png, not " + format);
    }
    const auto out_path = args.value("out");
    if (format == "png" && !out_path) throw UsageError("--format png needs --out FILE");

    std::map<std::string, std::string> params;
    for (const auto& [name, help] : geo::analysis::analysis_parameters(kind)) {
        if (auto v = args.value(flag_of(name))) params[name] = *v;
    }
    // A flag of another kind is a mistake worth naming, not something to ignore.
    for (auto other : {geo::analysis::AnalysisKind::coverage, geo::analysis::AnalysisKind::load,
                       geo::analysis::AnalysisKind::siting, geo::analysis::AnalysisKind::norms,
                       geo::analysis::AnalysisKind::circles}) {
        for (const auto& [name, help] : geo::analysis::analysis_parameters(other)) {
            if (!params.contains(name) && args.value(flag_of(name))) {
                throw UsageError("--" + flag_of(name) + " does not apply to " + std::string(geo::analysis::to_string(kind)));
            }
        }
    }
    std::string standards;
    if (auto path = args.value("standards")) {
        if (kind != geo::analysis::AnalysisKind::norms) throw UsageError("--standards applies to norms only");
        standards = read_file(*path, "standards file");
    }
    std::string walkability;
    if (auto path = args.value("walkability")) {
        if (kind == geo::analysis::AnalysisKind::norms) throw UsageError("--walkability does not apply to norms");
        walkability = read_file(*path, "walkability file");
    }
    const auto request = geo::analysis::parse_analysis_request(kind, params, standards, walkability);

    int width = 1600, height = 1200;
    for (auto [flag, target] : {std::pair{"width", &width}, {"height", &height}}) {
        if (auto v = args.value(flag)) {
            try {
                std::size_t used = 0;
                *target = std::stoi(*v, &used);
                if (used != v->size()) throw std::invalid_argument(*v);
            } catch (const std::exception&) {
                throw UsageError(std::string("--") + flag + " wants a whole number of pixels, not " + *v);
            }
        }
    }
    std::optional<geo::style::Style> style;
    if (format == "png") {
        const std::string path = args.value_or("style", "styles/gridmap.json");
        if (!std::filesystem::exists(path)) {
            throw geo::Error(geo::Errc::not_found, "no map style at " + path + " (give --style FILE)");
        }
        style = geo::style::load_style_file(path);
    }

    auto store = geo::store::open_store(args.value_or("db", default_db()), false);
    ProgressBar bar("analyze " + std::string(geo::analysis::to_string(kind)));
    const auto result = geo::analysis::run_analysis(
        *store, request, [&](double fraction, std::string_view stage) { bar.update_stage(fraction, stage); });
    bar.finish();

    std::string output;
    if (format == "json") {
        output = geo::analysis::result_json(result, request).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    } else if (format == "csv") {
        output = geo::analysis::result_csv(result);
    } else if (format == "geojson") {
        output = geo::analysis::result_geojson(result) + "\n";
    } else {
        output = geo::analysis::result_png(*store, *style, result, width, height);
    }
    if (out_path) {
        // Written whole to a temporary name first, so a failed run never leaves half a file.
        const std::string partial = *out_path + ".partial";
        {
            std::ofstream out(partial, std::ios::binary | std::ios::trunc);
            out.write(output.data(), static_cast<std::streamsize>(output.size()));
            if (!out) throw geo::Error(geo::Errc::unavailable, "cannot write " + *out_path);
        }
        std::filesystem::rename(partial, *out_path);
        std::fprintf(stderr, "wrote %s (%zu bytes)\n", out_path->c_str(), output.size());
    } else {
        std::fwrite(output.data(), 1, output.size(), stdout);
    }
    return 0;
}

}  // namespace gridmap::cli
