#include "spnego_tokens.hpp"

namespace mailfw::sasl_gssapi {
namespace {

constexpr std::string_view kSpnegoOid{"\x2b\x06\x01\x05\x05\x02", 6};

// One DER element: a single-octet tag, a definite length, the contents.
struct Element {
    unsigned char tag = 0;
    std::string_view contents;
    std::string_view whole;  // tag and length included
};

// The element at the start of `in`; `in` moves past it.
std::optional<Element> next(std::string_view& in) {
    if (in.size() < 2) return std::nullopt;
    Element e;
    e.tag = static_cast<unsigned char>(in[0]);
    if ((e.tag & 0x1f) == 0x1f) return std::nullopt;  // multi-octet tags: none in SPNEGO
    size_t pos = 1;
    const auto first = static_cast<unsigned char>(in[pos++]);
    size_t length = first;
    if (first & 0x80) {
        const size_t octets = first & 0x7f;
        if (octets == 0 || octets > 4 || in.size() - pos < octets) return std::nullopt;  // no indefinite form
        length = 0;
        for (size_t i = 0; i < octets; ++i) length = (length << 8) | static_cast<unsigned char>(in[pos++]);
    }
    if (length > in.size() - pos) return std::nullopt;
    e.contents = in.substr(pos, length);
    e.whole = in.substr(0, pos + length);
    in.remove_prefix(pos + length);
    return e;
}

// The single element `in` must consist of, with tag `tag`.
std::optional<std::string_view> only(std::string_view in, unsigned char tag) {
    auto e = next(in);
    if (!e || e->tag != tag || !in.empty()) return std::nullopt;
    return e->contents;
}

void put_length(std::string& out, size_t n) {
    if (n < 0x80) {
        out.push_back(static_cast<char>(n));
        return;
    }
    std::string octets;
    for (; n; n >>= 8) octets.insert(octets.begin(), static_cast<char>(n & 0xff));
    out.push_back(static_cast<char>(0x80 | octets.size()));
    out += octets;
}

std::string tlv(unsigned char tag, std::string_view contents) {
    std::string out(1, static_cast<char>(tag));
    put_length(out, contents.size());
    out.append(contents);
    return out;
}

// The fields of a SEQUENCE of [n] EXPLICIT elements, in increasing n, each
// at most once; fields[n] is the inner element's encoding.
std::optional<std::vector<std::optional<std::string_view>>> tagged_fields(std::string_view seq, size_t count) {
    std::vector<std::optional<std::string_view>> fields(count);
    int last = -1;
    while (!seq.empty()) {
        auto e = next(seq);
        if (!e || (e->tag & 0xe0) != 0xa0) return std::nullopt;  // context-specific, constructed
        const int n = e->tag & 0x1f;
        if (n <= last || n >= static_cast<int>(count)) return std::nullopt;
        last = n;
        fields[n] = e->contents;
    }
    return fields;
}

std::optional<std::string> octet_string(std::string_view element) {
    auto s = only(element, 0x04);
    if (!s) return std::nullopt;
    return std::string(*s);
}

}  // namespace

std::optional<NegTokenInit> parse_neg_token_init(std::string_view token) {
    auto app = only(token, 0x60);
    if (!app) return std::nullopt;
    std::string_view rest = *app;
    auto oid = next(rest);
    if (!oid || oid->tag != 0x06 || oid->contents != kSpnegoOid) return std::nullopt;
    auto init = only(rest, 0xa0);
    if (!init) return std::nullopt;
    auto seq = only(*init, 0x30);
    if (!seq) return std::nullopt;
    // mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] (NegTokenInit2's negHints there: ignored).
    auto fields = tagged_fields(*seq, 5);
    if (!fields || !(*fields)[0]) return std::nullopt;
    NegTokenInit out;
    std::string_view list = *(*fields)[0];
    auto types = next(list);
    if (!types || types->tag != 0x30 || !list.empty()) return std::nullopt;
    out.mech_types_der.assign(types->whole);
    std::string_view mechs = types->contents;
    while (!mechs.empty()) {
        auto m = next(mechs);
        if (!m || m->tag != 0x06 || m->contents.empty()) return std::nullopt;
        out.mech_types.emplace_back(m->contents);
    }
    if (out.mech_types.empty()) return std::nullopt;
    if ((*fields)[2]) {
        out.mech_token = octet_string(*(*fields)[2]);
        if (!out.mech_token) return std::nullopt;
    }
    if ((*fields)[3]) out.mech_list_mic = octet_string(*(*fields)[3]);  // else negHints
    return out;
}

std::optional<NegTokenResp> parse_neg_token_resp(std::string_view token) {
    auto resp = only(token, 0xa1);
    if (!resp) return std::nullopt;
    auto seq = only(*resp, 0x30);
    if (!seq) return std::nullopt;
    auto fields = tagged_fields(*seq, 4);
    if (!fields) return std::nullopt;
    NegTokenResp out;
    if ((*fields)[0]) {
        auto state = only(*(*fields)[0], 0x0a);
        if (!state || state->size() != 1 || static_cast<unsigned char>((*state)[0]) > 3) return std::nullopt;
        out.state = static_cast<NegState>((*state)[0]);
    }
    if ((*fields)[1]) {
        auto oid = only(*(*fields)[1], 0x06);
        if (!oid || oid->empty()) return std::nullopt;
        out.supported_mech.emplace(*oid);
    }
    if ((*fields)[2]) {
        out.response_token = octet_string(*(*fields)[2]);
        if (!out.response_token) return std::nullopt;
    }
    if ((*fields)[3]) {
        out.mech_list_mic = octet_string(*(*fields)[3]);
        if (!out.mech_list_mic) return std::nullopt;
    }
    return out;
}

std::string build_neg_token_resp(const NegTokenResp& r) {
    std::string seq;
    if (r.state) seq += tlv(0xa0, tlv(0x0a, std::string(1, static_cast<char>(*r.state))));
    if (r.supported_mech) seq += tlv(0xa1, tlv(0x06, *r.supported_mech));
    if (r.response_token) seq += tlv(0xa2, tlv(0x04, *r.response_token));
    if (r.mech_list_mic) seq += tlv(0xa3, tlv(0x04, *r.mech_list_mic));
    return tlv(0xa1, tlv(0x30, seq));
}

std::string oid_text(std::string_view c) {
    if (c.empty() || (static_cast<unsigned char>(c[0]) & 0x80)) return "?";
    const auto first = static_cast<unsigned char>(c[0]);
    std::string out = std::to_string(first < 80 ? first / 40 : 2) + "." + std::to_string(first < 80 ? first % 40 : first - 80);
    uint64_t arc = 0;
    for (size_t i = 1; i < c.size(); ++i) {
        const auto b = static_cast<unsigned char>(c[i]);
        if (arc > (UINT64_MAX >> 7)) return "?";
        arc = (arc << 7) | (b & 0x7f);
        if (!(b & 0x80)) {
            out += "." + std::to_string(arc);
            arc = 0;
        } else if (i + 1 == c.size()) {
            return "?";
        }
    }
    return out;
}

}  // namespace mailfw::sasl_gssapi
