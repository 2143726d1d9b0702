#include "capi/gdal.hpp"

#include <mutex>

namespace geo::capi {

void ensure_gdal() {
    static std::once_flag once;
    std::call_once(once, [] {
        // GDAL must never reach the network, and Gridmap reads every file read-only.
        CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1");
        CPLSetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", "none");
        GDALAllRegister();
    });
}

GdalErrorCapture::GdalErrorCapture() {
    CPLPushErrorHandlerEx(&GdalErrorCapture::handler, this);
}

GdalErrorCapture::~GdalErrorCapture() { CPLPopErrorHandler(); }

void CPL_STDCALL GdalErrorCapture::handler(CPLErr cls, CPLErrorNum, const char* msg) {
    auto* self = static_cast<GdalErrorCapture*>(CPLGetErrorHandlerUserData());
    if (!self) return;
    const std::string text = msg ? msg : "";
    if (cls == CE_Failure || cls == CE_Fatal) {
        self->m_failures.push_back(text);
    } else if (cls == CE_Warning) {
        // A corrupt file can raise one warning per record; keep the first few.
        if (self->m_warnings.size() < 100) self->m_warnings.push_back(text);
    }
}

std::string GdalErrorCapture::last_failure(const std::string& fallback) const {
    return m_failures.empty() ? fallback : m_failures.back();
}

void GdalErrorCapture::clear() {
    m_failures.clear();
    m_warnings.clear();
    CPLErrorReset();
}

ScopedThreadConfig::ScopedThreadConfig(const char* key, const char* value) : m_key(key) {
    const char* old = CPLGetThreadLocalConfigOption(key, nullptr);
    m_had_old = old != nullptr;
    if (old) m_old = old;
    CPLSetThreadLocalConfigOption(key, value);
}

ScopedThreadConfig::~ScopedThreadConfig() {
    CPLSetThreadLocalConfigOption(m_key.c_str(), m_had_old ? m_old.c_str() : nullptr);
}

}  // namespace geo::capi
