#include "geo/crs/crs.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include <cpl_conv.h>
#include <ogr_spatialref.h>
#include <proj.h>

#include "capi/free.hpp"
#include "capi/gdal.hpp"
#include "geo/error.hpp"

namespace geo::crs {

namespace {

// PROJ calls a definition equivalent to an EPSG entry from 70 on; below that only the
// name is alike, and a .prj named "…GK_Zone_40" with another false easting scores 25.
constexpr int min_match_confidence = 70;

std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\r\n\v\f";
    const std::size_t first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

std::string clean_definition(std::string_view text) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (text.starts_with(bom)) text.remove_prefix(bom.size());
    return std::string(trim(text));
}

std::string shorten(std::string_view text) {
    std::size_t limit = 80;
    if (text.size() <= limit) return std::string(text);
    // Back up to a character boundary: WKT names can be Chinese.
    while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
    return std::string(text.substr(0, limit)) + "…";
}

std::optional<int> epsg_code(const OGRSpatialReference& srs) {
    const char* authority = srs.GetAuthorityName(nullptr);
    const char* code = srs.GetAuthorityCode(nullptr);
    if (!authority || !code || std::string_view(authority) != "EPSG") return std::nullopt;
    char* end = nullptr;
    const long value = std::strtol(code, &end, 10);
    if (end == code || *end != '\0' || value <= 0 || value > 999999) return std::nullopt;
    return static_cast<int>(value);
}

/// The EPSG entry PROJ finds equivalent to `srs`, with its official name.
std::optional<std::pair<int, std::string>> find_epsg_match(const OGRSpatialReference& srs) {
    int count = 0;
    int* confidences = nullptr;
    OGRSpatialReferenceH* matches = srs.FindMatches(nullptr, &count, &confidences);
    const capi::Owned<int, CPLFree> confidence_owner(confidences);
    const capi::Owned<OGRSpatialReferenceH, OSRFreeSRSArray> match_owner(matches);
    for (int i = 0; i < count; ++i) {
        if (confidences[i] < min_match_confidence) continue;
        const auto* match = OGRSpatialReference::FromHandle(matches[i]);
        if (const auto code = epsg_code(*match)) {
            const char* name = match->GetName();
            return std::pair{*code, std::string(name ? name : "")};
        }
    }
    return std::nullopt;
}

std::string to_wkt2(const OGRSpatialReference& srs) {
    char* raw = nullptr;
    const char* const options[] = {"FORMAT=WKT2_2019", "MULTILINE=NO", nullptr};
    const OGRErr err = srs.exportToWkt(&raw, options);
    const capi::Owned<char, CPLFree> owner(raw);
    if (err != OGRERR_NONE || !raw) {
        throw Error(Errc::internal, "could not write the coordinate reference system as WKT");
    }
    return raw;
}

CrsInfo describe(const std::string& definition, const std::string& hint) {
    if (definition.empty()) {
        throw Error(Errc::invalid_argument,
                    "the coordinate reference system definition is empty" + hint);
    }
    capi::GdalErrorCapture errors;
    OGRSpatialReference srs;
    // No file or network look-ups: the text comes from users and uploaded files.
    if (srs.SetFromUserInput(definition.c_str(),
                             OGRSpatialReference::SET_FROM_USER_INPUT_LIMITATIONS_get()) !=
        OGRERR_NONE) {
        throw Error(Errc::invalid_argument, "'" + shorten(definition) +
                                                "' is not a coordinate reference system (" +
                                                errors.last_failure("not understood") + ")" + hint);
    }
    if (!srs.IsGeographic() && !srs.IsProjected()) {
        throw Error(Errc::unsupported,
                    "'" + shorten(definition) +
                        "' is neither a geographic (lon/lat) nor a projected coordinate "
                        "reference system" +
                        hint);
    }

    CrsInfo info;
    info.geographic = srs.IsGeographic();
    if (const auto code = epsg_code(srs)) {
        info.epsg = code;
        const char* name = srs.GetName();
        info.name = name ? name : "";
    } else if (const auto match = find_epsg_match(srs)) {
        info.epsg = match->first;
        info.name = match->second;
    } else {
        const char* name = srs.GetName();
        info.name = name ? name : "";
        // GDAL has read ESRI, OGC and PROJ flavours alike; its WKT2 is what PROJ reads back
        // without guessing, so the Transformer sees the same CRS as this function.
        info.definition = to_wkt2(srs);
    }
    if (info.epsg) info.definition = "EPSG:" + std::to_string(*info.epsg);
    if (info.name.empty() || info.name == "unknown" || info.name == "unnamed") {
        info.name = info.epsg ? info.definition : "custom coordinate reference system";
    }
    return info;
}

bool is_number(std::string_view s) {
    return !s.empty() && s.size() <= 6 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string thousands(double value) {
    // Groups of three digits make the zone prefix visible: "40 641 020".
    std::string digits = std::to_string(static_cast<long long>(std::floor(value)));
    std::string out;
    const std::size_t first = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
    out += digits.substr(0, first);
    for (std::size_t i = first; i < digits.size(); i += 3) out += " " + digits.substr(i, 3);
    return out;
}

std::string degrees(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", value);
    return buffer;
}

}  // namespace

CrsInfo identify(const std::string& wkt_or_definition) {
    return describe(clean_definition(wkt_or_definition), "");
}

CrsInfo from_user(const std::string& text) {
    std::string definition = clean_definition(text);
    std::string_view code = definition;
    if (code.size() > 5 && std::equal(code.begin(), code.begin() + 5, "EPSG:", [](char a, char b) {
            return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
        code.remove_prefix(5);
    }
    if (is_number(code)) definition = "EPSG:" + std::string(code);
    return describe(definition, "; give an EPSG code such as EPSG:4528, a WKT or a PROJ string");
}

std::optional<Guess> guess_from_extent(double minx, double miny, double maxx, double maxy) {
    if (!std::isfinite(minx) || !std::isfinite(miny) || !std::isfinite(maxx) ||
        !std::isfinite(maxy) || minx > maxx || miny > maxy) {
        return std::nullopt;
    }

    const double zone = std::floor(minx / 1e6);
    if (zone >= 25 && zone <= 45 && std::floor(maxx / 1e6) == zone && miny >= 0 && maxy <= 1e7) {
        const int z = static_cast<int>(zone);
        const int epsg = 4513 + (z - 25);
        return Guess{epsg, "8-digit eastings " + thousands(minx) + " … " + thousands(maxx) +
                               " carry the zone number " + std::to_string(z) +
                               ": CGCS2000 3-degree Gauss-Kruger zone " + std::to_string(z) +
                               " (EPSG:" + std::to_string(epsg) + ")"};
    }

    if (minx >= -180 && maxx <= 180 && miny >= -90 && maxy <= 90) {
        const std::string range = "coordinates lon " + degrees(minx) + " … " + degrees(maxx) +
                                  ", lat " + degrees(miny) + " … " + degrees(maxy);
        if (minx >= 73 && maxx <= 135 && miny >= 3 && maxy <= 54) {
            return Guess{4490,
                         range + " are degrees inside China: CGCS2000 geographic (EPSG:4490)"};
        }
        return Guess{4326, range + " are degrees: WGS 84 geographic (EPSG:4326)"};
    }
    return std::nullopt;
}

struct Transformer::Impl {
    // Declared before the PJ so that it is destroyed after it.
    capi::Owned<PJ_CONTEXT, proj_context_destroy> context;
    capi::Owned<PJ, proj_destroy> operation;
    bool noop = false;
};

namespace {

capi::Owned<PJ, proj_destroy> create_crs(PJ_CONTEXT* ctx, const std::string& definition) {
    capi::Owned<PJ, proj_destroy> crs(proj_create(ctx, definition.c_str()));
    if (!crs || !proj_is_crs(crs.get())) {
        throw Error(Errc::invalid_argument,
                    "'" + shorten(definition) + "' is not a coordinate reference system");
    }
    return crs;
}

}  // namespace

Transformer::Transformer(const std::string& source, const std::string& target)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->context.reset(proj_context_create());
    PJ_CONTEXT* ctx = m_impl->context.get();
    if (!ctx) throw Error(Errc::internal, "could not create a PROJ context");
    proj_log_level(ctx, PJ_LOG_NONE);
    // Grids come from the Debian proj-data package, never from the network.
    proj_context_set_enable_network(ctx, 0);

    const auto source_crs = create_crs(ctx, source);
    const auto target_crs = create_crs(ctx, target);
    m_impl->noop = source == target ||
                   proj_is_equivalent_to_with_ctx(ctx, source_crs.get(), target_crs.get(),
                                                  PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS);

    const capi::Owned<PJ, proj_destroy> operation(
        proj_create_crs_to_crs_from_pj(ctx, source_crs.get(), target_crs.get(), nullptr, nullptr));
    if (!operation) {
        throw Error(Errc::unsupported, "PROJ knows no transformation from '" + shorten(source) +
                                           "' to '" + shorten(target) + "'");
    }
    m_impl->operation.reset(proj_normalize_for_visualization(ctx, operation.get()));
    if (!m_impl->operation) {
        throw Error(Errc::unsupported, "PROJ cannot put '" + shorten(source) + "' or '" +
                                           shorten(target) + "' in easting, northing order");
    }
}

Transformer::~Transformer() = default;
Transformer::Transformer(Transformer&&) noexcept = default;
Transformer& Transformer::operator=(Transformer&&) noexcept = default;

bool Transformer::transform(double* xy, std::size_t count) const {
    if (count == 0) return true;
    if (!xy || !m_impl) return false;
    const auto finite = [&] {
        return std::all_of(xy, xy + 2 * count, [](double v) { return std::isfinite(v); });
    };
    if (!finite()) return false;
    if (m_impl->noop) return true;

    constexpr std::size_t stride = 2 * sizeof(double);
    proj_trans_generic(m_impl->operation.get(), PJ_FWD, xy, stride, count, xy + 1, stride, count,
                       nullptr, 0, 0, nullptr, 0, 0);
    // A point PROJ cannot transform comes back as HUGE_VAL, which is not finite.
    return finite();
}

bool Transformer::is_noop() const noexcept { return m_impl && m_impl->noop; }

}  // namespace geo::crs
