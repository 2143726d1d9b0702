#include "http/config.hpp"

#include <filesystem>

#include <algorithm>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "geo/error.hpp"
#include "http/forwarded.hpp"
#include "http/params.hpp"

extern char** environ;

namespace gridmap::http {

namespace {

// One entry per key: how to set it from JSON and from text (environment, flags).
struct Key {
    const char* name;
    std::function<void(ServerConfig&, const nlohmann::json&)> from_json;
    std::function<void(ServerConfig&, const std::string&)> from_text;
    std::function<std::string(const ServerConfig&)> show;  // the value as text (for --help)
    const char* help = "";
};

long long parse_integer(const std::string& key, const std::string& text, long long min, long long max) {
    try {
        return parse_int(key, text, min, max);
    } catch (const geo::Error& e) {
        throw std::invalid_argument(e.what());
    }
}

template <typename T>
Key integer_key(const char* name, T ServerConfig::*member, long long min, long long max, const char* help) {
    return {name,
            [=](ServerConfig& c, const nlohmann::json& j) {
                if (!j.is_number_integer()) throw std::invalid_argument(std::string(name) + " must be a whole number");
                c.*member = static_cast<T>(parse_integer(name, std::to_string(j.get<long long>()), min, max));
            },
            [=](ServerConfig& c, const std::string& s) {
                c.*member = static_cast<T>(parse_integer(name, s, min, max));
            },
            [=](const ServerConfig& c) { return std::to_string(c.*member); },
            help};
}

Key text_key(const char* name, std::string ServerConfig::*member, const char* help,
             std::string (*check)(const std::string&) = nullptr) {
    return {name,
            [=](ServerConfig& c, const nlohmann::json& j) {
                if (!j.is_string() || j.get<std::string>().empty()) {
                    throw std::invalid_argument(std::string(name) + " must be a non-empty string");
                }
                c.*member = check ? check(j.get<std::string>()) : j.get<std::string>();
            },
            [=](ServerConfig& c, const std::string& s) {
                if (s.empty()) throw std::invalid_argument(std::string(name) + " must not be empty");
                c.*member = check ? check(s) : s;
            },
            [=](const ServerConfig& c) { return c.*member; },
            help};
}

Key bool_key(const char* name, bool ServerConfig::*member, const char* help) {
    return {name,
            [=](ServerConfig& c, const nlohmann::json& j) {
                if (!j.is_boolean()) throw std::invalid_argument(std::string(name) + " must be true or false");
                c.*member = j.get<bool>();
            },
            [=](ServerConfig& c, const std::string& s) {
                if (s == "true" || s == "1") c.*member = true;
                else if (s == "false" || s == "0") c.*member = false;
                else throw std::invalid_argument(std::string(name) + " must be true or false, not \"" + s + "\"");
            },
            [=](const ServerConfig& c) { return std::string(c.*member ? "true" : "false"); },
            help};
}

// A list of names: a JSON array of strings, or comma-separated text; `check` normalises and
// validates each (throwing std::invalid_argument).
Key list_key(const char* name, std::vector<std::string> ServerConfig::*member, std::string (*check)(const char*, std::string),
             const char* what, const char* help) {
    return {name,
            [=](ServerConfig& c, const nlohmann::json& j) {
                if (!j.is_array()) throw std::invalid_argument(std::string(name) + " must be a list of " + what);
                (c.*member).clear();
                for (const auto& item : j) {
                    if (!item.is_string()) throw std::invalid_argument(std::string(name) + " must be a list of " + what);
                    (c.*member).push_back(check(name, item.get<std::string>()));
                }
            },
            [=](ServerConfig& c, const std::string& s) {
                (c.*member).clear();
                for (const auto& item : split_list(s)) (c.*member).push_back(check(name, item));
            },
            [=](const ServerConfig& c) {
                std::string out;
                for (const auto& item : c.*member) out += (out.empty() ? "" : ",") + item;
                return out;
            },
            help};
}

std::string host_name(const char* key, std::string host) {
    for (char& c : host) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '*';
        if (!ok) throw std::invalid_argument(std::string(key) + ": \"" + host + "\" is not a host name");
    }
    if (host.empty()) throw std::invalid_argument(std::string(key) + " holds an empty name");
    return host;
}

// "*", or an origin as browsers send it: http or https, a host, an optional port, no path.
std::string web_origin(const char* key, std::string origin) {
    if (origin == "*") return origin;
    for (char& c : origin) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    }
    const auto scheme_end = origin.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : origin.substr(0, scheme_end);
    const std::string rest = scheme_end == std::string::npos ? "" : origin.substr(scheme_end + 3);
    const bool ok = (scheme == "http" || scheme == "https") && !rest.empty() &&
                    rest.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:[]") == std::string::npos;
    if (!ok) {
        throw std::invalid_argument(std::string(key) + ": \"" + origin +
                                    "\" is not an origin (https://map.example.org, with a port if it is not the default) or *");
    }
    return origin;
}

// A trusted proxy: an IP address or network (10.0.0.0/8, fd00::/8).
std::string proxy_net(const char* key, std::string text) {
    if (!ProxyNet::parse(text)) {
        throw std::invalid_argument(std::string(key) + ": \"" + text + "\" is not an IP address or network (10.0.0.0/8)");
    }
    return text;
}

const std::vector<Key>& keys() {
    static const std::vector<Key> all = {
        text_key("db", &ServerConfig::db, "the SpatiaLite database to serve"),
        text_key("host", &ServerConfig::host, "the address to listen on (0.0.0.0: every interface)"),
        integer_key("port", &ServerConfig::port, 0, 65535, "the port to listen on (0: any free port)"),
        integer_key("threads", &ServerConfig::threads, 0, 256, "worker threads (0: 4 per core, at least 8)"),
        text_key("public_url", &ServerConfig::public_url,
                 "the base URL clients reach the server by (https://map.example.org/gridmap); every absolute "
                 "link is made from it. Unset: from a trusted proxy's Forwarded / X-Forwarded-* fields, else Host",
                 normalise_public_url),
        list_key("trusted_proxies", &ServerConfig::trusted_proxies, proxy_net, "IP addresses or networks",
                 "proxies whose Forwarded / X-Forwarded-Proto / -Host / -Prefix fields are believed"),
        list_key("allowed_hosts", &ServerConfig::allowed_hosts, host_name, "host names",
                 "host names clients may address the server by, besides IP literals, localhost and this "
                 "machine's name (others get 421); * for any"),
        list_key("cors_origins", &ServerConfig::cors_origins, web_origin, "origins",
                 "web pages on these origins may read the answers (* for any; none: empty)"),
        text_key("style", &ServerConfig::style,
                 "the MapLibre style for PNG tiles and /styles/gridmap.json; a relative path is looked for in the "
                 "working directory, then beside the program"),
        text_key("walkability", &ServerConfig::walkability,
                 "a walkability table (the format of config/walkability.json) for walking analyses and the point "
                 "query; unset: the built-in table, the same as that file"),
        text_key("standards", &ServerConfig::standards,
                 "a standards file (the format of config/standards.json) for the norms analysis; unset: the "
                 "built-in standards, the same as that file"),
        integer_key("max_connections", &ServerConfig::max_connections, 16, 1000000,
                    "open connections at most; idle ones give way to new ones, then 503"),
        integer_key("max_body_bytes", &ServerConfig::max_body_bytes, 1024, 1LL << 31, "the largest JSON request body"),
        integer_key("read_timeout_s", &ServerConfig::read_timeout_s, 1, 300, "a whole request must arrive within this (408)"),
        integer_key("write_timeout_s", &ServerConfig::write_timeout_s, 1, 300,
                    "a client that takes no byte of an answer for this long is cut off"),
        integer_key("keep_alive_max_count", &ServerConfig::keep_alive_max_count, 1, 100000, "requests per connection"),
        integer_key("keep_alive_timeout_s", &ServerConfig::keep_alive_timeout_s, 1, 300, "an idle connection is closed after this"),
        integer_key("cache_bytes", &ServerConfig::cache_bytes, 0, 1LL << 40, "the tile cache's memory budget"),
        integer_key("items_default_limit", &ServerConfig::items_default_limit, 1, 100000, "features per /items page by default"),
        integer_key("items_max_limit", &ServerConfig::items_max_limit, 1, 1000000, "the largest limit= a client may ask"),
        integer_key("compress_min_bytes", &ServerConfig::compress_min_bytes, 0, 1LL << 30,
                    "JSON, GeoJSON and CSV answers at least this long are sent gzip- or Brotli-compressed when the "
                    "client accepts it"),
        bool_key("access_log", &ServerConfig::access_log, "one line per request on stderr"),
        bool_key("open", &ServerConfig::open, "serve every request as an admin's, without tokens (loopback only; a local demo)"),
        bool_key("secure_cookies", &ServerConfig::secure_cookies, "session cookies are sent over HTTPS only (behind a TLS proxy)"),
        integer_key("max_upload_bytes", &ServerConfig::max_upload_bytes, 1024, 1LL << 40, "the largest upload to POST /imports"),
        integer_key("upload_timeout_s", &ServerConfig::upload_timeout_s, 10, 86400, "how long one upload may take in all"),
        text_key("upload_dir", &ServerConfig::upload_dir, "the private folder uploads are written to (unset: the database path + .uploads)"),
    };
    return all;
}

const Key* find_key(const std::string& name) {
    for (const auto& k : keys()) {
        if (name == k.name) return &k;
    }
    return nullptr;
}

std::string env_name(const std::string& key) {
    std::string out = "GRIDMAP_";
    for (char c : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

int ServerConfig::worker_threads() const {
    if (threads > 0) return threads;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(8, 4 * cores);
}

std::string settings_help() {
    const ServerConfig defaults;
    std::string out = "Settings (config file key; environment variable; default):\n";
    for (const auto& k : keys()) {
        const std::string value = k.show(defaults);
        out += "  " + std::string(k.name) + "  (" + env_name(k.name) + "; " + (value.empty() ? "unset" : value) + ")\n";
        // The description, wrapped at about 90 columns under the name.
        std::string line = "      ";
        std::string_view words = k.help;
        while (!words.empty()) {
            const auto space = words.find(' ');
            const std::string_view word = words.substr(0, space);
            if (line.size() + word.size() > 96 && line.size() > 6) {
                line.pop_back();
                out += line + "\n";
                line = "      ";
            }
            line += std::string(word) + " ";
            words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

ServerConfig load_config(const std::optional<std::string>& file,
                         const std::map<std::string, std::string>& environment,
                         const std::map<std::string, std::string>& overrides) {
    ServerConfig config;
    if (file) {
        std::ifstream in(*file);
        if (!in) throw std::invalid_argument("cannot read the configuration file " + *file);
        const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            throw std::invalid_argument(*file + " is not a JSON object");
        }
        for (const auto& [name, value] : j.items()) {
            const Key* key = find_key(name);
            if (!key) throw std::invalid_argument(*file + ": unknown key \"" + name + "\"");
            key->from_json(config, value);
        }
    }
    for (const auto& key : keys()) {
        auto it = environment.find(env_name(key.name));
        if (it != environment.end()) key.from_text(config, it->second);
    }
    for (const auto& [name, value] : overrides) {
        const Key* key = find_key(name);
        if (!key) throw std::invalid_argument("unknown setting \"" + name + "\"");
        key->from_text(config, value);
    }
    if (config.items_default_limit > config.items_max_limit) {
        throw std::invalid_argument("items_default_limit must not exceed items_max_limit");
    }
    return config;
}

std::string locate_style(const std::string& configured) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_regular_file(configured, ec)) return configured;
    const fs::path relative(configured);
    if (relative.is_absolute()) return "";
    const fs::path program = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return "";
    // build/server/gridmap and build/tests/… in a checkout; bin/gridmap in an installation.
    for (const fs::path& root : {program.parent_path().parent_path().parent_path(),
                                 program.parent_path().parent_path() / "share" / "gridmap"}) {
        const fs::path candidate = root / relative;
        if (fs::is_regular_file(candidate, ec)) return candidate.string();
    }
    return "";
}

std::map<std::string, std::string> process_environment() {
    std::map<std::string, std::string> out;
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        const auto eq = entry.find('=');
        if (eq != std::string::npos && entry.starts_with("GRIDMAP_")) out[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    return out;
}

}  // namespace gridmap::http
