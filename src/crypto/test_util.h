// Helpers shared by the crypto unit tests (not part of the library).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "base/bytes.h"

namespace kw::crypto::testing {

// src/crypto/testdata: from $KW_SOURCE_DIR when ctest sets it, else the
// path compiled in, so the binary also runs on its own.
inline std::string TestdataPath(std::string_view name) {
  std::string dir;
  if (const char* src = std::getenv("KW_SOURCE_DIR"); src != nullptr && *src != '\0') {
    dir = std::string(src) + "/src/crypto/testdata";
  } else {
    dir = KW_CRYPTO_TESTDATA;
  }
  return dir + "/" + std::string(name);
}

// The whole file, or an empty string and a test failure.
inline std::string ReadTestdata(std::string_view name) {
  std::ifstream in(TestdataPath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << TestdataPath(name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Hex (whitespace ignored) to bytes; a test failure on bad hex.
inline Bytes FromHex(std::string_view hex) {
  std::string compact;
  for (char c : hex) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact += c;
  }
  Bytes out;
  EXPECT_TRUE(HexDecode(compact, &out)) << "bad hex: " << compact;
  return out;
}

}  // namespace kw::crypto::testing
