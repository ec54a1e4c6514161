// authorized_keys lines as sshd reads them: options, quoting, the model's
// round trip through RenderAuthorizedKeyLine, and sshd's decision for the
// line's own key.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include "formats/addr_match.h"
#include "formats/authorized_keys.h"
#include "formats/host_pattern.h"

namespace f = kw::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), std::min<size_t>(size, 2048));
  f::AuthParseOptions parse;
  parse.local_time = f::UtcAsLocalTime();
  for (const f::ParsedAuthLine& p : f::ParseAuthorizedKeys(text, parse)) {
    if ((p.kind == f::AuthLineKind::kNoKey || p.kind == f::AuthLineKind::kBadOptions) && p.reason.empty()) {
      std::abort();
    }
    if (p.kind != f::AuthLineKind::kKey) continue;
    // What renders must read back as the same model.
    kw::StatusOr<std::string> line = f::RenderAuthorizedKeyLine(*p.line, parse);
    if (line.ok()) {
      kw::StatusOr<f::AuthorizedKeyLine> back = f::ParseAuthorizedKeyLine(*line, parse);
      if (!back.ok() || back->options != p.line->options || !(back->key == p.line->key) ||
          back->comment != p.line->comment) {
        std::abort();
      }
    }
    // sshd either accepts the line's own key or says why not.
    f::ClientInfo client{"192.0.2.1", ""};
    f::LineDecision d = f::EvaluateAuthorizedKeyLine(p.text, p.number, p.line->key, client, 1900000000, parse);
    if (d.verdict == f::LineVerdict::kRefused && d.reason.empty()) std::abort();
    if (d.verdict == f::LineVerdict::kSkipped && !p.rights->cert_authority) std::abort();
    if (p.rights->from) (void)f::MatchHostAndIp("h", "192.0.2.1", *p.rights->from);
  }
  // The small parsers on raw input.
  (void)f::ParseExpiryTime(text.substr(0, 32), f::UtcAsLocalTime());
  (void)f::AddrMatchList(std::string_view("10.1.2.3"), text.substr(0, 256));
  (void)f::MatchPatternList("host.example.com", text.substr(0, 2048), true);
  return 0;
}
