#include "net/session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>

#include "net/headers.h"
#include "net/json_error.h"
#include "net/target.h"

namespace kw::net::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// After an error answer the client may still be sending the body we refused;
// reading (and dropping) it for a while lets the client read our answer
// instead of a connection reset.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr size_t kMaxLingerBytes = 16 << 20;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view SV(beast::string_view s) { return {s.data(), s.size()}; }

// Handler headers may not break the message framing or inject lines.
bool AllowedHeader(std::string_view name, std::string_view value) {
  if (name.empty() || name.find_first_of(std::string_view(":\r\n\0 ", 5)) != name.npos) return false;
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != value.npos) return false;
  return !HeaderNameIs(name, "Content-Length") && !HeaderNameIs(name, "Transfer-Encoding") &&
         !HeaderNameIs(name, "Connection");
}

const beast::error_category& HttpErrors() { return http::make_error_code(http::error::bad_method).category(); }

// The Responder's side of one request: holds the session until the first
// call (or Stop, or the end of the server) takes it.
struct PendingSlot {
  std::mutex mu;
  std::shared_ptr<SessionBase> session;

  std::shared_ptr<SessionBase> Take() {
    std::lock_guard lock(mu);
    return std::move(session);
  }
  // Every copy of the Responder is gone and none answered: a handler bug;
  // the client gets a 500 rather than a connection closed without a word.
  ~PendingSlot() {
    if (session) session->Deliver(JsonError(500, "internal", "the request was dropped without an answer"));
  }
};

template <class Stream>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  explicit Session(ServerCore& core, Args&&... args) : core_(core), stream_(std::forward<Args>(args)...) {}

  ~Session() override {
    if (opened_) core_.ConnectionClosed();
    core_.Unregister(this);
  }

  // From the acceptor's strand: the rest runs on the session's.
  void Start() {
    asio::dispatch(stream_.get_executor(), [self = Self()] { self->Begin(); });
  }

  void Deliver(Response response) override {
    asio::post(stream_.get_executor(), [self = Self(), r = std::move(response)]() mutable {
      if (self->state_ != State::kHandling) return;
      self->WriteResponse(std::move(r), /*close=*/false, /*linger=*/false);
    });
  }

  void PostStop() override {
    asio::post(stream_.get_executor(), [self = Self()] { self->OnStop(); });
  }

  void ReleasePending() override {
    if (auto slot = slot_.lock()) slot->Take();
  }

 private:
  enum class State { kNew, kHandshake, kReading, kHandling, kWriting, kClosing, kClosed };

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Begin() {
    beast::error_code ec;
    auto peer = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      try {
        remote_ = peer.address().to_string();
      } catch (...) {
      }
    }
    if (!core_.Register(shared_from_this())) return Close();
    opened_ = true;
    if constexpr (kTls) {
      state_ = State::kHandshake;
      Lowest().expires_after(core_.options().idle_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = Self()](beast::error_code e) {
        if (e) return self->Close();
        self->ReadHeader();
      });
    } else {
      ReadHeader();
    }
  }

  void ReadHeader() {
    if (stop_requested_ || core_.stopping()) return Close();
    state_ = State::kReading;
    started_.reset();
    method_ = "other";
    parser_.emplace();
    parser_->body_limit(core_.options().max_body);
    parser_->header_limit(kMaxHeaderBytes);
    Lowest().expires_after(core_.options().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    started_ = Clock::now();
    const auto& msg = parser_->get();
    method_ = MethodLabel(SV(msg.method_string()));
    if (!parser_->is_done() && HeaderNameIs(SV(msg[http::field::expect]), "100-continue")) {
      Lowest().expires_after(kWriteTimeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self()](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnRead({});
    Lowest().expires_after(core_.options().idle_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = Self()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnReadError(beast::error_code ec) {
    // The start line may have been parsed even when the header failed
    // (a Content-Length over the limit): label the answer with its method.
    if (parser_) method_ = MethodLabel(SV(parser_->get().method_string()));
    if (ec == http::error::body_limit) {
      return SendError(413, "too_large", "request body over " + std::to_string(core_.options().max_body) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return SendError(431, "too_large", "request header over " + std::to_string(kMaxHeaderBytes) + " bytes");
    }
    // end_of_stream and partial_message: the client closed the connection.
    if (ec.category() == HttpErrors() && ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return SendError(400, "bad_request", "malformed request: " + ec.message());
    }
    Close();  // timeout, reset, TLS failure, or Stop() closed the socket
  }

  // An answer of the server's own to a request it could not read whole.
  void SendError(int status, std::string_view code, const std::string& message) {
    if (!started_) started_ = Clock::now();
    WriteResponse(JsonError(status, code, message), /*close=*/true, /*linger=*/true);
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> msg = parser_->release();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == http::verb::head;
    if (core_.stopping()) return WriteResponse(JsonError(503, "unavailable", "server is stopping"), true, false);

    Request req;
    req.method = std::string(SV(msg.method_string()));
    req.target = std::string(SV(msg.target()));
    auto target = ParseTarget(req.target);
    if (!target.ok()) return WriteResponse(JsonError(400, "bad_request", target.status().message()), true, false);
    req.path = std::move(target->path);
    req.query = std::move(target->query);
    for (const auto& field : msg) req.headers.emplace_back(SV(field.name_string()), SV(field.value()));
    req.body = std::move(msg.body());
    req.remote = remote_;

    state_ = State::kHandling;
    Lowest().expires_never();  // a long poll may wait as long as it likes
    auto slot = std::make_shared<PendingSlot>();
    slot->session = shared_from_this();
    slot_ = slot;
    Responder respond = [slot](Response r) {
      if (auto s = slot->Take()) s->Deliver(std::move(r));
    };
    slot.reset();
    try {
      core_.handler().Handle(std::move(req), std::move(respond), core_.context());
    } catch (const std::exception& e) {
      HandlerFailed(e.what());
    } catch (...) {
      HandlerFailed("unknown exception");
    }
  }

  void HandlerFailed(const char* what) {
    std::fprintf(stderr, "keyward http: handler threw: %s\n", what);
    auto slot = slot_.lock();
    if (slot && slot->Take()) WriteResponse(JsonError(500, "internal", "internal error"), false, false);
  }

  void WriteResponse(Response r, bool close, bool linger) {
    if (state_ == State::kClosing || state_ == State::kClosed) return;
    if (r.status < 200 || r.status > 599) {
      r = JsonError(500, "internal", "handler answered with status " + std::to_string(r.status));
    }
    state_ = State::kWriting;
    status_ = r.status;
    close = close || !keep_alive_ || stop_requested_ || core_.stopping();
    try {
      BuildResponse(std::move(r), close);
    } catch (const std::exception& e) {  // Beast rejected a field
      std::fprintf(stderr, "keyward http: cannot build response: %s\n", e.what());
      status_ = 500;
      close = true;
      BuildResponse(JsonError(500, "internal", "internal error"), close);
    }
    Lowest().expires_after(kWriteTimeout);
    http::async_write(stream_, *res_, [self = Self(), close, linger](beast::error_code ec, size_t) {
      self->OnWrite(ec, close, linger);
    });
  }

  void BuildResponse(Response r, bool close) {
    auto& res = res_.emplace();
    res.version(version_);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::server, "keyward");
    for (const auto& [name, value] : r.headers) {
      if (AllowedHeader(name, value)) res.insert(name, value);
    }
    res.keep_alive(!close);
    if (r.status == 204 || r.status == 304) {
      return;  // no body, no Content-Length, no Content-Type
    }
    if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
    if (head_) {
      res.content_length(r.body.size());
    } else {
      res.body() = std::move(r.body);
      res.prepare_payload();
    }
  }

  void OnWrite(beast::error_code ec, bool close, bool linger) {
    core_.RecordRequest(method_, status_, Clock::now() - started_.value_or(Clock::now()));
    res_.reset();
    if (ec) return Close();
    if (close || stop_requested_) return Shutdown(linger);
    keep_alive_ = true;
    version_ = 11;
    head_ = false;
    ReadHeader();
  }

  void Shutdown(bool linger) {
    state_ = State::kClosing;
    beast::error_code ec;
    if (linger) {
      // TCP half-close (for TLS without close_notify: the response carries
      // its length), then drop whatever the client still sends.
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Lowest().expires_after(kLingerTimeout);
      return Drain();
    }
    if constexpr (kTls) {
      Lowest().expires_after(kLingerTimeout);
      stream_.async_shutdown([self = Self()](beast::error_code) { self->Close(); });
    } else {
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Close();
    }
  }

  void Drain() {
    if (!drain_buf_) drain_buf_ = std::make_unique<char[]>(kDrainChunk);
    Lowest().async_read_some(asio::buffer(drain_buf_.get(), kDrainChunk), [self = Self()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kMaxLingerBytes) return self->Close();
      self->Drain();
    });
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
    if (opened_) {
      opened_ = false;
      core_.ConnectionClosed();
    }
  }

  void OnStop() {
    stop_requested_ = true;
    switch (state_) {
      case State::kNew:
      case State::kHandshake:
      case State::kReading:
      case State::kClosing:
        Close();
        break;
      case State::kHandling:
        // Not yet answered: answer for the handler. Answered already: the
        // write is queued and will close (stop_requested_).
        if (auto slot = slot_.lock(); slot && slot->Take()) {
          WriteResponse(JsonError(503, "unavailable", "server is stopping"), true, false);
        }
        break;
      case State::kWriting:
      case State::kClosed:
        break;
    }
  }

  static constexpr size_t kDrainChunk = 16 * 1024;

  ServerCore& core_;
  Stream stream_;
  State state_ = State::kNew;
  bool opened_ = false;          // registered and counted as open
  bool stop_requested_ = false;  // PostStop() arrived
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;  // alive while being written
  std::weak_ptr<PendingSlot> slot_;  // of the request being handled
  // Of the request being answered:
  std::optional<Clock::time_point> started_;
  std::string_view method_ = "other";
  int status_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  std::unique_ptr<char[]> drain_buf_;
  size_t drained_ = 0;
};

}  // namespace

void StartPlainSession(ServerCore& core, tcp::socket socket) {
  std::make_shared<Session<beast::tcp_stream>>(core, std::move(socket))->Start();
}

void StartTlsSession(ServerCore& core, asio::ssl::context& tls, tcp::socket socket) {
  std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(core, std::move(socket), tls)->Start();
}

}  // namespace kw::net::internal
