#include "import/import_helpers.hpp"

#include <sstream>
#include <stdexcept>

namespace gridmap::test {

std::string layer_fingerprint(geo::store::Store& store, const std::string& layer) {
    std::ostringstream out;
    store.read_features(layer, {}, [&](const geo::Feature& f) {
        out << f.fid;
        for (const auto& v : f.values) {
            std::visit(
                [&](const auto& x) {
                    using T = std::decay_t<decltype(x)>;
                    if constexpr (std::is_same_v<T, std::monostate>) {
                        out << "|null";
                    } else {
                        out << "|" << x;
                    }
                },
                v);
        }
        out << "|";
        for (unsigned char b : f.wkb) out << static_cast<int>(b) << ",";
        out << "\n";
        return true;
    });
    return out.str();
}

std::map<std::string, std::string> database_fingerprint(const std::string& db) {
    auto store = geo::store::open_store_read_only(db);
    std::map<std::string, std::string> out;
    for (const auto& l : store->layers()) out[l.name] = layer_fingerprint(*store, l.name);
    return out;
}

std::size_t field_index(const geo::LayerInfo& layer, const std::string& field) {
    for (std::size_t i = 0; i < layer.fields.size(); ++i) {
        if (layer.fields[i].name == field) return i;
    }
    throw std::runtime_error("layer " + layer.name + " has no field " + field);
}

RunResult gridmap(const std::vector<std::string>& args, const RunLimits& limits) {
    std::vector<std::string> argv = {gridmap_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, limits);
}

}  // namespace gridmap::test
