#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "geo/error.hpp"
#include "geo/text/encoding.hpp"

// What every fuzz target shares: a failed property is reported and aborts, so that libFuzzer
// keeps the input as a crash; the only exception a parser may throw is geo::Error.
namespace gridmap::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz property failed: %s\n%.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
    if (!ok) fail(what, detail);
}

/// A refusal must be an invalid_argument with a message for the user: it starts with `prefix`,
/// is UTF-8 (it becomes a JSON problem detail) and quotes the input rather than copying it.
inline void check_refusal(const geo::Error& e, std::string_view prefix = {},
                          std::size_t max_bytes = 1024) {
    check(e.code() == geo::Errc::invalid_argument, "a refusal is an invalid_argument", e.what());
    const std::string_view message = e.what();
    check(!message.empty() && message.starts_with(prefix), "a refusal says what is wrong", message);
    check(geo::text::is_valid_utf8(message), "a refusal is UTF-8", message);
    check(message.size() <= max_bytes, "a refusal is short", message);
}

}  // namespace gridmap::fuzz
