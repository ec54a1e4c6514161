// The hash chain of the key center's audit log. Each entry's hash covers the
// previous entry's hash and the entry's own fields, so editing, removing or
// reordering any entry breaks every hash after it:
//
//   hash = SHA-256( prev_hash | uint64 seq | uint64 time | string actor |
//                   string remote | string action | string target |
//                   string detail )          (SSH wire encoding, RFC 4251)
//
// The first entry (seq 1) has 32 zero bytes as prev_hash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace kw::formats {

inline constexpr size_t kAuditHashBytes = 32;

struct AuditFields {
  int64_t seq = 0;
  int64_t time = 0;
  std::string_view actor, remote, action, target, detail;
};

Bytes AuditEntryHash(ByteSpan prev_hash, const AuditFields& f);

// Checks entries given in order, starting at any seq: each prev_hash must be
// the hash before it (for the first, `expected_prev` if given), seqs without
// gaps, each hash recomputed. The error names the first bad seq.
struct ChainLink {
  AuditFields fields;
  Bytes prev_hash;
  Bytes hash;
};
Status VerifyAuditChain(const std::vector<ChainLink>& links, std::optional<Bytes> expected_prev = std::nullopt);

}  // namespace kw::formats
