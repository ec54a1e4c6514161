// Loading public keys and certificates from files the way OpenSSH's
// authfile.c does (sshkey_load_public), for the certificate, KRL and
// signature commands.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "formats/certificate.h"

namespace kw::cli {

struct LoadedPublic {
  formats::KeyOrCert key;
  // The text after the key on its line, or the file name when there is none.
  std::string comment;
};

// sshkey_try_load_public(): the first line of `path` that holds a key or a
// certificate (lines starting '#' are skipped; a "-----BEGIN" line stops
// the search). kNotFound when the file cannot be read, kInvalidArgument
// when it holds no key.
StatusOr<LoadedPublic> TryLoadPublicFile(const std::string& path);

// sshkey_load_public(): `path`, then `path`.pub, then the public half of
// the OpenSSH private key `path`. On failure the Status message is what
// OpenSSH reports in every such case: "No such file or directory".
StatusOr<LoadedPublic> LoadPublic(const std::string& path);

}  // namespace kw::cli
