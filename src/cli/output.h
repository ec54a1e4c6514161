// Output helpers shared by the keyward commands.
#pragma once

#include <string>
#include <string_view>

namespace kw::cli {

// Text as OpenSSH's mprintf() shows it: characters that are not printable
// in the current locale are escaped as \ooo (tabs, CR and LF pass). The
// locale is chosen as OpenSSH's msetlocale() does (LC_ALL, LC_CTYPE, LANG).
std::string SafeText(std::string_view text);
// SafeText appended to *out (the hot path of fingerprinting files).
void AppendSafeText(std::string_view text, std::string* out);

// Writes everything to a file descriptor (stdout: 1, stderr: 2).
void WriteFd(int fd, std::string_view text);
inline void Out(std::string_view text) { WriteFd(1, text); }
inline void Err(std::string_view text) { WriteFd(2, text); }

// Reads a passphrase: prompt on the terminal (or stderr), echo off when
// reading a terminal, one line from the terminal or stdin. Returns empty on
// end of input.
std::string ReadPassphrase(std::string_view prompt);

// One line from stdin without its newline; false at end of input.
bool ReadStdinLine(std::string* line, size_t max = 1024);

}  // namespace kw::cli
