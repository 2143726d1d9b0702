// The tile path parser on its own: what a route may pass on to the store, and what is refused
// with a reason before the store is asked anything.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "geo/error.hpp"
#include "http/tile_path.hpp"

namespace {

using gridmap::http::k_max_tile_layers;
using gridmap::http::parse_layer_list;
using gridmap::http::parse_tile_path;
using gridmap::http::TileFormat;

std::string repeated(const std::string& name, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) out += (i ? "," : "") + name;
    return out;
}

/// The message of the geo::Error (invalid_argument) that parse_tile_path throws, "" if none.
std::string refusal(const std::string& path) {
    try {
        parse_tile_path(path);
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument) << path;
        return e.what();
    }
    return "";
}

TEST(TilePath, ReadsLayersZoomColumnRowAndFormat) {
    const auto mvt = parse_tile_path("/tiles/buildings,roads/16/54895/26789.mvt");
    EXPECT_FALSE(mvt.layers.all);
    EXPECT_EQ(mvt.layers.names, (std::vector<std::string>{"buildings", "roads"}));
    EXPECT_EQ(mvt.tile.z, 16);
    EXPECT_EQ(mvt.tile.x, 54895u);
    EXPECT_EQ(mvt.tile.y, 26789u);
    EXPECT_EQ(mvt.format, TileFormat::mvt);
    EXPECT_EQ(mvt.scale, 1);

    const auto png = parse_tile_path("/tiles/all/0/0/0.png");
    EXPECT_TRUE(png.layers.all);
    EXPECT_TRUE(png.layers.names.empty());
    EXPECT_EQ(png.format, TileFormat::png);
    EXPECT_EQ(png.scale, 1);

    const auto retina = parse_tile_path("/tiles/grid_cells/24/16777215/0@2x.png");
    EXPECT_EQ(retina.format, TileFormat::png);
    EXPECT_EQ(retina.scale, 2);
    EXPECT_EQ(retina.tile.x, 16777215u);

    std::string thirty_two;
    for (std::size_t i = 0; i < k_max_tile_layers; ++i)
        thirty_two += (i ? ",l" : "l") + std::to_string(i);
    const auto most = parse_layer_list(thirty_two);
    EXPECT_EQ(most.names.size(), k_max_tile_layers);
}

struct Refused {
    std::string path;
    std::string message_part;
};

TEST(TilePath, RefusesWhatNoLayerOrTileCanBe) {
    const std::string long_name(64, 'b');
    const std::vector<Refused> cases = {
        // 810 names: the URL that cost seconds and hundreds of MB before its 400.
        {"/tiles/" + repeated("buildings", 810) + "/16/1/1.mvt", "names 810 layers; at most 32"},
        {"/tiles/" + repeated("buildings", 2) + "/16/1/1.mvt", "\"buildings\" more than once"},
        {"/tiles/roads,buildings,roads/16/1/1.png", "\"roads\" more than once"},
        {"/tiles/" + long_name + "/16/1/1.mvt", "is not a layer name"},
        {"/tiles/Buildings/16/1/1.mvt", "is not a layer name"},
        {"/tiles/1st/16/1/1.mvt", "is not a layer name"},
        {"/tiles/sqlite_master/16/1/1.mvt", "is not a layer name"},
        {"/tiles/buildings,,roads/16/1/1.mvt", "empty layer name"},
        {"/tiles/,/16/1/1.mvt", "empty layer name"},
        {"/tiles/all,roads/16/1/1.mvt", "stands alone"},
        {"/tiles/buildings/25/1/1.mvt", "z must be a whole number from 0 to 24"},
        {"/tiles/buildings/16/65536/1.mvt", "x must be a whole number from 0 to 65535"},
        {"/tiles/buildings/16/1/65536.png", "y must be a whole number from 0 to 65535"},
        {"/tiles/buildings/0/0/1.mvt", "y must be a whole number from 0 to 0"},
        {"/tiles/buildings/16/+1/1.mvt", "x must be"},
        {"/tiles/buildings/16/-1/1.mvt", "x must be"},
        {"/tiles/buildings/ 16/1/1.mvt", "z must be"},
        {"/tiles/buildings/99999999999999999999/1/1.mvt", "z must be"},
        {"/tiles/buildings/16/1/1@2x.mvt", "y must be"},
        {"/tiles/buildings/16/1/.mvt", "y must be"},
        {"/tiles/buildings/16/1/1.jpg", "{y}.mvt, {y}.png or {y}@2x.png"},
        {"/tiles/buildings/16/1/1/1.mvt", "/tiles/{layers}/{z}/{x}/{y}"},
        {"/tiles/buildings/16/1.mvt", "/tiles/{layers}/{z}/{x}/{y}"},
        {"/tile/buildings/16/1/1.mvt", "starts with /tiles/"},
    };
    for (const auto& c : cases) {
        const std::string message = refusal(c.path);
        EXPECT_NE(message.find(c.message_part), std::string::npos)
            << c.path.substr(0, 80) << " → \"" << message << "\"";
        EXPECT_LT(message.size(), 300u) << "a hostile path is quoted, not copied, into the message";
    }
}

}  // namespace
