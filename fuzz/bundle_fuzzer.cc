// A host bundle as the agent receives it (after its signature verified, but
// parsed with the same care as any input): DecodeBundle either refuses it or
// returns a bundle that encodes and decodes to itself, with only valid
// account names.
#include <cstdlib>
#include <string_view>

#include "formats/bundle.h"

namespace f = kw::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto b = f::DecodeBundle(text);
  if (!b.ok()) return 0;
  for (const auto& [account, keys] : b->authorized_keys) {
    (void)keys;
    if (!f::IsValidAccountName(account)) std::abort();
  }
  auto again = f::DecodeBundle(f::EncodeBundle(*b));
  if (!again.ok() || !(*again == *b)) std::abort();
  return 0;
}
