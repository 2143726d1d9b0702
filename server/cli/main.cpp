// gridmap: the command-line front end of the geo library.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "geo/error.hpp"

namespace {

void print_overview() {
    std::printf(
        "usage: gridmap COMMAND [options]\n\n"
        "Gridmap stores, imports and serves the map layers of community grid management.\n\n"
        "commands:\n");
    for (const auto& c : gridmap::cli::commands()) {
        std::string name = "  " + c.spec.name;
        name.resize(16, ' ');
        std::printf("%s%s\n", name.c_str(), c.spec.summary.c_str());
    }
    std::printf("\nRun gridmap COMMAND --help for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
    using gridmap::cli::UsageError;
    const std::vector<std::string> all(argv + 1, argv + argc);
    if (all.empty() || all[0] == "--help" || all[0] == "-h" || all[0] == "help") {
        print_overview();
        return all.empty() ? 2 : 0;
    }
    // Commands are one word (import) or two (token create).
    const gridmap::cli::Command* command = nullptr;
    std::size_t words = 1;
    for (const auto& c : gridmap::cli::commands()) {
        if (c.spec.name == all[0]) command = &c;
    }
    for (const auto& c : gridmap::cli::commands()) {
        if (all.size() > 1 && c.spec.name == all[0] + " " + all[1]) {
            command = &c;
            words = 2;
        }
    }
    if (!command && all[0] == "token") {
        std::fprintf(stderr, "gridmap token: say create, list or revoke (run gridmap --help)\n");
        return 2;
    }
    if (!command) {
        std::fprintf(stderr, "gridmap: unknown command \"%s\" (run gridmap --help)\n", all[0].c_str());
        return 2;
    }
    try {
        const gridmap::cli::Args args(command->spec, {all.begin() + static_cast<std::ptrdiff_t>(words), all.end()});
        if (args.help()) {
            std::printf("%s", gridmap::cli::usage(command->spec).c_str());
            return 0;
        }
        return command->run(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "gridmap %s: %s\n\n%s", command->spec.name.c_str(), e.what(),
                     gridmap::cli::usage(command->spec).c_str());
        return 2;
    } catch (const geo::Error& e) {
        std::fprintf(stderr, "gridmap %s: error: %s\n", command->spec.name.c_str(), e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "gridmap %s: error: out of memory\n", command->spec.name.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmap %s: internal error: %s\n", command->spec.name.c_str(), e.what());
        return 70;
    }
}
