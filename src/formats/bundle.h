// A host bundle: everything the key center says one host should install,
// at one revision. The center renders it, signs its exact bytes with SSHSIG
// (namespace "keyward-bundle"), and the agent verifies and installs it.
//
// The encoding is canonical JSON (object keys sorted, no blanks, one final
// newline), so the same content at the same revision is the same bytes:
//   {"authorized_keys":{"deploy":"...","root":"..."},"format":"keyward-bundle-1",
//    "host":"web1","revision":42}
// Unknown fields are refused (an agent must not half-understand a bundle);
// new content comes with a new format name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kw::formats {

inline constexpr std::string_view kBundleFormat = "keyward-bundle-1";
inline constexpr std::string_view kBundleNamespace = "keyward-bundle";
// Larger bundles are refused by the decoder (and by the agent's reader).
inline constexpr size_t kMaxBundleBytes = 64 << 20;

struct Bundle {
  std::string host;
  int64_t revision = 0;
  // Local account -> authorized_keys text for it (each line ends in "\n").
  std::map<std::string, std::string> authorized_keys;

  friend bool operator==(const Bundle&, const Bundle&) = default;
};

// A name sshd could look up and a file could be named after: 1 to 32 of
// [a-z0-9_.-], not starting with '-' or '.', or an upper-case letter.
bool IsValidAccountName(std::string_view name);

std::string EncodeBundle(const Bundle& b);

// Errors name the field: "bundle: \"revision\" must be a positive integer".
StatusOr<Bundle> DecodeBundle(std::string_view text);

// A signed bundle as the key center sends it and the agent keeps it:
//   {"bundle":"...","revision":N,"signature":"..."} and a newline,
// the bytes nlohmann::json's compact dump() makes of that object, without
// its byte-at-a-time UTF-8 checks when both strings are ASCII (a bundle is
// tens of kilobytes, sent to and saved by every host at each change).
std::string EncodeSignedBundleJson(int64_t revision, std::string_view bundle, std::string_view signature);

}  // namespace kw::formats
