#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gridmap::http {

/// Everything the server can be told. Defaults suit one district on a small machine; every
/// limit is explicit because cpp-httplib's own defaults are unsafe for a public server.
struct ServerConfig {
    std::string db = "gridmap.sqlite";
    std::string host = "127.0.0.1";
    int port = 8080;                     ///< 0: any free port
    int threads = 0;                     ///< worker threads; 0: 4 per core, at least 8
    std::size_t max_connections = 1024;     ///< open connections; idle ones give way to new ones, then 503
    /// Host names clients may address the server by, besides IP literals, "localhost" and this
    /// machine's own name (a request naming another gets 421); "*" accepts any name.
    std::vector<std::string> allowed_hosts;
    /// The base URL clients reach the server by ("https://map.example.org/gridmap", no trailing
    /// slash); every absolute link is built from it. Empty: from a trusted proxy's Forwarded or
    /// X-Forwarded-* fields, else from the Host field.
    std::string public_url;
    /// Peers whose Forwarded / X-Forwarded-* fields are believed: addresses or networks. A
    /// local nginx by default.
    std::vector<std::string> trusted_proxies = {"127.0.0.1", "::1"};
    /// Web pages on these origins may read the answers (CORS): "*" for any, or origins such as
    /// "https://map.example.org" (answered with that origin and Vary: Origin); empty: none.
    /// Credentials (cookies) are never allowed across origins: other sites send bearer tokens.
    std::vector<std::string> cors_origins = {"*"};
    std::size_t max_body_bytes = 1 << 20;
    int read_timeout_s = 10;   ///< a whole request (head and body) must arrive within this
    int write_timeout_s = 10;  ///< a client that takes no byte of an answer for this long is cut off
    int keep_alive_max_count = 100;
    int keep_alive_timeout_s = 2;
    std::size_t cache_bytes = 256u << 20;  ///< tile cache budget
    /// MapLibre style for PNG tiles, served at /styles/…; a relative path is looked for in the
    /// working directory, then beside the program (locate_style).
    std::string style = "styles/gridmap.json";
    /// A walkability table (config/walkability.json format) for walking analyses and the point
    /// query's walking distances; "" for the built-in table.
    std::string walkability;
    /// A standards file (config/standards.json format) for the norms analysis; "" for the
    /// built-in standards.
    std::string standards;
    int items_default_limit = 100;
    int items_max_limit = 10000;
    /// JSON, GeoJSON and CSV answers this long or longer are compressed for clients that accept it.
    std::size_t compress_min_bytes = 1024;
    bool access_log = true;
    /// Every request is served as an admin's, without tokens: for a local demo only, so
    /// allowed only when `host` is a loopback address. Without it the server needs an admin
    /// token in the database to start (gridmap token create --role admin).
    bool open = false;
    /// Session cookies are marked Secure (sent over HTTPS only): set it when clients reach the
    /// server through a TLS proxy.
    bool secure_cookies = false;
    /// Imports over HTTP (POST /imports, admin): the largest upload, how long one may take in
    /// all, and the private folder uploads are written to ("": the database path + ".uploads").
    std::size_t max_upload_bytes = std::size_t{512} << 20;
    int upload_timeout_s = 900;
    std::string upload_dir;

    /// upload_dir, or its default.
    std::string uploads() const { return upload_dir.empty() ? db + ".uploads" : upload_dir; }

    int worker_threads() const;
};

/// Reads the configuration: defaults, then the JSON file (unknown keys and wrong types are
/// errors), then GRIDMAP_* environment variables (GRIDMAP_DB, GRIDMAP_PORT, … one per key,
/// upper-cased), then `overrides` (from command-line flags, same key names).
/// Throws std::invalid_argument with a message naming the key.
ServerConfig load_config(const std::optional<std::string>& file,
                         const std::map<std::string, std::string>& environment,
                         const std::map<std::string, std::string>& overrides);

/// Every setting, its environment variable, default and meaning (serve --help).
std::string settings_help();

/// Where the style file `configured` is: as given when it exists (absolute, or relative to the
/// working directory); else, for a relative path, beside the running program — in the checkout
/// (build/server/gridmap → the checkout's root) or an installation (bin/gridmap →
/// share/gridmap/). "" when it is nowhere, so the server starts without PNG tiles.
std::string locate_style(const std::string& configured);

/// The GRIDMAP_* variables of this process's environment.
std::map<std::string, std::string> process_environment();

}  // namespace gridmap::http
