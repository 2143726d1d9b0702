#pragma once

#include <memory>
#include <string>
#include <vector>

namespace gridmap::http {

/// The paths each method has routes for, to answer OPTIONS (Allow) and 405. Kept apart from
/// server.cpp: compiling std::regex at -O2 with the sanitizers makes GCC 12 report a false
/// -Wmaybe-uninitialized inside <regex>, which this file alone is built without.
class RoutePatterns {
public:
    RoutePatterns();
    ~RoutePatterns();
    /// `pattern` is a regex over the whole path, as given to cpp-httplib.
    void add(const std::string& method, const std::string& pattern);
    /// The methods with a route for `path` (GET implies HEAD), then OPTIONS; empty when none.
    std::vector<std::string> methods_for(const std::string& path) const;

private:
    struct Entry;
    std::vector<std::unique_ptr<Entry>> m_entries;
};

}  // namespace gridmap::http
