// GSS-API major/minor status codes as the text operators read in logs
// ("Unspecified GSS failure. Minor code may provide more information:
// Request is a replay").
#pragma once
#include <gssapi/gssapi.h>

#include <string>

namespace mailfw::sasl_gssapi {

std::string gss_status_text(OM_uint32 major, OM_uint32 minor, gss_OID mech = GSS_C_NO_OID);

}  // namespace mailfw::sasl_gssapi
