#include "formats/key_scan.h"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "formats/certificate.h"

namespace kw::formats {
namespace {

// Tries sshkey_read at `buf + *pos` (a NUL-terminated C string) with
// `parse` (ParseKeyText or ParseKeyOrCertText); on success advances *pos
// past the key and the blanks after it.
template <typename Key, typename Parse>
bool TryReadKey(const std::string& buf, size_t* pos, const Parse& parse, std::optional<Key>* out, Status* why) {
  const char* start = buf.c_str() + *pos;
  std::string_view text(start, std::strlen(start));
  auto parsed = parse(text);
  if (!parsed.ok()) {
    *why = parsed.status();
    return false;
  }
  *pos += static_cast<size_t>(parsed->rest.data() - text.data());
  out->emplace(std::move(parsed->key));
  return true;
}

// One line of ssh-keygen's do_fingerprint loop (getline included).
// Returns false when the scan stops.
template <typename Key, typename Parse>
bool ScanLine(internal::KeyScanState& st, std::string_view line, const Parse& parse,
              const std::function<void(size_t, const Key&, const char*)>& on_key,
              const std::function<void(size_t, const Status&)>& on_bad_line) {
  if (st.stopped) return false;
  // Bytes past the current line's NUL in `buf` are those of earlier lines.
  std::string& buf = st.buf;
  ++st.lnum;
  if (buf.size() < line.size() + 1) buf.resize(line.size() + 1, '\0');
  std::memcpy(buf.data(), line.data(), line.size());
  buf[line.size()] = '\0';
  // cp[strcspn(cp, "\n")] = '\0'
  size_t len = std::strlen(buf.c_str());
  if (size_t n = std::string_view(buf.c_str(), len).find('\n'); n != std::string_view::npos) buf[n] = '\0';

  size_t cp = std::strspn(buf.c_str(), " \t");
  if (buf[cp] == '#' || buf[cp] == '\0') return true;

  if (st.lnum == 1 && st.options.detect_private_key && std::strstr(buf.c_str() + cp, "PRIVATE KEY") != nullptr) {
    st.result.is_private_key = true;
    st.stopped = true;
    return false;
  }

  std::optional<Key> key;
  Status why;
  if (!TryReadKey(buf, &cp, parse, &key, &why)) {
    char* ep = nullptr;
    long i = std::strtol(buf.c_str() + cp, &ep, 10);
    if (i == 0 || ep == nullptr || (*ep != ' ' && *ep != '\t')) {
      bool quoted = false;
      st.comment = cp;
      for (; buf[cp] != '\0' && (quoted || (buf[cp] != ' ' && buf[cp] != '\t')); ++cp) {
        if (buf[cp] == '\\' && buf[cp + 1] == '"') {
          ++cp;
        } else if (buf[cp] == '"') {
          quoted = !quoted;
        }
      }
      if (buf[cp] == '\0') return true;  // one token: 9.2 skips it without a word
      buf[cp++] = '\0';
    }
    // Report the first attempt's error for lines that began with a key
    // type, the retry's for lines that began with options or hosts.
    Status retry_why;
    if (!TryReadKey(buf, &cp, parse, &key, &retry_why)) {
      if (on_bad_line) on_bad_line(st.lnum, why.message().rfind("unknown key type", 0) == 0 ? retry_why : why);
      return true;
    }
  }
  while (buf[cp] == ' ' || buf[cp] == '\t') ++cp;
  if (buf[cp] != '\0' && buf[cp] != '#') st.comment = cp;

  on_key(st.lnum, *key, st.comment ? buf.c_str() + *st.comment : nullptr);
  ++st.result.keys;
  return true;
}

template <typename Key, typename Parse>
ScanResult ScanLines(std::string_view text, const ScanOptions& options, const Parse& parse,
                     const std::function<void(size_t, const Key&, const char*)>& on_key,
                     const std::function<void(size_t, const Status&)>& on_bad_line) {
  internal::KeyScanState st;
  st.options = options;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!ScanLine(st, text.substr(pos, end - pos), parse, on_key, on_bad_line)) break;
    pos = end;
  }
  return st.result;
}

StatusOr<ParsedKeyOrCertText> ParseKeyOrCert(std::string_view t) { return ParseKeyOrCertText(t); }

}  // namespace

ScanResult ScanKeyLines(std::string_view text, const ScanOptions& options,
                        const std::function<void(size_t, const PublicKey&, const char*)>& on_key,
                        const std::function<void(size_t, const Status&)>& on_bad_line) {
  return ScanLines<PublicKey>(text, options, [](std::string_view t) { return ParseKeyText(t); }, on_key,
                              on_bad_line);
}

ScanResult ScanKeyOrCertLines(std::string_view text, const ScanOptions& options,
                              const std::function<void(size_t, const KeyOrCert&, const char*)>& on_key,
                              const std::function<void(size_t, const Status&)>& on_bad_line) {
  return ScanLines<KeyOrCert>(text, options, ParseKeyOrCert, on_key, on_bad_line);
}

KeyOrCertLineScanner::KeyOrCertLineScanner(const ScanOptions& options, OnKey on_key, OnBadLine on_bad_line)
    : on_key_(std::move(on_key)), on_bad_line_(std::move(on_bad_line)) {
  state_.options = options;
}

bool KeyOrCertLineScanner::AddLine(std::string_view line) {
  return ScanLine<KeyOrCert>(state_, line, ParseKeyOrCert, on_key_, on_bad_line_);
}

}  // namespace kw::formats
