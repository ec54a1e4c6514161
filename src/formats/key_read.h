// Reading a key from a line of text exactly as OpenSSH 9.2's sshkey_read()
// does, for the line-oriented files (known_hosts, authorized_keys).
//
// ParseKeyText (public_key.h) already decodes the blob as b64_pton does
// (skipping a CRLF file's '\r'); ReadKeyText adds the "wanted type" check
// sshd makes.
#pragma once

#include <optional>
#include <string_view>

#include "base/status.h"
#include "formats/certificate.h"
#include "formats/key_type.h"
#include "formats/public_key.h"

namespace kw::formats {

// The key types sshkey_read() tells apart (OpenSSH's KEY_* values): the
// ECDSA curves share one, the RSA signature names share one, and every
// certificate type is apart from its plain type.
enum class KeyFamily : uint8_t { kEd25519, kEcdsa, kRsa, kDsa, kSkEd25519, kSkEcdsa, kCertificate };

KeyFamily FamilyOf(KeyType type);
// The family of a type name as peek_type_nid() reads it (exact names only).
std::optional<KeyFamily> FamilyOfLineName(std::string_view name);

// sshkey_read(): "type base64[ rest]". With `want`, a line naming another
// family fails before its blob is looked at (sshd reads authorized_keys
// this way, with the family of the key offered). `rest` in the result is
// the text after the blob and its blanks.
StatusOr<ParsedKeyText> ReadKeyText(std::string_view text, std::optional<KeyFamily> want = std::nullopt);

// The same for plain keys and certificates (sshkey_read with KEY_UNSPEC, as
// ssh reads known_hosts): a certificate must carry a valid CA signature.
StatusOr<ParsedKeyOrCertText> ReadKeyOrCertText(std::string_view text);

}  // namespace kw::formats
