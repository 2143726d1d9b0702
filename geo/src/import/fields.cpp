#include "import/fields.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "geo/error.hpp"

namespace geo::import::detail {

namespace {

std::string lower_ascii(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

std::string clean_name(const std::string& name) {
    std::string out;
    for (unsigned char c : name) {
        if (c >= 0x20 && c != 0x7f) out += static_cast<char>(c);
    }
    const auto first = out.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    const auto last = out.find_last_not_of(' ');
    return out.substr(first, last - first + 1);
}

bool alias_matches(const SourceField& source, std::string_view alias) {
    const std::string a = lower_ascii(std::string(alias));
    const std::string n = lower_ascii(source.name);
    if (n == a) return true;
    // A name cut at the DBF's 10-byte limit matches the alias it is the start of.
    return source.name_was_cut && n.size() >= 3 && a.starts_with(n);
}

std::string field_list(const std::vector<SourceField>& sources) {
    std::string out;
    for (const auto& s : sources) out += (out.empty() ? "" : ", ") + s.name;
    return out.empty() ? "(none)" : out;
}

}  // namespace

std::vector<std::string> unique_column_names(const std::vector<std::string>& names,
                                             const std::vector<std::string>& taken) {
    std::set<std::string> used = {"fid", "geom"};
    for (const auto& t : taken) used.insert(lower_ascii(t));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string base = clean_name(names[i]);
        if (base.empty()) base = "field_" + std::to_string(i + 1);
        std::string candidate = base;
        for (int n = 2; used.contains(lower_ascii(candidate)); ++n) {
            candidate = base + "_" + std::to_string(n);
        }
        used.insert(lower_ascii(candidate));
        out.push_back(candidate);
    }
    return out;
}

std::vector<ColumnPlan> plan_columns(const schema::CoreLayer* core,
                                     const std::vector<SourceField>& sources,
                                     const std::map<std::string, std::string>& field_map,
                                     std::vector<FieldMapping>& report) {
    auto find_source = [&](const std::string& wanted) -> std::optional<int> {
        for (std::size_t i = 0; i < sources.size(); ++i) {
            if (sources[i].name == wanted) return static_cast<int>(i);
        }
        for (std::size_t i = 0; i < sources.size(); ++i) {
            if (lower_ascii(sources[i].name) == lower_ascii(wanted)) return static_cast<int>(i);
        }
        return std::nullopt;
    };

    std::vector<bool> consumed(sources.size(), false);
    std::map<int, std::string> renames;  // source index → requested column name
    std::vector<ColumnPlan> plan;
    std::set<std::string> core_names;
    if (core) {
        for (const auto& f : core->fields) core_names.insert(std::string(f.name));
    }
    for (const auto& [target, source_name] : field_map) {
        const auto idx = find_source(source_name);
        if (!idx) {
            throw Error(Errc::invalid_argument, "--map " + target + "=" + source_name +
                                                    ": the file has no field " + source_name +
                                                    "; its fields are: " + field_list(sources));
        }
        if (!core_names.contains(target)) {
            if (target.empty() || target == "fid" || target == "geom") {
                throw Error(Errc::invalid_argument, "--map: \"" + target + "\" cannot name a field");
            }
            renames[*idx] = target;
        }
    }

    if (core) {
        for (const auto& cf : core->fields) {
            ColumnPlan column;
            column.field = {std::string(cf.name), cf.type, ""};
            column.core = true;
            if (!cf.derived) {
                std::string how;
                if (auto it = field_map.find(std::string(cf.name)); it != field_map.end()) {
                    column.source_index = find_source(it->second);
                    how = "core (--map)";
                } else {
                    for (auto alias : cf.aliases) {
                        for (std::size_t i = 0; i < sources.size() && !column.source_index; ++i) {
                            if (!consumed[i] && !renames.contains(static_cast<int>(i)) &&
                                alias_matches(sources[i], alias)) {
                                column.source_index = static_cast<int>(i);
                            }
                        }
                        if (column.source_index) break;
                    }
                    how = "core (automatic)";
                }
                if (column.source_index) {
                    consumed[static_cast<std::size_t>(*column.source_index)] = true;
                    column.field.source_name = sources[static_cast<std::size_t>(*column.source_index)].name;
                    report.push_back({column.field.source_name, column.field.name, how});
                } else {
                    report.push_back({"", column.field.name, "core (no matching field: empty)"});
                }
            } else {
                report.push_back({"", column.field.name, "derived"});
            }
            plan.push_back(std::move(column));
        }
    }

    std::vector<std::string> wanted_names;
    std::vector<int> kept;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (consumed[i]) continue;
        kept.push_back(static_cast<int>(i));
        auto it = renames.find(static_cast<int>(i));
        wanted_names.push_back(it != renames.end() ? it->second : sources[i].name);
    }
    std::vector<std::string> taken;
    for (const auto& c : plan) taken.push_back(c.field.name);
    const auto names = unique_column_names(wanted_names, taken);
    for (std::size_t k = 0; k < kept.size(); ++k) {
        const SourceField& s = sources[static_cast<std::size_t>(kept[k])];
        ColumnPlan column;
        column.field = {names[k], s.type, s.name};
        column.source_index = kept[k];
        std::string how = "kept";
        if (renames.contains(kept[k])) {
            how = "renamed (--map)";
        } else if (names[k] != s.name) {
            how = "renamed (name was not valid or unique)";
        }
        if (s.name_was_cut) how += "; name was cut at the DBF's 10-byte limit";
        report.push_back({s.name, names[k], how});
        plan.push_back(std::move(column));
    }
    return plan;
}

std::optional<double> parse_leading_number(const std::string& text) {
    std::string digits;
    std::size_t i = text.find_first_not_of(" \t");
    if (i == std::string::npos) return std::nullopt;
    if (text[i] == '-' || text[i] == '+') digits += text[i++];
    bool seen_digit = false;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c >= '0' && c <= '9') {
            digits += c;
            seen_digit = true;
        } else if (c == '.') {
            digits += c;
        } else if (c == ',' && seen_digit) {
            continue;  // thousands separator
        } else {
            break;
        }
    }
    if (!seen_digit) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(digits.c_str(), &end);
    if (!std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace geo::import::detail
