#include "cli/output.h"

#include <cerrno>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <fcntl.h>
#include <langinfo.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "base/bytes.h"

namespace kw::cli {
namespace {

void SetLocaleOnce() {
  static bool done = [] {
    // OpenSSH's msetlocale(): Turkish locales fall back to C (their dotless
    // i breaks case folding); everything else uses the environment's.
    for (const char* var : {"LC_ALL", "LC_CTYPE", "LANG"}) {
      const char* v = std::getenv(var);
      if (v == nullptr) continue;
      if (strncasecmp(v, "TR", 2) != 0) break;
      if ((strcasestr(v, "UTF-8") || strcasestr(v, "UTF8")) &&
          (std::setlocale(LC_CTYPE, "C.UTF-8") || std::setlocale(LC_CTYPE, "POSIX.UTF-8")))
        return true;
      std::setlocale(LC_CTYPE, "C");
      return true;
    }
    std::setlocale(LC_CTYPE, "");
    return true;
  }();
  (void)done;
}

bool DangerousLocale() {
  const char* loc = nl_langinfo(CODESET);
  for (const char* ok : {"UTF-8", "US-ASCII", "ANSI_X3.4-1968", "ISO8859-1", "646", ""})
    if (std::strcmp(loc, ok) == 0) return false;
  return true;
}

// Printable ASCII (and tab, CR, LF) passes in every locale we accept.
bool IsPlain(std::string_view text) {
  for (char c : text) {
    if ((c < 0x20 || c > 0x7e) && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

// The locale-aware path of SafeText, for text that is not plain.
std::string Escaped(std::string_view text) {
  SetLocaleOnce();
  std::string src(text);
  std::string out;
  out.reserve(src.size());
  const char* sp = src.c_str();
  std::mbtowc(nullptr, nullptr, 0);
  while (*sp != '\0') {
    wchar_t wc;
    int len = std::mbtowc(&wc, sp, MB_CUR_MAX);
    int width;
    if (len == -1) {
      std::mbtowc(nullptr, nullptr, 0);
      if (DangerousLocale()) return "";
      len = 1;
      width = -1;
    } else if (wc == L'\n' || wc == L'\r' || wc == L'\t') {
      width = 0;
    } else {
      width = wcwidth(wc);
      if (width == -1 && DangerousLocale()) return "";
    }
    if (width >= 0) {
      out.append(sp, static_cast<size_t>(len));
      sp += len;
      continue;
    }
    for (; len > 0; --len, ++sp) {
      unsigned char c = static_cast<unsigned char>(*sp);
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + ((c >> 6) & 7)));
      out.push_back(static_cast<char>('0' + ((c >> 3) & 7)));
      out.push_back(static_cast<char>('0' + (c & 7)));
    }
  }
  return out;
}

}  // namespace

void AppendSafeText(std::string_view text, std::string* out) {
  text = text.substr(0, text.find('\0'));
  if (IsPlain(text)) {
    out->append(text);
  } else {
    *out += Escaped(text);
  }
}

std::string SafeText(std::string_view text) {
  std::string out;
  AppendSafeText(text, &out);
  return out;
}

void WriteFd(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

bool ReadStdinLine(std::string* line, size_t max) {
  line->clear();
  char c;
  bool any = false;
  while (line->size() < max) {
    ssize_t n = ::read(0, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return any;
    any = true;
    if (c == '\n') return true;
    line->push_back(c);
  }
  return true;
}

std::string ReadPassphrase(std::string_view prompt) {
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  int in = tty >= 0 ? tty : 0;
  int out = tty >= 0 ? tty : 2;
  WriteFd(out, prompt);
  termios old{};
  bool restore = false;
  if (::isatty(in) && ::tcgetattr(in, &old) == 0) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    restore = ::tcsetattr(in, TCSAFLUSH, &quiet) == 0;
  }
  std::string line;
  char c;
  while (line.size() < 1023) {
    ssize_t n = ::read(in, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n' || c == '\r') break;
    line.push_back(c);
  }
  if (restore) {
    ::tcsetattr(in, TCSAFLUSH, &old);
    WriteFd(out, "\n");
  }
  if (tty >= 0) ::close(tty);
  return line;
}

}  // namespace kw::cli
