#include "formats/known_hosts.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <strings.h>

#include "formats/host_pattern.h"
#include "formats/key_read.h"

namespace kw::formats {
namespace {

constexpr std::string_view kCaMarker = "@cert-authority";
constexpr std::string_view kRevokeMarker = "@revoked";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

size_t SkipBlanks(std::string_view s, size_t i) {
  while (i < s.size() && IsBlank(s[i])) ++i;
  return i;
}

// check_markers(): returns false on a marker error. Note the search for
// the blank that ends a marker: the first space anywhere after it, and a
// tab only when the rest of the line holds no space at all.
bool ParseMarkers(std::string_view s, size_t* pos, HostMarker* marker) {
  size_t cp = *pos;
  HostMarker ret = HostMarker::kNone;
  while (cp < s.size() && s[cp] == '@') {
    if (ret != HostMarker::kNone) return false;
    size_t sp = s.find(' ', cp);
    if (sp == std::string_view::npos) sp = s.find('\t', cp);
    if (sp == std::string_view::npos) return false;
    if (sp <= cp + 1 || sp >= cp + kMaxHostMarkerLength + 1) return false;
    std::string_view m = s.substr(cp, sp - cp);
    if (m == kCaMarker) {
      ret = HostMarker::kCertAuthority;
    } else if (m == kRevokeMarker) {
      ret = HostMarker::kRevoked;
    } else {
      return false;
    }
    cp = SkipBlanks(s, sp);
  }
  *pos = cp;
  *marker = ret;
  return true;
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view HostMarkerText(HostMarker marker) {
  switch (marker) {
    case HostMarker::kCertAuthority: return kCaMarker;
    case HostMarker::kRevoked: return kRevokeMarker;
    case HostMarker::kNone: break;
  }
  return "";
}

bool IsKnownKeyTypeName(std::string_view name) {
  if (FamilyOfLineName(name)) return true;
  // Short names of plain types, in any case.
  for (std::string_view s : {"ED25519", "ED25519-SK", "ECDSA", "ECDSA-SK", "DSA", "RSA"}) {
    if (name.size() == s.size() && strncasecmp(name.data(), s.data(), s.size()) == 0) return true;
  }
  return false;
}

HostLine ParseHostLine(std::string_view text, size_t number, bool has_newline) {
  HostLine l;
  l.number = number;
  l.text = text;
  l.has_newline = has_newline;
  size_t nul = text.find('\0');
  l.c_text = nul == std::string_view::npos ? text : text.substr(0, nul);
  std::string_view s = l.c_text;

  size_t cp = SkipBlanks(s, 0);
  if (cp == s.size() || s[cp] == '#') {
    l.is_comment = true;
    return l;
  }
  if (!ParseMarkers(s, &cp, &l.marker)) {
    l.marker = HostMarker::kNone;
    l.error = HostLineError::kBadMarker;
    return l;
  }
  size_t host_end = cp;
  while (host_end < s.size() && !IsBlank(s[host_end])) ++host_end;
  l.hosts = s.substr(cp, host_end - cp);

  size_t k = SkipBlanks(s, host_end);
  if (k == s.size() || s[k] == '#') {
    l.error = HostLineError::kNoKeyType;
    return l;
  }
  l.rawkey = s.substr(k);
  size_t tl = 0;
  while (tl < l.rawkey.size() && !IsBlank(l.rawkey[tl])) ++tl;
  if (tl == l.rawkey.size()) {
    l.key_type = l.rawkey;
    l.error = HostLineError::kBadKeyTypeToken;
    return l;
  }
  l.key_type = l.rawkey.substr(0, tl);
  if (tl <= 1 || tl > kMaxKeyTypeTokenLength) {
    l.error = HostLineError::kBadKeyTypeToken;
    return l;
  }
  bool known = IsKnownKeyTypeName(l.key_type);
  if (!known && tl < 8 && AllDigits(l.key_type)) {
    l.error = HostLineError::kLegacyRsa1;
    return l;
  }
  if (!known) {
    l.error = HostLineError::kUnknownKeyType;
    return l;
  }
  size_t after = SkipBlanks(l.rawkey, tl);
  if (after == l.rawkey.size() || l.rawkey[after] == '#') l.error = HostLineError::kNoKeyAfterType;
  return l;
}

StatusOr<ParsedKeyOrCertText> ParseHostLineKey(const HostLine& line) {
  if (line.rawkey.empty()) return InvalidArgumentError("no key on this line");
  return ReadKeyOrCertText(line.rawkey);
}

std::string DescribeHostLineError(const HostLine& line, HostLineError error, const Status& key_status) {
  auto quoted = [](std::string_view s, size_t max = 64) {
    std::string out = "\"";
    out += s.substr(0, max);
    if (s.size() > max) out += "...";
    out += '"';
    return out;
  };
  switch (error) {
    case HostLineError::kNone: return "valid";
    case HostLineError::kBadMarker: {
      size_t cp = SkipBlanks(line.c_text, 0);
      std::string_view rest = line.c_text.substr(cp);
      size_t end = rest.find_first_of(" \t");
      std::string_view tok = rest.substr(0, end);
      if (tok == kCaMarker || tok == kRevokeMarker) {
        std::string_view after = rest.substr(end == std::string_view::npos ? rest.size() : end);
        size_t next = SkipBlanks(after, 0);
        if (next < after.size() && after[next] == '@') return "more than one marker";
        return "marker " + std::string(tok) + " must be followed by a space";
      }
      return "unknown marker " + quoted(tok) + " (only @cert-authority and @revoked exist)";
    }
    case HostLineError::kNoKeyType: return "no key after the host field";
    case HostLineError::kBadKeyTypeToken:
      if (line.key_type.size() == line.rawkey.size()) return "no key after key type " + quoted(line.key_type);
      return "bad key type " + quoted(line.key_type);
    case HostLineError::kLegacyRsa1: return "SSH-1 RSA key (no longer supported by OpenSSH)";
    case HostLineError::kUnknownKeyType: return "unknown key type " + quoted(line.key_type);
    case HostLineError::kNoKeyAfterType: return "no key after key type " + quoted(line.key_type);
    case HostLineError::kBadHostHash: return "malformed hashed host name " + quoted(line.hosts, 32);
    case HostLineError::kBadKey: return "bad key: " + key_status.message();
  }
  return "invalid line";
}

bool LineCursor::Next(std::string_view* line, bool* has_newline, size_t* number) {
  if (pos_ >= text_.size()) return false;
  const char* base = text_.data() + pos_;
  const void* nl = std::memchr(base, '\n', text_.size() - pos_);
  if (nl == nullptr) {
    *line = text_.substr(pos_);
    *has_newline = false;
    pos_ = text_.size();
  } else {
    size_t len = static_cast<size_t>(static_cast<const char*>(nl) - base);
    *line = text_.substr(pos_, len);
    *has_newline = true;
    pos_ += len + 1;
  }
  *number = number_++;
  return true;
}

HostFieldMatch MatchHostField(std::string_view hosts, std::string_view name, crypto::HmacSha1& hmac) {
  if (!hosts.empty() && hosts[0] == '|') {
    switch (MatchHashedHost(hosts, name, hmac)) {
      case HashedMatch::kMatch: return HostFieldMatch::kMatch;
      case HashedMatch::kNoMatch: return HostFieldMatch::kNoMatch;
      case HashedMatch::kBadHash: return HostFieldMatch::kBadHash;
    }
  }
  return MatchHostname(name, hosts) == ListMatch::kPositive ? HostFieldMatch::kMatch : HostFieldMatch::kNoMatch;
}

std::string HostWithPort(std::string_view host, int port) {
  if (port == 0 || port == 22) return std::string(host);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

bool WalkHostLine(const HostLine& line, const WalkOptions& options, crypto::HmacSha1& hmac, WalkLine* out) {
  out->line = line;
  out->status = WalkStatus::kOk;
  out->error = HostLineError::kNone;
  out->hashed_match = false;
  out->key.reset();
  out->key_status = OkStatus();
  if (line.is_comment) {
    if (options.want_match) return false;
    out->status = WalkStatus::kComment;
    return true;
  }
  if (line.error == HostLineError::kBadMarker) {
    if (options.want_match) return false;
    out->status = WalkStatus::kInvalid;
    out->error = HostLineError::kBadMarker;
    return true;
  }
  if (options.host) {
    HostFieldMatch m = MatchHostField(line.hosts, *options.host, hmac);
    if (m == HostFieldMatch::kBadHash) {
      out->status = WalkStatus::kInvalid;
      out->error = HostLineError::kBadHostHash;
      return true;
    }
    if (m == HostFieldMatch::kMatch) {
      out->status = WalkStatus::kMatched;
      out->hashed_match = line.hashed();
    }
    if (options.want_match && out->status != WalkStatus::kMatched) return false;
  }
  if (line.error != HostLineError::kNone) {
    out->status = WalkStatus::kInvalid;
    out->error = line.error;
    return true;
  }
  if (options.parse_key) {
    StatusOr<ParsedKeyOrCertText> key = ParseHostLineKey(line);
    if (!key.ok()) {
      out->status = WalkStatus::kInvalid;
      out->error = HostLineError::kBadKey;
      out->key_status = key.status();
      return true;
    }
    out->key = std::move(*key);
  }
  return true;
}

// --- KnownHostsFile ----------------------------------------------------

KnownHostsFile::KnownHostsFile(std::string text) : text_(std::move(text)) {
  LineCursor cursor(text_);
  std::string_view l;
  bool nl;
  size_t n;
  while (cursor.Next(&l, &nl, &n)) spans_.push_back({static_cast<size_t>(l.data() - text_.data()), l.size(), nl});
}

HostLine KnownHostsFile::line(size_t number) const {
  const Span& s = spans_.at(number - 1);
  return ParseHostLine(std::string_view(text_).substr(s.offset, s.length), number, s.newline);
}

std::string KnownHostsFile::Render(const Edits& edits) const {
  std::vector<uint8_t> removed(spans_.size() + 1, 0);
  for (size_t n : edits.remove)
    if (n >= 1 && n <= spans_.size()) removed[n] = 1;
  std::vector<const std::vector<std::string>*> replaced(spans_.size() + 1, nullptr);
  for (const auto& [n, lines] : edits.replace)
    if (n >= 1 && n <= spans_.size()) replaced[n] = &lines;
  std::string out;
  out.reserve(text_.size() + 128);
  bool last_has_newline = true;
  for (size_t i = 0; i < spans_.size(); ++i) {
    size_t n = i + 1;
    if (removed[n]) continue;
    if (replaced[n] != nullptr) {
      for (const std::string& r : *replaced[n]) {
        out += r;
        out += '\n';
      }
      last_has_newline = true;
      continue;
    }
    out.append(text_, spans_[i].offset, spans_[i].length);
    if (spans_[i].newline) out += '\n';
    last_has_newline = spans_[i].newline;
  }
  if (!edits.append.empty()) {
    if (!out.empty() && !last_has_newline) out += '\n';
    for (const std::string& a : edits.append) {
      out += a;
      out += '\n';
    }
  }
  return out;
}

// --- Operations -----------------------------------------------------------

namespace {

void Keep(const HostLine& line, KeepStyle style, std::string* out) {
  if (style == KeepStyle::kOpenSsh) {
    out->append(line.c_text);
    out->push_back('\n');
  } else {
    out->append(line.text);
    if (line.has_newline) out->push_back('\n');
  }
}

}  // namespace

std::vector<FoundHostLine> FindHost(std::string_view text, std::string_view name, bool parse_key,
                                    crypto::HmacSha1& hmac, size_t first_number) {
  std::vector<FoundHostLine> found;
  WalkOptions options{name, true, parse_key};
  LineCursor cursor(text, first_number);
  std::string_view l;
  bool nl;
  size_t n;
  WalkLine w;
  while (cursor.Next(&l, &nl, &n)) {
    HostLine line = ParseHostLine(l, n, nl);
    if (!WalkHostLine(line, options, hmac, &w)) continue;
    if (w.status != WalkStatus::kMatched) continue;
    found.push_back({w.line, std::move(w.key)});
  }
  return found;
}

namespace {

// Salts drawn in batches: one call to the random source per 1024 names
// instead of one per name (OpenSSL's RAND_bytes checks its state and the
// process id on every call).
class BatchedRng final : public Rng {
 public:
  explicit BatchedRng(Rng& source) : source_(source) {}
  void Fill(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      if (pos_ == buf_.size()) {
        source_.Fill(buf_);
        pos_ = 0;
      }
      size_t n = std::min(out.size() - done, buf_.size() - pos_);
      std::memcpy(out.data() + done, buf_.data() + pos_, n);
      pos_ += n;
      done += n;
    }
  }

 private:
  Rng& source_;
  std::array<uint8_t, 1024 * kHostHashSaltSize> buf_{};
  size_t pos_ = buf_.size();
};

// Appends what ssh-keygen -H writes for a valid line (see HashHostLine).
void AppendHashedLine(const HostLine& line, Rng& rng, crypto::HmacSha1& hmac, std::string* out, bool* hashed) {
  *hashed = false;
  if (line.hashed() || line.has_wildcard() || line.marker != HostMarker::kNone) {
    out->append(line.c_text);
    out->push_back('\n');
    return;
  }
  // strsep(&hosts, ","), stopping at the first empty name.
  std::string_view hosts = line.hosts;
  std::string lower;
  size_t start = 0;
  for (;;) {
    size_t comma = hosts.find(',', start);
    std::string_view name = hosts.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (name.empty()) break;
    lower.assign(name);
    AsciiLowerInPlace(&lower);
    AppendHashedHostName(lower, rng, hmac, out);
    out->push_back(' ');
    out->append(line.rawkey);
    out->push_back('\n');
    *hashed = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

}  // namespace

std::string HashHostLine(const HostLine& line, Rng& rng, crypto::HmacSha1& hmac, bool* hashed) {
  std::string out;
  AppendHashedLine(line, rng, hmac, &out, hashed);
  return out;
}

HashOutcome HashKnownHosts(std::string_view text, Rng& rng, crypto::HmacSha1& hmac, KeepStyle style,
                           size_t first_number) {
  HashOutcome result;
  HashKnownHostsInto(text, rng, hmac, style, first_number, &result);
  return result;
}

void HashKnownHostsInto(std::string_view text, Rng& rng, crypto::HmacSha1& hmac, KeepStyle style,
                        size_t first_number, HashOutcome* out) {
  HashOutcome& result = *out;
  result.output.clear();
  result.invalid_lines.clear();
  result.wildcard_lines.clear();
  result.hashed_any = false;
  result.output.reserve(text.size() + text.size() / 4);
  BatchedRng batched(rng);
  WalkOptions options;  // every line, no host
  LineCursor cursor(text, first_number);
  std::string_view l;
  bool nl;
  size_t n;
  WalkLine w;
  while (cursor.Next(&l, &nl, &n)) {
    HostLine line = ParseHostLine(l, n, nl);
    WalkHostLine(line, options, hmac, &w);
    switch (w.status) {
      case WalkStatus::kOk:
      case WalkStatus::kMatched: {
        if (line.hashed() || line.has_wildcard() || line.marker != HostMarker::kNone) {
          Keep(line, style, &result.output);
          if (line.has_wildcard()) result.wildcard_lines.emplace_back(n, std::string(line.hosts));
          break;
        }
        bool hashed = false;
        AppendHashedLine(line, batched, hmac, &result.output, &hashed);
        result.hashed_any |= hashed;
        break;
      }
      case WalkStatus::kInvalid:
        result.invalid_lines.push_back(n);
        Keep(line, style, &result.output);
        break;
      case WalkStatus::kComment:
        Keep(line, style, &result.output);
        break;
    }
  }
}

RemovePlan PlanRemoveHost(std::string_view text, std::string_view name, crypto::HmacSha1& hmac, KeepStyle style,
                          size_t first_number) {
  static constexpr std::string_view kNewline = "\n";
  RemovePlan plan;
  WalkOptions options{name, false, false};
  LineCursor cursor(text, first_number);
  std::string_view l;
  bool nl;
  size_t n;
  WalkLine w;
  // The run of kept bytes not yet emitted: [run_start, run_end) of text.
  const char* run_start = nullptr;
  const char* run_end = nullptr;
  auto flush = [&] {
    if (run_start != nullptr && run_end > run_start) {
      plan.output.emplace_back(run_start, static_cast<size_t>(run_end - run_start));
    }
    run_start = run_end = nullptr;
  };
  auto keep = [&](std::string_view piece) {
    if (run_start != nullptr && piece.data() == run_end) {
      run_end += piece.size();
      return;
    }
    flush();
    run_start = piece.data();
    run_end = piece.data() + piece.size();
  };
  while (cursor.Next(&l, &nl, &n)) {
    HostLine line = ParseHostLine(l, n, nl);
    WalkHostLine(line, options, hmac, &w);
    if (w.status == WalkStatus::kMatched && line.marker == HostMarker::kNone) {
      plan.removed_lines.push_back(n);
      continue;
    }
    if (w.status == WalkStatus::kInvalid) plan.invalid_lines.push_back(n);
    bool whole = style == KeepStyle::kVerbatim || (line.c_text.size() == line.text.size() && nl);
    if (whole) {
      keep(std::string_view(line.text.data(), line.text.size() + (nl ? 1 : 0)));
    } else {
      // ssh-keygen writes the line as it read it, a C string, plus '\n'.
      keep(line.c_text);
      flush();
      plan.output.push_back(kNewline);
    }
  }
  flush();
  return plan;
}

RemoveOutcome RemoveHost(std::string_view text, std::string_view name, crypto::HmacSha1& hmac, KeepStyle style,
                         size_t first_number) {
  RemovePlan plan = PlanRemoveHost(text, name, hmac, style, first_number);
  RemoveOutcome result;
  size_t total = 0;
  for (std::string_view p : plan.output) total += p.size();
  result.output.reserve(total);
  for (std::string_view p : plan.output) result.output.append(p);
  result.removed_lines = std::move(plan.removed_lines);
  result.invalid_lines = std::move(plan.invalid_lines);
  return result;
}

// --- Verdicts -------------------------------------------------------------

std::string_view HostKeyVerdictName(HostKeyVerdict verdict) {
  switch (verdict) {
    case HostKeyVerdict::kTrusted: return "trusted";
    case HostKeyVerdict::kChanged: return "changed";
    case HostKeyVerdict::kRevoked: return "revoked";
    case HostKeyVerdict::kUnknown: return "unknown";
  }
  return "unknown";
}

namespace {

struct HostKeyEntry {
  const std::string* path;
  size_t line;
  HostMarker marker;
  KeyOrCert key;
};

// load_hostkeys(): the valid lines matching `name`, keys parsed, in file order.
std::vector<HostKeyEntry> LoadHostKeys(const std::vector<KnownHostsSource>& sources, std::string_view name,
                                       crypto::HmacSha1& hmac) {
  std::vector<HostKeyEntry> entries;
  WalkOptions options{name, true, true};
  WalkLine w;
  for (const KnownHostsSource& src : sources) {
    LineCursor cursor(src.text);
    std::string_view l;
    bool nl;
    size_t n;
    while (cursor.Next(&l, &nl, &n)) {
      HostLine line = ParseHostLine(l, n, nl);
      if (!WalkHostLine(line, options, hmac, &w)) continue;
      if (w.status != WalkStatus::kMatched || !w.key) continue;
      entries.push_back({&src.path, n, line.marker, std::move(w.key->key)});
    }
  }
  return entries;
}

enum class Status5 { kOk, kNew, kChanged, kRevoked };

// check_hostkeys_by_key_or_type() for a key.
Status5 CheckInEntries(const std::vector<HostKeyEntry>& entries, const HostKeyQuery& q, bool want_cert,
                       const HostKeyEntry** found) {
  *found = nullptr;
  Status5 end = Status5::kNew;
  HostMarker want = want_cert ? HostMarker::kCertAuthority : HostMarker::kNone;
  for (const HostKeyEntry& e : entries) {
    if (e.marker != want) continue;
    if (want_cert) {
      // sshkey_equal_public(): certificates compare by their plain key.
      if (q.ca_key && *q.ca_key == e.key.plain()) {
        end = Status5::kOk;
        *found = &e;
        break;
      }
    } else {
      // sshkey_equal(): a certificate on a plain line is not the key.
      if (!e.key.is_cert() && q.key == e.key.plain()) {
        end = Status5::kOk;
        *found = &e;
        break;
      }
      end = Status5::kChanged;
      *found = &e;
    }
  }
  // check_key_not_revoked(): the key itself, or a certificate's CA.
  for (const HostKeyEntry& e : entries) {
    if (e.marker != HostMarker::kRevoked) continue;
    if (q.key == e.key.plain() || (want_cert && q.ca_key && *q.ca_key == e.key.plain())) {
      *found = &e;
      return Status5::kRevoked;
    }
  }
  return end;
}

HostKeyCheck CheckRecursive(const std::vector<KnownHostsSource>& sources, std::string_view hostname,
                            const HostKeyQuery& query, const HostKeyCheckOptions& options, bool clobber_port,
                            bool quiet, crypto::HmacSha1& hmac) {
  HostKeyCheck result;
  result.lookup_name = options.is_alias ? std::string(hostname) : HostWithPort(hostname, clobber_port ? 0 : options.port);
  std::vector<HostKeyEntry> entries = LoadHostKeys(sources, result.lookup_name, hmac);
  bool want_cert = query.ca_key.has_value();
  for (;;) {
    const HostKeyEntry* found = nullptr;
    Status5 status = CheckInEntries(entries, query, want_cert, &found);
    bool fail = false;
    switch (status) {
      case Status5::kOk:
        if (want_cert && !query.certificate_valid_for_host) {
          fail = true;
          break;
        }
        result.verdict = HostKeyVerdict::kTrusted;
        result.path = *found->path;
        result.line = found->line;
        result.marker = found->marker;
        result.via_certificate = want_cert;
        return result;
      case Status5::kNew:
        if (!options.is_alias && options.port != 0 && options.port != 22 && !clobber_port) {
          HostKeyCheck bare = CheckRecursive(sources, hostname, query, options, true, true, hmac);
          if (bare.verdict == HostKeyVerdict::kTrusted) {
            bare.via_port_fallback = true;
            return bare;
          }
        }
        fail = true;
        result.verdict = HostKeyVerdict::kUnknown;
        break;
      case Status5::kRevoked:
        result.verdict = HostKeyVerdict::kRevoked;
        result.path = *found->path;
        result.line = found->line;
        result.marker = found->marker;
        return result;
      case Status5::kChanged:
        fail = true;
        if (want_cert || quiet) {
          result.verdict = HostKeyVerdict::kUnknown;
          break;
        }
        result.verdict = HostKeyVerdict::kChanged;
        result.path = *found->path;
        result.line = found->line;
        result.marker = found->marker;
        result.offending_key = found->key;
        return result;
    }
    if (fail && want_cert) {
      // No usable CA: ssh drops the certificate and checks the plain key.
      want_cert = false;
      continue;
    }
    return result;
  }
}

}  // namespace

HostKeyCheck CheckHostKey(const std::vector<KnownHostsSource>& sources, std::string_view host,
                          const HostKeyQuery& query, const HostKeyCheckOptions& options, crypto::HmacSha1& hmac) {
  std::string name = options.is_alias ? std::string(host) : AsciiLower(host);
  return CheckRecursive(sources, name, query, options, false, false, hmac);
}

StatusOr<std::string> KnownHostsEntryLine(std::string_view host, int port, const PublicKey& key, bool hash,
                                          Rng& rng, crypto::HmacSha1& hmac) {
  if (host.empty()) return InvalidArgumentError("empty host name");
  if (host.find_first_of("@?*#[]|'\"\\") != std::string_view::npos || host.find('\0') != std::string_view::npos ||
      host.find_first_of(" \t\r\n,") != std::string_view::npos) {
    return InvalidArgumentError("invalid host name \"" + std::string(host) +
                                "\": ssh does not record names with any of @?*#[]|'\"\\, blanks or commas");
  }
  std::string name = AsciiLower(HostWithPort(host, port));
  std::string out = hash ? HashHostName(name, rng, hmac) : name;
  out += ' ';
  out += FormatPublicKey(key);
  return out;
}

std::vector<HostLineProblem> LintKnownHosts(std::string_view text, crypto::HmacSha1& hmac) {
  std::vector<HostLineProblem> problems;
  LineCursor cursor(text);
  std::string_view l;
  bool nl;
  size_t n;
  while (cursor.Next(&l, &nl, &n)) {
    HostLine line = ParseHostLine(l, n, nl);
    if (line.is_comment) continue;
    HostLineError error = line.error;
    Status key_status;
    if (error == HostLineError::kNone && line.hashed() &&
        MatchHashedHost(line.hosts, "", hmac) == HashedMatch::kBadHash) {
      error = HostLineError::kBadHostHash;
    }
    if (error == HostLineError::kNone) {
      StatusOr<ParsedKeyOrCertText> key = ParseHostLineKey(line);
      if (!key.ok()) {
        error = HostLineError::kBadKey;
        key_status = key.status();
      }
    }
    if (error != HostLineError::kNone) problems.push_back({n, error, DescribeHostLineError(line, error, key_status)});
  }
  return problems;
}

}  // namespace kw::formats
