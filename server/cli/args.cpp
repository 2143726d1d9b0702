#include "cli/args.hpp"

namespace gridmap::cli {

Args::Args(const CommandSpec& spec, const std::vector<std::string>& argv) {
    auto find = [&](const std::string& name) -> const OptionSpec* {
        for (const auto& o : spec.options) {
            if (o.name == name) return &o;
        }
        return nullptr;
    };
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            m_help = true;
            return;
        }
        if (arg.starts_with("--")) {
            std::string name = arg.substr(2);
            std::optional<std::string> inline_value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                inline_value = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            const OptionSpec* opt = find(name);
            if (!opt) throw UsageError("unknown option --" + name);
            if (m_values.contains(name) && !opt->repeatable) {
                throw UsageError("option --" + name + " is given twice");
            }
            if (opt->value_name.empty()) {
                if (inline_value) throw UsageError("option --" + name + " takes no value");
                m_values[name];
                continue;
            }
            if (!inline_value) {
                if (i + 1 >= argv.size() || argv[i + 1].starts_with("--")) {
                    throw UsageError("option --" + name + " needs a value (" + opt->value_name + ")");
                }
                inline_value = argv[++i];
            }
            m_values[name].push_back(*inline_value);
        } else if (arg.size() > 1 && arg[0] == '-') {
            throw UsageError("unknown option " + arg);
        } else {
            m_positionals.push_back(arg);
        }
    }
    if (m_positionals.size() < spec.positionals.size()) {
        throw UsageError("missing " + spec.positionals[m_positionals.size()]);
    }
    if (m_positionals.size() > spec.positionals.size()) {
        throw UsageError("unexpected argument " + m_positionals[spec.positionals.size()]);
    }
}

std::optional<std::string> Args::value(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::string Args::value_or(const std::string& name, const std::string& fallback) const {
    return value(name).value_or(fallback);
}

std::vector<std::string> Args::values(const std::string& name) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

std::string usage(const CommandSpec& spec) {
    std::string out = "usage: gridmap " + spec.name;
    for (const auto& p : spec.positionals) out += " " + p;
    if (!spec.options.empty()) out += " [options]";
    out += "\n\n" + spec.summary + "\n";
    if (!spec.options.empty()) {
        out += "\noptions:\n";
        for (const auto& o : spec.options) {
            std::string left = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
            if (left.size() < 28) left.resize(28, ' ');
            else left += "\n" + std::string(28, ' ');
            out += left + o.help + (o.repeatable ? " (repeatable)" : "") + "\n";
        }
        out += "  --help                    show this help\n";
    }
    if (!spec.details.empty()) out += "\n" + spec.details;
    return out;
}

}  // namespace gridmap::cli
