// Parsing of SMTP command lines and their arguments (RFC 5321 §4.1) as the
// server receives them. Pure functions over the line's bytes: no I/O, no
// state, no allocation beyond the results. The session decides the replies.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw::smtp {

enum class Verb { helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth, unknown };

// verb_text and args point into the parsed line.
struct Command {
    Verb verb = Verb::unknown;
    std::string_view verb_text;
    std::string_view args;
};

// `line` excludes CRLF. Verb is case-insensitive and ends at the first SP (or
// end of line); args = rest after ONE space with trailing SP/HTAB removed.
// "MAIL FROM:<a>" -> verb mail, args "FROM:<a>". An empty line -> unknown.
Command parse_command(std::string_view line);

// Canonical upper-case spelling of a verb ("MAIL"); "" for unknown.
std::string_view verb_name(Verb verb);

struct EsmtpParam {
    std::string keyword;  // upper-cased
    std::optional<std::string> value;
};
struct Path {
    std::string address;  // without <> and without a source route; "" for the null path <>
    std::vector<EsmtpParam> params;
};
struct PathResult {
    std::optional<Path> path;
    std::string error;  // human text for a 501 reply when !path
};

// Limits of RFC 5321 §4.5.3.1.
inline constexpr std::size_t kMaxPathLength = 256;      // "<...>" including the brackets
inline constexpr std::size_t kMaxLocalPartLength = 64;
inline constexpr std::size_t kMaxDomainLength = 255;

// args of MAIL: "FROM:<addr> [SP params]" ("FROM:" case-insensitive; spaces
// between ':' and '<' tolerated); <> allowed. Source routes "<@a,@b:user@c>"
// accepted, route dropped. Mailbox per RFC 5321 §4.1.2, with UTF-8 allowed in
// local part and domain (RFC 6531). Params "KEYWORD[=VALUE]" separated by SP;
// a duplicate keyword is an error.
PathResult parse_mail_from(std::string_view args);

// args of RCPT: "TO:<addr> [params]"; also accepts "<postmaster>" in any case
// (no domain, RFC 5321 §4.1.1.3); the null path <> is rejected.
PathResult parse_rcpt_to(std::string_view args);

// BDAT args (RFC 3030 §2): "<size> [LAST]" (LAST case-insensitive), size 1-20
// digits <= 2^63. nullopt on bad syntax.
struct BdatArgs {
    uint64_t size = 0;
    bool last = false;
};
std::optional<BdatArgs> parse_bdat(std::string_view args);

// AUTH args (RFC 4954 §4): "<mech> [SP initial-response]". mechanism = 1*20 of
// A-Z a-z 0-9 - _ ; initial response = base64 or "=" (kept as text, not
// decoded; points into args). nullopt on bad syntax (the session replies 501 5.5.4).
struct AuthArgs {
    std::string mechanism_as_sent;
    std::string mechanism_upper;
    std::optional<std::string_view> initial_response;
};
std::optional<AuthArgs> parse_auth(std::string_view args);

// EHLO/HELO argument: a domain or an address literal. Lenient for real
// clients: bare hostnames without dots and underscores are accepted. false for
// empty or garbage (spaces, control characters).
bool valid_helo_argument(std::string_view arg);

}  // namespace mailfw::smtp
