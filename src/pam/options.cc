#include "pam/options.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace kw::pam {
namespace {

bool TakeValue(std::string_view arg, std::string_view key, std::string* value) {
  if (arg.size() < key.size() || arg.substr(0, key.size()) != key) return false;
  *value = std::string(arg.substr(key.size()));
  return true;
}

}  // namespace

StatusOr<PamOptions> ParseOptions(std::span<const char* const> args) {
  PamOptions o;
  for (const char* raw : args) {
    if (raw == nullptr) continue;
    std::string_view arg = raw;
    std::string v;
    if (TakeValue(arg, "secret=", &v)) {
      if (v.empty()) return InvalidArgumentError("secret= needs a path");
      o.secret = v;
    } else if (TakeValue(arg, "user=", &v)) {
      if (v.empty()) return InvalidArgumentError("user= needs a user name or uid");
      o.user = v;
    } else if (TakeValue(arg, "center=", &v)) {
      if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
        return InvalidArgumentError("center=\"" + v + "\" is not an http:// or https:// URL");
      }
      while (!v.empty() && v.back() == '/') v.pop_back();
      o.center = v;
    } else if (TakeValue(arg, "token_file=", &v)) {
      if (v.empty() || v[0] != '/') return InvalidArgumentError("token_file= needs an absolute path");
      o.token_file = v;
    } else if (TakeValue(arg, "center_down=", &v)) {
      if (v != "deny" && v != "ignore") return InvalidArgumentError("center_down=\"" + v + "\" is not deny or ignore");
      o.center_down_ignore = v == "ignore";
    } else if (TakeValue(arg, "ca_file=", &v)) {
      if (v.empty() || v[0] != '/') return InvalidArgumentError("ca_file= needs an absolute path");
      o.ca_file = v;
    } else if (TakeValue(arg, "grace_period=", &v)) {
      char* end = nullptr;
      errno = 0;
      long long g = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || errno != 0 || *end != '\0' || g < 0 || g > 366LL * 86400) {
        return InvalidArgumentError("grace_period=\"" + v + "\" is not 0 to 31622400 (seconds)");
      }
      o.grace_period = g;
    } else if (TakeValue(arg, "center_timeout=", &v)) {
      char* end = nullptr;
      errno = 0;
      long t = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || errno != 0 || *end != '\0' || t < 1 || t > 60) {
        return InvalidArgumentError("center_timeout=\"" + v + "\" is not 1 to 60 (seconds)");
      }
      o.center_timeout = static_cast<int>(t);
    } else if (TakeValue(arg, "prompt=", &v) || TakeValue(arg, "authtok_prompt=", &v)) {
      o.prompt = v;
    } else if (TakeValue(arg, "allowed_perm=", &v)) {
      char* end = nullptr;
      errno = 0;
      unsigned long perm = std::strtoul(v.c_str(), &end, 8);
      if (v.empty() || errno != 0 || *end != '\0' || perm == 0 || perm > 07777) {
        return InvalidArgumentError("allowed_perm=\"" + v + "\" is not an octal mode such as 0600");
      }
      o.allowed_perm = static_cast<mode_t>(perm);
    } else if (arg == "nullok") {
      o.nullok = true;
    } else if (arg == "no_increment_hotp") {
      o.no_increment_hotp = true;
    } else if (arg == "noskewadj") {
      o.noskewadj = true;
    } else if (arg == "echo_verification_code" || arg == "echo-verification-code") {
      o.echo_verification_code = true;
    } else if (arg == "forward_pass") {
      o.forward_pass = true;
    } else if (arg == "no_strict_owner") {
      o.no_strict_owner = true;
    } else if (arg == "allow_readonly") {
      o.allow_readonly = true;
    } else if (arg == "debug") {
      o.debug = true;
    } else if (arg == "try_first_pass") {
      o.try_first_pass = true;
    } else if (arg == "use_first_pass") {
      o.use_first_pass = true;
    } else {
      return InvalidArgumentError("unrecognized option \"" + std::string(arg) + "\"");
    }
  }
  if (o.center && o.token_file.empty()) return InvalidArgumentError("center= needs token_file=PATH (a host token)");
  if (!o.center && (!o.token_file.empty() || !o.ca_file.empty())) {
    return InvalidArgumentError("token_file= and ca_file= go with center=");
  }
  return o;
}

StatusOr<std::string> ExpandSecretPath(const std::string& templ, const std::string& user, const std::string& home,
                                       bool fixed_owner) {
  std::string out;
  for (size_t i = 0; i < templ.size();) {
    std::string_view rest = std::string_view(templ).substr(i);
    if (rest.substr(0, 7) == "${USER}") {
      out += user;
      i += 7;
    } else if (rest.substr(0, 7) == "${HOME}" || (templ[i] == '~' && (i == 0 || templ[i - 1] == '/'))) {
      if (fixed_owner) return InvalidArgumentError("secret=" + templ + ": cannot use ~ or ${HOME} with user=");
      if (home.empty()) return NotFoundError("secret=" + templ + ": " + user + " has no home directory");
      out += home;
      i += templ[i] == '~' ? 1 : 7;
    } else {
      out += templ[i++];
    }
  }
  if (out.empty() || out[0] != '/') return InvalidArgumentError("secret=" + templ + ": not an absolute path (" + out + ")");
  return out;
}

}  // namespace kw::pam
