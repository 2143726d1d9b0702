#include "geo/error.hpp"

namespace geo {

std::string_view to_string(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument: return "invalid argument";
        case Errc::not_found: return "not found";
        case Errc::unsupported: return "unsupported";
        case Errc::conflict: return "conflict";
        case Errc::unavailable: return "unavailable";
        case Errc::internal: return "internal error";
    }
    return "internal error";
}

}  // namespace geo
