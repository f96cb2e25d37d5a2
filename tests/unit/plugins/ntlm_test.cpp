// The NTLM core (plugins/common/ntlm): the messages (MS-NLMP 2.2.1), the
// response checks and session keys against MS-NLMP 4.2's own test vectors
// (user "User", domain "Domain", password "Password", server challenge
// 0123456789abcdef), signatures, and the acceptor with the AUTHENTICATE's MIC.
#include <gtest/gtest.h>

#include <string>

#include "common/legacy_crypto.hpp"
#include "common/ntlm/acceptor.hpp"
#include "common/ntlm/digest.hpp"
#include "common/ntlm/messages.hpp"
#include "common/ntlm/responses.hpp"
#include "common/ntlm/session_security.hpp"

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
    Key16 base{};
    EXPECT_EQ(verify_response(kPasswordHash, kServerChallenge, kUser16Upper, kDomain16, {}, nt, 0, nullptr, &base),
              Verdict::match);
    EXPECT_EQ(std::string(base.begin(), base.end()), unhex("8de40ccadbc14a82f15cb0ad0de95ca3")) << "SessionBaseKey";
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

namespace {
Key16 key_of(const std::string& bytes) {
    Key16 k{};
    std::copy(bytes.begin(), bytes.end(), k.begin());
    return k;
}
const std::string kPlaintext16 = field_utf16("Plaintext", false, false);
}  // namespace

TEST(NtlmSessionSecurity, SignaturesAsInMsNlmp4244WithoutKeyExchange) {
    // MS-NLMP 4.2.4.4 signs "Plaintext" with ExportedSessionKey 55..55; its
    // checksum 7fb38ec5c55d4976 is this HMAC (70352851f2564309) sealed by
    // RC4, which only KEY_EXCH brings -- and mailfw never grants KEY_EXCH.
    const SessionSecurity s(key_of(std::string(16, '\x55')), flag::sign | flag::extended_session_security);
    ASSERT_TRUE(s.can_sign());
    const std::string sig = s.sign(Direction::client_to_server, kPlaintext16);
    EXPECT_EQ(sig, unhex("0100000070352851f256430900000000"));
    EXPECT_TRUE(s.verify(Direction::client_to_server, kPlaintext16, sig));
    EXPECT_FALSE(s.verify(Direction::server_to_client, kPlaintext16, sig)) << "each direction has its own key";
    EXPECT_FALSE(s.verify(Direction::client_to_server, kPlaintext16 + "x", sig));
    EXPECT_FALSE(s.verify(Direction::client_to_server, kPlaintext16, sig.substr(0, 15)));
    const SessionSecurity unsigned_session(key_of(std::string(16, '\x55')), flag::extended_session_security);
    EXPECT_FALSE(unsigned_session.can_sign());
    EXPECT_EQ(unsigned_session.sign(Direction::client_to_server, kPlaintext16), "");
    EXPECT_FALSE(unsigned_session.verify(Direction::client_to_server, kPlaintext16, sig));
}

namespace {

// An AUTHENTICATE as Windows and gss-ntlmssp send it: Version and MIC
// fields (the payload moved 24 octets on), MsvAvFlags = MIC in the blob.
struct ClientSide {
    std::string negotiate = build_negotiate();
    std::string authenticate;
    Key16 exported{};
};

std::string u16le(uint16_t v) { return std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)}; }

ClientSide client_with_mic(std::string_view password_hash_hex, const std::string& challenge_message, bool with_mic) {
    ClientSide c;
    const auto ch = parse_challenge(challenge_message);
    EXPECT_TRUE(ch);
    // AV pairs: the server's, with MsvAvFlags (MIC present) before MsvAvEOL.
    std::string info = ch->target_info.substr(0, ch->target_info.size() - 4);
    info += u16le(6) + u16le(4) + std::string("\x02\x00\x00\x00", 4) + std::string(4, '\0');
    NtHash hash = key_of(unhex(password_hash_hex));
    const std::string user16 = field_utf16("User", false, false), domain16 = field_utf16("Domain", false, false);
    const Challenge client_challenge = {1, 2, 3, 4, 5, 6, 7, 8};
    const std::string nt = ntlmv2_response(hash, ch->server_challenge, field_utf16("User", false, true), domain16,
                                           info, client_challenge, ch->timestamp);
    const std::string plain = build_authenticate(ch->flags, std::string(24, '\0'), nt, domain16, user16, {});
    // Move the payload behind Version (8) and MIC (16).
    std::string m = plain.substr(0, 64);
    for (size_t at = 12; at <= 52; at += 8) {
        uint32_t off = 0;
        for (int i = 0; i < 4; ++i) off |= static_cast<uint32_t>(static_cast<unsigned char>(m[at + 4 + i])) << (8 * i);
        off += 24;
        for (int i = 0; i < 4; ++i) m[at + 4 + i] = static_cast<char>((off >> (8 * i)) & 0xff);
    }
    m += std::string(8, '\0') + std::string(16, '\0') + plain.substr(64);
    const std::string hash_bytes(hash.begin(), hash.end());
    const std::string ntowfv2 = hmac_md5(hash_bytes, field_utf16("User", false, true) + domain16);
    c.exported = key_of(hmac_md5(ntowfv2, nt.substr(0, 16)));
    if (with_mic) {
        const std::string mic = hmac_md5(std::string(c.exported.begin(), c.exported.end()),
                                         c.negotiate + challenge_message + m);
        m.replace(kMicOffset, kMicSize, mic);
    }
    c.authenticate = m;
    return c;
}

const char* kPasswordHex = "a4f49c406510bdcab6824ee7c30fd852";

HashLookup lookup_user(std::string hex) {
    return [hex](const std::string& user) -> std::optional<std::string> {
        if (user == "User") return hex;
        return std::nullopt;
    };
}

}  // namespace

TEST(NtlmAcceptor, AnNtlmV2LogonWithItsMic) {
    const AcceptorSettings settings = names_from_hostname("mx.example.org", std::nullopt);
    EXPECT_EQ(settings.netbios_domain, "EXAMPLE");
    EXPECT_EQ(settings.netbios_computer, "MX");
    Acceptor a(settings);
    std::string why;
    ClientSide probe;
    const auto challenge = a.challenge(probe.negotiate, why);
    ASSERT_TRUE(challenge) << why;
    const ClientSide c = client_with_mic(kPasswordHex, *challenge, true);
    const Outcome o = a.authenticate(c.authenticate, lookup_user(kPasswordHex));
    ASSERT_TRUE(o.authenticated) << o.reason;
    EXPECT_EQ(o.user, "User");
    EXPECT_EQ(o.version, "NTLMv2");
    EXPECT_TRUE(o.message_mic);
    ASSERT_TRUE(o.security);
}

TEST(NtlmAcceptor, AnAlteredOrMissingMicIsRefused) {
    const AcceptorSettings settings = names_from_hostname("mx.example.org", std::string("corp"));
    EXPECT_EQ(settings.netbios_domain, "CORP");
    for (int variant = 0; variant < 3; ++variant) {
        Acceptor a(settings);
        std::string why;
        ClientSide probe;
        const auto challenge = a.challenge(probe.negotiate, why);
        ASSERT_TRUE(challenge);
        ClientSide c = client_with_mic(kPasswordHex, *challenge, variant != 1);
        if (variant == 0) c.authenticate[kMicOffset] ^= 1;                 // a flipped MIC bit
        if (variant == 2) c.authenticate[61] ^= 0x80;                       // ALWAYS_SIGN dropped after the MIC
        const Outcome o = a.authenticate(c.authenticate, lookup_user(kPasswordHex));
        EXPECT_FALSE(o.authenticated) << variant;
        EXPECT_NE(o.reason.find("MIC does not match"), std::string::npos) << o.reason;
    }
}

TEST(NtlmAcceptor, WrongPasswordUnknownUserAndGarbage) {
    const AcceptorSettings settings = names_from_hostname("mx.example.org", std::nullopt);
    Acceptor a(settings);
    std::string why;
    EXPECT_FALSE(a.challenge("not ntlm", why));
    EXPECT_EQ(why, "not an NTLM NEGOTIATE message");
    ClientSide probe;
    const auto challenge = a.challenge(probe.negotiate, why);
    ASSERT_TRUE(challenge);
    const ClientSide c = client_with_mic(kPasswordHex, *challenge, true);
    Outcome o = a.authenticate(c.authenticate, lookup_user("00000000000000000000000000000000"));
    EXPECT_FALSE(o.authenticated);
    EXPECT_EQ(o.reason, "User: wrong password (NTLMv2)");
    o = a.authenticate(c.authenticate, [](const std::string&) { return std::optional<std::string>(); });
    EXPECT_EQ(o.reason, "User: no NT hash in the stores (store-sqlite ntlm_hashes) (NTLMv2)");
    o = a.authenticate("NTLMSSP\0\x03\0\0\0"s, lookup_user(kPasswordHex));
    EXPECT_EQ(o.reason, "not an NTLM AUTHENTICATE message");
}
