// Checking a bundle before anything of it is installed. Fail closed: any
// doubt (signature, signer, namespace, host, revision, encoding) refuses it.
#pragma once

#include <string_view>

#include "agent/state.h"
#include "base/status.h"
#include "formats/bundle.h"
#include "formats/public_key.h"

namespace kw::agent {

// The bundle inside `signed_bundle` when its SSHSIG signature (namespace
// "keyward-bundle") was made by `pinned` (a certificate of it does not do),
// it decodes, names `host`, and carries the revision the response claims.
// kUnauthenticated for anything about the signature; kInvalidArgument for
// the content. Messages say what was wrong ("bundle signature: signed by
// ED25519 key SHA256:..., not by the pinned key SHA256:...").
StatusOr<formats::Bundle> VerifyBundle(const SignedBundle& signed_bundle, const formats::PublicKey& pinned,
                                       std::string_view host);

}  // namespace kw::agent
