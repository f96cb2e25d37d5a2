// Buffers across the GSS-API boundary: one the library filled (released
// when it goes) and a view of ours handed in.
#pragma once
#include <gssapi/gssapi.h>

#include <string>
#include <string_view>

namespace mailfw::sasl_gssapi {

struct GssBuffer {
    gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
    GssBuffer() = default;
    GssBuffer(const GssBuffer&) = delete;
    GssBuffer& operator=(const GssBuffer&) = delete;
    ~GssBuffer() {
        OM_uint32 minor = 0;
        gss_release_buffer(&minor, &b);
    }
    std::string text() const { return std::string(static_cast<const char*>(b.value), b.length); }
};

inline gss_buffer_desc gss_input(std::string_view s) {
    return gss_buffer_desc{s.size(), const_cast<char*>(s.data())};
}

}  // namespace mailfw::sasl_gssapi
