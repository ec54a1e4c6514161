// Test helpers: the committed vectors in src/formats/testdata, made by the
// real ssh-keygen (see make_testdata.sh there).
#pragma once

#include <cstdlib>
#include <string>

#include "base/file.h"

namespace kw::formats::testing {

inline std::string TestData(const std::string& name) {
  const char* src = std::getenv("KW_SOURCE_DIR");
  std::string dir = std::string(src ? src : ".") + "/src/formats/testdata/";
  return ReadFile(dir + name).value();
}

inline std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

inline const char* kKeyNames[] = {"ed25519",  "ecdsa256", "ecdsa384",    "ecdsa521", "rsa2048",
                                  "rsa1024",  "dsa",      "ed25519_pw",  "ecdsa_pw", "rsa_pw",
                                  "ed25519_cbc", "rsa_pem", "ecdsa_pem", "ecdsa_pkcs8"};
inline constexpr char kPassphrase[] = "mekmitasdigoat";

}  // namespace kw::formats::testing
