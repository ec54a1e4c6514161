#include "center/render.h"

#include <algorithm>
#include <cstdio>

#include "formats/cert_time.h"
#include "wire/base64.h"

namespace kw::center {
namespace {

void NoteTime(int64_t t, int64_t now, int64_t* until) {
  if (t > now && (*until == 0 || t < *until)) *until = t;
}

bool InScope(const store::Key& key, int64_t group_id) {
  return key.scope_all || std::binary_search(key.scope_groups.begin(), key.scope_groups.end(), group_id);
}

}  // namespace

std::string ExpiryTimeText(int64_t unix_time) {
  formats::CivilTime c = formats::CivilUtcFromUnix(unix_time);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02lld%02lld%02lld%02lld%02lldZ", static_cast<long long>(c.year),
                static_cast<long long>(c.month), static_cast<long long>(c.day), static_cast<long long>(c.hour),
                static_cast<long long>(c.minute), static_cast<long long>(c.second));
  return buf;
}

Rendered RenderAuthorizedKeys(const std::vector<store::RenderRow>& rows, const Policy& policy, int64_t now) {
  Rendered out;
  std::string last_line;
  std::string last_account;
  for (const store::RenderRow& r : rows) {
    if (r.user.state != store::UserState::kActive || r.key.state != store::KeyState::kActive) continue;
    if (std::find(policy.allowed_key_types.begin(), policy.allowed_key_types.end(), r.key.type) ==
        policy.allowed_key_types.end()) {
      continue;
    }
    if (!InScope(r.key, r.group_id)) continue;
    int64_t key_expiry = EffectiveExpiry(policy, r.key);
    if (key_expiry != 0 && key_expiry <= now) continue;
    if (r.grant_ends_at != 0 && r.grant_ends_at <= now) continue;
    int64_t expiry = key_expiry;
    if (r.grant_ends_at != 0 && (expiry == 0 || r.grant_ends_at < expiry)) expiry = r.grant_ends_at;
    if (expiry != 0) NoteTime(expiry, now, &out.valid_until);

    std::string line = r.options;
    if (expiry != 0) {
      if (!line.empty()) line += ',';
      line += "expiry-time=\"" + ExpiryTimeText(expiry) + "\"";
    }
    if (!line.empty()) line += ' ';
    line += r.key.type;
    line += ' ';
    wire::Base64EncodeTo(r.key.blob, /*pad=*/true, &line);
    line += " keyward:" + r.user.name + ":key-" + std::to_string(r.key.id) + "\n";
    if (r.account == last_account && line == last_line) continue;
    out.accounts[r.account] += line;
    last_account = r.account;
    last_line = std::move(line);
  }
  return out;
}

}  // namespace kw::center
