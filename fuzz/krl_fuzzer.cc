// KRL files: parse (signature sections included); a parsed KRL must dump,
// answer queries, and re-serialise to a KRL that parses to the same content.
#include <cstdlib>

#include "formats/cert_time.h"
#include "formats/krl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kw::formats;
  auto krl = Krl::Parse(kw::ByteSpan(data, size));
  if (!krl.ok()) return 0;
  auto id = [](std::string_view s) { return std::string(s); };
  std::string dump = krl->Dump(UtcZone(), id);
  for (const PublicKey& k : krl->signed_by()) (void)krl->Check(k);
  Krl copy = *krl;
  copy.set_generated_date(1);
  const std::string want = copy.Dump(UtcZone(), id);
  auto again = copy.Serialize(1);
  if (!again.ok()) std::abort();
  // A large bitmap may come back in a form OpenSSH refuses to read (as
  // ssh-keygen writes it); the splitting writer must always produce a
  // readable KRL with the same content.
  auto back = Krl::Parse(*again);
  if (back.ok() && back->Dump(UtcZone(), id) != want) std::abort();
  KrlWriteOptions split;
  split.split_large_bitmaps = true;
  auto safe = copy.Serialize(1, split);
  if (!safe.ok()) std::abort();
  auto safe_back = Krl::Parse(*safe);
  if (!safe_back.ok() || safe_back->Dump(UtcZone(), id) != want) std::abort();
  return 0;
}
