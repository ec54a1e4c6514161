// known_hosts text as ssh and ssh-keygen read it: the document must keep
// every byte, and find, remove, hash, lint and the host key verdict must
// hold their invariants on any input.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/rng.h"
#include "formats/host_pattern.h"
#include "formats/known_hosts.h"

namespace f = kw::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Long inputs add nothing a few lines do not, and cost the smoke run time.
  std::string text(reinterpret_cast<const char*>(data), std::min<size_t>(size, 1024));
  f::KnownHostsFile doc(text);
  if (doc.Render({}) != text) std::abort();
  kw::crypto::HmacSha1 hmac;

  // Names to look up: a few fixed ones and the first host field's names.
  std::vector<std::string> names = {"host1.example.com"};
  if (doc.line_count() > 0) {
    std::string_view h = doc.line(1).hosts;
    names.emplace_back(h.substr(0, h.find(',')));
  }
  for (const std::string& name : names) {
    std::vector<f::FoundHostLine> found = f::FindHost(text, name, false, hmac);
    if (name == names.back()) {
      std::vector<f::FoundHostLine> parsed = f::FindHost(text, name, true, hmac);
      if (parsed.size() > found.size()) std::abort();  // key depth only drops lines
    }
    f::RemoveOutcome r = f::RemoveHost(text, name, hmac, f::KeepStyle::kVerbatim);
    // Every removed line was found by -F (markers are never removed).
    for (size_t n : r.removed_lines) {
      bool seen = false;
      for (const auto& x : found) seen |= x.line.number == n;
      if (!seen) std::abort();
    }
    if (r.removed_lines.empty() && r.output != text) std::abort();
  }

  kw::DeterministicRng rng(1);
  f::HashOutcome h = f::HashKnownHosts(text, rng, hmac, f::KeepStyle::kOpenSsh);
  if (h.invalid_lines.empty()) {
    f::HashOutcome again = f::HashKnownHosts(h.output, rng, hmac, f::KeepStyle::kOpenSsh);
    if (!again.invalid_lines.empty() || again.hashed_any) std::abort();  // hashing is idempotent
  }
  for (const f::HostLineProblem& p : f::LintKnownHosts(text, hmac)) {
    if (p.reason.empty() || p.line == 0 || p.line > doc.line_count()) std::abort();
  }
  return 0;
}
