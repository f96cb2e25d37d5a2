// sasl-ntlm's pure parts: the messages (MS-NLMP 2.2.1) and the response
// checks against MS-NLMP 4.2's own test vectors (user "User", domain
// "Domain", password "Password", server challenge 0123456789abcdef).
#include <gtest/gtest.h>

#include <string>

#include "common/ntlm/messages.hpp"
#include "common/legacy_crypto.hpp"
#include "common/ntlm/responses.hpp"

using namespace mailfw::ntlm;
using namespace std::string_literals;

namespace {

std::string unhex(std::string_view h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}
const NtHash kPasswordHash = [] {
    NtHash h{};
    const std::string b = unhex("a4f49c406510bdcab6824ee7c30fd852");  // NTOWFv1("Password")
    std::copy(b.begin(), b.end(), h.begin());
    return h;
}();
const mailfw::plugin_common::LegacyCrypto kLegacy;
const Challenge kServerChallenge = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
const std::string kUser16Upper = field_utf16("User", false, true);
const std::string kDomain16 = field_utf16("Domain", false, false);

// A field descriptor (len, maxlen, offset).
std::string field(uint16_t len, uint32_t offset) {
    std::string f;
    f.push_back(static_cast<char>(len & 0xff));
    f.push_back(static_cast<char>(len >> 8));
    f += f;
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((offset >> (8 * i)) & 0xff));
    return f;
}

}  // namespace

TEST(NtlmMessages, TheShortNegotiateOfCurlAndSwaks) {
    // 32 octets: no Version field (gss-ntlmssp 1.2.0 refuses it).
    const std::string n = "NTLMSSP\0"s + "\x01\0\0\0"s + "\x07\x82\x08\0"s + std::string(16, '\0');
    ASSERT_EQ(n.size(), 32u);
    auto parsed = parse_negotiate(n);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->flags & flag::unicode);
    EXPECT_FALSE(parse_negotiate(n.substr(0, 15)));
    EXPECT_FALSE(parse_negotiate("NTLMSSP\0"s + "\x02\0\0\0"s + std::string(20, '\0'))) << "a CHALLENGE";
    EXPECT_FALSE(parse_negotiate("NTLMSSQ\0"s + "\x01\0\0\0"s + std::string(20, '\0')));
}

TEST(NtlmMessages, TheChallengeCarriesTargetInfoAndTheClientsOptions) {
    ChallengeFields f;
    f.client_flags = flag::unicode | flag::extended_session_security | flag::n128;
    f.server_challenge = kServerChallenge;
    f.netbios_domain = "EXAMPLE";
    f.netbios_computer = "MX";
    f.dns_domain = "example.org";
    f.dns_computer = "mx.example.org";
    uint32_t flags = 0;
    const std::string c = build_challenge(f, flags);
    EXPECT_EQ(c.substr(0, 12), "NTLMSSP\0\x02\0\0\0"s);
    EXPECT_TRUE(flags & flag::target_info);
    EXPECT_TRUE(flags & flag::extended_session_security);
    EXPECT_TRUE(flags & flag::unicode);
    EXPECT_EQ(c.substr(24, 8), std::string(reinterpret_cast<const char*>(kServerChallenge.data()), 8));
    EXPECT_NE(c.find(field_utf16("mx.example.org", false, false)), std::string::npos);
    const uint16_t target_len = static_cast<uint8_t>(c[12]) | (static_cast<uint8_t>(c[13]) << 8);
    EXPECT_EQ(target_len, 14u) << "EXAMPLE in UTF-16LE";
    f.client_flags = 0;  // an OEM client gets an OEM target name
    build_challenge(f, flags);
    EXPECT_TRUE(flags & flag::oem);
    EXPECT_FALSE(flags & flag::unicode);
}

TEST(NtlmMessages, TheClientReadsBackTheChallengeWeBuild) {
    ChallengeFields f;
    f.client_flags = flag::unicode;
    f.server_challenge = kServerChallenge;
    f.netbios_domain = "EXAMPLE";
    f.netbios_computer = "MX";
    f.dns_domain = "example.org";
    f.dns_computer = "mx.example.org";
    f.filetime = 0x01d9000012345678ull;
    uint32_t flags = 0;
    const std::string built = build_challenge(f, flags);
    auto c = parse_challenge(built);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->flags, flags);
    EXPECT_EQ(c->server_challenge, kServerChallenge);
    EXPECT_TRUE(c->has_timestamp);
    EXPECT_EQ(c->timestamp, f.filetime);
    EXPECT_FALSE(parse_challenge(built.substr(0, built.size() - 1))) << "target info cut short";
    std::string no_eol = built;
    no_eol.resize(no_eol.size() - 4);  // drop MsvAvEOL, keep the field length: it now points past the end
    EXPECT_FALSE(parse_challenge(no_eol));
    EXPECT_EQ(parse_negotiate(build_negotiate())->flags & flag::unicode, flag::unicode);
}

TEST(NtlmMessages, AuthenticateFieldsAreCheckedAgainstTheMessage) {
    std::string a = "NTLMSSP\0"s + "\x03\0\0\0"s;
    const std::string user = field_utf16("alice", false, false);
    a += field(0, 0) + field(24, 64) + field(0, 0) + field(static_cast<uint16_t>(user.size()), 88) + field(0, 0) +
         field(0, 0);
    a += "\x01\0\0\0"s;  // flags: UNICODE
    a += std::string(24, 'n') + user;
    auto parsed = parse_authenticate(a);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->nt_response, std::string(24, 'n'));
    EXPECT_EQ(field_text(parsed->user, true), "alice");
    // A user field reaching past the end, and one with a huge offset.
    std::string past = a;
    past.replace(36, 8, field(static_cast<uint16_t>(user.size() + 1), 88));
    EXPECT_FALSE(parse_authenticate(past));
    std::string far = a;
    far.replace(36, 8, field(2, 0xfffffff0u));
    EXPECT_FALSE(parse_authenticate(far));
    EXPECT_FALSE(parse_authenticate(a.substr(0, 63)));
}

TEST(NtlmMessages, NameFields) {
    EXPECT_EQ(field_text("\x41\0\xe9\0"s, true), "A\xc3\xa9");
    EXPECT_EQ(field_text("\x3d\xd8\x00\xde"s, true), "\xf0\x9f\x98\x80") << "a surrogate pair";
    EXPECT_FALSE(field_text("\x00\xd8"s, true)) << "a lone high surrogate";
    EXPECT_FALSE(field_text("\x41"s, true)) << "an odd length";
    EXPECT_EQ(field_text("Caf\xe9"s, false), "Caf\xc3\xa9") << "OEM as Latin-1";
    EXPECT_EQ(field_utf16("user", false, true), "U\0S\0E\0R\0"s);
    EXPECT_EQ(field_utf16("u\0s\0"s, true, true), "U\0S\0"s);
}

TEST(NtlmVerify, NtlmV2AsInMsNlmp424) {
    const std::string blob = unhex("0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000"
                                   "02000c0044006f006d00610069006e00" "01000c00530065007200760065007200"
                                   "0000000000000000");
    const std::string nt = unhex("68cd0ab851e51c96aabc927bebef6a1c") + blob;
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, kUser16Upper, kDomain16, {}, nt, 0, nullptr),
              Verdict::match);
    std::string wrong = nt;
    wrong[40] ^= 1;  // the client's blob is covered by the proof
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, kUser16Upper, kDomain16, {}, wrong, 0, nullptr),
              Verdict::mismatch);
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, field_utf16("Other", false, true), kDomain16, {}, nt,
                              0, nullptr),
              Verdict::mismatch);
    EXPECT_STREQ(response_version(nt), "NTLMv2");
}

TEST(NtlmVerify, NtlmV1OnlyWhenAllowed) {
    const std::string nt = unhex("67c43011f30298a2ad35ece64f16331c44bdbed927841f94");  // MS-NLMP 4.2.2.2.1
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, kUser16Upper, kDomain16, {}, nt, 0, nullptr),
              Verdict::v1_refused);
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, kUser16Upper, kDomain16, {}, nt, 0, kLegacy.des_ecb()),
              Verdict::match);
    // NTLM2 session response (extended session security), MS-NLMP 4.2.3.2.2.
    const std::string lm = unhex("aaaaaaaaaaaaaaaa") + std::string(16, '\0');
    const std::string ess = unhex("7537f803ae367128ca458204bde7caf81e97ed2683267232");
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, kUser16Upper, kDomain16, lm, ess,
                              flag::extended_session_security, kLegacy.des_ecb()),
              Verdict::match);
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, kUser16Upper, kDomain16, {}, "short", 0, kLegacy.des_ecb()),
              Verdict::malformed);
}
