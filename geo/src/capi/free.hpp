#pragma once

#include <memory>

namespace geo::capi {

/// Deleter that calls a C library's release function: `std::unique_ptr<T, Free<fn>>`.
template <auto F>
struct Free {
    template <typename T>
    void operator()(T* p) const noexcept {
        if (p) F(p);
    }
};

template <typename T, auto F>
using Owned = std::unique_ptr<T, Free<F>>;

}  // namespace geo::capi
