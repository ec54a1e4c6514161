#include "wire/writer.h"

namespace kw::wire {

void Writer::U32(uint32_t v) {
  uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
                  static_cast<uint8_t>(v)};
  Raw(b);
}

void Writer::U64(uint64_t v) {
  U32(static_cast<uint32_t>(v >> 32));
  U32(static_cast<uint32_t>(v));
}

void Writer::String(ByteSpan b) {
  U32(static_cast<uint32_t>(b.size()));
  Raw(b);
}

void Writer::MpintPositive(ByteSpan m) {
  size_t skip = 0;
  while (skip < m.size() && m[skip] == 0) ++skip;
  m = m.subspan(skip);
  bool pad = !m.empty() && (m[0] & 0x80) != 0;
  U32(static_cast<uint32_t>(m.size() + (pad ? 1 : 0)));
  if (pad) U8(0);
  Raw(m);
}

void Writer::NameList(const std::vector<std::string>& names) {
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) joined += ',';
    joined += names[i];
  }
  String(joined);
}

}  // namespace kw::wire
