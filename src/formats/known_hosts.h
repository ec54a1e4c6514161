// known_hosts as OpenSSH 9.2 reads and rewrites it (hostfile.c
// hostkeys_foreach_file, check_key_in_hostkeys; ssh-keygen.c -F/-H/-R;
// sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").
//
// A known_hosts file is a document, not a set: every line is kept with its
// number, comments, blank and even invalid lines included, so an edit
// rewrites only the lines it means to and leaves every other byte alone.
//
// Line grammar (what hostkeys_foreach_file accepts):
//   [@cert-authority|@revoked] HOSTS KEYTYPE BASE64 [COMMENT]
// HOSTS is a comma-separated pattern list ('*', '?', '!' negation,
// "[host]:port") or one hashed name "|1|salt|hmac". Lines split on '\n'
// only; OpenSSH reads each as a C string, so it sees a line only up to its
// first NUL byte (HostLine::c_text), and a '\r' before the '\n' stays part
// of the line.
//
// OpenSSH checks a line to two depths, and so does this file:
//  - structure (ssh-keygen -F, -H, -R): marker, host field, and a key type
//    name it knows followed by something;
//  - key (ssh, ssh-keygen -lF): the key must also decode, and the type its
//    blob holds must be the type the line names.
// Hashed host fields are only checked when a host is looked up.
//
// Pure: bytes in, values out. Thread-compatible; each thread needs its own
// crypto::HmacSha1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "crypto/hmac_sha1.h"
#include "formats/certificate.h"
#include "formats/public_key.h"

namespace kw::formats {

// Markers are at most this long (check_markers' 32-byte buffer).
inline constexpr size_t kMaxHostMarkerLength = 31;
// A key type token must be shorter than this (hostkeys_foreach_file's ktype[128]).
inline constexpr size_t kMaxKeyTypeTokenLength = 127;

enum class HostMarker : uint8_t { kNone, kCertAuthority, kRevoked };
// "@cert-authority", "@revoked", or "" for kNone.
std::string_view HostMarkerText(HostMarker marker);

// Why a line is invalid: the `goto bad` paths of hostkeys_foreach_file.
enum class HostLineError : uint8_t {
  kNone,
  kBadMarker,           // an unknown marker, two markers, or a marker that ends the line
  kNoKeyType,           // nothing, or only a comment, after the host field
  kBadKeyTypeToken,     // the type token is one byte, >= 128 bytes, or ends the line
  kLegacyRsa1,          // the first token is a short number: an SSH-1 RSA key
  kUnknownKeyType,      // a key type OpenSSH 9.2 does not know
  kNoKeyAfterType,      // nothing, or only a comment, after the key type
  kBadHostHash,         // "|..." that is not "|1|<20-byte base64 salt>|..."
  kBadKey,              // the key does not decode (key depth only)
};

// One line of a known_hosts file, checked to structure depth. All views
// point into the text the line was parsed from.
struct HostLine {
  size_t number = 0;            // 1-based
  std::string_view text;        // as stored, without its '\n'
  std::string_view c_text;      // text up to its first NUL: what OpenSSH sees
  bool has_newline = false;     // text was followed by '\n'
  bool is_comment = false;      // empty, blanks only, or '#' after blanks
  HostLineError error = HostLineError::kNone;
  HostMarker marker = HostMarker::kNone;
  std::string_view hosts;       // the host field (empty for comments, bad markers)
  std::string_view rawkey;      // from the key type to the end of c_text
  std::string_view key_type;    // the first token of rawkey

  bool is_entry() const { return !is_comment && error == HostLineError::kNone; }
  bool hashed() const { return !hosts.empty() && hosts[0] == '|'; }
  // Holds '*', '?' or '!': ssh-keygen -H leaves such lines alone.
  bool has_wildcard() const {
    for (char c : hosts)
      if (c == '*' || c == '?' || c == '!') return true;
    return false;
  }
};

// Parses one line (without its '\n') to structure depth.
HostLine ParseHostLine(std::string_view text, size_t number, bool has_newline = true);

// sshkey_type_from_name() != KEY_UNSPEC: every full key and certificate
// type name of OpenSSH 9.2, and the short names ("RSA", "ed25519") of plain
// types in any case. The structure check uses this.
bool IsKnownKeyTypeName(std::string_view name);

// Key depth (hostfile_read_key): parses the key in line.rawkey, a plain key
// or a certificate (whose CA signature must verify). `rest` of the result is
// the comment. Blanks other than space and tab inside the base64 (a '\r' of
// a CRLF file) are skipped as OpenSSH's b64_pton does.
StatusOr<ParsedKeyOrCertText> ParseHostLineKey(const HostLine& line);

// The text of an error for messages: "unknown key type \"ssh-foo\"".
std::string DescribeHostLineError(const HostLine& line, HostLineError error, const Status& key_status = {});

// Splits text into lines as getline() does: on '\n'; a last line without
// '\n' is still a line; nothing after a final '\n' is not.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text, size_t first_number = 1) : text_(text), number_(first_number) {}
  // The next line and its number; false at the end.
  bool Next(std::string_view* line, bool* has_newline, size_t* number);

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t number_;
};

// --- Matching a host name (hostkeys_foreach_file with a host) -------------

enum class HostFieldMatch : uint8_t { kNoMatch, kMatch, kBadHash };

// match_maybe_hashed: a hashed field is compared with HMAC-SHA1(salt, name);
// a plain field is matched as a host pattern list (lower-cased, '!' wins).
// `name` is used as given: ssh and ssh-keygen -H lower-case names before
// they hash them, ssh-keygen -F and -R do not.
HostFieldMatch MatchHostField(std::string_view hosts, std::string_view name, crypto::HmacSha1& hmac);

// "[host]:port" unless port is 0 or 22 (put_host_port).
std::string HostWithPort(std::string_view host, int port);

// The status of a line for a given walk (HKF_STATUS_*).
enum class WalkStatus : uint8_t { kComment, kOk, kMatched, kInvalid };

struct WalkOptions {
  // The name looked up; none for a walk over every line (ssh-keygen -H).
  std::optional<std::string_view> host;
  // HKF_WANT_MATCH: only deliver lines that match the host (and the invalid
  // ones among them); comments and lines with a bad marker are skipped.
  bool want_match = false;
  // HKF_WANT_PARSE_KEY: check lines to key depth.
  bool parse_key = false;
};

struct WalkLine {
  HostLine line;
  WalkStatus status = WalkStatus::kOk;
  HostLineError error = HostLineError::kNone;  // why kInvalid
  bool hashed_match = false;                    // matched a hashed field
  std::optional<ParsedKeyOrCertText> key;       // parse_key and valid
  Status key_status;                            // parse_key and kBadKey: why
};

// Classifies one line for a walk. Returns false if the walk skips the line
// without delivering it (want_match and not matched, comments, bad markers).
bool WalkHostLine(const HostLine& line, const WalkOptions& options, crypto::HmacSha1& hmac, WalkLine* out);

// --- The document -------------------------------------------------------

// A whole known_hosts file. Holds its own copy of the bytes; lines are
// parsed on demand. Every byte of the input is kept: Text() of an unedited
// file is the input.
class KnownHostsFile {
 public:
  explicit KnownHostsFile(std::string text);

  const std::string& text() const { return text_; }
  size_t line_count() const { return spans_.size(); }
  // Line `number` (1-based, <= line_count()).
  HostLine line(size_t number) const;

  // Edits, applied together by Render(): each line is kept byte for byte
  // (with or without its '\n', as it was) unless an edit names it.
  struct Edits {
    std::vector<size_t> remove;                                 // line numbers
    std::vector<std::pair<size_t, std::vector<std::string>>> replace;  // line number -> new lines
    std::vector<std::string> append;                            // new lines at the end
  };
  // New lines are written with '\n'. Appending to a file whose last line
  // has no '\n' first ends that line.
  std::string Render(const Edits& edits) const;

 private:
  struct Span {
    size_t offset;
    size_t length;
    bool newline;
  };
  std::string text_;
  std::vector<Span> spans_;
};

// How rewriting operations write the lines they keep.
enum class KeepStyle : uint8_t {
  // As ssh-keygen: each kept line as OpenSSH read it (up to its first NUL)
  // plus '\n' (so a missing final newline is added).
  kOpenSsh,
  // Byte for byte, with its own '\n' or none.
  kVerbatim,
};

// --- ssh-keygen -F -------------------------------------------------------

struct FoundHostLine {
  HostLine line;
  std::optional<ParsedKeyOrCertText> key;  // with parse_key
};

// Every line that matches `name` (in order), as ssh-keygen -F finds them:
// to structure depth, or to key depth with `parse_key` (-l). Invalid lines
// are skipped. Line numbers start at `first_number`, so a caller may split
// a large file into pieces at line boundaries and search them in parallel.
std::vector<FoundHostLine> FindHost(std::string_view text, std::string_view name, bool parse_key,
                                    crypto::HmacSha1& hmac, size_t first_number = 1);

// --- ssh-keygen -H -------------------------------------------------------

struct HashOutcome {
  std::string output;                 // the new text
  std::vector<size_t> invalid_lines;  // ssh-keygen then refuses to write
  // Lines left alone because their host field has '*', '?' or '!':
  // (number, host field) for "ignoring host name with wildcard".
  std::vector<std::pair<size_t, std::string>> wildcard_lines;
  bool hashed_any = false;            // some name was hashed ("contains unhashed entries")
};

// Hashes every plain host name: a line "a,b KEY" becomes one line per name,
// "|1|salt|hmac KEY", names lower-cased first; the split stops at the first
// empty name. Hashed, wildcard and marker lines, comments and invalid lines
// are kept. Salts come from `rng`.
HashOutcome HashKnownHosts(std::string_view text, Rng& rng, crypto::HmacSha1& hmac, KeepStyle style,
                           size_t first_number = 1);

// The same, appending to out->output (cleared first; its capacity is kept,
// so a caller hashing a large file piece by piece can reuse one buffer).
void HashKnownHostsInto(std::string_view text, Rng& rng, crypto::HmacSha1& hmac, KeepStyle style,
                        size_t first_number, HashOutcome* out);

// One line as -H would rewrite it (for -F -H): hashed lines, or the line
// itself if -H keeps it. `line` must be a valid entry.
std::string HashHostLine(const HostLine& line, Rng& rng, crypto::HmacSha1& hmac, bool* hashed);

// --- ssh-keygen -R -------------------------------------------------------

struct RemoveOutcome {
  std::string output;
  std::vector<size_t> removed_lines;
  std::vector<size_t> invalid_lines;  // ssh-keygen then refuses to write
};

// Removes every line whose host field matches `name` (as given, not
// lower-cased, like ssh-keygen -R), except @cert-authority and @revoked
// lines. Checked to structure depth; a malformed hashed field is invalid.
RemoveOutcome RemoveHost(std::string_view text, std::string_view name, crypto::HmacSha1& hmac, KeepStyle style,
                         size_t first_number = 1);

// The same without copying: the output as a list of pieces, each a view
// into `text` (runs of kept lines) or a static "\n" (where kOpenSsh ends a
// line that had none, or cuts one at a NUL), for writing straight from a
// mapped file. The views live as long as `text`.
struct RemovePlan {
  std::vector<std::string_view> output;
  std::vector<size_t> removed_lines;
  std::vector<size_t> invalid_lines;
};
RemovePlan PlanRemoveHost(std::string_view text, std::string_view name, crypto::HmacSha1& hmac, KeepStyle style,
                          size_t first_number = 1);

// --- What ssh concludes (sshconnect.c check_host_key) ----------------------

enum class HostKeyVerdict : uint8_t {
  kTrusted,  // a line for this host holds this key (or its CA, for a certificate)
  kChanged,  // lines for this host hold other keys, none this one
  kRevoked,  // a @revoked line holds this key (or the certificate's CA)
  kUnknown,  // no line for this host holds any key
};
std::string_view HostKeyVerdictName(HostKeyVerdict verdict);  // "trusted", ...

struct KnownHostsSource {
  std::string path;  // for results and messages
  std::string_view text;
};

// A host key as the server presents it.
struct HostKeyQuery {
  PublicKey key;  // the plain key (for a certificate, the certified key)
  // For a certificate host key: the CA key that signed it, and whether the
  // certificate is valid for the host (a host certificate, the host name
  // among its principals, inside its validity window: VerifyCertificate()).
  std::optional<PublicKey> ca_key;
  bool certificate_valid_for_host = false;
};

struct HostKeyCheckOptions {
  int port = 22;
  // HostKeyAlias: the name is looked up as given (no port, no lower-casing,
  // no retry without the port).
  bool is_alias = false;
};

struct HostKeyCheck {
  HostKeyVerdict verdict = HostKeyVerdict::kUnknown;
  std::string lookup_name;     // the name looked up ("[host]:2222")
  // kTrusted: the line that holds the key (or the CA). kChanged: the line
  // ssh names as "Offending ... key". Empty otherwise.
  std::string path;
  size_t line = 0;
  HostMarker marker = HostMarker::kNone;
  bool via_certificate = false;  // trusted through a @cert-authority line
  bool via_port_fallback = false;  // "[host]:port" unknown, found as plain host
  std::optional<KeyOrCert> offending_key;  // kChanged: the key on that line
};

// ssh's verdict for `host` presenting `query`, with StrictHostKeyChecking
// and CheckHostIP no (the 9.2 default) and the files searched in order:
//  - a certificate is checked against @cert-authority lines first; no
//    usable CA falls back to its plain key;
//  - a plain key against plain lines: the first equal key is trusted;
//    otherwise any other key (of any type) for the host means changed, and
//    the last such line is the one reported;
//  - then a @revoked line with the key (or CA) makes it revoked;
//  - "[host]:port" that is unknown is retried as "host", and only an
//    equal key there counts (trusted).
HostKeyCheck CheckHostKey(const std::vector<KnownHostsSource>& sources, std::string_view host,
                          const HostKeyQuery& query, const HostKeyCheckOptions& options, crypto::HmacSha1& hmac);

// The line ssh writes to record a host (write_host_entry): the host
// lower-cased, or hashed, then "type base64". Fails for names ssh refuses
// to record (any of @?*#[]|'"\ before the port is added).
StatusOr<std::string> KnownHostsEntryLine(std::string_view host, int port, const PublicKey& key, bool hash, Rng& rng,
                                          crypto::HmacSha1& hmac);

// --- Lint ------------------------------------------------------------------

struct HostLineProblem {
  size_t line = 0;
  HostLineError error = HostLineError::kNone;
  std::string reason;  // "unknown key type \"ssh-foo\""
};

// Every line ssh would ignore as invalid (checked to key depth, hashed
// fields included), in order.
std::vector<HostLineProblem> LintKnownHosts(std::string_view text, crypto::HmacSha1& hmac);

}  // namespace kw::formats
