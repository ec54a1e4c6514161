// The key center's policy, set in its configuration: which keys may be
// registered, and how long a key lives. Pure functions of the policy, the
// key and the time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/public_key.h"
#include "store/model.h"

namespace kw::center {

struct Policy {
  // A key stops being rendered this long after it was registered (0: never).
  int64_t max_key_age = 90 * 86400;
  // Key types (ssh names) that may be registered; ssh-dss is not among the
  // defaults.
  std::vector<std::string> allowed_key_types = {
      "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
      "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"};
  int min_rsa_bits = 2048;
  // Every key must name the host groups it may be used on.
  bool require_scope = false;
};

// Why `key` may not be registered now, or OK. `expires` 0 is "none";
// `scope_all` is a key usable on every host group.
Status CheckKeyPolicy(const Policy& policy, const formats::PublicKey& key, bool scope_all, int64_t expires,
                      int64_t now);

// When a key stops being usable: the earlier of its own expiry and its
// registration plus the maximum age; 0 when neither applies.
int64_t EffectiveExpiry(const Policy& policy, const store::Key& key);

}  // namespace kw::center
