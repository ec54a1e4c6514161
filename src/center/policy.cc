#include "center/policy.h"

#include <algorithm>

namespace kw::center {

Status CheckKeyPolicy(const Policy& policy, const formats::PublicKey& key, bool scope_all, int64_t expires,
                      int64_t now) {
  std::string_view type = key.ssh_name();
  if (std::find(policy.allowed_key_types.begin(), policy.allowed_key_types.end(), type) ==
      policy.allowed_key_types.end()) {
    std::string allowed;
    for (const auto& t : policy.allowed_key_types) allowed += (allowed.empty() ? "" : ", ") + t;
    return InvalidArgumentError("key type " + std::string(type) + " is not allowed by policy (allowed: " +
                                allowed + ")");
  }
  if (type == "ssh-rsa" && key.bits() < policy.min_rsa_bits) {
    return InvalidArgumentError("RSA key of " + std::to_string(key.bits()) + " bits is below the policy minimum of " +
                                std::to_string(policy.min_rsa_bits));
  }
  if (policy.require_scope && scope_all) {
    return InvalidArgumentError("policy requires every key to have a scope (a list of host groups)");
  }
  if (expires != 0 && expires <= now) {
    return InvalidArgumentError("expires is not in the future");
  }
  return OkStatus();
}

int64_t EffectiveExpiry(const Policy& policy, const store::Key& key) {
  int64_t e = key.expires;
  if (policy.max_key_age > 0) {
    int64_t aged = key.created + policy.max_key_age;
    if (e == 0 || aged < e) e = aged;
  }
  return e;
}

}  // namespace kw::center
