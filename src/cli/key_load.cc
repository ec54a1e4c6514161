#include "cli/key_load.h"

#include "base/file.h"
#include "base/settings.h"
#include "formats/private_key.h"

namespace kw::cli {

StatusOr<LoadedPublic> TryLoadPublicFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return NotFoundError(text.status().message());
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
    rest.remove_prefix(line.size());
    line = line.substr(0, line.find('\0'));  // getline's buffer is a C string
    if (line.empty() || line[0] == '#' || line[0] == '\n') continue;
    if (line.substr(0, 10) == "-----BEGIN" || line == "SSH PRIVATE KEY FILE") break;
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) continue;
    std::string_view body = line.substr(start);
    // The line's end is blank space to sshkey_read (base64 decoding skips it).
    body = TrimLineBreaks(body);
    auto parsed = formats::ParseKeyOrCertText(body);
    if (!parsed.ok()) continue;
    std::string_view c = parsed->rest.substr(0, parsed->rest.find_first_of("\r\n"));
    return LoadedPublic{std::move(parsed->key), c.empty() ? path : std::string(c)};
  }
  return InvalidArgumentError(path + ": no public key found");
}

StatusOr<LoadedPublic> LoadPublic(const std::string& path) {
  if (auto k = TryLoadPublicFile(path); k.ok()) return k;
  if (auto k = TryLoadPublicFile(path + ".pub"); k.ok()) return k;
  if (auto text = ReadFile(path); text.ok()) {
    if (auto pub = formats::PeekOpensshPublicKey(*text); pub.ok())
      return LoadedPublic{formats::KeyOrCert(std::move(*pub)), ""};
  }
  return NotFoundError("No such file or directory");
}

}  // namespace kw::cli
