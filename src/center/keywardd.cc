// keywardd: the key center.
//
//   keywardd init --config FILE   create the store, the signing key, the
//                                 TOTP sealing key and a first admin
//                                 token (printed once)
//   keywardd [run] --config FILE  serve the API until SIGINT/SIGTERM
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/file.h"
#include "base/settings.h"
#include "center/api.h"
#include "center/center.h"
#include "center/config.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "formats/fingerprint.h"
#include "formats/private_key.h"
#include "formats/public_key.h"
#include "formats/signer.h"
#include "net/http_server.h"
#include "net/metrics.h"
#include "store/store.h"

namespace kw::center {
namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "keywardd: %s\n", s.message().c_str());
  return 1;
}

StatusOr<formats::KeySigner> LoadSigner(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  auto loaded = formats::ParsePrivateKey(text, {});
  if (!loaded.ok()) return InvalidArgumentError(path + ": " + loaded.status().message());
  return formats::KeySigner::Create(loaded->key);
}

// The TOTP sealing key: 64 hex digits (a line break after them allowed),
// in a file no one but its owner may read.
StatusOr<SecretBytes> LoadTotpKey(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFoundError(path + ": no such file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return FailedPreconditionError("totp_key_file " + path + ": readable by others (mode " + mode + "); chmod 600 it");
  }
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1024));
  std::string_view hex = text;
  hex = TrimLineBreaks(hex);
  Bytes raw;
  bool ok = hex.size() == 2 * crypto::kAeadKeyBytes && HexDecode(hex, &raw);
  SecureWipe(text.data(), text.size());
  if (!ok) return InvalidArgumentError("totp_key_file " + path + ": expected 64 hex digits (32 bytes)");
  SecretBytes key(raw);
  SecureWipe(raw.data(), raw.size());
  return key;
}

Status CreateTotpKey(const std::string& path) {
  SecretBytes key(crypto::kAeadKeyBytes);
  crypto::SystemRng::Get().Fill(key.mutable_span());
  std::string hex = HexEncode(key.span()) + "\n";
  AtomicWriteOptions opts;
  opts.mode = 0600;
  opts.no_replace = true;
  Status s = WriteFileAtomic(path, hex, opts);
  SecureWipe(hex.data(), hex.size());
  return s;
}

int Init(const Config& config) {
  if (access(config.signing_key.c_str(), F_OK) == 0) {
    return Fail(AlreadyExistsError(config.signing_key + ": exists; the center is already initialised"));
  }
  auto store = store::OpenStore(config.store);
  if (!store.ok()) return Fail(store.status());
  auto key = formats::PrivateKey::Generate(formats::KeyType::kEd25519, 0, crypto::SystemRng::Get());
  if (!key.ok()) return Fail(key.status());
  auto text = formats::WriteOpensshPrivateKey(*key, "keyward-center", {}, {}, crypto::SystemRng::Get());
  if (!text.ok()) return Fail(text.status());
  AtomicWriteOptions opts;
  opts.mode = 0600;
  opts.no_replace = true;
  if (Status s = WriteFileAtomic(config.signing_key, *text, opts); !s.ok()) return Fail(s);
  std::string pub = formats::FormatPublicKey(key->public_key(), "keyward-center") + "\n";
  opts.mode = 0644;
  opts.no_replace = false;
  if (Status s = WriteFileAtomic(config.signing_key + ".pub", pub, opts); !s.ok()) return Fail(s);
  // The TOTP sealing key, unless the operator brought one.
  if (access(config.totp_key_file.c_str(), F_OK) != 0) {
    if (Status s = CreateTotpKey(config.totp_key_file); !s.ok()) return Fail(s);
  }
  auto signer = formats::KeySigner::Create(*key);
  if (!signer.ok()) return Fail(signer.status());
  Center center(store->get(), config.policy, SystemClock::Get(), crypto::SystemRng::Get(), std::move(*signer));
  auto token = center.IssueAdminToken({"system", ""}, "admin");
  if (!token.ok()) return Fail(token.status());
  std::string fingerprint = formats::Fingerprint(center.signing_key());
  std::printf("store:        %s\nsigning key:  %s (public: %s.pub)\n              %s (keyward-agent enroll "
              "--signing-key-fingerprint)\ntotp key:     %s\nadmin token:  %s\n",
              config.store.c_str(), config.signing_key.c_str(), config.signing_key.c_str(), fingerprint.c_str(),
              config.totp_key_file.c_str(), token->c_str());
  std::fprintf(stderr, "keywardd: the admin token is shown only now; keep it (KEYWARD_TOKEN)\n");
  return 0;
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Run(const Config& config) {
  // glibc gives free memory at the top of each thread's arena back to the
  // kernel (madvise) once it passes 128 KiB, and takes it again on the next
  // request: with requests allocated on server threads and freed on the
  // TOTP worker, that churn (page faults, TLB shootdowns) cost more than
  // half the verify endpoint's throughput (bench/totp_center.sh: 5,000/s
  // -> 15,000/s on SQLite). Keep up to 64 MiB per arena instead.
  (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
  // Each held long poll is a socket: allow as many as the hard limit.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &files);
  }
  if (config.tls_cert.empty() && !IsLoopback(config.listen_address) && !config.allow_plain_http) {
    return Fail(FailedPreconditionError("refusing plain HTTP on " + config.listen_address +
                                        ": give tls_cert and tls_key, or set allow_plain_http = yes"));
  }
  auto store = store::OpenStore(config.store);
  if (!store.ok()) return Fail(store.status());
  auto signer = LoadSigner(config.signing_key);
  if (!signer.ok()) return Fail(signer.status());
  Center center(store->get(), config.policy, SystemClock::Get(), crypto::SystemRng::Get(), std::move(*signer));
  center.set_caching(config.cache);
  if (auto key = LoadTotpKey(config.totp_key_file); key.ok()) {
    center.ConfigureTotp(std::move(*key), config.totp);
  } else if (key.status().code() == StatusCode::kNotFound) {
    std::fprintf(stderr, "keywardd: %s: no TOTP key; TOTP enrolment and verification are off\n",
                 config.totp_key_file.c_str());
  } else {
    return Fail(key.status());
  }
  if (Status s = center.RefreshRevision(); !s.ok()) return Fail(s);
  net::Metrics metrics;
  ApiOptions api_options;
  api_options.max_wait_seconds = config.max_wait;
  Api api(&center, &metrics, api_options);
  if (Status s = (*store)->WatchRevisions([&center](int64_t rev) { center.NoteRevision(rev); }); !s.ok()) {
    return Fail(s);
  }
  net::ServerOptions so;
  so.address = config.listen_address;
  so.port = config.listen_port;
  so.threads = config.threads;
  so.max_body = config.max_body;
  so.tls_cert_file = config.tls_cert;
  so.tls_key_file = config.tls_key;
  auto server = net::HttpServer::Start(so, &api, &metrics);
  if (!server.ok()) return Fail(server.status());
  std::fprintf(stderr, "keywardd: serving %s://%s:%u on store %s (revision %lld)\n",
               config.tls_cert.empty() ? "http" : "https", config.listen_address.c_str(), (*server)->port(),
               (*store)->Backend().data(), static_cast<long long>(center.revision()));

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // The sweeper: expiry and ended grants, and catching up with the store's
  // revision (a missed notification costs at most one interval).
  std::string last_error;
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(config.sweep_interval_ms));
    Status s = center.Sweep().status();
    if (s.ok()) s = center.FlushReports();
    if (s.ok()) s = center.RefreshRevision();
    if (!s.ok() && s.message() != last_error) {
      std::fprintf(stderr, "keywardd: sweep: %s\n", s.message().c_str());
    }
    last_error = s.ok() ? "" : s.message();
  }
  std::fprintf(stderr, "keywardd: stopping\n");
  (*server)->Stop();
  if (Status s = center.FlushReports(); !s.ok()) {
    std::fprintf(stderr, "keywardd: reports not written: %s\n", s.message().c_str());
  }
  return 0;
}

int Main(int argc, char** argv) {
  std::string command = "run";
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if ((a == "init" || a == "run") && i == 1) {
      command = a;
    } else if (a == "--help" || a == "-h") {
      std::printf("usage: keywardd [init|run] --config FILE\n");
      return 0;
    } else {
      std::fprintf(stderr, "keywardd: unknown argument \"%s\"\nusage: keywardd [init|run] --config FILE\n", a.c_str());
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "keywardd: --config FILE is required\n");
    return 2;
  }
  auto config = LoadConfig(config_path);
  if (!config.ok()) return Fail(config.status());
  return command == "init" ? Init(*config) : Run(*config);
}

}  // namespace
}  // namespace kw::center

int main(int argc, char** argv) { return kw::center::Main(argc, argv); }
