#include "gss_status.hpp"

namespace mailfw::sasl_gssapi {
namespace {

std::string messages(OM_uint32 code, int type, gss_OID mech) {
    std::string out;
    OM_uint32 context = 0;
    do {
        OM_uint32 minor = 0;  // its own variable: a shared one turns errors into "Unknown error"
        gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&minor, code, type, mech, &context, &text))) break;
        if (!out.empty()) out += "; ";
        out.append(static_cast<const char*>(text.value), text.length);
        gss_release_buffer(&minor, &text);
    } while (context != 0);
    return out;
}

}  // namespace

std::string gss_status_text(OM_uint32 major, OM_uint32 minor, gss_OID mech) {
    std::string out = messages(major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    if (minor != 0) {
        const std::string m = messages(minor, GSS_C_MECH_CODE, mech);
        if (!m.empty()) out += (out.empty() ? "" : ": ") + m;
    }
    return out.empty() ? "GSS-API status " + std::to_string(major) + "/" + std::to_string(minor) : out;
}

}  // namespace mailfw::sasl_gssapi
