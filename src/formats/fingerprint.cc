#include "formats/fingerprint.h"

#include <algorithm>
#include <cstdio>

#include "wire/base64.h"

namespace kw::formats {

void AppendFingerprint(const PublicKey& key, crypto::HashAlg alg, std::string* out) {
  uint8_t digest[crypto::kMaxDigestSize];
  crypto::DigestInto(alg, key.blob(), digest);
  ByteSpan d(digest, crypto::DigestSize(alg));
  out->append(crypto::HashName(alg));
  out->push_back(':');
  if (alg == crypto::HashAlg::kMd5) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < d.size(); ++i) {
      if (i) out->push_back(':');
      out->push_back(kHex[d[i] >> 4]);
      out->push_back(kHex[d[i] & 15]);
    }
  } else {
    wire::Base64EncodeTo(d, /*pad=*/false, out);
  }
}

std::string FormatDigest(crypto::HashAlg alg, ByteSpan d) {
  std::string out(crypto::HashName(alg));
  out.push_back(':');
  if (alg == crypto::HashAlg::kMd5) {
    for (size_t i = 0; i < d.size(); ++i) {
      if (i) out.push_back(':');
      out += HexEncode(d.subspan(i, 1));
    }
  } else {
    wire::Base64EncodeTo(d, false, &out);
  }
  return out;
}

std::string Fingerprint(const PublicKey& key, crypto::HashAlg alg) {
  std::string out;
  AppendFingerprint(key, alg, &out);
  return out;
}

std::string BubbleBabble(ByteSpan d) {
  // The Bubble Babble Binary Data Encoding (Antti Huima, 2000), as OpenSSH's
  // fingerprint_bubblebabble.
  static constexpr char kVowels[] = "aeiouy";
  static constexpr char kConsonants[] = "bcdfghklmnprstvzx";
  size_t rounds = d.size() / 2 + 1;
  size_t seed = 1;
  std::string out = "x";
  for (size_t i = 0; i < rounds; ++i) {
    if (i + 1 < rounds || d.size() % 2 != 0) {
      unsigned b0 = d[2 * i];
      out += kVowels[(((b0 >> 6) & 3) + seed) % 6];
      out += kConsonants[(b0 >> 2) & 15];
      out += kVowels[((b0 & 3) + seed / 6) % 6];
      if (i + 1 < rounds) {
        unsigned b1 = d[2 * i + 1];
        out += kConsonants[(b1 >> 4) & 15];
        out += '-';
        out += kConsonants[b1 & 15];
        seed = (seed * 5 + b0 * 7 + b1) % 36;
      }
    } else {
      out += kVowels[seed % 6];
      out += kConsonants[16];
      out += kVowels[seed / 6];
    }
  }
  out += 'x';
  return out;
}

std::string BubbleBabble(const PublicKey& key) {
  return BubbleBabble(crypto::Digest(crypto::HashAlg::kSha1, key.blob()));
}

namespace {

constexpr int kFieldWidth = 17;  // FLDSIZE_X
constexpr int kFieldHeight = 9;  // FLDSIZE_Y

// "+---[TITLE]---+": the title centred in a run of dashes. OpenSSH formats
// the title into a buffer of kFieldWidth bytes, so a longer one is cut.
std::string FrameLine(std::string title) {
  if (title.size() > kFieldWidth - 1) title.resize(kFieldWidth - 1);
  size_t left = (kFieldWidth - title.size()) / 2;
  std::string line = "+";
  line.append(left, '-');
  line += title;
  line.append(kFieldWidth - left - title.size(), '-');
  line += '+';
  return line;
}

}  // namespace

std::string Randomart(ByteSpan d, crypto::HashAlg alg, std::string_view type_label, int bits) {
  static constexpr char kSymbols[] = " .o+=*BOX@%&#/^SE";
  constexpr int kLen = sizeof(kSymbols) - 2;  // index of 'E'
  uint8_t field[kFieldWidth][kFieldHeight] = {};
  int x = kFieldWidth / 2, y = kFieldHeight / 2;
  for (uint8_t byte : d) {
    unsigned input = byte;
    for (int b = 0; b < 4; ++b) {
      x += (input & 1) ? 1 : -1;
      y += (input & 2) ? 1 : -1;
      x = std::clamp(x, 0, kFieldWidth - 1);
      y = std::clamp(y, 0, kFieldHeight - 1);
      if (field[x][y] < kLen - 2) field[x][y]++;
      input >>= 2;
    }
  }
  field[kFieldWidth / 2][kFieldHeight / 2] = kLen - 1;  // 'S'
  field[x][y] = kLen;                                    // 'E'

  std::string title = "[" + std::string(type_label) + " " + std::to_string(bits) + "]";
  if (title.size() > kFieldWidth) title = "[" + std::string(type_label) + "]";
  std::string out = FrameLine(title);
  out += '\n';
  for (int row = 0; row < kFieldHeight; ++row) {
    out += '|';
    for (int col = 0; col < kFieldWidth; ++col) out += kSymbols[std::min<int>(field[col][row], kLen)];
    out += "|\n";
  }
  out += FrameLine("[" + std::string(crypto::HashName(alg)) + "]");
  return out;
}

std::string Randomart(const PublicKey& key, crypto::HashAlg alg) {
  return Randomart(crypto::Digest(alg, key.blob()), alg, key.info().short_name, key.bits());
}

}  // namespace kw::formats
