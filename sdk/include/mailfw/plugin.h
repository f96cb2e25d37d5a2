/*
 * mailfw/plugin.h -- the mailfw plugin ABI.
 *
 * Plain C (C99). A plugin is one shared library that exports exactly one
 * symbol, `mailfw_plugin_entry`. The host calls it with its own ABI version
 * and a table of host services; the plugin answers with a descriptor that
 * lists what it provides. One library may provide any mix of the five kinds:
 *
 *   server SASL mechanisms   mailfw_server_mech   (AUTH on the server side)
 *   client SASL mechanisms   mailfw_client_mech   (AUTH on the client side)
 *   a credential store       mailfw_store         (verify passwords, properties)
 *   an event handler         mailfw_event_handler (hooks -> verdicts)
 *   a delivery target        mailfw_delivery      (takes accepted messages)
 *
 * Rules that keep the ABI stable (read these before changing anything here):
 *
 *  - Versioning. MAILFW_ABI_MAJOR changes only when an existing struct field
 *    or function slot changes meaning. The host loads a plugin when the majors
 *    are equal and the plugin's minor is <= the host's minor.
 *  - Every struct that crosses the boundary starts with `size_t struct_size`,
 *    set by whoever fills the struct to sizeof(that struct) as *it* was
 *    compiled. The reader copies min(struct_size, sizeof) into zeroed memory,
 *    so a newer field reads as 0/NULL from an older peer. Structs only grow:
 *    new fields and new function slots are appended, never inserted; a
 *    changed signature becomes a new slot. Use MAILFW_HAS_FIELD() to test for
 *    a field before reading it from a struct the other side filled.
 *  - Arrays of structs (config keys, mechanisms) are walked with the stride
 *    given by the first element's struct_size.
 *  - Nothing C++ crosses: no exceptions (every entry point must catch all),
 *    no STL types. Strings are pointer + length and are NOT NUL-terminated
 *    unless documented otherwise. Names in descriptors (`name`, `help`, ...)
 *    are NUL-terminated static strings.
 *  - Whoever allocates frees. A buffer a plugin returns (a SASL challenge, a
 *    lookup result) stays valid until the plugin's next call on that handle;
 *    a pointer the host passes in is valid only for the duration of the call.
 *  - Handles are opaque: plugin instance -> per-connection state ->
 *    per-transaction state, each with create/destroy; the host owns the order
 *    of calls. The calls for one session never overlap (one at a time): a
 *    timer that falls due while a call for its session runs on a worker
 *    thread fires when that call has returned. Calls for different sessions
 *    may run on different threads at the same time, so instance-wide state
 *    must be thread-safe. Which thread makes each call and what it may block
 *    on is written at each slot; the session services (timers, notes,
 *    session_info, set_auth_identity) may be used from any of them.
 *  - ABI 1.1 to 1.4 appended fields and slots, marked "(1.1)" etc. A
 *    plugin built against an older minor keeps working: its tables are
 *    shorter and read as NULL.
 *  - Plugins are never unloaded while the server runs. Do not use
 *    thread_local objects with destructors or atexit() in a plugin.
 */
#ifndef MAILFW_PLUGIN_H
#define MAILFW_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions and the entry point                                             */
/* ------------------------------------------------------------------------ */

#define MAILFW_ABI_MAJOR 1u
#define MAILFW_ABI_MINOR 4u

/* The one symbol every plugin exports. */
#define MAILFW_ENTRY_SYMBOL "mailfw_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define MAILFW_EXPORT __attribute__((visibility("default")))
#else
#define MAILFW_EXPORT
#endif

/* True when `ptr` (a struct filled by the other side) is large enough to hold
 * `field`. */
#define MAILFW_HAS_FIELD(ptr, type, field)                                    \
    ((ptr) != NULL &&                                                         \
     (ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ------------------------------------------------------------------------ */
/* Small shared types                                                       */
/* ------------------------------------------------------------------------ */

/* A string view. Frozen: this struct never grows. */
typedef struct mailfw_str {
    const char *ptr;
    size_t len;
} mailfw_str;

/* Opaque handles owned by the host. */
typedef struct mailfw_host mailfw_host;             /* one per plugin instance */
typedef struct mailfw_session mailfw_session;       /* one per SMTP connection */
typedef struct mailfw_completion mailfw_completion; /* one-shot async answer */

typedef enum mailfw_log_level {
    MAILFW_LOG_DEBUG = 0,
    MAILFW_LOG_INFO = 1,
    MAILFW_LOG_WARNING = 2,
    MAILFW_LOG_ERROR = 3
} mailfw_log_level;

/* Generic results of host services and store calls. */
typedef enum mailfw_status {
    MAILFW_OK = 0,
    MAILFW_NOT_FOUND = 1,    /* no such key / user / property */
    MAILFW_DENIED = 2,       /* wrong password, not authorized */
    MAILFW_UNAVAILABLE = 3,  /* temporary failure: try again later */
    MAILFW_TOO_SMALL = 4,    /* the caller's buffer is too small */
    MAILFW_INVALID = 5,      /* bad argument, or used twice (completions) */
    MAILFW_EXISTS = 6        /* already there (store administration) */
} mailfw_status;

/* ------------------------------------------------------------------------ */
/* Configuration keys a plugin declares                                     */
/* ------------------------------------------------------------------------ */

/* Each plugin owns one config section named after it. The host rejects, at
 * start-up and with file:line, any key the plugin did not declare and any
 * value that does not parse as the declared type. */
typedef enum mailfw_key_type {
    MAILFW_KEY_STRING = 1,
    MAILFW_KEY_INT = 2,      /* signed 64-bit decimal */
    MAILFW_KEY_BOOL = 3,     /* true/false, yes/no, on/off, 1/0 */
    MAILFW_KEY_DURATION = 4, /* 500ms, 30s, 5m, 1h, 2d; read back in ms */
    MAILFW_KEY_SIZE = 5,     /* 512, 64KiB, 36MiB, 1GiB, 10kB, 1MB; bytes */
    MAILFW_KEY_PATH = 6      /* a string; relative paths are taken relative
                                to the config file's directory */
} mailfw_key_type;

#define MAILFW_KEY_MULTI 0x1u    /* the key may repeat */
#define MAILFW_KEY_REQUIRED 0x2u /* start-up fails when it is missing */

typedef struct mailfw_config_key {
    size_t struct_size;
    const char *name;          /* e.g. "path" */
    uint32_t type;             /* mailfw_key_type */
    uint32_t flags;            /* MAILFW_KEY_* */
    const char *default_value; /* as it would be written in the file, or NULL */
    const char *help;          /* one line */
} mailfw_config_key;

/* ------------------------------------------------------------------------ */
/* What a session looks like to a plugin                                    */
/* ------------------------------------------------------------------------ */

typedef enum mailfw_role {
    MAILFW_ROLE_GATEWAY = 1, /* receives from the internet */
    MAILFW_ROLE_RELAY = 2    /* receives from our own clients/servers */
} mailfw_role;

/* Filled by host->session_info(). Strings stay valid until the plugin's
 * current call returns. */
typedef struct mailfw_session_info {
    size_t struct_size;
    uint64_t connection_id;
    mailfw_str listener;      /* "submission" for [listener.submission] */
    uint32_t role;            /* mailfw_role */
    mailfw_str remote_address;
    uint16_t remote_port;
    mailfw_str local_address;
    uint16_t local_port;
    mailfw_str helo;          /* empty before HELO/EHLO */
    uint32_t tls;             /* 1 once TLS is active */
    mailfw_str auth_user;     /* empty until AUTH succeeded */
    mailfw_str auth_mechanism;
    mailfw_str server_hostname;
    uint32_t in_transaction;  /* 1 between MAIL FROM and the end of DATA */
    /* (1.1) The detail the mechanism gave set_auth_identity (SPNEGO: the
     * inner mechanism, "Kerberos" or "NTLM"); empty without one. */
    mailfw_str auth_detail;
    /* (1.1) 1 when this client may relay: it authenticated, or it connected
     * to a relay listener from one of the listener's remote_ip_ranges. */
    uint32_t may_relay;
} mailfw_session_info;

/* (1.2) Filled by host->server_info(): the server as a whole. Strings stay
 * valid while the plugin instance lives. */
typedef struct mailfw_server_info {
    size_t struct_size;
    mailfw_str hostname;       /* [server] hostname */
    mailfw_str spool_dir;      /* where messages are spooled (NUL-terminated) */
    /* 0 when the server cannot serve a new session now: it is shutting down,
     * or a loaded delivery reports itself unavailable (its `available`). */
    uint32_t accepting;
    /* The core's hard caps, protocol-safety backstops that apply whatever
     * the plugins say: a limit plugin's own limit must not exceed them. */
    uint64_t max_message_size; /* octets; also the EHLO SIZE without a plugin */
    uint32_t max_recipients;   /* per message (RFC 5321 4.5.3.1.8: >= 100) */
    uint64_t max_idle_ms;      /* no progress from the client for this long */
    mailfw_str listeners;      /* the NAMEs of the [listener.NAME] sections,
                                  separated by single spaces */
} mailfw_server_info;

/* Where a note lives: it is dropped at the end of that scope. */
typedef enum mailfw_note_scope {
    MAILFW_NOTE_CONNECTION = 1,
    MAILFW_NOTE_TRANSACTION = 2
} mailfw_note_scope;

/* ------------------------------------------------------------------------ */
/* Verdicts (event handlers) and delivery results                           */
/* ------------------------------------------------------------------------ */

typedef enum mailfw_action {
    MAILFW_CONTINUE = 0,            /* no opinion: ask the next handler */
    MAILFW_ACCEPT = 1,              /* accept; later handlers are skipped */
    MAILFW_DENY = 2,                /* 5xx, session stays open */
    MAILFW_DENYSOFT = 3,            /* 4xx, session stays open */
    MAILFW_DENY_DISCONNECT = 4,     /* 5xx, then close */
    MAILFW_DENYSOFT_DISCONNECT = 5, /* 4xx, then close */
    MAILFW_DISCONNECT = 6,          /* close without a reply */
    MAILFW_PENDING = 100            /* the answer comes later through the
                                       completion token */
} mailfw_action;

typedef struct mailfw_verdict {
    size_t struct_size;
    uint32_t action;      /* mailfw_action */
    uint32_t code;        /* reply code; 0 = the host's default for action */
    mailfw_str enhanced;  /* "5.7.1"; empty = default */
    mailfw_str text;      /* reply text; empty = default */
    uint32_t delay_ms;    /* hold the reply this long (tarpit) */
} mailfw_verdict;

typedef enum mailfw_delivery_status {
    MAILFW_DELIVERY_DURABLE = 1,  /* safely on disk here: the host may 250 */
    MAILFW_DELIVERY_ACCEPTED = 2, /* the next hop has confirmed it */
    MAILFW_DELIVERY_TEMPFAIL = 3, /* 4xx to the client, nothing kept */
    MAILFW_DELIVERY_PERMFAIL = 4, /* 5xx to the client, nothing kept */
    /* (1.1) Only through complete_delivery() of a PENDING delivery: durable
     * here (queued), and the next hop's answer follows through the same
     * token (MS-OXSMTP AcknowledgementDelay). The host then waits at most
     * the delivery's ack_timeout_ms for it: ACCEPTED or TEMPFAIL -> 250
     * (the message is safe in the queue), PERMFAIL -> the client gets the
     * 5xx and the host calls discard(); no answer in time -> 250 anyway,
     * and a later answer returns MAILFW_INVALID. */
    MAILFW_DELIVERY_QUEUED = 5
} mailfw_delivery_status;

/* The host copies every string of a result when it receives it: from a
 * synchronous deliver() or claim_rcpt() as they return, from
 * complete_delivery() during that call. A plugin that builds a text at run
 * time and has nowhere to keep it until its call returns answers through
 * complete_delivery() first and then returns MAILFW_PENDING. */
typedef struct mailfw_delivery_result {
    size_t struct_size;
    uint32_t status;     /* mailfw_delivery_status, or MAILFW_PENDING */
    uint32_t code;       /* optional reply code for failures */
    mailfw_str enhanced;
    mailfw_str text;
    /* (1.1) With DURABLE or ACCEPTED: what discard() needs to take this
     * message back again (e.g. the names of the files written). */
    mailfw_str receipt;
} mailfw_delivery_result;

/* (1.1) What a delivery says of one recipient at RCPT time. */
typedef enum mailfw_rcpt_decision {
    MAILFW_RCPT_PASS = 0,     /* not mine: ask the next delivery */
    MAILFW_RCPT_CLAIM = 1,    /* mine: the recipient is accepted (250) */
    MAILFW_RCPT_REFUSE = 2,   /* 5xx; default 550 5.1.1 (5.1.3: bad name) */
    MAILFW_RCPT_TEMPFAIL = 3, /* 4xx; default 451 4.3.0 */
    MAILFW_RCPT_UNDECIDED = 4 /* (1.4) only from claim_rcpt_inline: ask
                                 claim_rcpt */
} mailfw_rcpt_decision;

/* ------------------------------------------------------------------------ */
/* Host services: the only way a plugin reaches the host                    */
/* ------------------------------------------------------------------------ */

typedef void (*mailfw_timer_fn)(void *user_data, uint64_t timer_id);
typedef void (*mailfw_user_fn)(void *user_data, const char *user, size_t len);
/* (1.1) The answer of an asynchronous counter call. */
typedef void (*mailfw_counter_fn)(void *user_data, int status, int64_t value);
/* (1.3) The answer of commit_durable: 0, or the errno of the first sync
 * that failed. */
typedef void (*mailfw_durable_fn)(void *user_data, int error);

typedef struct mailfw_host_api {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;

    /* Logging. `session` may be NULL; with it the line carries the
     * connection id and client address. Never log secrets. */
    void (*log)(mailfw_host *host, mailfw_session *session, int level,
                const char *msg, size_t len);

    /* The plugin's own config section. Values are already type-checked;
     * defaults apply. `index` selects among repeated (MULTI) values.
     * config_string returns MAILFW_OK or MAILFW_NOT_FOUND. */
    size_t (*config_count)(mailfw_host *host, const char *key);
    int (*config_string)(mailfw_host *host, const char *key, size_t index,
                         mailfw_str *out);
    /* INT, BOOL (0/1), DURATION (ms) and SIZE (bytes) keys as a number. */
    int (*config_number)(mailfw_host *host, const char *key, size_t index,
                         int64_t *out);

    /* Clocks in milliseconds: which = 0 monotonic, 1 wall clock (Unix). */
    uint64_t (*clock_ms)(mailfw_host *host, int which);

    /* Per-session timers. `fire` runs on the session's strand; timers are
     * cancelled when the session ends. Returns a non-zero id. Callable from
     * any call the host makes for this session, on whatever thread. */
    uint64_t (*timer_start)(mailfw_session *session, uint64_t delay_ms,
                            mailfw_timer_fn fire, void *user_data);
    void (*timer_cancel)(mailfw_session *session, uint64_t timer_id);

    /* Send this verdict's reply now (if it has one) and close the session
     * at the next safe point. For timers and asynchronous handlers;
     * callable from any thread while the session lives. */
    void (*session_close)(mailfw_session *session,
                          const mailfw_verdict *reply);

    /* What the session looks like now. `out->struct_size` must be set. */
    int (*session_info)(mailfw_session *session, mailfw_session_info *out);

    /* Notes: small key/value blobs attached to a connection or to the
     * current transaction, shared by all plugins. note_get's pointer stays
     * valid until the note is set again or its scope ends. Callable from
     * any call the host makes for this session (they never overlap). */
    int (*note_set)(mailfw_session *session, int scope, const char *key,
                    size_t key_len, const void *value, size_t value_len);
    int (*note_get)(mailfw_session *session, int scope, const char *key,
                    size_t key_len, const void **value, size_t *value_len);

    /* Credentials through the loaded stores (first store that knows the
     * user answers). Returns MAILFW_OK, MAILFW_NOT_FOUND (no such user),
     * MAILFW_DENIED (wrong password) or MAILFW_UNAVAILABLE. `session` may be
     * NULL outside a session. */
    int (*verify_password)(mailfw_session *session, const char *user,
                           size_t user_len, const char *password,
                           size_t password_len);
    /* May `authcid` act as `authzid`? Equal names always may; otherwise the
     * stores decide. MAILFW_OK or MAILFW_DENIED. */
    int (*authorize)(mailfw_session *session, const char *authcid,
                     size_t authcid_len, const char *authzid,
                     size_t authzid_len);
    /* A named property of a user (e.g. an NT hash for NTLM), copied into
     * buf. MAILFW_TOO_SMALL sets *out_len to the size needed. */
    int (*lookup_property)(mailfw_session *session, const char *user,
                           size_t user_len, const char *property,
                           size_t property_len, char *buf, size_t cap,
                           size_t *out_len);

    /* A server mechanism reports who authenticated (and, for mechanisms
     * such as SPNEGO, which inner mechanism did the work) before it returns
     * MAILFW_SASL_OK. */
    void (*set_auth_identity)(mailfw_session *session, const char *user,
                              size_t user_len, const char *detail,
                              size_t detail_len);

    /* Counters for limits. counter_add returns the new value of a named
     * counter (e.g. connections from one IP). rate_hit records `hits` at the
     * current time and returns how many hits the key has within the last
     * `window_ms`. Since 1.1 every plugin has its own key space (the host
     * prefixes the plugin's name), and these two answer 0 when the counter
     * backend cannot; the 1.1 slots below say so with a status. */
    int64_t (*counter_add)(mailfw_host *host, const char *key,
                           size_t key_len, int64_t delta);
    uint64_t (*rate_hit)(mailfw_host *host, const char *key, size_t key_len,
                         uint64_t window_ms, uint32_t hits);

    /* Answer a MAILFW_PENDING event or delivery. One-shot, callable from
     * any thread; MAILFW_INVALID when used twice or after its deadline. An
     * event's token stays valid until it is used or its session ends (the
     * event handler's connection_close has been called): drop it then.
     * (1.1) A delivery's token stays valid until its final answer (not
     * QUEUED), however late: a PENDING delivery answers exactly once with a
     * final status, even after the deadline (it then gets MAILFW_INVALID),
     * and that call frees the token. */
    int (*complete_event)(mailfw_completion *token,
                          const mailfw_verdict *verdict);
    int (*complete_delivery)(mailfw_completion *token,
                             const mailfw_delivery_result *result);

    /* (1.1) Does a store know this user? MAILFW_OK, MAILFW_NOT_FOUND (no
     * store knows it) or MAILFW_UNAVAILABLE. May block on the stores: call
     * it from a slot that may block (a BLOCKING delivery's claim_rcpt). */
    int (*user_exists)(mailfw_session *session, const char *user,
                       size_t user_len);

    /* (1.1) Adds a header field on top of the message being received, above
     * the host's Received: line (e.g. "Authentication-Results: mx; spf=pass").
     * `field` is "Name: value" without the final CRLF; a long value may be
     * folded with CRLF followed by a space or tab. Only during the
     * DATA_HEADERS and DATA_END hooks; MAILFW_INVALID for a malformed field
     * (the name must be printable ASCII without ':' or spaces, no bare CR or
     * LF, no NUL, at most 998 octets a line) or outside those hooks. */
    int (*header_prepend)(mailfw_session *session, const char *field,
                          size_t len);

    /* (1.1) The counter service ([server] counters = local now; a shared
     * backend such as Redis later), with a status. Keys are the plugin's
     * own (a key space per plugin). ttl_ms > 0: the counter is forgotten
     * that long after its last update; 0: never. MAILFW_OK with *value /
     * *count set, or MAILFW_UNAVAILABLE when the backend cannot answer: the
     * plugin decides whether to fail open or answer 4xx. The synchronous
     * forms never wait on a network backend (it answers UNAVAILABLE there). */
    int (*counter_update)(mailfw_host *host, const char *key, size_t key_len,
                          int64_t delta, uint64_t ttl_ms, int64_t *value);
    int (*rate_update)(mailfw_host *host, const char *key, size_t key_len,
                       uint64_t window_ms, uint32_t hits, uint64_t *count);
    /* The same, answered later through done(user_data, status, value): on
     * the session's strand when `session` is given (typically while the
     * handler waits with MAILFW_PENDING), never after the session ended (an
     * answer still out then is dropped: free user_data in
     * connection_close); on any thread without a session. MAILFW_OK when
     * the request was taken, else MAILFW_INVALID and done is not called. */
    int (*counter_update_async)(mailfw_host *host, mailfw_session *session,
                                const char *key, size_t key_len,
                                int64_t delta, uint64_t ttl_ms,
                                mailfw_counter_fn done, void *user_data);
    int (*rate_update_async)(mailfw_host *host, mailfw_session *session,
                             const char *key, size_t key_len,
                             uint64_t window_ms, uint32_t hits,
                             mailfw_counter_fn done, void *user_data);

    /* (1.2) The server as a whole. `out->struct_size` must be set. MAILFW_OK.
     * Cheap and non-blocking: callable from any call. */
    int (*server_info)(mailfw_host *host, mailfw_server_info *out);
    /* (1.2) An inactivity timer: a timer_start whose countdown the host
     * restarts whenever the client makes progress -- a complete command or
     * AUTH response line, a line of message text, 1000 octets of BDAT data --
     * and never for bytes that complete nothing, so a client trickling a
     * byte at a time cannot hold it off (MS-OXSMTP ConnectionInactivityTimer,
     * RFC 5321 4.5.3.2). It counts only while the host waits for the client:
     * time the host itself spends (a SASL step, a delivery) is not idleness.
     * Fires once, on the session's strand; timer_cancel stops it. */
    uint64_t (*inactivity_timer_start)(mailfw_session *session,
                                       uint64_t delay_ms, mailfw_timer_fn fire,
                                       void *user_data);
    /* (1.3) Group commit: makes durable what a delivery wrote, together
     * with what every other session wrote meanwhile, by one batch of syncs
     * (write-back of all started at once, then an fsync of each), instead
     * of a thread blocked in fsync per message. `fds`: the files written and
     * the directories entries were linked into (or removed from); keep them
     * open until done(user_data, error) has run: exactly once, on the host's
     * commit thread, when all of them are on stable storage (error 0) or a
     * sync failed (its errno: take the copies back and answer TEMPFAIL). done
     * must not block; complete_delivery is fine there. Callable from any
     * thread. MAILFW_OK when taken, MAILFW_INVALID (bad arguments, or the
     * server is stopping: sync yourself) and done is not called. */
    int (*commit_durable)(mailfw_host *host, const int *fds, size_t fd_count,
                          mailfw_durable_fn done, void *user_data);
} mailfw_host_api;

/* ------------------------------------------------------------------------ */
/* SASL mechanisms                                                          */
/* ------------------------------------------------------------------------ */

/* Results of a mechanism step. */
typedef enum mailfw_sasl_result {
    MAILFW_SASL_CONTINUE = 1, /* send `out` as a challenge (334), wait */
    MAILFW_SASL_OK = 2,       /* authenticated (server: 235); a non-empty
                                 `out` is sent as a last challenge first */
    MAILFW_SASL_FAIL = 3,     /* credentials rejected (535); `out` may hold
                                 a reason for the log, never sent */
    MAILFW_SASL_ERROR = 4     /* temporary failure (454); `out` as FAIL */
} mailfw_sasl_result;

/* The mechanism carries a reusable plain password: the host offers it only
 * over TLS unless the listener sets allow_plaintext_auth. */
#define MAILFW_MECH_PLAINTEXT 0x1u
/* The client speaks first (an initial response makes sense). */
#define MAILFW_MECH_CLIENT_FIRST 0x2u
/* (1.1) The first challenge is empty and clients of this mechanism read
 * MS-OXSMTP's "334 <MECH> supported" as one (Exchange sends it for GSSAPI
 * and NTLM): with the listener's relaxed_auth = auto, the host uses the
 * relaxed line only for mechanisms with this flag. */
#define MAILFW_MECH_RELAXED_CHALLENGE 0x4u

/* Server side. The host does base64, line limits and the 334 framing. The
 * first step gets the initial response: `in == NULL` when the client sent
 * none, `in != NULL && in_len == 0` for "=" (empty). Later steps get each
 * decoded client line. When the first step (without an initial response)
 * returns CONTINUE with an empty challenge, the host may answer
 * "334 <MECH> supported" (MS-OXSMTP 2.2.1; see the listener's relaxed_auth).
 * start, step and finish run on a worker thread of the CPU pool and may
 * block (password hashing, a KDC); steps of one exchange never overlap.
 * The AUTH command line and every response line may be as long as the
 * base64 of max_response, so a mechanism for Kerberos tickets declares
 * e.g. 64 KiB. */
typedef struct mailfw_server_mech {
    size_t struct_size;
    const char *name;           /* "LOGIN": 1*20 of A-Z 0-9 - _ */
    uint32_t flags;             /* MAILFW_MECH_* */
    size_t max_response;        /* largest decoded client line; 0 = host
                                   default (12 KiB) */
    void *(*start)(void *instance, mailfw_session *session);
    int (*step)(void *state, const unsigned char *in, size_t in_len,
                const unsigned char **out, size_t *out_len);
    void (*finish)(void *state); /* wipe secrets, free */
    /* (1.2) Can the host offer this mechanism? MAILFW_OK, or anything else:
     * not advertised, and AUTH with it gets 504 5.5.4 as an unknown one
     * (e.g. a plugin loaded only for its client side). NULL: always. Called
     * on network threads, often: answer at once. */
    int (*available)(void *instance);
} mailfw_server_mech;

/* Client side: what the application knows about the login. */
typedef struct mailfw_client_params {
    size_t struct_size;
    mailfw_str user;
    mailfw_str password;
    mailfw_str authzid;  /* empty: none */
    mailfw_str service;  /* "smtp" */
    mailfw_str hostname; /* the server's name as the client knows it */
} mailfw_client_params;

/* The first step is called with in == NULL: a CLIENT_FIRST mechanism
 * returns CONTINUE with its initial response. Later steps get each decoded
 * server challenge (a "334 <MECH> supported" line arrives as an empty
 * challenge). OK means the client is satisfied with the exchange (e.g. the
 * server proved who it is). Every 334 gets exactly one answer: the `out`
 * of the step that took it, possibly empty; the host accepts the server's
 * 235 only once a step has returned OK. */
typedef struct mailfw_client_mech {
    size_t struct_size;
    const char *name;
    uint32_t flags;
    void *(*start)(void *instance, const mailfw_client_params *params);
    int (*step)(void *state, const unsigned char *in, size_t in_len,
                const unsigned char **out, size_t *out_len);
    void (*finish)(void *state);
} mailfw_client_mech;

/* ------------------------------------------------------------------------ */
/* Credential stores                                                        */
/* ------------------------------------------------------------------------ */

typedef enum mailfw_user_mode {
    MAILFW_USER_CREATE = 1, /* fails with MAILFW_EXISTS */
    MAILFW_USER_UPDATE = 2  /* fails with MAILFW_NOT_FOUND */
} mailfw_user_mode;

/* Called from many threads at once, from threads that may block. Every
 * slot but verify may be NULL. */
typedef struct mailfw_store {
    size_t struct_size;
    /* MAILFW_OK, MAILFW_NOT_FOUND, MAILFW_DENIED or MAILFW_UNAVAILABLE.
     * Must take the same time for unknown users as for wrong passwords. */
    int (*verify)(void *instance, const char *user, size_t user_len,
                  const char *password, size_t password_len);
    int (*lookup)(void *instance, const char *user, size_t user_len,
                  const char *property, size_t property_len, char *buf,
                  size_t cap, size_t *out_len);
    /* MAILFW_OK, MAILFW_DENIED, or MAILFW_NOT_FOUND (no opinion). */
    int (*authorize)(void *instance, const char *authcid, size_t authcid_len,
                     const char *authzid, size_t authzid_len);
    /* Administration (mailfw-admin). */
    int (*user_set)(void *instance, int mode, const char *user,
                    size_t user_len, const char *password,
                    size_t password_len);
    int (*user_delete)(void *instance, const char *user, size_t user_len);
    int (*user_list)(void *instance, mailfw_user_fn each, void *user_data);
    /* (1.1) MAILFW_OK when the user exists, MAILFW_NOT_FOUND (no opinion:
     * the next store is asked) or MAILFW_UNAVAILABLE. */
    int (*user_exists)(void *instance, const char *user, size_t user_len);
    /* (1.3) A number that changes whenever the user's credentials do (a new
     * password, a deletion, a re-creation), from whatever process writes
     * the store: the host's verified-credential cache ([server]
     * auth_cache_*) keeps a password check's answer only while it stays the
     * same. MAILFW_OK with *stamp, MAILFW_NOT_FOUND (no such user: the next
     * store is asked) or MAILFW_UNAVAILABLE. Cheap (a lookup, no hashing);
     * called where verify is. Answers for the users of a store without it
     * are never cached. */
    int (*credential_stamp)(void *instance, const char *user, size_t user_len,
                            uint64_t *stamp);
} mailfw_store;

/* ------------------------------------------------------------------------ */
/* Event handlers                                                           */
/* ------------------------------------------------------------------------ */

typedef enum mailfw_hook {
    MAILFW_HOOK_CONNECT = 0,      /* before the greeting */
    MAILFW_HOOK_HELO = 1,         /* text = the name given */
    MAILFW_HOOK_AUTH = 2,         /* text = mechanism, result = SASL result,
                                     verdict ignored except DISCONNECT kinds */
    MAILFW_HOOK_MAIL = 3,         /* text = reverse-path, params = the
                                     parameters after it ("SIZE=10 BODY=7BIT"),
                                     bytes = SIZE= or 0 */
    MAILFW_HOOK_RCPT = 4,         /* text = forward-path, params = the
                                     parameters after it (1.1), count =
                                     recipients accepted so far */
    MAILFW_HOOK_DATA_HEADERS = 5, /* bytes = header bytes, count = Received:
                                     lines, local_count = ours. Fires when
                                     the header block ends (1.1: at the blank
                                     line, before the body is read; a refusal
                                     is still answered after the end of the
                                     message, as RFC 5321 requires) */
    MAILFW_HOOK_DATA_END = 6,     /* bytes = message bytes. (1.2) Fires
                                     also for a message larger than the
                                     limit the host stores (the smaller of
                                     its hard cap and the EHLO SIZE a handler
                                     advertises): its text was not kept, so
                                     it is never delivered; a refusal is the
                                     reply, else the host's 552 5.3.4 */
    MAILFW_HOOK_COMMAND = 7,      /* text = verb, before it is handled */
    MAILFW_HOOK_REPLY = 8,        /* code = reply code, text = reply line,
                                     params = its enhanced status code (1.3;
                                     empty when it has none); verdict may
                                     only add a delay or close */
    MAILFW_HOOK_DISCONNECT = 9,   /* every handler sees it; verdict ignored */
    MAILFW_HOOK_COUNT_ = 10
} mailfw_hook;

#define MAILFW_HOOK_BIT(h) (1u << (h))

typedef struct mailfw_event {
    size_t struct_size;
    uint32_t hook;       /* mailfw_hook */
    mailfw_str text;
    mailfw_str params;
    uint32_t code;
    int32_t result;
    uint64_t bytes;
    uint32_t count;
    uint32_t local_count;
} mailfw_event;

/* on_event fills `verdict` (zeroed, struct_size set by the host) and returns
 * its action, or returns MAILFW_PENDING and later calls
 * host->complete_event(later, ...). The host waits at most timeout_ms and
 * then acts as timeout_action says. Every slot here runs on the session's
 * network thread and must not block: anything slow answers PENDING. */
typedef struct mailfw_event_handler {
    size_t struct_size;
    uint32_t hooks;          /* MAILFW_HOOK_BIT mask */
    uint32_t timeout_ms;     /* 0 = host default (30 s) */
    uint32_t timeout_action; /* mailfw_action; 0 = CONTINUE */
    void *(*connection_open)(void *instance, mailfw_session *session);
    void (*connection_close)(void *connection_state);
    void *(*transaction_open)(void *connection_state);
    void (*transaction_close)(void *transaction_state);
    int (*on_event)(void *instance, void *connection_state,
                    void *transaction_state, mailfw_session *session,
                    const mailfw_event *event, mailfw_verdict *verdict,
                    mailfw_completion *later);

    /* (1.1) ESMTP extension points. */
    /* Lines to add to the EHLO reply ("SIZE 10485760", "XCLIENT ADDR"): fill
     * up to `cap` entries of `out` and return how many there are (more than
     * cap: the host calls again with room for all). The strings stay valid
     * until the handler's next call for this connection. A keyword the core
     * sends itself (e.g. SIZE) is replaced by the handler's line; two
     * handlers adding the same keyword: the first in load order wins. */
    size_t (*ehlo_keywords)(void *instance, void *connection_state,
                            mailfw_session *session, mailfw_str *out,
                            size_t cap);
    /* MAIL FROM and RCPT TO parameters (upper case keywords, NUL-terminated,
     * e.g. "XORIG") this handler understands. The host accepts them instead
     * of answering 555 5.5.4 and leaves them to the handler, which sees every
     * parameter in the MAIL / RCPT event's `params` and refuses bad values
     * with a verdict (501 5.5.4 or 555 5.5.4). */
    const char *const *mail_params;
    size_t mail_param_count;
    const char *const *rcpt_params;
    size_t rcpt_param_count;
} mailfw_event_handler;

/* ------------------------------------------------------------------------ */
/* Delivery                                                                 */
/* ------------------------------------------------------------------------ */

/* An accepted message. The spool file holds the message exactly as the
 * client sent it (dot-unstuffed, CRLF line ends); `trace` is the Received:
 * header the host composed for this hop, CRLF included, to be prepended. */
typedef struct mailfw_message {
    size_t struct_size;
    mailfw_str id;             /* queue id, unique per message */
    mailfw_str mail_from;      /* reverse-path without <>, may be empty */
    const mailfw_str *rcpts;   /* forward-paths without <>: only the
                                  recipients this delivery claimed */
    size_t rcpt_count;
    mailfw_str spool_path;     /* NUL-terminated too */
    uint64_t size;             /* bytes in the spool file */
    mailfw_str trace;          /* (1.1) with the fields plugins prepended
                                  (header_prepend) above the Received: */
    uint32_t eight_bit;        /* BODY=8BITMIME was given */
    mailfw_session *session;   /* valid for host->session_info during the
                                  call, NULL when redelivering later */
    mailfw_str content;        /* (1.4) the message itself, when the host
                                  still holds it in memory (small ones):
                                  the bytes the spool file would hold;
                                  ptr NULL when only the file has them.
                                  Lives as long as the spool file. */
} mailfw_message;

/* Which thread calls deliver() and claim_rcpt(): with
 * MAILFW_DELIVERY_BLOCKING a worker of the disk pool, and they may block
 * (disk I/O, fsync, a store lookup); without it the session's network
 * thread, and they must not block (answer deliver() with MAILFW_PENDING and
 * host->complete_delivery from your own thread). discard() is called like
 * deliver(). */
#define MAILFW_DELIVERY_BLOCKING 0x1u
/* (1.1) A relay delivery: it takes recipients for other hosts. The host
 * asks it about a recipient only when the session may relay
 * (mailfw_session_info.may_relay); for any other client a recipient no
 * delivery claims is refused 554 5.7.1 (relay access denied). */
#define MAILFW_DELIVERY_RELAY 0x2u
/* (1.3) deliver() has read all it needs of the spool file by the time it
 * returns (with PENDING too) and keeps no descriptor of it and no link to
 * it, and discard() never reads it: when every delivery of a message says
 * so, the host empties the file and reuses it for a later message instead
 * of removing it (a create and an unlink less per message). */
#define MAILFW_DELIVERY_SPOOL_COPIED 0x4u
/* (1.3) deliver() and discard() never read the spool file at all (they
 * need the envelope and `size` only, as a sink does): when every delivery
 * of a message says so, the host need not write the message's bytes into
 * the file (spool_path may then name an empty or partial file). Set
 * SPOOL_COPIED with it: the file is reused as for that flag. */
#define MAILFW_DELIVERY_SPOOL_UNREAD 0x8u
/* (1.4) deliver() reads the message from `content` whenever its ptr is set
 * and from the spool file only otherwise; discard() never reads the spool.
 * When every delivery of a message says so and the host holds the message
 * in memory (up to 64 KiB), it does not write it to the file at all: a
 * write, and the work of emptying the file again, less per message; the
 * plugin saves an open and the reads. */
#define MAILFW_DELIVERY_READS_CONTENT 0x10u

/* Routing. Several deliveries may be loaded. At RCPT the host asks each, in
 * load order, through claim_rcpt(); the first that claims or refuses the
 * recipient decides it. A delivery without claim_rcpt (every 1.0 plugin)
 * counts as a relay delivery that claims every recipient. At the end of
 * DATA each delivery gets one deliver() call with only its own recipients;
 * the client gets 250 only when every one of them reported DURABLE or
 * ACCEPTED. When one fails, the host calls discard() on those that had
 * succeeded (with their receipts), and the client gets the failure's reply:
 * nothing is kept.
 *
 * Lifetimes. The mailfw_message, its strings and the spool file live until
 * deliver() returns a final status; for MAILFW_PENDING, until the plugin
 * calls complete_delivery() or the deadline (timeout_ms) passes. At the
 * deadline the client gets 451 4.3.0, the spool file is unlinked, the
 * message is dropped, and a late complete_delivery() returns MAILFW_INVALID:
 * a plugin that still needs the bytes then must have opened (or linked) the
 * spool file before it returned MAILFW_PENDING. */
typedef struct mailfw_delivery {
    size_t struct_size;
    uint32_t flags;      /* MAILFW_DELIVERY_* */
    uint32_t timeout_ms; /* for PENDING answers; 0 = host default (60 s) */
    /* Fills `result` and returns result->status, or returns PENDING. */
    int (*deliver)(void *instance, const mailfw_message *message,
                   mailfw_delivery_result *result, mailfw_completion *later);
    /* (1.1) Decides `address` (the forward-path without <>) at RCPT time:
     * returns a mailfw_rcpt_decision; REFUSE and TEMPFAIL may fill
     * result's code, enhanced and text. Never creates anything on disk. */
    int (*claim_rcpt)(void *instance, mailfw_session *session,
                      mailfw_str address, mailfw_delivery_result *result);
    /* (1.1) Takes back a message this delivery reported DURABLE or ACCEPTED
     * because another delivery of the same message failed; `receipt` is the
     * one its result carried. MAILFW_OK, or anything else when something
     * could not be taken back (the host logs it). */
    int (*discard)(void *instance, const mailfw_message *message,
                   mailfw_str receipt);
    /* (1.1) After MAILFW_DELIVERY_QUEUED, how long the client's 250 may
     * wait for the next hop (MaxAcknowledgementDelay); 0: not at all. */
    uint32_t ack_timeout_ms;
    /* (1.2) Can this delivery take messages now? MAILFW_OK, or
     * MAILFW_UNAVAILABLE (its target is down, its queue is full): the
     * server then reports itself not accepting (mailfw_server_info), which
     * limit-connections answers with NewConnectionNotAvailable. Called on
     * network threads, often: must answer at once, from state it keeps. */
    int (*available)(void *instance);
    /* (1.4) claim_rcpt's decision made on the session's network thread,
     * where it must not block. A BLOCKING delivery's claim_rcpt runs on a
     * worker of the disk pool, a round trip of two thread switches per
     * recipient even when the answer needs no disk at all; this slot
     * decides what it can from memory (its domains, its name rules, a
     * cache) and returns MAILFW_RCPT_UNDECIDED for the rest, which the host
     * then asks claim_rcpt about as before. Needs claim_rcpt. */
    int (*claim_rcpt_inline)(void *instance, mailfw_session *session,
                             mailfw_str address,
                             mailfw_delivery_result *result);
} mailfw_delivery;

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

typedef struct mailfw_plugin {
    size_t struct_size;
    uint32_t abi_major;       /* MAILFW_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;
    const char *name;         /* "sasl-login"; also its config section */
    const char *version;      /* the plugin's own version, "1.0.0" */
    const char *summary;      /* one line */

    const mailfw_config_key *keys;
    size_t key_count;

    /* Called once after the config is validated. Returns the instance, or
     * NULL after writing a one-line reason (with the fix) into err. */
    void *(*create)(mailfw_host *host, const mailfw_host_api *api, char *err,
                    size_t err_cap);
    void (*destroy)(void *instance);

    /* What the plugin provides; any may be NULL / 0. */
    const mailfw_server_mech *server_mechs;
    size_t server_mech_count;
    const mailfw_client_mech *client_mechs;
    size_t client_mech_count;
    const mailfw_store *store;
    const mailfw_event_handler *events;
    const mailfw_delivery *delivery;
} mailfw_plugin;

/* The entry point. Return NULL only when the plugin cannot work with this
 * host at all; otherwise return the descriptor and let the host decide. */
typedef const mailfw_plugin *(*mailfw_plugin_entry_fn)(
    uint32_t host_abi_major, uint32_t host_abi_minor,
    const mailfw_host_api *api);

#ifdef __cplusplus
}
#endif

#endif /* MAILFW_PLUGIN_H */
