// sasl-gssapi's pure parts: which mechanism a first token is for, the
// security-layer answer as real clients send it, and principal names.
#include <gtest/gtest.h>

#include <string>

#include "sasl-gssapi/principal_name.hpp"
#include "sasl-gssapi/security_layer.hpp"
#include "sasl-gssapi/token_kind.hpp"

using namespace mailfw::sasl_gssapi;
using namespace std::string_literals;

namespace {
// [APPLICATION 0] { OID, body } with a short or long DER length.
std::string framed(const std::string& oid, const std::string& body, bool long_form = false) {
    std::string inner = "\x06"s + static_cast<char>(oid.size()) + oid + body;
    std::string len = long_form ? "\x82"s + static_cast<char>(inner.size() >> 8) + static_cast<char>(inner.size() & 0xff)
                                : std::string(1, static_cast<char>(inner.size()));
    return "\x60"s + len + inner;
}
const std::string kSpnegoOid = "\x2b\x06\x01\x05\x05\x02"s;
const std::string kKrb5Oid = "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"s;
}  // namespace

TEST(GssapiTokenKind, TellsSpnegoFromRawKerberos) {
    EXPECT_EQ(initial_token_kind(framed(kSpnegoOid, "\xa0\x00"s)), TokenKind::spnego);
    EXPECT_EQ(initial_token_kind(framed(kKrb5Oid, "\x01\x00rest"s)), TokenKind::kerberos);
    EXPECT_EQ(initial_token_kind(framed(kKrb5Oid, std::string(300, 'x'), true)), TokenKind::kerberos);
}

TEST(GssapiTokenKind, AnythingElseIsOther) {
    EXPECT_EQ(initial_token_kind(""), TokenKind::other);
    EXPECT_EQ(initial_token_kind("NTLMSSP\0\x01\0\0\0"s), TokenKind::other);  // raw NTLM: not this mechanism
    EXPECT_EQ(initial_token_kind(framed("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"s, "x")), TokenKind::other);
    std::string t = framed(kKrb5Oid, "body");
    EXPECT_EQ(initial_token_kind(t + "trailing"), TokenKind::other) << "the length must cover exactly the rest";
    EXPECT_EQ(initial_token_kind(t.substr(0, t.size() - 1)), TokenKind::other) << "truncated";
    EXPECT_EQ(initial_token_kind("\x60\x85\x01\x02\x03\x04\x05"s), TokenKind::other) << "a 5-octet length";
    EXPECT_EQ(initial_token_kind("\x60\x02\x06\x09"s), TokenKind::other) << "an OID longer than the token";
    EXPECT_STREQ(token_kind_name(TokenKind::spnego), "SPNEGO");
}

TEST(GssapiSecurityLayer, TheOfferIsNoLayerAndNoBuffer) { EXPECT_EQ(layer_offer(), "\x01\x00\x00\x00"s); }

TEST(GssapiSecurityLayer, AnswersOfRealClients) {
    auto net = parse_layer_answer("\x01\x00\x00\x00"s);  // .NET: no authzid
    ASSERT_TRUE(net);
    EXPECT_EQ(net->authzid, "");
    auto tb = parse_layer_answer("\x01\x00\x00\x00" "alice"s);  // Thunderbird: the user name
    ASSERT_TRUE(tb);
    EXPECT_EQ(tb->authzid, "alice");
    auto curl = parse_layer_answer("\x01\x00\x00\x00" "alice\0"s);  // curl: a trailing NUL
    ASSERT_TRUE(curl);
    EXPECT_EQ(curl->authzid, "alice");
    auto gsasl = parse_layer_answer("\x01\x00\x10\x00"s);  // gsasl echoes a buffer size
    ASSERT_TRUE(gsasl);
    EXPECT_EQ(gsasl->max_size, 0x1000u);
}

TEST(GssapiSecurityLayer, RefusesWhatWasNotOffered) {
    EXPECT_FALSE(parse_layer_answer("\x01\x00\x00"s)) << "too short";
    EXPECT_FALSE(parse_layer_answer("\x02\x00\x00\x00"s)) << "integrity layer";
    EXPECT_FALSE(parse_layer_answer("\x07\x00\x00\x00"s)) << "several layers";
    EXPECT_FALSE(parse_layer_answer("\x01\x00\x00\x00" "al\0ice"s)) << "a NUL inside the authzid";
    EXPECT_FALSE(parse_layer_answer("\x01\x00\x00\x00" "alice\0\0"s)) << "only one trailing NUL is dropped";
}

TEST(GssapiPrincipal, SplitsAtTheLastUnescapedAt) {
    EXPECT_EQ(split_principal("alice@TEST.LOCAL").name, "alice");
    EXPECT_EQ(split_principal("alice@TEST.LOCAL").realm, "TEST.LOCAL");
    EXPECT_EQ(split_principal("smtp/mx.example.org@EXAMPLE.ORG").name, "smtp/mx.example.org");
    EXPECT_EQ(split_principal("a\\@b@R").name, "a\\@b");
    EXPECT_EQ(split_principal("a\\@b").realm, "");
    EXPECT_EQ(split_principal("nobody").name, "nobody");
}

TEST(GssapiPrincipal, RealmsAndSelfNames) {
    EXPECT_TRUE(realm_accepted("ANY.REALM", {}));
    EXPECT_TRUE(realm_accepted("TEST.LOCAL", {"EXAMPLE.ORG", "TEST.LOCAL"}));
    EXPECT_FALSE(realm_accepted("test.local", {"TEST.LOCAL"})) << "realms are case-sensitive";
    EXPECT_TRUE(names_itself("", "alice", "alice@TEST.LOCAL"));
    EXPECT_TRUE(names_itself("alice", "alice", "alice@TEST.LOCAL"));
    EXPECT_TRUE(names_itself("alice@TEST.LOCAL", "alice", "alice@TEST.LOCAL"));
    EXPECT_FALSE(names_itself("bob", "alice", "alice@TEST.LOCAL"));
}
