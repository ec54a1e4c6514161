// Holds N bundle long polls on a seeded key center (bench/center_seed.cc),
// revokes the key granted on every host, and reports how long each poll
// took to answer after the revocation was sent: p50, p99, max.
// usage: kw_bench_longpoll PORT N ADMIN_TOKEN FLEET_KEY_ID
// Plain sockets and poll(2), one thread: the client must not be the
// bottleneck it measures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
int g_port = 0;

int Connect() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(g_port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

void SendAll(int fd, const std::string& s) {
  for (size_t off = 0; off < s.size();) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n <= 0) {
      std::perror("write");
      std::exit(1);
    }
    off += static_cast<size_t>(n);
  }
}

// One request on its own connection; returns the whole response.
std::string Request(const std::string& method, const std::string& path, const std::string& token) {
  int fd = Connect();
  SendAll(fd, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                  "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

long long JsonInt(const std::string& body, const std::string& field) {
  size_t at = body.find("\"" + field + "\":");
  return at == std::string::npos ? -1 : std::atoll(body.c_str() + at + field.size() + 3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: kw_bench_longpoll PORT N ADMIN_TOKEN FLEET_KEY_ID\n");
    return 2;
  }
  g_port = std::atoi(argv[1]);
  int n = std::atoi(argv[2]);
  std::string admin = argv[3], key_id = argv[4];
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  std::vector<long long> revs(n);
  for (int i = 0; i < n; ++i) {
    std::string r = Request("GET", "/api/v1/hosts/h" + std::to_string(i) + "/bundle",
                            "kw_bench_host_" + std::to_string(i));
    revs[i] = JsonInt(r, "revision");
    if (revs[i] <= 0) {
      std::fprintf(stderr, "no bundle for h%d: %.200s\n", i, r.c_str());
      return 1;
    }
  }
  std::vector<pollfd> fds(n);
  for (int i = 0; i < n; ++i) {
    fds[i].fd = Connect();
    fds[i].events = POLLIN;
    SendAll(fds[i].fd, "GET /api/v1/hosts/h" + std::to_string(i) + "/bundle?wait=120&after=" +
                           std::to_string(revs[i]) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer kw_bench_host_" +
                           std::to_string(i) + "\r\n\r\n");
  }
  // Wait until the center holds them all.
  for (int tries = 0;; ++tries) {
    std::string m = Request("GET", "/metrics", admin);
    size_t at = m.find("\nkeyward_long_polls ");
    long long held = at == std::string::npos ? -1 : std::atoll(m.c_str() + at + 20);
    if (held >= n) break;
    if (tries > 300) {
      std::fprintf(stderr, "only %lld of %d long polls held after 30 s\n", held, n);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto t0 = Clock::now();
  std::string revoke = Request("POST", "/api/v1/keys/" + key_id + "/revoke", admin);
  auto t1 = Clock::now();
  if (revoke.find(" 200 ") == std::string::npos) {
    std::fprintf(stderr, "revoke failed: %.300s\n", revoke.c_str());
    return 1;
  }
  std::vector<double> ms;
  int open = n;
  while (open > 0) {
    int r = poll(fds.data(), fds.size(), 30000);
    if (r <= 0) break;
    auto now = Clock::now();
    for (auto& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t got = read(p.fd, buf, sizeof buf);
      if (got > 0 && std::string(buf, static_cast<size_t>(got)).find(" 200 ") == std::string::npos) {
        std::fprintf(stderr, "a long poll answered: %.100s\n", buf);
      }
      ms.push_back(std::chrono::duration<double, std::milli>(now - t0).count());
      close(p.fd);
      p.fd = -1;
      --open;
    }
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double q) { return ms.empty() ? -1.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  std::printf("long polls woken by one revocation: %zu of %d; revoke call %.1f ms; from the revoke request: p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms\n",
              ms.size(), n, std::chrono::duration<double, std::milli>(t1 - t0).count(), pct(0.5), pct(0.99),
              ms.empty() ? -1.0 : ms.back());
  return ms.size() == static_cast<size_t>(n) ? 0 : 1;
}
