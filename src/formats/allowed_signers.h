// allowed_signers files (ssh-keygen(1) "ALLOWED SIGNERS"; OpenSSH 9.2
// sshsig.c): which keys may sign for which identities.
//
//   principals [options] key
//
// `principals` is a comma-separated list of patterns ('*', '?', '!'), the
// options are cert-authority, namespaces="...", valid-after="...",
// valid-before="..." (YYYYMMDD[HHMM[SS]][Z]), and `key` a public key (or,
// with cert-authority, the CA key of certificates that may sign).
//
// The walks below mirror sshsig_check_allowed_keys, sshsig_find_principals
// and sshsig_match_principals line for line, including which lines produce
// an error message and which are passed over silently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/cert_time.h"
#include "formats/certificate.h"

namespace kw::formats {

struct AllowedSignersQuery {
  const KeyOrCert* sign_key = nullptr;        // the key found in the signature
  std::optional<std::string> principal;       // required identity (verify); nullopt: find
  std::optional<std::string> sig_namespace;   // nullopt: not checked (find-principals)
  uint64_t verify_time = 0;
  const TimeZone* zone = &UtcZone();          // for valid-after/before and messages
};

struct AllowedSignersResult {
  bool found = false;
  // The matching line's principals (find-principals: with a certificate,
  // the certificate principals the line's patterns allow), comma-separated.
  std::string principals;
  // What OpenSSH prints with error() on the way ("FILE:3: invalid key").
  std::vector<std::string> errors;
};

// Does any line of the file allow `sign_key` for the query? Stops at the
// first line that does.
AllowedSignersResult CheckAllowedSigners(std::string_view text, std::string_view path,
                                         const AllowedSignersQuery& query);

struct MatchPrincipalsResult {
  // The principals field of every line whose patterns match, in file order.
  std::vector<std::string> principals;
  // A malformed line ends the walk (ssh-keygen then fails with
  // "invalid format"); its message is in `errors`.
  bool malformed = false;
  std::vector<std::string> errors;
};

// ssh-keygen -Y match-principals.
MatchPrincipalsResult MatchAllowedPrincipals(std::string_view text, std::string_view path,
                                             std::string_view principal, const TimeZone& zone);

}  // namespace kw::formats
