#pragma once

#include <string>
#include <vector>

#include "cli/args.hpp"

namespace gridmap::cli {

struct Command {
    CommandSpec spec;
    int (*run)(const Args& args);
};

/// Every command of the `gridmap` tool, in the order `gridmap --help` lists them.
const std::vector<Command>& commands();

/// gridmap analyze (cli/analyze.cpp).
CommandSpec analyze_spec();
int run_analyze(const Args& args);

/// gridmap token create|list|revoke and gridmap audit (cli/access.cpp).
std::vector<Command> access_commands();

/// The database used when --db is not given: $GRIDMAP_DB, else gridmap.sqlite.
std::string default_db();

}  // namespace gridmap::cli
