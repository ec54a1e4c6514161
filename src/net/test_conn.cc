#include "net/test_conn.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <thread>

#include "net/headers.h"

namespace kw::net::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct TestConn::Impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout{10000};

  // Runs the queued operation to completion (the stream's timer bounds it).
  void RunAll() {
    ioc.restart();
    ioc.run();
  }
};

TestConn::TestConn(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TestConn::~TestConn() = default;

StatusOr<std::unique_ptr<TestConn>> TestConn::Connect(uint16_t port, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->timeout = timeout;
  beast::error_code result = asio::error::would_block;
  impl->stream.expires_after(timeout);
  impl->stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                             [&](beast::error_code ec) { result = ec; });
  impl->RunAll();
  if (result) return UnavailableError("connect to port " + std::to_string(port) + ": " + result.message());
  return std::unique_ptr<TestConn>(new TestConn(std::move(impl)));
}

Status TestConn::Send(std::string_view bytes) {
  beast::error_code result = asio::error::would_block;
  impl_->stream.expires_after(impl_->timeout);
  asio::async_write(impl_->stream, asio::buffer(bytes.data(), bytes.size()),
                    [&](beast::error_code ec, size_t) { result = ec; });
  impl_->RunAll();
  if (result) return UnavailableError("send: " + result.message());
  return OkStatus();
}

StatusOr<RawResponse> TestConn::Read(bool head) {
  beast::error_code result = asio::error::would_block;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  parser.skip(head);
  impl_->stream.expires_after(impl_->timeout);
  http::async_read(impl_->stream, impl_->buffer, parser, [&](beast::error_code ec, size_t) { result = ec; });
  impl_->RunAll();
  if (result) return UnavailableError("read response: " + result.message());
  auto msg = parser.release();
  RawResponse out;
  out.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) {
    out.headers.emplace_back(std::string(f.name_string().data(), f.name_string().size()),
                             std::string(f.value().data(), f.value().size()));
  }
  out.body = std::move(msg.body());
  out.keep_alive = msg.keep_alive();
  return out;
}

bool TestConn::WaitClosed(std::chrono::milliseconds within) {
  if (impl_->buffer.size() > 0) return false;  // the server sent more
  char byte;
  beast::error_code result = asio::error::would_block;
  size_t got = 0;
  impl_->stream.expires_after(within);
  impl_->stream.async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, size_t n) {
    result = ec;
    got = n;
  });
  impl_->RunAll();
  if (got > 0) return false;
  return result == asio::error::eof || result == asio::error::connection_reset;
}

void TestConn::Close() {
  beast::error_code ignored;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  impl_->stream.close();
}

std::string RawResponse::Header(std::string_view name) const { return HeaderValue(headers, name); }

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string RawGet(std::string_view target, std::string_view extra_headers) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra_headers) + "\r\n";
}

}  // namespace kw::net::test
