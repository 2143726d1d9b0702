// Vector tiles (MVT) and TileJSON 3.0.
#include <functional>

#include <nlohmann/json.hpp>

#include "geo/error.hpp"
#include "geo/tiles/raster.hpp"
#include "geo/tiles/tile_source.hpp"
#include "http/encoding.hpp"
#include "http/guard.hpp"
#include "http/params.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"
#include "http/tile_cache.hpp"
#include "http/tile_path.hpp"

namespace gridmap::http {

namespace {

using nlohmann::ordered_json;

/// The layers a parsed list names, `all` expanded to the store's layers.
std::vector<std::string> requested_layers(RequestContext& ctx, const LayerList& list) {
    if (!list.all) return list.names;
    std::vector<std::string> names;
    for (const auto& info : ctx.store().layers()) names.push_back(info.name);
    return names;
}

void tilejson(RequestContext& ctx) {
    const std::string path = ctx.req.matches[1];
    const auto names = requested_layers(ctx, parse_layer_list(path));
    ordered_json vector_layers = ordered_json::array();
    geo::BBox bounds;
    int minzoom = geo::tiles::k_max_zoom;
    int maxzoom = 0;
    for (const auto& name : names) {
        auto info = ctx.store().layer(name);
        if (!info) throw geo::Error(geo::Errc::not_found, "no layer named \"" + name + "\"");
        const auto range = geo::tiles::zoom_range(*info);
        ordered_json fields = ordered_json::object();
        for (const auto& f : info->fields) fields[f.name] = f.type == geo::FieldType::text ? "String" : "Number";
        vector_layers.push_back({{"id", info->name},
                                 {"description", info->title},
                                 {"minzoom", range.min},
                                 {"maxzoom", range.max},
                                 {"fields", fields}});
        bounds.extend(info->extent);
        minzoom = std::min(minzoom, range.min);
        maxzoom = std::max(maxzoom, range.max);
    }
    if (bounds.empty()) bounds = {-180, -85.0511, 180, 85.0511};
    ordered_json body = {
        {"tilejson", "3.0.0"},
        {"name", path},
        {"scheme", "xyz"},
        {"tiles", {ctx.base_url + "/tiles/" + path + "/{z}/{x}/{y}.mvt"}},
        {"minzoom", minzoom},
        {"maxzoom", maxzoom},
        {"bounds", {bounds.minx, bounds.miny, bounds.maxx, bounds.maxy}},
        {"center", {(bounds.minx + bounds.maxx) / 2, (bounds.miny + bounds.maxy) / 2, std::min(maxzoom, std::max(minzoom, 15))}},
        {"attribution", "© OpenStreetMap contributors (demo data)"},
        {"vector_layers", vector_layers},
    };
    ctx.res.set_content(json_text(body), "application/json");
}

/// The metrics label of a layer list: the layer, "all", or "composite" for any other list — a
/// label per list a client can write (32 layers in any order) would let clients grow /metrics
/// without bound.
std::string layers_label(const LayerList& list) {
    if (list.all) return "all";
    return list.names.size() == 1 ? list.names.front() : "composite";
}

/// Tiles smaller than this are sent as they are: gzip would save less than a packet.
constexpr std::size_t k_min_gzip_bytes = 512;

/// Answers a tile from the cache, rendering it with `render` on a miss; ETag, 304, 204, gzip.
void serve_tile(Server& server, RequestContext& ctx, const std::string& label,
                const std::vector<std::string>& names, const geo::tiles::TileId& t, const std::string& format, const std::string& content_type,
                const std::function<std::string()>& render) {
    // The key holds what the caller may see, so access scopes never share tiles.
    std::string key = ctx.caller.view_key() + "|" + format + "|";
    for (const auto& n : names) key += n + ",";
    key += "|" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y);
    const auto versions = ctx.store().layer_versions();
    auto tile = server.tile_cache().find(key, versions);
    server.metrics().record_cache(tile != nullptr);
    // PNG is compressed already; MVT shrinks to about a third. The gzip form is made the first
    // time a client asks for it (deflate costs more than rendering a z16 tile), then cached.
    const bool wants_gzip =
        format == "mvt" && choose_coding(ctx.req.get_header_value(k_accept_encoding_field), false) == Coding::gzip;
    if (!tile) {
        auto fresh = std::make_shared<CachedTile>();
        fresh->body = render();
        fresh->content_type = content_type;
        fresh->etag = strong_etag(fresh->body);
        if (wants_gzip && fresh->body.size() > k_min_gzip_bytes) fresh->gzipped = gzip(fresh->body);
        for (const auto& n : names) {
            auto it = versions.find(n);
            fresh->versions[n] = it == versions.end() ? -1 : it->second;
        }
        server.tile_cache().put(key, fresh);
        tile = std::move(fresh);
    } else if (wants_gzip && tile->gzipped.empty() && tile->body.size() > k_min_gzip_bytes) {
        auto with_gzip = std::make_shared<CachedTile>(*tile);
        with_gzip->gzipped = gzip(with_gzip->body);
        server.tile_cache().put(key, with_gzip);
        tile = std::move(with_gzip);
    }
    server.metrics().record_tile(label, format, tile->body.empty());
    // The gzip form is another representation, so it has its own strong tag (RFC 9110 8.8.1).
    const bool send_gzip = wants_gzip && !tile->gzipped.empty() && !tile->body.empty();
    const std::string etag = coded_etag(tile->etag, send_gzip ? Coding::gzip : Coding::identity);
    // A tile cut to a worker's grid cells is that worker's: no shared cache may keep it.
    ctx.res.set_header("Cache-Control", ctx.caller.token_id == 0 ? "public, max-age=60" : "private, max-age=60");
    ctx.res.set_header("ETag", etag);
    ctx.res.set_header("Vary", "Accept-Encoding");
    if (etag_matches(ctx.req.get_header_value("If-None-Match"), etag)) {
        ctx.res.status = 304;
        return;
    }
    if (tile->body.empty()) {
        // A vector tile with nothing in it is a 204 (MapLibre and QGIS read it so); a raster
        // client wants an image, so an empty PNG tile is a transparent one.
        if (format == "mvt") {
            ctx.res.status = 204;
        } else {
            static const std::string k_empty[2] = {geo::tiles::transparent_png(1), geo::tiles::transparent_png(2)};
            ctx.res.set_content(k_empty[format == "png@2x" ? 1 : 0], "image/png");
        }
        return;
    }
    if (send_gzip) {
        ctx.res.set_header("Content-Encoding", "gzip");
        ctx.res.set_content(tile->gzipped, tile->content_type);
    } else {
        ctx.res.set_content(tile->body, tile->content_type);
    }
}

// Why there is no style: what was configured and where it was looked for.
std::string no_style(const Server& server) {
    return "this server has no map style: " + server.config().style +
           " was not found at start (looked in the working directory and beside the program; set the style key)";
}

// The path is parsed whole, layer list first, before the store is asked anything: a list that
// is too long or names a layer twice costs one pass over its bytes.
void mvt(Server& server, RequestContext& ctx) {
    const TilePath path = parse_tile_path(ctx.req.path);
    const auto names = requested_layers(ctx, path.layers);
    serve_tile(server, ctx, layers_label(path.layers), names, path.tile, "mvt", "application/vnd.mapbox-vector-tile",
               [&] { return geo::tiles::render_mvt(ctx.store(), names, path.tile, {}, server.style()); });
}

void png(Server& server, RequestContext& ctx) {
    const TilePath path = parse_tile_path(ctx.req.path);
    if (!server.style()) throw geo::Error(geo::Errc::not_found, no_style(server) + ", so it draws no PNG tiles");
    const auto names = requested_layers(ctx, path.layers);
    serve_tile(server, ctx, layers_label(path.layers), names, path.tile, path.scale == 2 ? "png@2x" : "png", "image/png",
               [&] { return geo::tiles::render_png(ctx.store(), *server.style(), path.tile, path.scale, names); });
}

// A URL in the style that starts with "/" is made absolute on the server's public base URL, so
// the style works from a page on any origin (MapLibre resolves a style's URLs against the
// page, not against the style).
std::string absolute(const std::string& url, const std::string& base) { return url.starts_with("/") ? base + url : url; }

void style(Server& server, RequestContext& ctx) {
    if (!server.style()) throw geo::Error(geo::Errc::not_found, no_style(server));
    nlohmann::ordered_json style = server.style_document();
    if (auto sources = style.find("sources"); sources != style.end() && sources->is_object()) {
        for (auto& source : *sources) {
            if (!source.is_object()) continue;
            if (auto url = source.find("url"); url != source.end() && url->is_string()) {
                *url = absolute(url->get<std::string>(), ctx.base_url);
            }
            if (auto tiles = source.find("tiles"); tiles != source.end() && tiles->is_array()) {
                for (auto& t : *tiles) {
                    if (t.is_string()) t = absolute(t.get<std::string>(), ctx.base_url);
                }
            }
        }
    }
    for (const char* key : {"glyphs", "sprite"}) {
        if (auto v = style.find(key); v != style.end() && v->is_string()) *v = absolute(v->get<std::string>(), ctx.base_url);
    }
    ctx.res.set_content(json_text(style), "application/json");
}

}  // namespace

void register_tile_routes(Server& server) {
    // The patterns only sort paths into routes; parse_layer_list and parse_tile_path check them
    // and answer 400 with a reason.
    server.get("/tiles/{layers}.json", R"(/tiles/([^/]+)\.json)", Role::worker,
               [](RequestContext& ctx) { tilejson(ctx); });
    server.get("/tiles/{layers}/{z}/{x}/{y}.png", R"(/tiles/[^/]+/[^/]+/[^/]+/[^/]+\.png)", Role::worker,
               [&server](RequestContext& ctx) { png(server, ctx); });
    server.get("/styles/gridmap.json", R"(/styles/gridmap\.json)", Role::worker, [&server](RequestContext& ctx) { style(server, ctx); });
    server.get("/tiles/{layers}/{z}/{x}/{y}.mvt", R"(/tiles/[^/]+/[^/]+/[^/]+/[^/]+\.mvt)", Role::worker,
               [&server](RequestContext& ctx) { mvt(server, ctx); });
}

}  // namespace gridmap::http
