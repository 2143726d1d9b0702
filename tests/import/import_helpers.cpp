#include "import/import_helpers.hpp"

#include <sstream>

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
    auto store = geo::store::open_store(db, false);
    std::map<std::string, std::string> out;
    for (const auto& l : store->layers()) out[l.name] = layer_fingerprint(*store, l.name);
    return out;
}

RunResult gridmap(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {gridmap_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

}  // namespace gridmap::test
