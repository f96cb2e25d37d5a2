// sasl-gssapi's SPNEGO framing (RFC 4178 §4.2) and NTLM inside it: the
// codec against hand-built and real tokens, and SpnegoNtlmExchange driven
// as a client would, through its refusals (the happy paths run against
// gss-ntlmssp over a socket in test_gssapi.py).
#include <gtest/gtest.h>

#include <mailfw/plugin.hpp>

#include <string>

#include "common/ntlm/digest.hpp"
#include "common/ntlm/messages.hpp"
#include "common/ntlm/responses.hpp"
#include "fake_host.hpp"
#include "sasl-gssapi/spnego_ntlm_exchange.hpp"
#include "sasl-gssapi/spnego_tokens.hpp"

using namespace mailfw::sasl_gssapi;
using namespace std::string_literals;

namespace {

std::string tlv(unsigned char tag, const std::string& body) {
    std::string out(1, static_cast<char>(tag));
    if (body.size() < 0x80) {
        out.push_back(static_cast<char>(body.size()));
    } else {
        out += "\x82"s + static_cast<char>(body.size() >> 8) + static_cast<char>(body.size() & 0xff);
    }
    return out + body;
}

std::string mech_list(std::initializer_list<std::string_view> oids) {
    std::string seq;
    for (auto o : oids) seq += tlv(0x06, std::string(o));
    return tlv(0x30, seq);
}

std::string neg_token_init(const std::string& mechs, const std::string& mech_token) {
    std::string fields = tlv(0xa0, mechs);
    if (!mech_token.empty()) fields += tlv(0xa2, tlv(0x04, mech_token));
    return tlv(0x60, tlv(0x06, "\x2b\x06\x01\x05\x05\x02"s) + tlv(0xa0, tlv(0x30, fields)));
}

std::string neg_token_resp(const std::string& token, const std::string& mic = {}) {
    std::string fields = tlv(0xa2, tlv(0x04, token));
    if (!mic.empty()) fields += tlv(0xa3, tlv(0x04, mic));
    return tlv(0xa1, tlv(0x30, fields));
}

std::string unbase64(const std::string& s) {
    static const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int bits = 0, value = 0;
    for (char c : s) {
        if (c == '=') break;
        value = (value << 6) | static_cast<int>(abc.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((value >> bits) & 0xff));
        }
    }
    return out;
}

}  // namespace

TEST(SpnegoTokens, ANegTokenInitWithNtlmFirst) {
    const std::string mechs = mech_list({mech_oid::ntlmssp, mech_oid::kerberos});
    const auto init = parse_neg_token_init(neg_token_init(mechs, "NTLMSSP\0\x01\0\0\0"s));
    ASSERT_TRUE(init);
    ASSERT_EQ(init->mech_types.size(), 2u);
    EXPECT_EQ(init->mech_types[0], mech_oid::ntlmssp);
    EXPECT_EQ(init->mech_types[1], mech_oid::kerberos);
    EXPECT_EQ(init->mech_types_der, mechs) << "the MechTypeList exactly as sent: what the MIC covers";
    EXPECT_EQ(init->mech_token, "NTLMSSP\0\x01\0\0\0"s);
    EXPECT_FALSE(init->mech_list_mic);
    EXPECT_EQ(oid_text(mech_oid::ntlmssp), "1.3.6.1.4.1.311.2.2.10");
    EXPECT_EQ(oid_text(mech_oid::ms_kerberos), "1.2.840.48018.1.2.2");
    EXPECT_EQ(oid_text("\x2b\x86"s), "?") << "an unfinished arc";
}

TEST(SpnegoTokens, MalformedInitsAreRefused) {
    const std::string mechs = mech_list({mech_oid::ntlmssp});
    const std::string good = neg_token_init(mechs, "x");
    EXPECT_TRUE(parse_neg_token_init(good));
    EXPECT_FALSE(parse_neg_token_init(good + "x")) << "trailing bytes";
    EXPECT_FALSE(parse_neg_token_init(good.substr(0, good.size() - 1))) << "truncated";
    EXPECT_FALSE(parse_neg_token_init(neg_token_init(tlv(0x30, ""), "x"))) << "no mechanism";
    EXPECT_FALSE(parse_neg_token_init(neg_token_init(tlv(0x30, tlv(0x04, "x")), "x"))) << "not an OID";
    std::string kerberos_framed = good;
    kerberos_framed[6] = 0x07;  // inside the SPNEGO OID
    EXPECT_FALSE(parse_neg_token_init(kerberos_framed));
    // Fields out of order, or twice.
    const std::string swapped = tlv(0x60, tlv(0x06, "\x2b\x06\x01\x05\x05\x02"s) +
                                              tlv(0xa0, tlv(0x30, tlv(0xa2, tlv(0x04, "t")) + tlv(0xa0, mechs))));
    EXPECT_FALSE(parse_neg_token_init(swapped));
    const std::string twice = tlv(0x60, tlv(0x06, "\x2b\x06\x01\x05\x05\x02"s) +
                                            tlv(0xa0, tlv(0x30, tlv(0xa0, mechs) + tlv(0xa0, mechs))));
    EXPECT_FALSE(parse_neg_token_init(twice));
    EXPECT_FALSE(parse_neg_token_init("\x60\x80\x06\x06\x2b\x06\x01\x05\x05\x02\x00\x00"s)) << "indefinite length";
    EXPECT_FALSE(parse_neg_token_init("\x60\x84\xff\xff\xff\xff"s)) << "a length beyond the token";
}

TEST(SpnegoTokens, TheFinalNegTokenRespOfAnExchangeWithGssNtlmssp) {
    // Sent by mailfw and verified by gss-ntlmssp in test_gssapi.py.
    const std::string wire = unbase64("oRswGaADCgEAoxIEEAEAAABIBcd4QDALQgAAAAA=");
    const auto r = parse_neg_token_resp(wire);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, NegState::accept_completed);
    EXPECT_FALSE(r->supported_mech);
    EXPECT_FALSE(r->response_token);
    ASSERT_TRUE(r->mech_list_mic);
    EXPECT_EQ(r->mech_list_mic->size(), 16u);
    EXPECT_EQ(build_neg_token_resp(*r), wire);
}

TEST(SpnegoTokens, RespRoundTripsWithLongLengths) {
    NegTokenResp r;
    r.state = NegState::accept_incomplete;
    r.supported_mech.emplace(mech_oid::ntlmssp);
    r.response_token = std::string(300, 'c');
    const auto back = parse_neg_token_resp(build_neg_token_resp(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->state, NegState::accept_incomplete);
    EXPECT_EQ(back->supported_mech, std::string(mech_oid::ntlmssp));
    EXPECT_EQ(back->response_token, r.response_token);
    EXPECT_FALSE(parse_neg_token_resp(tlv(0xa1, tlv(0x30, tlv(0xa0, tlv(0x0a, "\x04"s)))))) << "negState 4";
    EXPECT_FALSE(parse_neg_token_resp(tlv(0xa0, tlv(0x30, "")))) << "a NegTokenInit tag";
    EXPECT_TRUE(parse_neg_token_resp(tlv(0xa1, tlv(0x30, "")))) << "every field is optional";
}

namespace {

// The client's half of NTLM in SPNEGO, built from the NTLM core.
struct NtlmInSpnego {
    mailfw::test::FakeHost fake;
    mailfw::Host host{fake.host(), fake.api()};
    mailfw::ntlm::AcceptorSettings names = mailfw::ntlm::names_from_hostname("mx.example.org", std::nullopt);
    SpnegoNtlmExchange exchange{host, fake.session(), names};
    const std::string mechs = mech_list({mech_oid::kerberos, mech_oid::ntlmssp});
    mailfw::ntlm::Key16 exported{};

    NtlmInSpnego() { fake.properties[{"User", "ntlm-hash"}] = "a4f49c406510bdcab6824ee7c30fd852"; }

    std::string authenticate(const std::string& challenge_resp) {
        using namespace mailfw::ntlm;
        const auto resp = parse_neg_token_resp(challenge_resp);
        const auto ch = parse_challenge(*resp->response_token);
        NtHash hash{};
        EXPECT_TRUE(nt_hash_from_hex("a4f49c406510bdcab6824ee7c30fd852", hash));
        const std::string user_upper = field_utf16("User", false, true), domain = field_utf16("Domain", false, false);
        const std::string nt =
            ntlmv2_response(hash, ch->server_challenge, user_upper, domain, ch->target_info, {1, 2, 3, 4, 5, 6, 7, 8}, 1);
        const std::string ntowf = hmac_md5(std::string(hash.begin(), hash.end()), user_upper + domain);
        const std::string base = hmac_md5(ntowf, nt.substr(0, 16));
        std::copy(base.begin(), base.end(), exported.begin());
        return build_authenticate(ch->flags, std::string(24, '\0'), nt, domain, field_utf16("User", false, false), {});
    }
};

}  // namespace

TEST(SpnegoNtlmExchange, CounterProposedNtlmNeedsTheMic) {
    for (int variant = 0; variant < 3; ++variant) {
        NtlmInSpnego t;
        std::string out;
        const auto init = parse_neg_token_init(neg_token_init(t.mechs, "a Kerberos token"));
        ASSERT_TRUE(init);
        ASSERT_EQ(t.exchange.start(*init, out), MAILFW_SASL_CONTINUE);
        const auto first = parse_neg_token_resp(out);
        ASSERT_TRUE(first);
        EXPECT_EQ(first->state, NegState::request_mic) << "Kerberos was the client's choice";
        EXPECT_EQ(first->supported_mech, std::string(mech_oid::ntlmssp));
        EXPECT_FALSE(first->response_token);
        // The client signs too: SIGN in its NEGOTIATE.
        std::string negotiate = mailfw::ntlm::build_negotiate();
        negotiate[12] |= 0x10;
        ASSERT_EQ(t.exchange.step(neg_token_resp(negotiate), out), MAILFW_SASL_CONTINUE);
        const std::string authenticate = t.authenticate(out);
        const mailfw::ntlm::SessionSecurity client(t.exported, mailfw::ntlm::flag::sign |
                                                                   mailfw::ntlm::flag::extended_session_security);
        std::string mic = client.sign(mailfw::ntlm::Direction::client_to_server, t.mechs);
        if (variant == 1) mic.clear();  // no MIC at all
        if (variant == 2) mic = client.sign(mailfw::ntlm::Direction::client_to_server, mech_list({mech_oid::ntlmssp}));
        const int r = t.exchange.step(neg_token_resp(authenticate, mic), out);
        if (variant == 0) {
            ASSERT_EQ(r, MAILFW_SASL_OK) << out;
            const auto final_resp = parse_neg_token_resp(out);
            ASSERT_TRUE(final_resp && final_resp->mech_list_mic);
            EXPECT_EQ(final_resp->state, NegState::accept_completed);
            EXPECT_TRUE(client.verify(mailfw::ntlm::Direction::server_to_client, t.mechs, *final_resp->mech_list_mic));
            ASSERT_EQ(t.fake.identities.size(), 1u);
            EXPECT_EQ(t.fake.identities[0].user, "User");
            EXPECT_EQ(t.fake.identities[0].detail, "NTLM");
        } else {
            EXPECT_EQ(r, MAILFW_SASL_FAIL);
            EXPECT_NE(out.find(variant == 1 ? "mechListMIC is missing" : "mechanism list was altered"),
                      std::string::npos)
                << out;
            EXPECT_TRUE(t.fake.identities.empty());
        }
    }
}

TEST(SpnegoNtlmExchange, GarbageAndRejects) {
    NtlmInSpnego t;
    std::string out;
    const auto init = parse_neg_token_init(neg_token_init(mech_list({mech_oid::ntlmssp}), "not a NEGOTIATE"));
    EXPECT_EQ(t.exchange.start(*init, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "SPNEGO/NTLM: not an NTLM NEGOTIATE message");

    NtlmInSpnego u;
    const auto ok = parse_neg_token_init(neg_token_init(mech_list({mech_oid::ntlmssp}), mailfw::ntlm::build_negotiate()));
    ASSERT_EQ(u.exchange.start(*ok, out), MAILFW_SASL_CONTINUE);
    EXPECT_EQ(u.exchange.step("\x04\x00"s, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "SPNEGO/NTLM: not a SPNEGO NegTokenResp");
    EXPECT_EQ(u.exchange.step(neg_token_resp("x"), out), MAILFW_SASL_FAIL) << "nothing after the end";
    EXPECT_EQ(out, "SPNEGO/NTLM: step after the end of the exchange");

    NtlmInSpnego v;
    ASSERT_EQ(v.exchange.start(*ok, out), MAILFW_SASL_CONTINUE);
    NegTokenResp reject;
    reject.state = NegState::reject;
    EXPECT_EQ(v.exchange.step(build_neg_token_resp(reject), out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "SPNEGO/NTLM: the client rejected the negotiation");
}
