#include <gtest/gtest.h>

#include <string>

#include "smtp/command.hpp"

using namespace mailfw::smtp;
using namespace std::string_view_literals;

namespace {

std::string path_of(const PathResult& r) { return r.path ? r.path->address : "<error: " + r.error + ">"; }

void expect_error(const PathResult& r, std::string_view fragment) {
    EXPECT_FALSE(r.path.has_value()) << "accepted: " << r.path->address;
    EXPECT_FALSE(r.error.empty());
    EXPECT_NE(r.error.find(fragment), std::string::npos) << "error was: " << r.error;
}

}  // namespace

// ---------------------------------------------------------------- parse_command

TEST(ParseCommand, RecognisesEveryVerbInAnyCase) {
    const std::pair<const char*, Verb> cases[] = {
        {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
        {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
        {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help},
        {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth},
    };
    for (const auto& [name, verb] : cases) {
        EXPECT_EQ(parse_command(name).verb, verb) << name;
        std::string lower(name);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(parse_command(lower).verb, verb) << lower;
        std::string mixed(name);
        mixed[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(mixed[0])));
        EXPECT_EQ(parse_command(mixed).verb, verb) << mixed;
        EXPECT_EQ(verb_name(verb), name);
    }
    EXPECT_EQ(verb_name(Verb::unknown), "");
}

TEST(ParseCommand, SplitsVerbAndArguments) {
    const auto c = parse_command("MAIL FROM:<a@b.example>");
    EXPECT_EQ(c.verb, Verb::mail);
    EXPECT_EQ(c.verb_text, "MAIL");
    EXPECT_EQ(c.args, "FROM:<a@b.example>");

    const auto e = parse_command("ehlo client.example");
    EXPECT_EQ(e.verb, Verb::ehlo);
    EXPECT_EQ(e.verb_text, "ehlo");
    EXPECT_EQ(e.args, "client.example");
}

TEST(ParseCommand, RemovesOnlyOneLeadingSpaceAndAllTrailingBlanks) {
    EXPECT_EQ(parse_command("NOOP  x").args, " x");
    EXPECT_EQ(parse_command("NOOP x \t \t").args, "x");
    EXPECT_EQ(parse_command("NOOP x y").args, "x y");
    EXPECT_EQ(parse_command("DATA ").args, "");
    EXPECT_EQ(parse_command("DATA ").verb, Verb::data);
    EXPECT_EQ(parse_command("DATA").args, "");
    EXPECT_EQ(parse_command("DATA \t").args, "");
}

TEST(ParseCommand, UnknownAndMalformedVerbs) {
    EXPECT_EQ(parse_command("").verb, Verb::unknown);
    EXPECT_EQ(parse_command("").verb_text, "");
    EXPECT_EQ(parse_command(" MAIL FROM:<>").verb, Verb::unknown);  // verb must start the line
    EXPECT_EQ(parse_command(" MAIL FROM:<>").verb_text, "");
    EXPECT_EQ(parse_command("MAILX FROM:<>").verb, Verb::unknown);
    EXPECT_EQ(parse_command("MAI").verb, Verb::unknown);
    EXPECT_EQ(parse_command("MAIL\tFROM:<>").verb, Verb::unknown);  // only SP separates
    EXPECT_EQ(parse_command("GET / HTTP/1.1").verb, Verb::unknown);
    EXPECT_EQ(parse_command("GET / HTTP/1.1").verb_text, "GET");
    EXPECT_EQ(parse_command("DATA\0"sv).verb, Verb::unknown);
    EXPECT_EQ(parse_command("STARTTLSX").verb, Verb::unknown);
}

TEST(ParseCommand, ViewsPointIntoTheLine) {
    const std::string line = "RCPT TO:<x@y.example>";
    const auto c = parse_command(line);
    EXPECT_EQ(c.verb_text.data(), line.data());
    EXPECT_EQ(c.args.data(), line.data() + 5);
}

// ---------------------------------------------------------------- MAIL FROM

TEST(MailFrom, SimpleAddress) {
    const auto r = parse_mail_from("FROM:<user@example.com>");
    ASSERT_TRUE(r.path) << r.error;
    EXPECT_EQ(r.path->address, "user@example.com");
    EXPECT_TRUE(r.path->params.empty());
    EXPECT_TRUE(r.error.empty());
}

TEST(MailFrom, NullPath) {
    const auto r = parse_mail_from("FROM:<>");
    ASSERT_TRUE(r.path) << r.error;
    EXPECT_EQ(r.path->address, "");
    const auto p = parse_mail_from("FROM:<> SIZE=0");
    ASSERT_TRUE(p.path) << p.error;
    EXPECT_EQ(p.path->address, "");
    ASSERT_EQ(p.path->params.size(), 1u);
}

TEST(MailFrom, KeywordIsCaseInsensitiveAndSpacesBeforeBracketTolerated) {
    EXPECT_EQ(path_of(parse_mail_from("from:<a@b.example>")), "a@b.example");
    EXPECT_EQ(path_of(parse_mail_from("From:<a@b.example>")), "a@b.example");
    EXPECT_EQ(path_of(parse_mail_from("FROM: <a@b.example>")), "a@b.example");
    EXPECT_EQ(path_of(parse_mail_from("FROM:   <a@b.example>")), "a@b.example");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@b.example>  \t")), "a@b.example");
}

TEST(MailFrom, RejectsMissingOrWrongKeyword) {
    expect_error(parse_mail_from(""), "FROM:");
    expect_error(parse_mail_from("<a@b.example>"), "FROM:");
    expect_error(parse_mail_from("FROM <a@b.example>"), "FROM:");
    expect_error(parse_mail_from("FROM :<a@b.example>"), "FROM:");
    expect_error(parse_mail_from("TO:<a@b.example>"), "FROM:");
    expect_error(parse_mail_from(" FROM:<a@b.example>"), "FROM:");
}

TEST(MailFrom, RejectsMissingBrackets) {
    expect_error(parse_mail_from("FROM:a@b.example"), "<>");
    expect_error(parse_mail_from("FROM:"), "<>");
    expect_error(parse_mail_from("FROM:<a@b.example"), "missing '>'");
    expect_error(parse_mail_from("FROM:<"), "");
    expect_error(parse_mail_from("FROM:<a@b.example>>"), "after '>'");
    expect_error(parse_mail_from("FROM:<<a@b.example>"), "local part");
    expect_error(parse_mail_from("FROM:<a@b.example>SIZE=1"), "after '>'");
    expect_error(parse_mail_from("FROM:\t<a@b.example>"), "<>");
}

TEST(MailFrom, DotStringLocalParts) {
    EXPECT_EQ(path_of(parse_mail_from("FROM:<first.last@example.com>")), "first.last@example.com");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a+tag@example.com>")), "a+tag@example.com");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<!#$%&'*+-/=?^_`{|}~@example.com>")), "!#$%&'*+-/=?^_`{|}~@example.com");
    expect_error(parse_mail_from("FROM:<.a@example.com>"), "local part");
    expect_error(parse_mail_from("FROM:<a.@example.com>"), "local part");
    expect_error(parse_mail_from("FROM:<a..b@example.com>"), "local part");
    expect_error(parse_mail_from("FROM:<@example.com>"), "source route");
    expect_error(parse_mail_from("FROM:<a b@example.com>"), "");
    expect_error(parse_mail_from("FROM:<a(b)@example.com>"), "");
    expect_error(parse_mail_from("FROM:<a,b@example.com>"), "");
    expect_error(parse_mail_from("FROM:<a\x01@example.com>"), "");
    expect_error(parse_mail_from("FROM:<a\x7f@example.com>"), "");
    expect_error(parse_mail_from("FROM:<a\0b@example.com>"sv), "");
}

TEST(MailFrom, QuotedStringLocalParts) {
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\"john doe\"@example.com>")), "\"john doe\"@example.com");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\"a\\\"b\"@example.com>")), "\"a\\\"b\"@example.com");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\"a\\\\b\"@example.com>")), "\"a\\\\b\"@example.com");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\"a>b@c\"@example.com>")), "\"a>b@c\"@example.com");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\"\"@example.com>")), "\"\"@example.com");
    expect_error(parse_mail_from("FROM:<\"unterminated@example.com>"), "unterminated");
    expect_error(parse_mail_from("FROM:<\"tab\there\"@example.com>"), "quoted");
    expect_error(parse_mail_from("FROM:<\"a\\\x01\"@example.com>"), "quoted");
    expect_error(parse_mail_from("FROM:<\"a\"b@example.com>"), "@domain");
    expect_error(parse_mail_from("FROM:<\"a\\"), "");
}

TEST(MailFrom, Domains) {
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@localhost>")), "a@localhost");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@x-y.example>")), "a@x-y.example");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@3com.example>")), "a@3com.example");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@EXAMPLE.COM>")), "a@EXAMPLE.COM");
    expect_error(parse_mail_from("FROM:<a@>"), "domain");
    expect_error(parse_mail_from("FROM:<a>"), "@domain");
    expect_error(parse_mail_from("FROM:<a@-x.example>"), "domain");
    expect_error(parse_mail_from("FROM:<a@x-.example>"), "domain");
    expect_error(parse_mail_from("FROM:<a@x..example>"), "domain");
    expect_error(parse_mail_from("FROM:<a@.example>"), "domain");
    expect_error(parse_mail_from("FROM:<a@example.>"), "domain");
    expect_error(parse_mail_from("FROM:<a@ex_ample.com>"), "");
    expect_error(parse_mail_from("FROM:<a@exa mple.com>"), "");
    expect_error(parse_mail_from("FROM:<a@b@c.example>"), "");
    const std::string label63(63, 'l');
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@" + label63 + ".example>")), "a@" + label63 + ".example");
    expect_error(parse_mail_from("FROM:<a@" + label63 + "l.example>"), "63");
}

TEST(MailFrom, AddressLiterals) {
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@[192.0.2.1]>")), "a@[192.0.2.1]");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@[0.0.0.0]>")), "a@[0.0.0.0]");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@[255.255.255.255]>")), "a@[255.255.255.255]");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@[IPv6:2001:db8::1]>")), "a@[IPv6:2001:db8::1]");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@[ipv6:::1]>")), "a@[ipv6:::1]");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@[IPv6:::ffff:192.0.2.1]>")), "a@[IPv6:::ffff:192.0.2.1]");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<a@[IPv6:2001:db8:0:0:0:0:0:1]>")), "a@[IPv6:2001:db8:0:0:0:0:0:1]");
    for (const char* bad : {"[256.0.0.1]", "[1.2.3]", "[1.2.3.4.5]", "[1.2.3.]", "[.1.2.3]", "[1..2.3]",
                            "[1234.1.1.1]", "[a.b.c.d]", "[]", "[IPv6:]", "[IPv6:1.2.3.4]", "[IPv6:g::1]",
                            "[IPv6:1:2:3:4:5:6:7:8:9]", "[IPv6:1::2::3]", "[X-tag:foo]", "[192.0.2.1",
                            "[ 192.0.2.1]", "[192.0.2.1 ]"}) {
        expect_error(parse_mail_from(std::string("FROM:<a@") + bad + ">"), "") ;
    }
    expect_error(parse_mail_from("FROM:<a@[192.0.2.1]x>"), "");
    // Found by fuzzing: inet_pton stops at NUL, the literal must not.
    expect_error(parse_mail_from("FROM:<a@[IPv6:2001:db8::f\0\0ff]>"sv), "literal");
    EXPECT_FALSE(valid_helo_argument("[IPv6:::1\0x]"sv));
    expect_error(parse_mail_from("FROM:<a@[IPv6:" + std::string(60, '1') + "]>"), "literal");
}

TEST(MailFrom, SourceRouteAcceptedAndDropped) {
    EXPECT_EQ(path_of(parse_mail_from("FROM:<@a.example,@b.example:user@c.example>")), "user@c.example");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<@a.example:user@c.example>")), "user@c.example");
    expect_error(parse_mail_from("FROM:<@a.example user@c.example>"), "source route");
    expect_error(parse_mail_from("FROM:<@a.example,user@c.example>"), "source route");
    expect_error(parse_mail_from("FROM:<@:user@c.example>"), "source route");
    expect_error(parse_mail_from("FROM:<@a.example,:user@c.example>"), "source route");
    expect_error(parse_mail_from("FROM:<@a.example:>"), "local part");
}

TEST(MailFrom, Utf8Addresses) {
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\xc3\xb1o\xc3\xb1o@example.com>")), "\xc3\xb1o\xc3\xb1o@example.com");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<user@b\xc3\xbc\x63her.example>")), "user@b\xc3\xbc\x63her.example");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8>")),
              "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8");
    EXPECT_EQ(path_of(parse_mail_from("FROM:<\"\xc3\xb1 x\"@example.com>")), "\"\xc3\xb1 x\"@example.com");
    expect_error(parse_mail_from("FROM:<\xc3@example.com>"), "UTF-8");
    expect_error(parse_mail_from("FROM:<\xff\xfe@example.com>"), "UTF-8");
    expect_error(parse_mail_from("FROM:<a@\xc0\xae.example>"), "UTF-8");  // overlong '.'
    expect_error(parse_mail_from("FROM:<\xed\xa0\x80@example.com>"), "UTF-8");  // surrogate
}

TEST(MailFrom, LengthLimits) {
    const std::string local64(64, 'a');
    EXPECT_EQ(path_of(parse_mail_from("FROM:<" + local64 + "@example.com>")), local64 + "@example.com");
    expect_error(parse_mail_from("FROM:<" + local64 + "a@example.com>"), "Local part too long");
    expect_error(parse_mail_from("FROM:<\"" + std::string(63, 'a') + "\"@example.com>"), "Local part too long");

    // Path = "<" + address + ">" <= 256 octets.
    std::string domain;
    while (domain.size() < 300) domain += std::string(9, 'd') + ".";
    auto address_of_length = [&](size_t len) {
        const std::string local = "u";
        std::string d = domain.substr(0, len - 2);  // "u@" + d
        if (d.back() == '.') d.back() = 'x';
        return local + "@" + d;
    };
    const std::string a254 = address_of_length(254);
    ASSERT_EQ(a254.size(), 254u);
    EXPECT_EQ(path_of(parse_mail_from("FROM:<" + a254 + ">")), a254);
    const std::string a255 = address_of_length(255);
    ASSERT_EQ(a255.size(), 255u);
    expect_error(parse_mail_from("FROM:<" + a255 + ">"), "Path too long");
    // A source route counts towards the path length.
    expect_error(parse_mail_from("FROM:<@r.example:" + address_of_length(245) + ">"), "Path too long");

    std::string long_domain;
    while (long_domain.size() < 300) long_domain += "abcdefghi.";
    long_domain += "example";
    expect_error(parse_mail_from("FROM:<a@" + long_domain + ">"), "Domain too long");
}

TEST(MailFrom, Parameters) {
    const auto r = parse_mail_from("FROM:<a@b.example> SIZE=12345 body=8BITMIME smtputf8 RET=HDRS ENVID=QQ314159");
    ASSERT_TRUE(r.path) << r.error;
    const auto& p = r.path->params;
    ASSERT_EQ(p.size(), 5u);
    EXPECT_EQ(p[0].keyword, "SIZE");
    EXPECT_EQ(p[0].value, "12345");
    EXPECT_EQ(p[1].keyword, "BODY");
    EXPECT_EQ(p[1].value, "8BITMIME");  // values keep their case
    EXPECT_EQ(p[2].keyword, "SMTPUTF8");
    EXPECT_FALSE(p[2].value.has_value());
    EXPECT_EQ(p[3].keyword, "RET");
    EXPECT_EQ(p[4].keyword, "ENVID");
    EXPECT_EQ(p[4].value, "QQ314159");
}

TEST(MailFrom, ParameterSyntax) {
    ASSERT_TRUE(parse_mail_from("FROM:<a@b.example>  SIZE=1   BODY=7BIT  ").path);
    ASSERT_TRUE(parse_mail_from("FROM:<a@b.example> X-VENDOR-1=a+b/c!~").path);
    ASSERT_TRUE(parse_mail_from("FROM:<a@b.example> 8BIT").path);
    ASSERT_TRUE(parse_mail_from("FROM:<a@b.example> AUTH=<>").path);
    ASSERT_TRUE(parse_mail_from("FROM:<a@b.example> AUTH=\xc3\xb1").path);
    expect_error(parse_mail_from("FROM:<a@b.example> SIZE="), "Bad parameter syntax: SIZE=");
    expect_error(parse_mail_from("FROM:<a@b.example> =1"), "Bad parameter");
    expect_error(parse_mail_from("FROM:<a@b.example> -X=1"), "Bad parameter");
    expect_error(parse_mail_from("FROM:<a@b.example> SI_ZE=1"), "Bad parameter");
    expect_error(parse_mail_from("FROM:<a@b.example> SIZE=1=2"), "Bad parameter");
    expect_error(parse_mail_from("FROM:<a@b.example> SIZE=\x01"), "Bad parameter syntax: SIZE=?");
    expect_error(parse_mail_from("FROM:<a@b.example> SIZE=1\t2"), "Bad parameter");
    expect_error(parse_mail_from("FROM:<a@b.example> X=\xc3"), "Bad parameter");
    expect_error(parse_mail_from("FROM:<a@b.example> X=\r\nRSET"), "Bad parameter syntax: X=??RSET");
}

TEST(MailFrom, DuplicateParameter) {
    expect_error(parse_mail_from("FROM:<a@b.example> SIZE=1 SIZE=2"), "Duplicate parameter SIZE");
    expect_error(parse_mail_from("FROM:<a@b.example> size=1 SIZE=2"), "Duplicate parameter SIZE");
    expect_error(parse_mail_from("FROM:<a@b.example> SMTPUTF8 smtputf8"), "Duplicate parameter SMTPUTF8");
}

// ---------------------------------------------------------------- RCPT TO

TEST(RcptTo, SimpleAndParameters) {
    const auto r = parse_rcpt_to("TO:<rcpt@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;rcpt@example.org");
    ASSERT_TRUE(r.path) << r.error;
    EXPECT_EQ(r.path->address, "rcpt@example.org");
    ASSERT_EQ(r.path->params.size(), 2u);
    EXPECT_EQ(r.path->params[0].keyword, "NOTIFY");
    EXPECT_EQ(r.path->params[1].value, "rfc822;rcpt@example.org");
    EXPECT_EQ(path_of(parse_rcpt_to("to: <x@y.example>")), "x@y.example");
}

TEST(RcptTo, Postmaster) {
    EXPECT_EQ(path_of(parse_rcpt_to("TO:<postmaster>")), "postmaster");
    EXPECT_EQ(path_of(parse_rcpt_to("TO:<Postmaster>")), "Postmaster");
    EXPECT_EQ(path_of(parse_rcpt_to("TO:<POSTMASTER>")), "POSTMASTER");
    EXPECT_EQ(path_of(parse_rcpt_to("TO:<postmaster@example.com>")), "postmaster@example.com");
    expect_error(parse_mail_from("FROM:<postmaster>"), "@domain");  // only RCPT has the exception
    expect_error(parse_rcpt_to("TO:<webmaster>"), "@domain");
    expect_error(parse_rcpt_to("TO:<postmaste>"), "@domain");
    expect_error(parse_rcpt_to("TO:<\"postmaster\">"), "@domain");
}

TEST(RcptTo, NullPathRejected) {
    expect_error(parse_rcpt_to("TO:<>"), "<>");
    expect_error(parse_rcpt_to("TO:<> NOTIFY=NEVER"), "<>");
}

TEST(RcptTo, RejectsWrongKeywordAndSyntax) {
    expect_error(parse_rcpt_to("FROM:<a@b.example>"), "TO:");
    expect_error(parse_rcpt_to("TO<a@b.example>"), "TO:");
    expect_error(parse_rcpt_to("TO:a@b.example"), "<>");
    expect_error(parse_rcpt_to("TO:<a@b.example"), "missing '>'");
    expect_error(parse_rcpt_to("TO:<a@b.example> X=1 x=2"), "Duplicate");
    EXPECT_EQ(path_of(parse_rcpt_to("TO:<@relay.example:a@b.example>")), "a@b.example");
}

// ---------------------------------------------------------------- BDAT

TEST(Bdat, SizeAndLast) {
    auto b = parse_bdat("1000");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size, 1000u);
    EXPECT_FALSE(b->last);
    b = parse_bdat("0 LAST");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size, 0u);
    EXPECT_TRUE(b->last);
    b = parse_bdat("42 last");
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->last);
    b = parse_bdat("42 LaSt  ");
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->last);
    b = parse_bdat("42   LAST");
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->last);
    b = parse_bdat("007");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size, 7u);
}

TEST(Bdat, SizeLimits) {
    auto b = parse_bdat("9223372036854775808");  // 2^63
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size, uint64_t{1} << 63);
    b = parse_bdat("00000000000000000001");  // 20 digits
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size, 1u);
    EXPECT_FALSE(parse_bdat("9223372036854775809"));    // 2^63 + 1
    EXPECT_FALSE(parse_bdat("18446744073709551615"));   // 2^64 - 1
    EXPECT_FALSE(parse_bdat("18446744073709551616"));   // 2^64, would wrap
    EXPECT_FALSE(parse_bdat("99999999999999999999"));
    EXPECT_FALSE(parse_bdat("000000000000000000001"));  // 21 digits
}

TEST(Bdat, BadSyntax) {
    for (const char* bad : {"", " ", "LAST", " 10", "10 ", "-1", "+1", "1e3", "0x10", "10 LASTX", "10 LAS", "10 LAST x",
                            "10\tLAST", "10 NOTLAST", "1 0", "10LAST"}) {
        if (std::string_view(bad) == "10 ") continue;  // trailing blanks are trimmed
        EXPECT_FALSE(parse_bdat(bad)) << '"' << bad << '"';
    }
    EXPECT_TRUE(parse_bdat("10 "));
}

// ---------------------------------------------------------------- AUTH

TEST(Auth, MechanismOnly) {
    const auto a = parse_auth("login");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->mechanism_as_sent, "login");
    EXPECT_EQ(a->mechanism_upper, "LOGIN");
    EXPECT_FALSE(a->initial_response);
    const auto g = parse_auth("GSS-SPNEGO");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->mechanism_upper, "GSS-SPNEGO");
    const auto s = parse_auth("SCRAM-SHA-256 ");
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->initial_response);
}

TEST(Auth, InitialResponse) {
    const std::string args = "PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm";
    const auto a = parse_auth(args);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->mechanism_upper, "PLAIN");
    ASSERT_TRUE(a->initial_response);
    EXPECT_EQ(*a->initial_response, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    EXPECT_EQ(a->initial_response->data(), args.data() + 6);  // a view into args

    const auto e = parse_auth("EXTERNAL =");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->initial_response, "=");

    const auto l = parse_auth("login dXNlcg==");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->mechanism_as_sent, "login");
    EXPECT_EQ(l->initial_response, "dXNlcg==");

    const auto t = parse_auth("PLAIN  dXNlcg==\t ");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->initial_response, "dXNlcg==");
}

TEST(Auth, MechanismSyntax) {
    EXPECT_TRUE(parse_auth(std::string(20, 'X')));
    EXPECT_TRUE(parse_auth("a_b-c9"));
    EXPECT_FALSE(parse_auth(std::string(21, 'X')));
    EXPECT_FALSE(parse_auth(""));
    EXPECT_FALSE(parse_auth(" PLAIN"));
    EXPECT_FALSE(parse_auth("PL.AIN"));
    EXPECT_FALSE(parse_auth("PLAIN\tdXNlcg=="));
    EXPECT_FALSE(parse_auth("PL\xc3\xa4IN"));
    EXPECT_FALSE(parse_auth("*"));
}

TEST(Auth, BadInitialResponse) {
    EXPECT_FALSE(parse_auth("PLAIN dXNlcg"));        // no padding
    EXPECT_FALSE(parse_auth("PLAIN dXNlcg= ="));     // space inside
    EXPECT_FALSE(parse_auth("PLAIN dXNlcg== x"));    // extra token
    EXPECT_FALSE(parse_auth("PLAIN Zh=="));          // non-zero pad bits
    EXPECT_FALSE(parse_auth("PLAIN *"));             // cancel is not an initial response
    EXPECT_FALSE(parse_auth("PLAIN =="));
    EXPECT_FALSE(parse_auth("PLAIN ==="));
    EXPECT_FALSE(parse_auth("PLAIN dXNl-g=="));
}

// ---------------------------------------------------------------- HELO / EHLO

TEST(HeloArgument, AcceptsRealClients) {
    for (const char* ok : {"mail.example.com", "localhost", "DESKTOP-4K2J9", "my_pc", "my_pc.corp.example",
                           "[192.0.2.1]", "[IPv6:2001:db8::1]", "192.0.2.1", "xn--bcher-kva.example",
                           "b\xc3\xbc\x63her.example", "-weird-", "a"}) {
        EXPECT_TRUE(valid_helo_argument(ok)) << ok;
    }
}

TEST(HeloArgument, RejectsGarbage) {
    for (const char* bad : {"", "mail example.com", "mail.example.com extra", "host\tname", "host\x01", ".",
                            "a..b", ".example", "example.", "[192.0.2.1", "192.0.2.1]", "[300.1.1.1]", "[]",
                            "[IPv6:zz::1]", "user@example.com", "<host>", "host/x", "\xff\xfe", "a\x7f"}) {
        EXPECT_FALSE(valid_helo_argument(bad)) << bad;
    }
    EXPECT_FALSE(valid_helo_argument("host\0x"sv));
    EXPECT_TRUE(valid_helo_argument(std::string(255, 'h')));
    EXPECT_FALSE(valid_helo_argument(std::string(256, 'h')));
}
