// Rendering a host's authorized_keys from the store's candidate rows: the
// rules of issue 6 as a pure function of rows, policy and time.
//
// A row gives a line when its user is active, its key is active, not past
// its effective expiry (policy.h) and of an allowed type, the key's scope
// includes the granted group, and the grant has not ended. The line is
//   [grant options,]expiry-time="YYYYMMDDHHMMSSZ" TYPE BASE64 keyward:USER:key-ID
// with expiry-time the earlier of the key's expiry and the grant's end (left
// out when neither applies), so sshd enforces it even when the agent is late.
// Lines keep the rows' order (account, key id, grant id): unchanged input
// renders identical bytes. Exact duplicate lines are written once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "center/policy.h"
#include "store/model.h"

namespace kw::center {

struct Rendered {
  std::map<std::string, std::string> accounts;  // account -> file text
  // The earliest future time at which this rendering changes by the clock
  // alone (a key expiring, a grant ending); 0 when none.
  int64_t valid_until = 0;
};

Rendered RenderAuthorizedKeys(const std::vector<store::RenderRow>& rows, const Policy& policy, int64_t now);

// "20261231235959Z"
std::string ExpiryTimeText(int64_t unix_time);

}  // namespace kw::center
