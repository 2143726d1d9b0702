#pragma once

#include <string>
#include <vector>

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

namespace geo::capi {

/// Registers GDAL's drivers once per process; safe to call from any thread.
void ensure_gdal();

/// Captures GDAL/CPL errors raised on this thread while it lives, so that nothing is
/// printed to stderr behind the user's back; the messages go into geo::Error instead.
class GdalErrorCapture {
public:
    GdalErrorCapture();
    ~GdalErrorCapture();
    GdalErrorCapture(const GdalErrorCapture&) = delete;
    GdalErrorCapture& operator=(const GdalErrorCapture&) = delete;

    /// Messages of CE_Failure and CE_Fatal errors, oldest first.
    const std::vector<std::string>& failures() const noexcept { return m_failures; }
    /// Messages of CE_Warning, oldest first.
    const std::vector<std::string>& warnings() const noexcept { return m_warnings; }
    /// The latest failure message, or `fallback` when there was none.
    std::string last_failure(const std::string& fallback) const;
    void clear();

private:
    static void CPL_STDCALL handler(CPLErr cls, CPLErrorNum num, const char* msg);
    std::vector<std::string> m_failures;
    std::vector<std::string> m_warnings;
};

/// Sets a GDAL configuration option on this thread for the object's lifetime.
class ScopedThreadConfig {
public:
    ScopedThreadConfig(const char* key, const char* value);
    ~ScopedThreadConfig();
    ScopedThreadConfig(const ScopedThreadConfig&) = delete;
    ScopedThreadConfig& operator=(const ScopedThreadConfig&) = delete;

private:
    std::string m_key;
    std::string m_old;
    bool m_had_old;
};

}  // namespace geo::capi
