#include "geo/types.hpp"

#include <charconv>
#include <cmath>

namespace geo {

std::string value_text(const Value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&v)) {
        char buf[32];
        return std::string(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr);
    }
    return {};
}

std::optional<std::int64_t> value_int(const Value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (const auto* d = std::get_if<double>(&v); d && std::isfinite(*d) && std::fabs(*d) < 9223372036854775808.0) {
        return static_cast<std::int64_t>(std::llround(*d));
    }
    return std::nullopt;
}

std::optional<double> value_real(const Value& v) {
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return std::nullopt;
}

const char* to_string(FieldType t) noexcept {
    switch (t) {
        case FieldType::integer: return "integer";
        case FieldType::real: return "real";
        case FieldType::text: return "text";
    }
    return "text";
}

}  // namespace geo
