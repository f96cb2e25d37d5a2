#include "ntlm/messages.hpp"

#include <cstring>

namespace mailfw::ntlm {
namespace {

constexpr char kSignature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', '\0'};

uint16_t u16(std::string_view m, size_t at) {
    return static_cast<uint16_t>(static_cast<unsigned char>(m[at]) | (static_cast<unsigned char>(m[at + 1]) << 8));
}
uint32_t u32(std::string_view m, size_t at) {
    return static_cast<uint32_t>(u16(m, at)) | (static_cast<uint32_t>(u16(m, at + 2)) << 16);
}
void put16(std::string& out, uint16_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& out, uint32_t v) {
    put16(out, static_cast<uint16_t>(v & 0xffff));
    put16(out, static_cast<uint16_t>(v >> 16));
}

bool has_header(std::string_view m, uint32_t type) {
    return m.size() >= 12 && std::memcmp(m.data(), kSignature, 8) == 0 && u32(m, 8) == type;
}

// A (len, maxlen, offset) field at `at`; nullopt when it points outside the message.
std::optional<std::string> payload_field(std::string_view m, size_t at) {
    const uint16_t len = u16(m, at);
    const uint32_t offset = u32(m, at + 4);
    if (len == 0) return std::string();
    if (offset > m.size() || len > m.size() - offset) return std::nullopt;
    return std::string(m.substr(offset, len));
}

std::string ascii_utf16(std::string_view s) {
    std::string out;
    for (char c : s) {
        out.push_back(c);
        out.push_back('\0');
    }
    return out;
}

void av_pair(std::string& out, uint16_t id, std::string_view value) {
    put16(out, id);
    put16(out, static_cast<uint16_t>(value.size()));
    out.append(value);
}

}  // namespace

std::optional<Negotiate> parse_negotiate(std::string_view m) {
    if (m.size() < 16 || !has_header(m, 1)) return std::nullopt;
    Negotiate n;
    n.flags = u32(m, 12);
    // Its domain and workstation fields (when there) say nothing a server needs.
    return n;
}

std::string build_challenge(const ChallengeFields& f, uint32_t& flags_out) {
    const bool unicode = f.client_flags & flag::unicode;
    uint32_t flags = (unicode ? flag::unicode : flag::oem) | flag::request_target | flag::ntlm | flag::always_sign |
                     flag::target_type_server | flag::target_info;
    // Signing when asked (SPNEGO's mechListMIC needs it); never KEY_EXCH or
    // sealing: nothing is encrypted after authentication.
    flags |= f.client_flags & (flag::sign | flag::extended_session_security | flag::n128 | flag::n56 | flag::version);
    flags_out = flags;

    const std::string target = unicode ? ascii_utf16(f.netbios_domain) : f.netbios_domain;
    std::string info;
    av_pair(info, 2, ascii_utf16(f.netbios_domain));    // MsvAvNbDomainName
    av_pair(info, 1, ascii_utf16(f.netbios_computer));  // MsvAvNbComputerName
    av_pair(info, 4, ascii_utf16(f.dns_domain));        // MsvAvDnsDomainName
    av_pair(info, 3, ascii_utf16(f.dns_computer));      // MsvAvDnsComputerName
    std::string time;
    for (int i = 0; i < 8; ++i) time.push_back(static_cast<char>((f.filetime >> (8 * i)) & 0xff));
    av_pair(info, 7, time);  // MsvAvTimestamp
    av_pair(info, 0, {});    // MsvAvEOL

    constexpr uint32_t kPayload = 56;  // header (48) + Version (8)
    std::string m(kSignature, 8);
    put32(m, 2);
    put16(m, static_cast<uint16_t>(target.size()));
    put16(m, static_cast<uint16_t>(target.size()));
    put32(m, kPayload);
    put32(m, flags);
    m.append(reinterpret_cast<const char*>(f.server_challenge.data()), 8);
    m.append(8, '\0');  // reserved
    put16(m, static_cast<uint16_t>(info.size()));
    put16(m, static_cast<uint16_t>(info.size()));
    put32(m, kPayload + static_cast<uint32_t>(target.size()));
    m.append("\x06\x01\xb1\x1d\x00\x00\x00\x0f", 8);  // Version: 6.1.7601, NTLMSSP revision 15
    m += target;
    m += info;
    return m;
}

std::optional<Authenticate> parse_authenticate(std::string_view m) {
    // Through NegotiateFlags: 8 + 4 + 6 fields of 8 + 4 = 64 octets.
    if (m.size() < 64 || !has_header(m, 3)) return std::nullopt;
    Authenticate a;
    auto lm = payload_field(m, 12), nt = payload_field(m, 20), domain = payload_field(m, 28),
         user = payload_field(m, 36), workstation = payload_field(m, 44), key = payload_field(m, 52);
    if (!lm || !nt || !domain || !user || !workstation || !key) return std::nullopt;
    a.flags = u32(m, 60);
    a.encrypted_session_key = std::move(*key);
    // The MIC sits at 72 only when no payload field starts before 88.
    a.mic_room = m.size() >= kMicOffset + kMicSize;
    for (size_t at = 12; at <= 52; at += 8)
        if (u16(m, at) != 0 && u32(m, at + 4) < kMicOffset + kMicSize) a.mic_room = false;
    a.lm_response = std::move(*lm);
    a.nt_response = std::move(*nt);
    a.domain = std::move(*domain);
    a.user = std::move(*user);
    a.workstation = std::move(*workstation);
    return a;
}

std::optional<uint32_t> ntlmv2_av_flags(std::string_view nt) {
    constexpr size_t kPairs = 16 + 28;  // NTProofStr, then RespType .. Reserved3
    if (nt.size() < kPairs) return std::nullopt;
    const std::string_view av = nt.substr(kPairs);
    for (size_t at = 0; at + 4 <= av.size();) {
        const uint16_t id = u16(av, at), len = u16(av, at + 2);
        if (len > av.size() - at - 4) return std::nullopt;
        if (id == 0) return 0;  // MsvAvEOL
        if (id == 6) return len == 4 ? std::optional<uint32_t>(u32(av, at + 4)) : std::nullopt;
        at += 4 + len;
    }
    return std::nullopt;  // no MsvAvEOL
}

std::string build_negotiate() {
    const uint32_t flags = flag::unicode | flag::oem | flag::request_target | flag::ntlm | flag::always_sign |
                           flag::extended_session_security | flag::target_info | flag::n128;
    std::string m(kSignature, 8);
    put32(m, 1);
    put32(m, flags);
    m.append(16, '\0');  // no domain, no workstation
    return m;
}

std::optional<Challenge2> parse_challenge(std::string_view m) {
    // Through TargetInfoFields: 8 + 4 + 8 + 4 + 8 + 8 + 8 = 48 octets.
    if (m.size() < 48 || !has_header(m, 2)) return std::nullopt;
    Challenge2 c;
    if (!payload_field(m, 12)) return std::nullopt;  // the target name must lie inside too
    c.flags = u32(m, 20);
    for (size_t i = 0; i < 8; ++i) c.server_challenge[i] = static_cast<uint8_t>(m[24 + i]);
    auto info = payload_field(m, 40);
    if (!info) return std::nullopt;
    c.target_info = std::move(*info);
    // Walk the AV pairs for the timestamp; they must end in MsvAvEOL.
    size_t at = 0;
    const std::string_view av(c.target_info);
    bool eol = c.target_info.empty();
    while (at + 4 <= av.size()) {
        const uint16_t id = u16(av, at), len = u16(av, at + 2);
        if (len > av.size() - at - 4) return std::nullopt;
        if (id == 0) {
            eol = true;
            break;
        }
        if (id == 7 && len == 8) {
            c.has_timestamp = true;
            c.timestamp = static_cast<uint64_t>(u32(av, at + 4)) | (static_cast<uint64_t>(u32(av, at + 8)) << 32);
        }
        at += 4 + len;
    }
    if (!eol) return std::nullopt;
    return c;
}

std::string build_authenticate(uint32_t flags, std::string_view lm, std::string_view nt, std::string_view domain16,
                               std::string_view user16, std::string_view workstation16) {
    constexpr uint32_t kPayload = 64;
    std::string m(kSignature, 8);
    put32(m, 3);
    uint32_t offset = kPayload;
    std::string payload;
    for (std::string_view part : {lm, nt, domain16, user16, workstation16, std::string_view()}) {
        put16(m, static_cast<uint16_t>(part.size()));
        put16(m, static_cast<uint16_t>(part.size()));
        put32(m, offset);
        payload.append(part);
        offset += static_cast<uint32_t>(part.size());
    }
    put32(m, flags & ~flag::version);  // no Version field follows
    return m + payload;
}

std::optional<std::string> field_text(std::string_view raw, bool unicode) {
    std::string out;
    auto utf8 = [&out](uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
            out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
    };
    if (!unicode) {
        for (char c : raw) utf8(static_cast<unsigned char>(c));
        return out;
    }
    if (raw.size() % 2) return std::nullopt;
    for (size_t i = 0; i < raw.size(); i += 2) {
        uint32_t u = u16(raw, i);
        if (u >= 0xd800 && u <= 0xdbff) {
            if (i + 3 >= raw.size()) return std::nullopt;
            const uint32_t low = u16(raw, i + 2);
            if (low < 0xdc00 || low > 0xdfff) return std::nullopt;
            u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
            i += 2;
        } else if (u >= 0xdc00 && u <= 0xdfff) {
            return std::nullopt;
        }
        utf8(u);
    }
    return out;
}

std::string field_utf16(std::string_view raw, bool unicode, bool upper) {
    std::string out;
    if (unicode) {
        out.assign(raw);
        for (size_t i = 0; i + 1 < out.size(); i += 2)
            if (upper && out[i + 1] == 0 && out[i] >= 'a' && out[i] <= 'z') out[i] = static_cast<char>(out[i] - 32);
        return out;
    }
    for (char c : raw) {
        char v = c;
        if (upper && v >= 'a' && v <= 'z') v = static_cast<char>(v - 32);
        out.push_back(v);
        out.push_back('\0');
    }
    return out;
}

}  // namespace mailfw::ntlm
