#include "formats/audit_chain.h"

#include "crypto/hash.h"
#include "wire/writer.h"

namespace kw::formats {

Bytes AuditEntryHash(ByteSpan prev_hash, const AuditFields& f) {
  wire::Writer w;
  w.Raw(prev_hash);
  w.U64(static_cast<uint64_t>(f.seq));
  w.U64(static_cast<uint64_t>(f.time));
  w.String(f.actor);
  w.String(f.remote);
  w.String(f.action);
  w.String(f.target);
  w.String(f.detail);
  return crypto::Digest(crypto::HashAlg::kSha256, w.bytes());
}

Status VerifyAuditChain(const std::vector<ChainLink>& links, std::optional<Bytes> expected_prev) {
  const Bytes* prev = expected_prev ? &*expected_prev : nullptr;
  int64_t prev_seq = 0;
  for (const ChainLink& l : links) {
    std::string where = "audit entry " + std::to_string(l.fields.seq) + ": ";
    if (prev_seq != 0 && l.fields.seq != prev_seq + 1) {
      return DataLossError(where + "sequence gap after " + std::to_string(prev_seq));
    }
    if (l.fields.seq == 1 && l.prev_hash != Bytes(kAuditHashBytes, 0)) {
      return DataLossError(where + "the first entry must chain to zeros");
    }
    if (prev != nullptr && l.prev_hash != *prev) {
      return DataLossError(where + "does not chain to the entry before it");
    }
    if (AuditEntryHash(l.prev_hash, l.fields) != l.hash) {
      return DataLossError(where + "hash does not match its contents");
    }
    prev = &l.hash;
    prev_seq = l.fields.seq;
  }
  return OkStatus();
}

}  // namespace kw::formats
