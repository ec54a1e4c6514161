#include "formats/krl.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <strings.h>

#include "crypto/hash.h"
#include "formats/fingerprint.h"
#include "formats/signature.h"
#include "formats/signer.h"
#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::formats {
namespace {

// OpenSSH refuses bignums of more than SSHBUF_MAX_BIGNUM bytes (plus a zero
// sign byte); a serial bitmap is read as one.
constexpr size_t kMaxBitmapBytes = 16384 / 8;
constexpr uint64_t kMaxBitmapBits = kMaxBitmapBytes * 8;

Status Invalid(SshErr* err, SshErr code, std::string message) {
  if (err) *err = code;
  return InvalidArgumentError("invalid KRL: " + message);
}

// OpenSSH's code for a failed read: truncation is "incomplete message".
SshErr ReadErrorCode(const Status& s) {
  return s.message().rfind("truncated", 0) == 0 ? SshErr::kMessageIncomplete : SshErr::kInvalidFormat;
}

template <size_t N>
bool ToArray(ByteSpan b, std::array<uint8_t, N>* out) {
  if (b.size() != N) return false;
  std::memcpy(out->data(), b.data(), N);
  return true;
}

template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

// Sorts ranges and merges those that overlap or touch (insert_serial_range
// keeps them that way one insertion at a time; the result is the same).
void MergeRanges(std::vector<std::pair<uint64_t, uint64_t>>* v) {
  if (v->empty()) return;
  std::sort(v->begin(), v->end());
  size_t out = 0;
  for (size_t i = 1; i < v->size(); ++i) {
    auto& cur = (*v)[out];
    const auto& next = (*v)[i];
    if (cur.second == UINT64_MAX || next.first <= cur.second + 1) {
      cur.second = std::max(cur.second, next.second);
    } else {
      (*v)[++out] = next;
    }
  }
  v->resize(out + 1);
}

// ---------------------------------------------------------------------------
// Serial subsections, chosen as krl.c's revoked_certs_generate does.

int ChooseNextState(int current, uint64_t contig, bool final, uint64_t last_gap, uint64_t next_gap,
                    bool* force_new_section) {
  // Bit costs of each subsection type; the limits keep the sums from
  // overflowing without changing any decision.
  contig = std::min<uint64_t>(contig, 1ULL << 31);
  last_gap = std::min<uint64_t>(last_gap, 1ULL << 31);
  next_gap = std::min<uint64_t>(next_gap, 1ULL << 31);
  uint64_t cost_list = 0, cost_bitmap = 0, cost_bitmap_restart = 0;
  uint64_t cost_range = 8;  // a range subsection holds one range, whatever came before
  switch (current) {
    case kKrlCertSerialList:
      cost_bitmap_restart = cost_bitmap = 8 + 64;
      break;
    case kKrlCertSerialBitmap:
      cost_list = 8;
      cost_bitmap_restart = 8 + 64;
      break;
    default:  // a range or nothing yet
      cost_bitmap_restart = cost_bitmap = 8 + 64;
      cost_list = 8;
  }
  cost_list += 64 * contig + (final ? 0 : 8 + 64);
  cost_range += 2 * 64 + (final ? 0 : 8 + 64);
  cost_bitmap += last_gap + contig + (final ? 0 : std::min<uint64_t>(next_gap, 8 + 64));
  cost_bitmap_restart += contig + (final ? 0 : std::min<uint64_t>(next_gap, 8 + 64));
  cost_list = (cost_list + 7) / 8;
  cost_bitmap = (cost_bitmap + 7) / 8;
  cost_bitmap_restart = (cost_bitmap_restart + 7) / 8;
  cost_range = (cost_range + 7) / 8;

  *force_new_section = false;
  int state = kKrlCertSerialBitmap;
  uint64_t cost = cost_bitmap;
  if (cost_range < cost) {
    state = kKrlCertSerialRange;
    cost = cost_range;
  }
  if (cost_list < cost) {
    state = kKrlCertSerialList;
    cost = cost_list;
  }
  if (cost_bitmap_restart < cost) {
    state = kKrlCertSerialBitmap;
    *force_new_section = true;
  }
  return state;
}

// A growable bitmap; bit i is bit (i % 8) of byte i / 8.
class Bitmap {
 public:
  void Set(uint64_t i) {
    size_t byte = static_cast<size_t>(i / 8);
    if (byte >= bytes_.size()) bytes_.resize(byte + 1, 0);
    bytes_[byte] |= static_cast<uint8_t>(1u << (i % 8));
  }
  // Big-endian magnitude (most significant byte first), as bitmap_to_string.
  Bytes ToBigEndian() const {
    size_t n = bytes_.size();
    while (n > 0 && bytes_[n - 1] == 0) --n;
    return Bytes(bytes_.rbegin() + static_cast<ptrdiff_t>(bytes_.size() - n), bytes_.rend());
  }
  void Clear() { bytes_.clear(); }

 private:
  Bytes bytes_;
};

Status WriteSerials(const std::vector<std::pair<uint64_t, uint64_t>>& ranges, bool split_bitmaps,
                    wire::Writer* out) {
  int state = 0;
  uint64_t last = 0, bitmap_start = 0;
  wire::Writer sect;
  Bitmap bitmap;
  auto flush = [&]() {
    if (state == kKrlCertSerialBitmap) {
      sect.MpintPositive(bitmap.ToBigEndian());
      bitmap.Clear();
    }
    out->U8(static_cast<uint8_t>(state));
    out->String(sect.bytes());
    sect = wire::Writer();
  };
  for (size_t i = 0; i < ranges.size(); ++i) {
    const auto [lo, hi] = ranges[i];
    bool final = i + 1 == ranges.size();
    uint64_t gap = final ? 0 : ranges[i + 1].first - hi;
    uint64_t contig = 1 + (hi - lo);
    bool force = false;
    int next = ChooseNextState(state, contig, final, state == 0 ? 0 : lo - last, gap, &force);
    if (split_bitmaps && next == kKrlCertSerialBitmap && state == kKrlCertSerialBitmap && !force &&
        hi - bitmap_start >= kMaxBitmapBits)
      force = true;
    if (state != 0 && (force || next != state || state == kKrlCertSerialRange)) flush();
    if (next != state || force) {
      state = next;
      sect = wire::Writer();
      if (state == kKrlCertSerialBitmap) {
        bitmap_start = lo;
        sect.U64(bitmap_start);
      }
    }
    switch (state) {
      case kKrlCertSerialList:
        for (uint64_t k = 0; k < contig; ++k) sect.U64(lo + k);
        break;
      case kKrlCertSerialRange:
        sect.U64(lo);
        sect.U64(hi);
        break;
      case kKrlCertSerialBitmap:
        if (lo - bitmap_start > INT_MAX) return InternalError("KRL: insane bitmap gap");
        for (uint64_t k = 0; k < contig; ++k) bitmap.Set(lo + k - bitmap_start);
        break;
    }
    last = hi;
  }
  if (state != 0) flush();
  return OkStatus();
}

std::string Hex(ByteSpan b) { return HexEncode(b); }

}  // namespace

std::string_view KrlHitName(KrlHit hit) {
  switch (hit) {
    case KrlHit::kNone: return "not revoked";
    case KrlHit::kSha1: return "SHA1 fingerprint";
    case KrlHit::kSha256: return "SHA256 fingerprint";
    case KrlHit::kExplicitKey: return "explicit key";
    case KrlHit::kCertKeyId: return "certificate key id";
    case KrlHit::kCertSerial: return "certificate serial";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Building.

Krl::CaSection* Krl::SectionFor(const PublicKey* ca, bool create) {
  for (CaSection& s : cas_) {
    if ((ca == nullptr && !s.ca) || (ca != nullptr && s.ca && *s.ca == *ca)) return &s;
  }
  if (!create) return nullptr;
  CaSection s;
  if (ca) s.ca = *ca;
  cas_.push_back(std::move(s));
  return &cas_.back();
}

const Krl::CaSection* Krl::FindSection(const PublicKey* ca) const {
  for (const CaSection& s : cas_) {
    if ((ca == nullptr && !s.ca) || (ca != nullptr && s.ca && *s.ca == *ca)) return &s;
  }
  return nullptr;
}

Status Krl::RevokeSerialRange(const PublicKey* ca, uint64_t lo, uint64_t hi) {
  if (lo > hi || lo == 0) return InvalidArgumentError("invalid serial range " + std::to_string(lo) + "-" + std::to_string(hi));
  CaSection* s = SectionFor(ca, true);
  s->serials.emplace_back(lo, hi);
  s->dirty = true;
  return OkStatus();
}

void Krl::RevokeKeyId(const PublicKey* ca, std::string_view key_id) {
  CaSection* s = SectionFor(ca, true);
  s->key_ids.emplace_back(key_id.substr(0, key_id.find('\0')));
  s->dirty = true;
}

void Krl::RevokeExplicit(const PublicKey& key) {
  keys_.push_back(key.blob());
  dirty_ = true;
}

Status Krl::RevokeSha1(ByteSpan digest) {
  std::array<uint8_t, 20> d;
  if (!ToArray(digest, &d)) return InvalidArgumentError("a SHA1 digest is 20 bytes, not " + std::to_string(digest.size()));
  sha1s_.push_back(d);
  dirty_ = true;
  return OkStatus();
}

Status Krl::RevokeSha256(ByteSpan digest) {
  std::array<uint8_t, 32> d;
  if (!ToArray(digest, &d))
    return InvalidArgumentError("a SHA256 digest is 32 bytes, not " + std::to_string(digest.size()));
  sha256s_.push_back(d);
  dirty_ = true;
  return OkStatus();
}

void Krl::RevokeKey(const KeyOrCert& key) {
  if (!key.is_cert()) {
    RevokeExplicit(key.plain());
    return;
  }
  const Certificate& c = key.cert();
  const PublicKey* ca = c.signature_key() ? &*c.signature_key() : nullptr;
  if (c.serial() == 0) {
    RevokeKeyId(ca, c.key_id());
  } else {
    (void)RevokeSerial(ca, c.serial());
  }
}

void Krl::Seal() const {
  if (dirty_) {
    SortUnique(&keys_);
    SortUnique(&sha1s_);
    SortUnique(&sha256s_);
    dirty_ = false;
  }
  for (const CaSection& s : cas_) {
    if (!s.dirty) continue;
    MergeRanges(&s.serials);
    SortUnique(&s.key_ids);
    s.dirty = false;
  }
}

size_t Krl::revocation_count() const {
  Seal();
  size_t n = keys_.size() + sha1s_.size() + sha256s_.size();
  for (const CaSection& s : cas_) n += s.serials.size() + s.key_ids.size();
  return n;
}

// ---------------------------------------------------------------------------
// Writing.

StatusOr<Bytes> Krl::Serialize(int64_t now, const KrlWriteOptions& options) const {
  Seal();
  wire::Writer w;
  w.buffer().reserve(64 + comment_.size() + keys_.size() * 64 + (sha1s_.size() + sha256s_.size()) * 40);
  w.U64(0x5353484b524c0a00);  // kKrlMagic, "SSHKRL\n\0"
  w.U32(kKrlFormatVersion);
  w.U64(version_);
  w.U64(generated_date_ != 0 ? generated_date_ : static_cast<uint64_t>(now));
  w.U64(flags_);
  w.String(std::string_view());  // reserved
  w.String(comment_);

  for (const CaSection& s : cas_) {
    wire::Writer sect;
    if (s.ca) {
      sect.String(s.ca->blob());
    } else {
      sect.String(std::string_view());
    }
    sect.String(std::string_view());  // reserved
    KW_RETURN_IF_ERROR(WriteSerials(s.serials, options.split_large_bitmaps, &sect));
    if (!s.key_ids.empty()) {
      wire::Writer ids;
      for (const std::string& id : s.key_ids) ids.String(id);
      sect.U8(kKrlCertKeyId);
      sect.String(ids.bytes());
    }
    w.U8(kKrlSectionCertificates);
    w.String(sect.bytes());
  }
  if (!keys_.empty()) {
    wire::Writer sect;
    for (const Bytes& k : keys_) sect.String(k);
    w.U8(kKrlSectionExplicitKey);
    w.String(sect.bytes());
  }
  if (!sha1s_.empty()) {
    wire::Writer sect;
    for (const auto& d : sha1s_) sect.String(ByteSpan(d));
    w.U8(kKrlSectionFingerprintSha1);
    w.String(sect.bytes());
  }
  if (!sha256s_.empty()) {
    wire::Writer sect;
    for (const auto& d : sha256s_) sect.String(ByteSpan(d));
    w.U8(kKrlSectionFingerprintSha256);
    w.String(sect.bytes());
  }
  for (const KeySigner* signer : options.signers) {
    w.U8(kKrlSectionSignature);
    w.String(signer->public_key().blob());
    // The signature covers everything before it, its section header included.
    Bytes sig;
    KW_ASSIGN_OR_RETURN(sig, signer->Sign(w.bytes()));
    w.String(sig);
  }
  return w.Take();
}

// ---------------------------------------------------------------------------
// Reading.

StatusOr<Krl> Krl::Parse(ByteSpan data, SshErr* err, std::span<const PublicKey> trusted_signers) {
  if (err) *err = SshErr::kNone;
  if (data.size() < kKrlMagic.size() || std::memcmp(data.data(), kKrlMagic.data(), kKrlMagic.size()) != 0)
    return Invalid(err, SshErr::kKrlBadMagic, "not a KRL (bad magic)");
  Krl krl;
  wire::Reader r(data.subspan(kKrlMagic.size()));
  auto read_fail = [&](const Status& s) { return Invalid(err, ReadErrorCode(s), s.message()); };
  {
    auto fv = r.ReadU32("format version");
    if (!fv.ok()) return read_fail(fv.status());
    if (*fv != kKrlFormatVersion)
      return Invalid(err, SshErr::kInvalidFormat, "unsupported format version " + std::to_string(*fv));
    auto v = r.ReadU64("KRL version");
    auto d = v.ok() ? r.ReadU64("generated date") : v;
    auto f = d.ok() ? r.ReadU64("flags") : d;
    if (!f.ok()) return read_fail(f.status());
    krl.version_ = *v;
    krl.generated_date_ = *d;
    krl.flags_ = *f;
    auto reserved = r.ReadString("reserved");
    if (!reserved.ok()) return read_fail(reserved.status());
    auto comment = r.ReadString("comment");
    if (!comment.ok()) return read_fail(comment.status());
    if (std::memchr(comment->data(), 0, comment->size()) != nullptr)
      return Invalid(err, SshErr::kInvalidFormat, "comment contains a NUL byte");
    krl.comment_ = ToString(*comment);
  }
  const size_t sections_at = kKrlMagic.size() + r.position();

  // First pass: signatures, which must follow every other section and cover
  // all bytes before them.
  {
    wire::Reader p(data.subspan(sections_at));
    bool sig_seen = false;
    while (!p.empty()) {
      auto type = p.ReadU8("section type");
      if (!type.ok()) return read_fail(type.status());
      auto body = p.ReadString("section");
      if (!body.ok()) return read_fail(body.status());
      if (*type != kKrlSectionSignature) {
        if (sig_seen) return Invalid(err, SshErr::kInvalidFormat, "KRL contains non-signature section after signature");
        continue;
      }
      sig_seen = true;
      auto key = PublicKey::FromBlob(*body);
      if (!key.ok()) return Invalid(err, SshErr::kInvalidFormat, "signature key: " + key.status().message());
      size_t sig_off = sections_at + p.position();
      auto sig = p.ReadString("signature");
      if (!sig.ok()) return Invalid(err, SshErr::kInvalidFormat, sig.status().message());
      if (Status s = VerifySignature(*key, data.first(sig_off), *sig); !s.ok())
        return Invalid(err, SshErr::kSignatureInvalid, "signature: " + s.message());
      for (const PublicKey& k : krl.signed_by_) {
        if (k == *key) return Invalid(err, SshErr::kInvalidFormat, "KRL signed more than once with the same key");
      }
      krl.signed_by_.push_back(std::move(*key));
    }
  }

  // Second pass: the revocations.
  wire::Reader p(data.subspan(sections_at));
  while (!p.empty()) {
    auto type = p.ReadU8("section type");
    auto body = type.ok() ? p.ReadString("section") : StatusOr<ByteSpan>(type.status());
    if (!body.ok()) return read_fail(body.status());
    wire::Reader s(*body);
    switch (*type) {
      case kKrlSectionCertificates: {
        auto ca_blob = s.ReadString("CA key");
        if (!ca_blob.ok()) return read_fail(ca_blob.status());
        auto reserved = s.ReadString("reserved");
        if (!reserved.ok()) return read_fail(reserved.status());
        std::optional<PublicKey> ca;
        if (!ca_blob->empty()) {
          auto k = PublicKey::FromBlob(*ca_blob);
          if (!k.ok()) return Invalid(err, SshErr::kInvalidFormat, "CA key: " + k.status().message());
          ca.emplace(std::move(*k));
        }
        const PublicKey* cap = ca ? &*ca : nullptr;
        while (!s.empty()) {
          auto sub_type = s.ReadU8("subsection type");
          auto sub = sub_type.ok() ? s.ReadString("subsection") : StatusOr<ByteSpan>(sub_type.status());
          if (!sub.ok()) return read_fail(sub.status());
          wire::Reader ss(*sub);
          switch (*sub_type) {
            case kKrlCertSerialList:
              while (!ss.empty()) {
                auto serial = ss.ReadU64("serial");
                if (!serial.ok()) return read_fail(serial.status());
                if (*serial == 0) return Invalid(err, SshErr::kInvalidFormat, "serial 0 cannot be revoked");
                (void)krl.RevokeSerial(cap, *serial);
              }
              break;
            case kKrlCertSerialRange: {
              auto lo = ss.ReadU64("serial range start");
              auto hi = lo.ok() ? ss.ReadU64("serial range end") : lo;
              if (!hi.ok()) return read_fail(hi.status());
              if (Status st = krl.RevokeSerialRange(cap, *lo, *hi); !st.ok())
                return Invalid(err, SshErr::kInvalidFormat, st.message());
              break;
            }
            case kKrlCertSerialBitmap: {
              auto lo = ss.ReadU64("bitmap offset");
              if (!lo.ok()) return read_fail(lo.status());
              auto raw = ss.ReadString("bitmap");
              if (!raw.ok()) return read_fail(raw.status());
              ByteSpan b = *raw;
              if (!b.empty() && (b[0] & 0x80) != 0) return Invalid(err, SshErr::kBignumIsNegative, "negative bitmap");
              if (b.size() > kMaxBitmapBytes + 1 || (b.size() == kMaxBitmapBytes + 1 && b[0] != 0))
                return Invalid(err, SshErr::kBignumTooLarge, "bitmap of " + std::to_string(b.size()) + " bytes");
              while (!b.empty() && b[0] == 0) b = b.subspan(1);
              uint64_t nbits = b.size() * 8;
              for (uint64_t bit = 0; bit < nbits; ++bit) {
                if (bit > 0 && *lo + bit == 0) return Invalid(err, SshErr::kInvalidFormat, "bitmap wraps u64");
                uint8_t byte = b[b.size() - 1 - bit / 8];
                if (((byte >> (bit % 8)) & 1) == 0) continue;
                if (*lo + bit == 0) return Invalid(err, SshErr::kInvalidFormat, "serial 0 cannot be revoked");
                (void)krl.RevokeSerial(cap, *lo + bit);
              }
              break;
            }
            case kKrlCertKeyId:
              while (!ss.empty()) {
                auto id = ss.ReadText("key id");
                if (!id.ok()) return Invalid(err, ReadErrorCode(id.status()), id.status().message());
                krl.RevokeKeyId(cap, *id);
              }
              break;
            default:
              return Invalid(err, SshErr::kInvalidFormat,
                             "Unsupported KRL certificate section " + std::to_string(*sub_type));
          }
          if (!ss.empty()) return Invalid(err, SshErr::kInvalidFormat, "KRL certificate section contains unparsed data");
        }
        break;
      }
      case kKrlSectionExplicitKey:
      case kKrlSectionFingerprintSha1:
      case kKrlSectionFingerprintSha256:
        while (!s.empty()) {
          auto item = s.ReadString("revoked key");
          if (!item.ok()) return read_fail(item.status());
          if (*type == kKrlSectionExplicitKey) {
            krl.keys_.emplace_back(item->begin(), item->end());
            krl.dirty_ = true;
          } else if (*type == kKrlSectionFingerprintSha1) {
            if (!krl.RevokeSha1(*item).ok()) return Invalid(err, SshErr::kInvalidFormat, "bad SHA1 digest length");
          } else if (!krl.RevokeSha256(*item).ok()) {
            return Invalid(err, SshErr::kInvalidFormat, "bad SHA256 digest length");
          }
        }
        break;
      case kKrlSectionSignature: {
        // Checked above; skip the signature string that follows.
        auto sig = p.ReadString("signature");
        if (!sig.ok()) return read_fail(sig.status());
        s = wire::Reader(ByteSpan());
        break;
      }
      default:
        return Invalid(err, SshErr::kInvalidFormat, "Unsupported KRL section " + std::to_string(*type));
    }
    if (!s.empty()) return Invalid(err, SshErr::kInvalidFormat, "KRL section contains unparsed data");
  }
  krl.Seal();

  // A KRL is not trusted on the word of keys it revokes itself.
  if (!krl.signed_by_.empty()) {
    std::vector<PublicKey> valid;
    for (const PublicKey& k : krl.signed_by_)
      if (!krl.Check(k).revoked()) valid.push_back(k);
    if (valid.empty()) return Invalid(err, SshErr::kKeyRevoked, "All keys used to sign KRL were revoked");
    if (!trusted_signers.empty()) {
      bool ok = std::any_of(valid.begin(), valid.end(), [&](const PublicKey& k) {
        return std::find(trusted_signers.begin(), trusted_signers.end(), k) != trusted_signers.end();
      });
      if (!ok) return Invalid(err, SshErr::kSignatureInvalid, "KRL not signed with any trusted key");
    }
  }
  return krl;
}

// ---------------------------------------------------------------------------
// Checking.

KrlCheckResult Krl::CheckPlain(const PublicKey& key) const {
  KrlCheckResult r;
  const Bytes& blob = key.blob();
  if (!sha1s_.empty()) {
    std::array<uint8_t, 20> d;
    crypto::DigestInto(crypto::HashAlg::kSha1, blob, d.data());
    if (std::binary_search(sha1s_.begin(), sha1s_.end(), d)) {
      r.hit = KrlHit::kSha1;
      return r;
    }
  }
  if (!sha256s_.empty()) {
    std::array<uint8_t, 32> d;
    crypto::DigestInto(crypto::HashAlg::kSha256, blob, d.data());
    if (std::binary_search(sha256s_.begin(), sha256s_.end(), d)) {
      r.hit = KrlHit::kSha256;
      return r;
    }
  }
  if (std::binary_search(keys_.begin(), keys_.end(), blob)) r.hit = KrlHit::kExplicitKey;
  return r;
}

KrlCheckResult Krl::CheckCert(const Certificate& cert, const CaSection& s) {
  KrlCheckResult r;
  r.wildcard_ca = !s.ca;
  if (std::binary_search(s.key_ids.begin(), s.key_ids.end(), cert.key_id())) {
    r.hit = KrlHit::kCertKeyId;
    return r;
  }
  if (cert.serial() == 0) return r;
  auto it = std::upper_bound(s.serials.begin(), s.serials.end(), cert.serial(),
                             [](uint64_t v, const std::pair<uint64_t, uint64_t>& range) { return v < range.first; });
  if (it != s.serials.begin() && std::prev(it)->second >= cert.serial()) r.hit = KrlHit::kCertSerial;
  return r;
}

KrlCheckResult Krl::Check(const PublicKey& key) const {
  Seal();
  return CheckPlain(key);
}

KrlCheckResult Krl::Check(const KeyOrCert& key) const {
  Seal();
  KrlCheckResult r = CheckPlain(key.plain());
  if (r.revoked() || !key.is_cert()) return r;
  const Certificate& cert = key.cert();
  if (cert.signature_key()) {
    if (const CaSection* s = FindSection(&*cert.signature_key())) {
      r = CheckCert(cert, *s);
      if (r.revoked()) return r;
    }
  }
  if (const CaSection* s = FindSection(nullptr)) {
    r = CheckCert(cert, *s);
    if (r.revoked()) return r;
  }
  if (cert.signature_key()) {
    r = CheckPlain(*cert.signature_key());
    r.via_ca_key = r.revoked();
  }
  return r;
}

// ---------------------------------------------------------------------------
// ssh-keygen -Q -l.

std::string Krl::Dump(const TimeZone& zone, const std::function<std::string(std::string_view)>& escape,
                      std::vector<std::string>* errors) const {
  Seal();
  std::string out = "# KRL version " + std::to_string(version_) + "\n";
  std::string ts = "<INVALID>";
  int64_t gd = generated_date_ > static_cast<uint64_t>(INT64_MAX) ? -1 : static_cast<int64_t>(generated_date_);
  if (std::optional<CivilTime> c = zone.ToCivil(gd)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld%02lld%02lldT%02lld%02lld%02lld", static_cast<long long>(c->year),
                  static_cast<long long>(c->month), static_cast<long long>(c->day), static_cast<long long>(c->hour),
                  static_cast<long long>(c->minute), static_cast<long long>(c->second));
    ts = buf;
  }
  out += "# Generated at " + ts + "\n";
  if (!comment_.empty()) out += "# Comment: " + escape(comment_) + "\n";
  out += "\n";
  for (const Bytes& k : keys_) {
    auto key = PublicKey::FromBlob(k);
    if (!key.ok()) {
      if (errors) errors->push_back("parse KRL key: " + key.status().message());
      continue;
    }
    out += "hash: " + Fingerprint(*key, crypto::HashAlg::kSha256) + " # " + std::string(key->ssh_name()) + "\n";
  }
  for (const auto& d : sha256s_) out += "hash: SHA256:" + Hex(d) + "\n";
  for (const auto& d : sha1s_) out += "# hash SHA1:" + Hex(d) + "\n";
  for (const CaSection& s : cas_) {
    out += "\n";
    if (!s.ca) {
      out += "# Wildcard CA\n";
    } else {
      out += "# CA key " + std::string(s.ca->ssh_name()) + " " + Fingerprint(*s.ca, crypto::HashAlg::kSha256) + "\n";
    }
    for (const auto& [lo, hi] : s.serials) {
      out += lo == hi ? "serial: " + std::to_string(lo) + "\n"
                      : "serial: " + std::to_string(lo) + "-" + std::to_string(hi) + "\n";
    }
    for (const std::string& id : s.key_ids) out += "id: " + escape(id) + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------
// ssh-keygen -k spec files.

namespace {

// strtoull(s, &end, 0) on a C string: blanks, a sign, then decimal, octal
// (leading 0) or hex (0x). Returns the value; *end is the offset after it
// (0 when nothing converted); *range on overflow (value ULLONG_MAX).
uint64_t StrToU64Base0(std::string_view s, size_t* end, bool* range) {
  *range = false;
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  unsigned base = 10;
  if (i < s.size() && s[i] == '0') {
    if (i + 2 < s.size() + 0 && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  size_t digits = i;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned d;
    if (std::isdigit(c)) {
      d = c - '0';
    } else if (std::isalpha(c)) {
      d = static_cast<unsigned>(std::tolower(c) - 'a' + 10);
    } else {
      break;
    }
    if (d >= base) break;
    if (v > (UINT64_MAX - d) / base) *range = true;
    v = v * base + d;
  }
  if (i == digits) {
    *end = 0;
    return 0;
  }
  *end = i;
  if (*range) return UINT64_MAX;
  return neg ? uint64_t{0} - v : v;
}

bool StartsWithI(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && strncasecmp(s.data(), p.data(), p.size()) == 0;
}

std::string_view SkipBlanks(std::string_view s) {
  size_t n = s.find_first_not_of(" \t");
  return n == std::string_view::npos ? std::string_view() : s.substr(n);
}

}  // namespace

Status ApplyKrlSpec(Krl* krl, std::string_view text, std::string_view path, const PublicKey* ca, bool wildcard_ca) {
  const std::string where(path);
  size_t lnum = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, (nl == std::string_view::npos ? text.size() : nl + 1) - pos);
    pos += line.size();
    ++lnum;
    const std::string at = where + ":" + std::to_string(lnum);
    line = line.substr(0, line.find('\0'));
    std::string_view cp = line.substr(std::min(line.size(), line.find_first_not_of(" \t")));
    // Cut at '#' or the newline, then drop trailing blanks.
    cp = cp.substr(0, cp.find_first_of("#\n"));
    while (!cp.empty() && (cp.back() == ' ' || cp.back() == '\t')) cp.remove_suffix(1);
    if (cp.empty()) continue;

    if (StartsWithI(cp, "serial:")) {
      if (ca == nullptr && !wildcard_ca)
        return InvalidArgumentError("revoking certificates by serial number requires specification of a CA key");
      std::string_view s = SkipBlanks(cp.substr(7));
      size_t end = 0;
      bool range = false;
      uint64_t lo = StrToU64Base0(s, &end, &range);
      if (s.empty() || (end < s.size() && s[end] != '-'))
        return InvalidArgumentError(at + ": invalid serial \"" + std::string(s) + "\"");
      if (range) return InvalidArgumentError(at + ": serial out of range");
      uint64_t hi = lo;
      if (end < s.size() && s[end] == '-') {
        std::string_view s2 = s.substr(end + 1);
        size_t end2 = 0;
        hi = StrToU64Base0(s2, &end2, &range);
        if (s2.empty() || end2 != s2.size())
          return InvalidArgumentError(at + ": invalid serial \"" + std::string(s2) + "\"");
        if (range) return InvalidArgumentError(at + ": serial out of range");
        if (hi <= lo)
          return InvalidArgumentError(at + ": invalid serial range " + std::to_string(lo) + ":" + std::to_string(hi));
      }
      if (!krl->RevokeSerialRange(ca, lo, hi).ok())
        return InvalidArgumentError("update_krl_from_file: revoke serial failed");
    } else if (StartsWithI(cp, "id:")) {
      if (ca == nullptr && !wildcard_ca)
        return InvalidArgumentError("revoking certificates by key ID requires specification of a CA key");
      krl->RevokeKeyId(ca, SkipBlanks(cp.substr(3)));
    } else if (StartsWithI(cp, "hash:")) {
      std::string_view h = SkipBlanks(cp.substr(5));
      if (h.substr(0, 7) != "SHA256:") return InvalidArgumentError(at + ": unsupported hash algorithm");
      std::string b64(h.substr(7));
      while (b64.size() % 4 != 0) b64 += '=';
      // b64_pton skips blanks anywhere.
      b64.erase(std::remove_if(b64.begin(), b64.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
                b64.end());
      Bytes digest;
      if (!b64.empty() && !wire::Base64DecodeTo(b64, &digest))
        return InvalidArgumentError(at + ": decode hash failed: invalid format");
      if (!krl->RevokeSha256(digest).ok())
        return InvalidArgumentError("update_krl_from_file: revoke key failed: invalid format");
    } else {
      enum { kBare, kExplicit, kSha1, kSha256 } kind = kBare;
      if (StartsWithI(cp, "key:")) {
        cp = SkipBlanks(cp.substr(4));
        kind = kExplicit;
      } else if (StartsWithI(cp, "sha1:")) {
        cp = SkipBlanks(cp.substr(5));
        kind = kSha1;
      } else if (StartsWithI(cp, "sha256:")) {
        cp = SkipBlanks(cp.substr(7));
        kind = kSha256;
      }
      SshErr code = SshErr::kNone;
      auto parsed = ParseKeyOrCertText(cp, &code);
      if (!parsed.ok()) {
        if (code == SshErr::kNone) code = SshErr::kInvalidFormat;
        return InvalidArgumentError(at + ": invalid key: " + std::string(SshErrText(code)));
      }
      const KeyOrCert& key = parsed->key;
      switch (kind) {
        case kExplicit: krl->RevokeExplicit(key.plain()); break;
        case kSha1: (void)krl->RevokeSha1(crypto::Digest(crypto::HashAlg::kSha1, key.plain().blob())); break;
        case kSha256: (void)krl->RevokeSha256(crypto::Digest(crypto::HashAlg::kSha256, key.plain().blob())); break;
        case kBare: krl->RevokeKey(key); break;
      }
    }
  }
  return OkStatus();
}

}  // namespace kw::formats
