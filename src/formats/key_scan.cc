#include "formats/key_scan.h"

#include <cstdlib>
#include <cstring>
#include <optional>

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

template <typename Key, typename Parse>
ScanResult ScanLines(std::string_view text, const ScanOptions& options, const Parse& parse,
                     const std::function<void(size_t, const Key&, const char*)>& on_key,
                     const std::function<void(size_t, const Status&)>& on_bad_line) {
  ScanResult result;
  // `buf` plays getline's buffer: it is reused for every line and never
  // shrinks, so bytes past the current line's NUL are those of earlier lines.
  std::string buf;
  std::optional<size_t> comment;  // offset into buf; nullopt = NULL
  size_t lnum = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    pos = end;
    ++lnum;
    if (buf.size() < line.size() + 1) buf.resize(line.size() + 1, '\0');
    std::memcpy(buf.data(), line.data(), line.size());
    buf[line.size()] = '\0';
    // cp[strcspn(cp, "\n")] = '\0'
    size_t len = std::strlen(buf.c_str());
    if (size_t n = std::string_view(buf.c_str(), len).find('\n'); n != std::string_view::npos) buf[n] = '\0';

    size_t cp = std::strspn(buf.c_str(), " \t");
    if (buf[cp] == '#' || buf[cp] == '\0') continue;

    if (lnum == 1 && options.detect_private_key && std::strstr(buf.c_str() + cp, "PRIVATE KEY") != nullptr) {
      result.is_private_key = true;
      return result;
    }

    std::optional<Key> key;
    Status why;
    if (!TryReadKey(buf, &cp, parse, &key, &why)) {
      char* ep = nullptr;
      long i = std::strtol(buf.c_str() + cp, &ep, 10);
      if (i == 0 || ep == nullptr || (*ep != ' ' && *ep != '\t')) {
        bool quoted = false;
        comment = cp;
        for (; buf[cp] != '\0' && (quoted || (buf[cp] != ' ' && buf[cp] != '\t')); ++cp) {
          if (buf[cp] == '\\' && buf[cp + 1] == '"') {
            ++cp;
          } else if (buf[cp] == '"') {
            quoted = !quoted;
          }
        }
        if (buf[cp] == '\0') continue;  // one token: 9.2 skips it without a word
        buf[cp++] = '\0';
      }
      // Report the first attempt's error for lines that began with a key
      // type, the retry's for lines that began with options or hosts.
      Status retry_why;
      if (!TryReadKey(buf, &cp, parse, &key, &retry_why)) {
        if (on_bad_line) on_bad_line(lnum, why.message().rfind("unknown key type", 0) == 0 ? retry_why : why);
        continue;
      }
    }
    while (buf[cp] == ' ' || buf[cp] == '\t') ++cp;
    if (buf[cp] != '\0' && buf[cp] != '#') comment = cp;

    on_key(lnum, *key, comment ? buf.c_str() + *comment : nullptr);
    ++result.keys;
  }
  return result;
}

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
  return ScanLines<KeyOrCert>(text, options, [](std::string_view t) { return ParseKeyOrCertText(t); }, on_key,
                              on_bad_line);
}

}  // namespace kw::formats
