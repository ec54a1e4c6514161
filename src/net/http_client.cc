#include "net/http_client.h"

// libcurl is loaded with dlopen on the first HttpClient, not linked: it
// pulls in some thirty shared libraries (GnuTLS, Kerberos, LDAP, ...) whose
// loading would cost every `keyward` run about 10 ms, while only the admin
// commands and the agent talk HTTP. The header gives the types and
// constants; the functions come from the loaded library.
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace kw::net {
namespace {

// The libcurl functions this client calls. curl_easy_setopt and
// curl_easy_getinfo are variadic in C; they are called through pointers of
// the same variadic type, as the C ABI allows.
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  std::string error;  // why loading failed; empty when it did not
};

template <typename F>
bool Bind(void* lib, const char* name, F& fn, std::string& error) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (fn == nullptr) error = std::string("libcurl has no symbol ") + name;
  return fn != nullptr;
}

// Loads libcurl once per process; the handle is never closed.
const CurlApi& Curl() {
  static const CurlApi api = [] {
    CurlApi a;
    // The soname of the library the header belongs to (libcurl4 on Debian).
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = dlerror();
      a.error = std::string("cannot load libcurl.so.4 (install libcurl4): ") + (why ? why : "unknown error");
      return a;
    }
    bool ok = Bind(lib, "curl_global_init", a.global_init, a.error) &&
              Bind(lib, "curl_easy_init", a.easy_init, a.error) &&
              Bind(lib, "curl_easy_cleanup", a.easy_cleanup, a.error) &&
              Bind(lib, "curl_easy_setopt", a.easy_setopt, a.error) &&
              Bind(lib, "curl_easy_perform", a.easy_perform, a.error) &&
              Bind(lib, "curl_easy_getinfo", a.easy_getinfo, a.error) &&
              Bind(lib, "curl_easy_strerror", a.easy_strerror, a.error) &&
              Bind(lib, "curl_slist_append", a.slist_append, a.error) &&
              Bind(lib, "curl_slist_free_all", a.slist_free_all, a.error);
    if (ok && a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      a.error = "curl_global_init failed";
      ok = false;
    }
    return a;
  }();
  return api;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool HasLineBreakOrNul(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

// What the curl callbacks write into (they must not throw into C code).
struct Sink {
  ClientResponse* response;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  if (sink->response->body.size() + len > HttpClient::kMaxResponseBody) {
    sink->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  try {
    sink->response->body.append(data, len);
  } catch (...) {
    return 0;
  }
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  try {
    if (line.starts_with("HTTP/")) {
      // A new header block (after a 100 Continue): keep only the last one.
      sink->response->headers.clear();
    } else if (size_t colon = line.find(':'); colon != line.npos) {
      sink->response->headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                           std::string(Trim(line.substr(colon + 1))));
    }
  } catch (...) {
    return 0;
  }
  return len;
}

// libcurl calls this at least once a second during a transfer; non-zero
// aborts it (CURLE_ABORTED_BY_CALLBACK).
int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

struct CurlDeleter {
  void operator()(CURL* c) const { Curl().easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { Curl().slist_free_all(l); }
};

}  // namespace

std::string ClientResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

HttpClient::HttpClient(ClientOptions options) : options_(std::move(options)) {
  (void)Curl();  // loads libcurl now, while the process is likely single-threaded
}

StatusOr<ClientResponse> HttpClient::Send(std::string_view method, std::string_view url,
                                          const std::vector<std::pair<std::string, std::string>>& headers,
                                          std::string_view body) const {
  const std::string url_str(url);
  const std::string method_str(method);
  const std::string what = method_str + " " + url_str;
  if (method_str.empty() || HasLineBreakOrNul(method_str) || method_str.find(' ') != std::string::npos) {
    return InvalidArgumentError(what + ": bad method");
  }

  const CurlApi& api = Curl();
  if (!api.error.empty()) return UnavailableError(what + ": " + api.error);
  std::unique_ptr<CURL, CurlDeleter> curl(api.easy_init());
  if (!curl) return InternalError(what + ": curl_easy_init failed");
  CURL* h = curl.get();

  std::unique_ptr<curl_slist, SlistDeleter> list;
  auto append = [&list, &api](const std::string& line) {
    curl_slist* next = api.slist_append(list.get(), line.c_str());
    if (next == nullptr) return false;
    (void)list.release();
    list.reset(next);
    return true;
  };
  bool has_content_type = false;
  for (const auto& [k, v] : headers) {
    if (k.empty() || HasLineBreakOrNul(k) || HasLineBreakOrNul(v) || k.find(':') != std::string::npos) {
      return InvalidArgumentError(what + ": bad header \"" + k + "\"");
    }
    if (EqualsIgnoreCase(k, "Content-Type")) has_content_type = true;
    // "Name;" is curl's spelling of a header with an empty value.
    if (!append(v.empty() ? k + ";" : k + ": " + v)) return InternalError(what + ": out of memory");
  }
  // No form content type by default, and no "Expect: 100-continue" wait.
  if (!has_content_type && !append("Content-Type:")) return InternalError(what + ": out of memory");
  if (!append("Expect:")) return InternalError(what + ": out of memory");

  ClientResponse response;
  Sink sink{&response};
  char errbuf[CURL_ERROR_SIZE] = {};

  api.easy_setopt(h, CURLOPT_URL, url_str.c_str());
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  api.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  api.easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  api.easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  api.easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  if (!options_.ca_file.empty()) api.easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.cancel != nullptr) {
    api.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
    api.easy_setopt(h, CURLOPT_XFERINFODATA, options_.cancel);
    api.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (options_.insecure) {
    api.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    api.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  if (method_str == "HEAD") {
    api.easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method_str == "GET" && body.empty()) {
    api.easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (!body.empty() || method_str == "POST" || method_str == "PUT" || method_str == "PATCH") {
      // POSTFIELDS does not copy: `body` outlives curl_easy_perform below.
      // Never null: curl would read the body from stdin.
      api.easy_setopt(h, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());
      api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    if (method_str != "POST") api.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_str.c_str());
  }

  CURLcode rc = api.easy_perform(h);
  if (rc != CURLE_OK) {
    std::string reason = errbuf[0] != '\0' ? errbuf : api.easy_strerror(rc);
    if (sink.too_large) {
      return OutOfRangeError(what + ": response body over " + std::to_string(kMaxResponseBody) + " bytes");
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) return UnavailableError(what + ": cancelled");
    switch (rc) {
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return InvalidArgumentError(what + ": " + reason);
      default:
        return UnavailableError(what + ": " + reason);
    }
  }
  long status = 0;
  api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0f]);
    }
  }
  return out;
}

}  // namespace kw::net
