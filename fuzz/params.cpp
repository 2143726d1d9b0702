// Query parameters: parse_int, parse_double, split_list, parse_crs and parse_bbox on the same
// bytes. Each either answers within its contract or throws geo::Error (invalid_argument).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "fuzz_check.hpp"
#include "geo/io/export.hpp"
#include "http/params.hpp"

namespace {

using gridmap::fuzz::check;
namespace http = gridmap::http;

void whole_numbers(const std::string& text) {
    struct Range {
        std::int64_t min;
        std::int64_t max;
    };
    constexpr Range ranges[] = {
        {0, 24},
        {1, 10000},
        {0, std::int64_t{1} << 40},
        {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}};
    for (const auto& r : ranges) {
        try {
            const std::int64_t v = http::parse_int("n", text, r.min, r.max);
            check(v >= r.min && v <= r.max, "parse_int stays in its range", text);
        } catch (const geo::Error& e) {
            gridmap::fuzz::check_refusal(e, "n must be a whole number");
        }
    }
}

void decimal(const std::string& text) {
    try {
        const double v = http::parse_double("d", text);
        check(std::isfinite(v), "parse_double gives a finite number", text);
    } catch (const geo::Error& e) {
        gridmap::fuzz::check_refusal(e, "d: ");
    }
}

void list(const std::string& text) {
    const auto items = http::split_list(text);
    std::string joined;
    for (const auto& item : items) {
        check(!item.empty() && item.find(',') == std::string::npos,
              "split_list items are non-empty, without commas", text);
        joined += item;
    }
    std::string expected;
    for (char c : text) {
        if (c != ',') expected += c;
    }
    check(joined == expected, "split_list keeps every byte but the commas, in order", text);
}

void crs_and_bbox(const std::string& text) {
    try {
        const auto crs = http::parse_crs("crs", text);
        check(http::parse_crs("crs", http::crs_uri(crs)) == crs, "a CRS URI reads back as itself",
              text);
    } catch (const geo::Error& e) {
        gridmap::fuzz::check_refusal(e, "crs: ");
    }
    for (const auto crs : {geo::io::OutputCrs::crs84, geo::io::OutputCrs::epsg4326,
                           geo::io::OutputCrs::epsg4490, geo::io::OutputCrs::epsg3857}) {
        try {
            const geo::BBox b = http::parse_bbox(text, crs);
            check(b.minx <= b.maxx && b.miny <= b.maxy, "a bbox has min <= max", text);
            check(b.minx >= -180 && b.maxx <= 180 && b.miny >= -90 && b.maxy <= 90,
                  "a bbox is in lon/lat range", text);
        } catch (const geo::Error& e) {
            gridmap::fuzz::check_refusal(e, "bbox");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    whole_numbers(text);
    decimal(text);
    list(text);
    crs_and_bbox(text);
    return 0;
}
