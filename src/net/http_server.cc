// HttpServer on Boost.Asio: one io_context run by N threads, an acceptor on
// its own strand, one Session per connection on its own strand
// (session.cc), timers and posted tasks on the io_context.
#include "net/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>

#include "net/headers.h"
#include "net/server_core.h"
#include "net/session.h"

namespace kw::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// How long Stop() waits for connections to finish their last response.
constexpr auto kStopGrace = std::chrono::seconds(5);
// Pause before accepting again after an accept error (e.g. out of fds).
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);

// Runs a task of the application's; an exception is reported, not thrown
// into the event loop.
void RunGuarded(const std::function<void()>& fn, const char* what) {
  try {
    fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keyward http: %s threw: %s\n", what, e.what());
  } catch (...) {
    std::fprintf(stderr, "keyward http: %s threw\n", what);
  }
}

// The handle RunAfter returns owns no Asio object (it may outlive the
// server): only the function, which Cancel() drops at once.
class TimerFlag final : public TimerHandle {
 public:
  explicit TimerFlag(std::function<void()> fn) : fn_(std::move(fn)) {}
  void Cancel() override { std::function<void()> dropped = Take(); }
  std::function<void()> Take() {
    std::lock_guard lock(mu_);
    std::function<void()> fn = std::move(fn_);
    fn_ = nullptr;
    return fn;
  }

 private:
  std::mutex mu_;
  std::function<void()> fn_;
};

class ServerImpl final : public HttpServer, public ServerContext {
 public:
  ServerImpl(const ServerOptions& options, Handler* handler, Metrics* metrics)
      : core_(options, handler, metrics, this),
        ioc_(std::max(1, Threads(options))),
        acceptor_(asio::make_strand(ioc_)),
        accept_retry_(acceptor_.get_executor()) {}

  ~ServerImpl() override { Stop(); }

  Status Init();
  Status Run();

  uint16_t port() const override { return port_; }
  int64_t open_connections() const override { return core_.open_connections(); }
  void Stop() override;

  std::shared_ptr<TimerHandle> RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void Post(std::function<void()> fn) override;

 private:
  static int Threads(const ServerOptions& o) {
    return o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  }
  void DoAccept();
  void OnAccept(error_code ec, tcp::socket socket);

  // Destroyed in reverse order: the io_context (and any session still in
  // it) before the TLS context and the core the sessions use.
  internal::ServerCore core_;
  std::optional<asio::ssl::context> tls_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

Status ServerImpl::Init() {
  const ServerOptions& o = core_.options();
  error_code ec;
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  if (!o.tls_cert_file.empty()) {
    try {
      tls_.emplace(asio::ssl::context::tls_server);
    } catch (const std::exception& e) {
      return InternalError(std::string("TLS context: ") + e.what());
    }
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                          asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                      ec);
    if (ec) return InternalError("TLS options: " + ec.message());
    if (tls_->use_certificate_chain_file(o.tls_cert_file, ec); ec) {
      return InvalidArgumentError(o.tls_cert_file + ": cannot load TLS certificate: " + ec.message());
    }
    if (tls_->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec); ec) {
      return InvalidArgumentError(o.tls_key_file + ": cannot load TLS key (or it does not match the certificate): " +
                                  ec.message());
    }
  }

  const std::string where = o.address + ":" + std::to_string(o.port);
  tcp::resolver resolver(ioc_);
  auto results = resolver.resolve(o.address, std::to_string(o.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return InvalidArgumentError("listen address " + where + ": " + (ec ? ec.message() : "no address"));
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  if (acceptor_.open(endpoint.protocol(), ec); ec) return UnavailableError("listen on " + where + ": " + ec.message());
  if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    return UnavailableError("listen on " + where + ": " + ec.message());
  }
  if (acceptor_.bind(endpoint, ec); ec) return UnavailableError("listen on " + where + ": " + ec.message());
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return UnavailableError("listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return UnavailableError("listen on " + where + ": " + ec.message());
  return OkStatus();
}

Status ServerImpl::Run() {
  work_.emplace(ioc_.get_executor());
  asio::post(acceptor_.get_executor(), [this] { DoAccept(); });
  const int n = std::max(1, Threads(core_.options()));
  try {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        for (;;) {
          try {
            ioc_.run();
            return;
          } catch (const std::exception& e) {
            std::fprintf(stderr, "keyward http: event loop: %s\n", e.what());
          } catch (...) {
            std::fprintf(stderr, "keyward http: event loop: unknown exception\n");
          }
        }
      });
    }
  } catch (const std::exception& e) {
    Stop();
    return InternalError(std::string("cannot start server threads: ") + e.what());
  }
  return OkStatus();
}

void ServerImpl::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_),
                         [this](error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void ServerImpl::OnAccept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open() || core_.stopping()) return;
  if (ec) {
    accept_retry_.expires_after(kAcceptRetry);
    accept_retry_.async_wait([this](error_code e) {
      if (!e && acceptor_.is_open()) DoAccept();
    });
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  try {
    if (tls_) {
      internal::StartTlsSession(core_, *tls_, std::move(socket));
    } else {
      internal::StartPlainSession(core_, std::move(socket));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keyward http: cannot start a session: %s\n", e.what());
  }
  DoAccept();
}

void ServerImpl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  core_.BeginStopping();
  asio::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  for (const auto& session : core_.Sessions()) session->PostStop();
  core_.WaitForNoSessions(std::chrono::steady_clock::now() + kStopGrace);
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // The posted close may not have run before the loop stopped; the threads
  // are gone, so close here (again) to refuse connections from now on.
  error_code ignored;
  acceptor_.close(ignored);
  // Sessions that did not finish in time: drop what Responders hold of them.
  for (const auto& session : core_.Sessions()) session->ReleasePending();
}

std::shared_ptr<TimerHandle> ServerImpl::RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto flag = std::make_shared<TimerFlag>(std::move(fn));
  auto timer = std::make_shared<asio::steady_timer>(ioc_, delay);
  timer->async_wait([timer, flag](error_code ec) {
    if (ec) return;
    if (std::function<void()> f = flag->Take()) RunGuarded(f, "timer task");
  });
  return flag;
}

void ServerImpl::Post(std::function<void()> fn) {
  asio::post(ioc_, [fn = std::move(fn)] { RunGuarded(fn, "posted task"); });
}

}  // namespace

std::optional<std::string> Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string Request::Header(std::string_view name) const { return HeaderValue(headers, name); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Handler* handler,
                                                        Metrics* metrics) {
  if (handler == nullptr) return InvalidArgumentError("HttpServer::Start: no handler");
  std::unique_ptr<ServerImpl> server;
  try {
    server = std::make_unique<ServerImpl>(options, handler, metrics);
  } catch (const std::exception& e) {
    return InternalError(std::string("HttpServer::Start: ") + e.what());
  }
  KW_RETURN_IF_ERROR(server->Init());
  KW_RETURN_IF_ERROR(server->Run());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace kw::net
