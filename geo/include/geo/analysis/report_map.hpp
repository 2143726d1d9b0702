#pragma once

#include <optional>
#include <string>
#include <vector>

#include "geo/store/store.hpp"
#include "geo/style/style.hpp"
#include "geo/types.hpp"

namespace geo::analysis {

/// An sRGB colour with straight alpha; every channel in 0 … 1.
struct Rgba {
    double r = 0;
    double g = 0;
    double b = 0;
    double a = 1;
};

/// One thing drawn on the map over the base layers, overlays in the order given.
struct MapOverlay {
    std::string legend;  ///< legend label, may be Chinese; "" = not in the legend
    /// 2D ISO WKB in EPSG:4326 (lon, lat): points, lines or polygons (multi-parts too).
    /// Malformed WKB is skipped. A line or polygon that would be under 2 pixels across is drawn
    /// as a point, so that small results (one building in a district) stay visible.
    std::vector<std::vector<unsigned char>> wkb;
    Rgba fill{1, 0, 0, 0.35};  ///< polygon and point fill
    Rgba stroke{0.8, 0, 0, 1};  ///< polygon outline, line, point outline
    double stroke_width_px = 1;   ///< 0: no stroke
    double point_radius_px = 3;
    /// Optional text per geometry (e.g. "+512户"), same order as wkb; "" or missing: none.
    /// Drawn with a white halo beside a point, at the middle of a line or polygon.
    std::vector<std::string> labels;
};

/// What to draw. Sizes are in pixels of the output image.
struct ReportMapOptions {
    int width_px = 1600;   ///< 200 … 6000
    int height_px = 1200;  ///< 200 … 6000
    /// Area to show, EPSG:4326. Default: the extent of the overlays ∪ the grid_cells layer
    /// (else of the base layers). Fitted into the map frame with a margin; the frame shows more
    /// on the longer side.
    std::optional<BBox> bbox;
    std::string title;     ///< drawn at the top; with subtitle, "" leaves no header
    std::string subtitle;
    /// Store layers drawn with the style, in the style's order; layers the store lacks are skipped.
    std::vector<std::string> base_layers = {"grid_cells", "roads", "buildings", "stations"};
    std::vector<MapOverlay> overlays;
    bool north_arrow = true;
    std::string attribution = "© OpenStreetMap contributors";
};

/// A point of the image in pixels, x to the right and y down from its top left corner.
struct Pixel {
    double x = 0;
    double y = 0;
};

/// A rectangle of the image in pixels, from its top left corner.
struct PixelBox {
    double x = 0;
    double y = 0;
    double width = 0;
    double height = 0;
};

/// Where render_report_map puts things for given options: for image maps (clickable areas in
/// HTML) and for tests.
struct ReportMapLayout {
    int width_px = 0;
    int height_px = 0;
    PixelBox frame;            ///< the map frame (base layers and overlays are clipped to it)
    PixelBox legend;           ///< the legend box; empty when no overlay has a legend label
    double zoom = 0;           ///< the MapLibre zoom the style is evaluated at
    double metres_per_px = 0;  ///< ground metres per pixel at the frame's centre latitude
    double origin_x_m = 0;     ///< Web Mercator (EPSG:3857) x of the image's left edge
    double origin_y_m = 0;     ///< Web Mercator y of the image's top edge
    double px_per_m = 1;       ///< pixels per Web Mercator metre

    /// The image pixel of an EPSG:4326 point.
    Pixel to_pixel(double lon, double lat) const;
};

/// The layout render_report_map uses. Throws as render_report_map (without drawing).
ReportMapLayout layout_report_map(store::Store& store, const ReportMapOptions& options);

/// Renders a map for a report as PNG bytes (RGB with alpha, opaque): the title and subtitle in a
/// header; the map frame in Web Mercator with the base layers drawn by `style` (the same rules as
/// the tiles, evaluated at the map's equivalent MapLibre zoom; features under a pixel left
/// out); the overlays on top; in the frame's lower right corner a legend box with a swatch
/// per overlay that has a legend label (a rectangle for polygons, a stroke for lines, a dot for
/// points); in its lower left a scale bar of a round length (100 m, 200 m, 500 m, 1 km …)
/// measured at the frame's centre latitude; a north arrow in its upper right; the attribution
/// under the frame. Text uses an installed CJK font (WenQuanYi Zen Hei, Noto Sans CJK, …).
///
/// Throws geo::Error: invalid_argument for a size outside 200 … 6000, a bbox that is empty,
/// not finite or outside lon −180 … 180 / lat −85 … 85, or nothing to show (no bbox, no
/// overlay geometry, no grid cells nor base-layer features); internal when Cairo fails.
std::string render_report_map(store::Store& store, const style::Style& style, const ReportMapOptions& options);

}  // namespace geo::analysis
