#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace geo {

/// What kind of failure an Error reports. The server maps each category to one
/// HTTP status and the CLI to one exit code; nothing else inspects messages.
enum class Errc {
    invalid_argument,  ///< the caller's input is wrong (bad file, bad option, bad value)
    not_found,         ///< a named thing (layer, feature, file) does not exist
    unsupported,       ///< valid input that Gridmap cannot handle (format, CRS, geometry kind)
    conflict,          ///< the store is busy or the request clashes with its state
    unavailable,       ///< a resource could not be reached (disk full, database locked)
    internal,          ///< a bug or a library failure that the caller cannot fix
};

std::string_view to_string(Errc code) noexcept;

/// The one exception type thrown by the geo library. `what()` is written for the
/// person who gave the input: it says what was wrong and, where possible, what to do.
class Error : public std::runtime_error {
public:
    Error(Errc code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    Errc code() const noexcept { return m_code; }

private:
    Errc m_code;
};

}  // namespace geo
