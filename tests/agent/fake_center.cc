#include "agent/fake_center.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "base/file.h"
#include "net/headers.h"
#include "net/http_client.h"

namespace kw::test {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads one request (head and Content-Length body); false on EOF, error or
// a request over 1 MiB.
bool ReadRequest(int fd, FakeRequest* req, std::vector<std::pair<std::string, std::string>>* headers) {
  std::string buf;
  char chunk[8192];
  size_t head_end = std::string::npos;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || buf.size() > (1 << 20)) return false;
    buf.append(chunk, static_cast<size_t>(n));
  }
  std::string head = buf.substr(0, head_end);
  std::string rest = buf.substr(head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  req->method = request_line.substr(0, sp1);
  req->target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t content_length = 0;
  for (size_t pos = line_end == std::string::npos ? head.size() : line_end + 2; pos < head.size();) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    if (net::HeaderNameIs(name, "content-length")) content_length = std::strtoull(value.c_str(), nullptr, 10);
    if (net::HeaderNameIs(name, "authorization")) req->authorization = value;
    headers->push_back({name, value});
  }
  if (content_length > (1 << 20)) return false;
  while (rest.size() < content_length) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    rest.append(chunk, static_cast<size_t>(n));
  }
  req->body = rest.substr(0, content_length);
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<FakeCenter>> FakeCenter::Start(std::string upstream) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoStatus("fake center: listen on 127.0.0.1:0", e);
  }
  std::unique_ptr<FakeCenter> f(new FakeCenter(fd, ntohs(addr.sin_port), std::move(upstream)));
  f->acceptor_ = std::thread([p = f.get()] { p->AcceptLoop(); });
  return f;
}

FakeCenter::~FakeCenter() {
  stop_.Cancel();
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
}

void FakeCenter::SetHandler(FakeHandler handler) {
  std::lock_guard<std::mutex> l(mu_);
  handler_ = std::move(handler);
}

std::vector<FakeRequest> FakeCenter::requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return seen_;
}

void FakeCenter::AcceptLoop() {
  while (!stop_.cancelled()) {
    pollfd p{listen_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::lock_guard<std::mutex> l(mu_);
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeCenter::Serve(int fd) {
  FakeRequest req;
  std::vector<std::pair<std::string, std::string>> in_headers;
  std::optional<CannedResponse> out;
  bool forward_failed = false;
  if (ReadRequest(fd, &req, &in_headers)) {
    FakeHandler handler;
    {
      std::lock_guard<std::mutex> l(mu_);
      seen_.push_back(req);
      handler = handler_;
    }
    if (handler) out = handler(req);
    if (out) {
      ++canned_;
    } else {
      net::ClientOptions co;
      co.timeout = std::chrono::milliseconds(120000);
      co.cancel = &stop_;
      net::HttpClient client(co);
      std::vector<std::pair<std::string, std::string>> headers;
      for (const auto& [name, value] : in_headers) {
        if (net::HeaderNameIs(name, "authorization") || net::HeaderNameIs(name, "content-type") ||
            net::HeaderNameIs(name, "if-none-match")) {
          headers.push_back({name, value});
        }
      }
      auto resp = client.Send(req.method, upstream_ + req.target, headers, req.body);
      if (resp.ok()) {
        CannedResponse c;
        c.status = resp->status;
        c.body = resp->body;
        for (const char* h : {"ETag", "Content-Type"}) {
          std::string v = resp->Header(h);
          if (!v.empty()) c.headers.push_back({h, v});
        }
        out = std::move(c);
      } else {
        forward_failed = true;  // the upstream is down: close without an answer
      }
    }
  }
  if (out && !forward_failed) {
    std::string head = "HTTP/1.1 " + std::to_string(out->status) + " " + Reason(out->status) + "\r\n";
    head += "Content-Length: " + std::to_string(out->body.size()) + "\r\nConnection: close\r\n";
    for (const auto& [name, value] : out->headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    size_t n = out->send_only ? std::min(*out->send_only, out->body.size()) : out->body.size();
    if (SendAll(fd, head.data(), head.size())) SendAll(fd, out->body.data(), n);
  }
  ::shutdown(fd, SHUT_WR);
  // Let the client read everything before the socket goes (no RST on unread input).
  char drain[256];
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (::recv(fd, drain, sizeof drain, 0) > 0) {
  }
  std::lock_guard<std::mutex> l(mu_);
  open_fds_.erase(fd);
  ::close(fd);
}

}  // namespace kw::test
