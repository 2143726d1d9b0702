#include "http/route_patterns.hpp"

#include <regex>
#include <string_view>

namespace gridmap::http {

struct RoutePatterns::Entry {
    std::string method;
    std::regex pattern;
};

RoutePatterns::RoutePatterns() = default;
RoutePatterns::~RoutePatterns() = default;

void RoutePatterns::add(const std::string& method, const std::string& pattern) {
    m_entries.push_back(std::make_unique<Entry>(Entry{method, std::regex(pattern)}));
}

std::vector<std::string> RoutePatterns::methods_for(const std::string& path) const {
    std::vector<std::string> out;
    for (const char* method : {"GET", "HEAD", "POST", "DELETE"}) {
        const std::string_view wanted = std::string_view(method) == "HEAD" ? "GET" : method;
        for (const auto& e : m_entries) {
            if (e->method == wanted && std::regex_match(path, e->pattern)) {
                out.emplace_back(method);
                break;
            }
        }
    }
    if (!out.empty()) out.emplace_back("OPTIONS");
    return out;
}

}  // namespace gridmap::http
