// The client on Boost.Beast (the HTTP/1.1 library the server uses) and
// Asio's OpenSSL streams for https. Each Send() runs its own io_context on
// the calling thread: resolve, connect, TLS handshake (SNI, peer and host
// name verified), write, read; a timer ends the exchange at the deadline,
// and the cancel signal's eventfd when it fires. One connection per request,
// then closed, unless a ConnectionPool keeps it for the next GET. (Not
// libcurl: it loads some thirty shared libraries, which made every keyward
// run 10 ms slower and keyward-agent 4.4 MB larger.)
#include "net/http_client.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "base/percent.h"
#include "net/headers.h"

namespace kw::net {
namespace {

bool HasLineBreakOrNul(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// The parts of an http(s) URL a request needs.
struct Url {
  bool tls = false;
  std::string host;         // without brackets
  uint16_t port = 80;
  std::string host_header;  // as in the URL ("[::1]:8180")
  std::string target;       // path and query, "/" at least
};

StatusOr<Url> ParseUrl(std::string_view url) {
  Url u;
  std::string_view rest;
  auto scheme_is = [&](std::string_view s) {
    return url.size() >= s.size() && HeaderNameIs(url.substr(0, s.size()), s);
  };
  if (scheme_is("http://")) {
    rest = url.substr(7);
  } else if (scheme_is("https://")) {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return InvalidArgumentError("only http:// and https:// URLs are supported");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return InvalidArgumentError("blank or control character in the URL");
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos) return InvalidArgumentError("user names in URLs are not supported");
  u.host_header = std::string(authority);
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("unterminated [ in the host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgumentError("bad host");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return InvalidArgumentError("no host in the URL");
  if (port.empty()) {
    u.port = u.tls ? 443 : 80;
  } else {
    auto [end_of_port, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || end_of_port != port.data() + port.size() || u.port == 0) {
      return InvalidArgumentError("bad port \"" + std::string(port) + "\"");
    }
  }
  u.target = target.empty() ? "/" : target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return u;
}

}  // namespace

// A connection and the event loop it lives on, kept between exchanges by a
// ConnectionPool. Members are destroyed in reverse: the streams before the
// TLS context they use, and both before the loop.
struct ConnectionPool::Connection {
  std::string key;  // the server and TLS settings (KeyOf)
  asio::io_context ioc{1};
  std::unique_ptr<ssl::context> ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  bool open = false;  // connected, and the last response allowed another request
};

namespace {

std::string KeyOf(const Url& u, const ClientOptions& o) {
  return std::string(u.tls ? "https://" : "http://") + u.host_header + " " + (o.insecure ? "insecure" : o.ca_file);
}

// One exchange on a connection's io_context: the connection's open stream
// when it has one, a new one otherwise.
class Exchange {
 public:
  Exchange(const ClientOptions& options, ConnectionPool::Connection& conn, Url url,
           http::request<http::string_body> req, bool head)
      : conn_(conn), ioc_(conn.ioc), options_(options), url_(std::move(url)), req_(std::move(req)), head_(head) {}

  // Runs it to the end; Outcome() says how it ended.
  void Run() {
    if (options_.cancel != nullptr && options_.cancel->cancelled()) {
      stopped_reason_ = "cancelled";
      return;
    }
    watch_timer_.expires_after(options_.timeout);
    asio::co_spawn(ioc_, WatchDeadline(), asio::detached);
    if (options_.cancel != nullptr) {
      int fd = ::dup(options_.cancel->fd());
      if (fd >= 0) {
        cancel_watch_.emplace(ioc_, fd);  // owns the duplicate
        asio::co_spawn(ioc_, WatchCancel(), asio::detached);
      }
    }
    asio::co_spawn(ioc_, Main(), asio::detached);
    ioc_.run();
    ioc_.restart();
  }

  // A reused connection the server had closed: nothing of a response came.
  bool StaleConnection() const {
    return reused_ && stopped_reason_.empty() && !parser_.got_some() &&
           (ec_ == http::error::end_of_stream || ec_ == asio::error::eof || ec_ == asio::error::connection_reset ||
            ec_ == asio::error::broken_pipe);
  }

  Status Outcome(const std::string& what) const {
    if (!stopped_reason_.empty()) return UnavailableError(what + ": " + stopped_reason_);
    if (ec_ == http::error::body_limit) {
      return OutOfRangeError(what + ": response body over " + std::to_string(HttpClient::kMaxResponseBody) + " bytes");
    }
    if (ec_) {
      std::string reason = ec_.message();
      if (ec_.category() == asio::error::get_ssl_category()) {
        reason = "TLS: " + reason;
        if (verify_error_ != 0) reason += " (certificate: " + std::string(X509_verify_cert_error_string(verify_error_)) + ")";
      }
      return UnavailableError(what + ": " + stage_ + ": " + reason);
    }
    return OkStatus();
  }

  ClientResponse TakeResponse() {
    ClientResponse r;
    const auto& msg = parser_.get();
    r.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg.base()) {
      r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    r.body = std::move(parser_.get().body());
    return r;
  }

 private:
  asio::awaitable<void> Main() {
    beast::error_code ec;
    if (conn_.open) {
      reused_ = true;
      conn_.open = false;  // until this response says otherwise
      if (conn_.tls) {
        co_await Talk(*conn_.tls, nullptr, ec);
      } else {
        co_await Talk(*conn_.plain, nullptr, ec);
      }
      co_return;
    }
    conn_.tls.reset();
    conn_.plain.reset();
    // An address literal needs no lookup. A name is looked up here, on the
    // calling thread (Asio's asynchronous lookup would start a thread for
    // every request); the system resolver's own time limits apply.
    stage_ = "resolving " + url_.host;
    tcp::resolver::results_type endpoints;
    beast::error_code addr_ec;
    asio::ip::address literal = asio::ip::make_address(url_.host, addr_ec);
    if (!addr_ec) {
      endpoints = tcp::resolver::results_type::create(tcp::endpoint(literal, url_.port), url_.host,
                                                      std::to_string(url_.port));
    } else {
      tcp::resolver resolver(ioc_);
      endpoints = resolver.resolve(url_.host, std::to_string(url_.port), ec);
      if (ec) co_return Finish(ec);
    }
    if (url_.tls) {
      conn_.ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      ssl::context& ctx = *conn_.ctx;
      ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                      ssl::context::no_tlsv1_1);
      if (options_.insecure) {
        ctx.set_verify_mode(ssl::verify_none);
      } else {
        ctx.set_verify_mode(ssl::verify_peer);
        if (!options_.ca_file.empty()) {
          stage_ = "loading " + options_.ca_file;
          ctx.load_verify_file(options_.ca_file, ec);
          if (ec) co_return Finish(ec);
        } else {
          stage_ = "loading the system's CA certificates";
          ctx.set_default_verify_paths(ec);
          if (ec) co_return Finish(ec);
        }
      }
      beast::ssl_stream<beast::tcp_stream>& stream = conn_.tls.emplace(ioc_, ctx);
      if (!options_.insecure) {
        ssl::host_name_verification check(url_.host);
        stream.set_verify_callback([this, check](bool ok, ssl::verify_context& vc) mutable {
          bool good = check(ok, vc);
          if (!good && verify_error_ == 0) {
            int e = X509_STORE_CTX_get_error(vc.native_handle());
            verify_error_ = e != X509_V_OK ? e : X509_V_ERR_HOSTNAME_MISMATCH;
          }
          return good;
        });
      }
      // SNI, except for address literals (RFC 6066 §3).
      if (addr_ec) SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str());
      co_await Talk(stream, &endpoints, ec);
    } else {
      co_await Talk(conn_.plain.emplace(ioc_), &endpoints, ec);
    }
  }

  // Connects first unless `endpoints` is null (a connection kept open).
  template <class Stream>
  asio::awaitable<void> Talk(Stream& stream, const tcp::resolver::results_type* endpoints, beast::error_code& ec) {
    auto tok = asio::redirect_error(asio::use_awaitable, ec);
    auto& socket = beast::get_lowest_layer(stream);
    stop_ = [&socket] { socket.socket().close(); };
    if (endpoints != nullptr) {
      stage_ = "connecting to " + url_.host_header;
      co_await socket.async_connect(*endpoints, tok);
      if (ec) co_return Finish(ec);
      if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        stage_ = "TLS handshake with " + url_.host_header;
        co_await stream.async_handshake(ssl::stream_base::client, tok);
        if (ec) co_return Finish(ec);
      }
    }
    stage_ = "sending the request";
    co_await http::async_write(stream, req_, tok);
    if (ec) co_return Finish(ec);
    stage_ = "reading the response";
    parser_.body_limit(HttpClient::kMaxResponseBody);
    parser_.header_limit(64 << 10);
    if (head_) parser_.skip(true);
    beast::flat_buffer buffer;
    co_await http::async_read(stream, buffer, parser_, tok);
    // A TLS peer that closes without close_notify after a complete message.
    if (ec == ssl::error::stream_truncated && parser_.is_done()) ec = {};
    bool again = !ec && req_.keep_alive() && parser_.keep_alive();
    Finish(ec);
    if (again && stopped_reason_.empty()) conn_.open = true;
  }

  void Finish(beast::error_code ec) {
    if (done_) return;
    done_ = true;
    ec_ = ec;
    stop_ = nullptr;
    StopWatching();
  }

  // Ends the exchange at the deadline, or when the cancel signal fires.
  asio::awaitable<void> WatchDeadline() {
    beast::error_code ec;
    co_await watch_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!done_ && !ec) Stop("timed out after " + std::to_string(options_.timeout.count()) + " ms (" + stage_ + ")");
  }
  asio::awaitable<void> WatchCancel() {
    beast::error_code ec;
    co_await cancel_watch_->async_wait(asio::posix::descriptor_base::wait_read,
                                       asio::redirect_error(asio::use_awaitable, ec));
    if (!done_ && !ec) Stop("cancelled");
  }
  void Stop(std::string reason) {
    stopped_reason_ = std::move(reason);
    conn_.open = false;
    done_ = true;
    if (stop_) stop_();
    stop_ = nullptr;
    StopWatching();
  }
  void StopWatching() {
    watch_timer_.cancel();
    if (cancel_watch_) cancel_watch_->cancel();
  }

  ConnectionPool::Connection& conn_;
  asio::io_context& ioc_;
  const ClientOptions& options_;
  Url url_;
  http::request<http::string_body> req_;
  bool head_;
  bool reused_ = false;
  asio::steady_timer watch_timer_{ioc_};
  std::optional<asio::posix::stream_descriptor> cancel_watch_;
  http::response_parser<http::string_body> parser_;
  std::function<void()> stop_;  // closes what the exchange waits on
  std::string stage_ = "starting";
  std::string stopped_reason_;
  bool done_ = false;
  beast::error_code ec_;
  int verify_error_ = 0;
};
}  // namespace

ConnectionPool::ConnectionPool() = default;
ConnectionPool::~ConnectionPool() = default;

std::unique_ptr<ConnectionPool::Connection> ConnectionPool::Take(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!idle_ || idle_->key != key) return nullptr;
  return std::move(idle_);
}

void ConnectionPool::Give(std::unique_ptr<Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_ = std::move(c);
}

CancelSignal::CancelSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

CancelSignal::~CancelSignal() {
  if (fd_ >= 0) ::close(fd_);
}

void CancelSignal::Cancel() {
  flag_.store(true);
  uint64_t one = 1;
  if (fd_ >= 0) (void)!::write(fd_, &one, sizeof one);
}

bool CancelSignal::WaitFor(std::chrono::milliseconds timeout) const {
  if (cancelled() || fd_ < 0) return cancelled();
  pollfd p{fd_, POLLIN, 0};
  (void)::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(timeout.count(), INT32_MAX))));
  return cancelled();
}

namespace {
CancelSignal* g_signalled = nullptr;
extern "C" void CancelOnSignal(int) {
  if (g_signalled != nullptr) g_signalled->Cancel();
}
}  // namespace

void CancelOnTerminationSignals(CancelSignal* stop) {
  g_signalled = stop;
  struct sigaction sa {};
  sa.sa_handler = CancelOnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string ClientResponse::Header(std::string_view name) const { return HeaderValue(headers, name); }

HttpClient::HttpClient(ClientOptions options) : options_(std::move(options)) {}

StatusOr<ClientResponse> HttpClient::Send(std::string_view method, std::string_view url,
                                          const std::vector<std::pair<std::string, std::string>>& headers,
                                          std::string_view body) const {
  const std::string what = std::string(method) + " " + std::string(url);
  if (method.empty() || HasLineBreakOrNul(method) || method.find(' ') != std::string_view::npos) {
    return InvalidArgumentError(what + ": bad method");
  }
  auto u = ParseUrl(url);
  if (!u.ok()) return InvalidArgumentError(what + ": " + u.status().message());

  http::request<http::string_body> req;
  http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown) {
    req.method_string(beast::string_view(method.data(), method.size()));
  } else {
    req.method(verb);
  }
  req.target(u->target);
  req.version(11);
  req.set(http::field::host, u->host_header);
  req.set(http::field::user_agent, "keyward/0.1");
  for (const auto& [k, v] : headers) {
    if (k.empty() || HasLineBreakOrNul(k) || HasLineBreakOrNul(v) || k.find(':') != std::string::npos ||
        k.find(' ') != std::string::npos) {
      return InvalidArgumentError(what + ": bad header \"" + k + "\"");
    }
    req.insert(k, v);
  }
  const bool pooled = options_.pool != nullptr && (method == "GET" || method == "HEAD");
  req.keep_alive(pooled);
  req.body() = std::string(body);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.content_length(body.size());

  const std::string key = KeyOf(*u, options_);
  // Asio throws when the system refuses it a descriptor (an event loop, a
  // socket): an error like any other failed request, not an abort.
  try {
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<ConnectionPool::Connection> conn;
      if (pooled) conn = options_.pool->Take(key);
      if (!conn) {
        conn = std::make_unique<ConnectionPool::Connection>();
        conn->key = key;
        if (pooled) options_.pool->NoteOpened();
      }
      Exchange exchange(options_, *conn, *u, pooled ? req : std::move(req), method == "HEAD");
      exchange.Run();
      // The server closed the kept connection while it was idle (a restart,
      // its idle time limit): once more on a new one.
      if (attempt == 0 && exchange.StaleConnection()) continue;
      KW_RETURN_IF_ERROR(exchange.Outcome(what));
      ClientResponse r = exchange.TakeResponse();
      if (pooled && conn->open) options_.pool->Give(std::move(conn));
      return r;
    }
  } catch (const boost::system::system_error& e) {
    return UnavailableError(what + ": " + e.what());
  } catch (const std::system_error& e) {
    return UnavailableError(what + ": " + e.what());
  }
}

std::string ServerErrorMessage(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return "";
  auto error = j.find("error");
  if (error == j.end() || !error->is_object()) return "";
  auto message = error->find("message");
  return message != error->end() && message->is_string() ? message->get<std::string>() : "";
}

std::string UrlEncode(std::string_view s) { return PercentEncode(s); }

}  // namespace kw::net
