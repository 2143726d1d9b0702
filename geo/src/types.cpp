#include "geo/types.hpp"

namespace geo {

const char* to_string(FieldType t) noexcept {
    switch (t) {
        case FieldType::integer: return "integer";
        case FieldType::real: return "real";
        case FieldType::text: return "text";
    }
    return "text";
}

}  // namespace geo
