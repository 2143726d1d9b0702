#pragma once

// How the analyses compare names typed by people (station types, road classes, field names).

#include <string>
#include <string_view>

namespace geo::analysis::detail {

/// Without surrounding white space (ASCII and the ideographic space U+3000 that Chinese input
/// methods leave behind) and with ASCII letters in lower case.
inline std::string normalise_key(std::string_view s) {
    constexpr std::string_view k_ideographic_space = "\xE3\x80\x80";
    for (;;) {
        const auto before = s.size();
        while (!s.empty() &&
               (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
            s.remove_prefix(1);
        while (!s.empty() &&
               (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
            s.remove_suffix(1);
        if (s.starts_with(k_ideographic_space)) s.remove_prefix(k_ideographic_space.size());
        if (s.ends_with(k_ideographic_space)) s.remove_suffix(k_ideographic_space.size());
        if (s.size() == before) break;
    }
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

}  // namespace geo::analysis::detail
