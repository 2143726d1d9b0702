#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gridmap::cli {

/// A mistake in how the command was called: printed with the usage, exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name;        ///< without the leading "--"
    std::string value_name;  ///< empty for a flag
    std::string help;
    bool repeatable = false;
};

struct CommandSpec {
    std::string name;
    std::string summary;
    std::vector<std::string> positionals;  ///< required, in order
    std::vector<OptionSpec> options;
    std::string details;  ///< extra help text
};

/// The parsed command line of one command.
class Args {
public:
    Args(const CommandSpec& spec, const std::vector<std::string>& argv);

    const std::string& positional(std::size_t i) const { return m_positionals.at(i); }
    bool flag(const std::string& name) const { return m_values.contains(name); }
    std::optional<std::string> value(const std::string& name) const;
    std::string value_or(const std::string& name, const std::string& fallback) const;
    std::vector<std::string> values(const std::string& name) const;
    bool help() const { return m_help; }

private:
    std::vector<std::string> m_positionals;
    std::map<std::string, std::vector<std::string>> m_values;
    bool m_help = false;
};

std::string usage(const CommandSpec& spec);

}  // namespace gridmap::cli
