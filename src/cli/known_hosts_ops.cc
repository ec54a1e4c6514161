#include "cli/known_hosts_ops.h"

#include <fcntl.h>
#include <malloc.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <mutex>
#include <cstring>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "base/file.h"
#include "cli/output.h"
#include "crypto/hmac_sha1.h"
#include "crypto/random.h"
#include "formats/fingerprint.h"
#include "formats/key_read.h"
#include "formats/known_hosts.h"

namespace kw::cli {

using formats::HostLine;
using formats::HostMarker;

std::string DefaultKnownHostsPath() {
  const struct passwd* pw = ::getpwuid(::getuid());
  std::string home = pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "";
  if (home.empty()) {
    const char* h = std::getenv("HOME");
    home = h ? h : "";
  }
  if (!home.empty() && home.back() == '/') home.pop_back();
  return home + "/.ssh/known_hosts";
}

StatusOr<LoadedKeyFile> ReadKeyFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(0, buf, sizeof buf)) > 0) {
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > (size_t{1} << 24)) return InvalidArgumentError("standard input: too large for a key");
    }
  } else {
    KW_ASSIGN_OR_RETURN(text, ReadFile(path, size_t{1} << 24));
  }
  formats::LineCursor cursor(text);
  std::string_view l;
  bool nl;
  size_t n;
  Status first_error;
  while (cursor.Next(&l, &nl, &n)) {
    l = l.substr(0, l.find('\0'));
    size_t start = l.find_first_not_of(" \t");
    if (start == std::string_view::npos || l[start] == '#') continue;
    l = l.substr(start);
    StatusOr<formats::ParsedKeyOrCertText> k = formats::ReadKeyOrCertText(l);
    if (!k.ok()) {
      // Maybe behind options or a host field: skip it (quotes may hold blanks).
      bool quoted = false;
      size_t i = 0;
      for (; i < l.size() && (quoted || (l[i] != ' ' && l[i] != '\t')); ++i) {
        if (l[i] == '\\' && i + 1 < l.size() && l[i + 1] == '"') {
          ++i;
        } else if (l[i] == '"') {
          quoted = !quoted;
        }
      }
      std::string_view after = l.substr(std::min(l.size(), l.find_first_not_of(" \t", i)));
      StatusOr<formats::ParsedKeyOrCertText> k2 = formats::ReadKeyOrCertText(after);
      if (!k2.ok()) {
        if (first_error.ok()) first_error = k.status();
        continue;
      }
      k = std::move(k2);
    }
    std::string_view c = k->rest.substr(0, k->rest.find_first_of("\r\n"));
    return LoadedKeyFile{std::move(k->key), std::string(c)};
  }
  std::string why = first_error.ok() ? "" : " (" + first_error.message() + ")";
  return InvalidArgumentError(path + ": no public key found" + why);
}

std::string LogVis(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char ch : message) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if ((c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\n' || c == '\b' || c == '\a' ||
               c == '\r') {
      out += ch;
    } else {
      char buf[5] = {'\\', static_cast<char>('0' + ((c >> 6) & 7)), static_cast<char>('0' + ((c >> 3) & 7)),
                     static_cast<char>('0' + (c & 7)), 0};
      out += buf;
    }
  }
  return out;
}

namespace {

// A piece of the file that starts at a line boundary.
struct Chunk {
  std::string_view text;
};

// Splits text into `parts` pieces at line boundaries (fewer for small text).
std::vector<Chunk> SplitLines(std::string_view text, size_t parts) {
  std::vector<Chunk> out;
  size_t start = 0;
  for (size_t p = 1; p < parts; ++p) {
    size_t target = text.size() * p / parts;
    if (target <= start) continue;
    size_t nl = text.find('\n', target);
    if (nl == std::string_view::npos) break;
    out.push_back({text.substr(start, nl + 1 - start)});
    start = nl + 1;
  }
  if (start < text.size() || out.empty()) out.push_back({text.substr(start)});
  return out;
}

size_t CountLines(std::string_view piece) {
  size_t n = static_cast<size_t>(std::count(piece.begin(), piece.end(), '\n'));
  return n + (!piece.empty() && piece.back() != '\n' ? 1 : 0);
}

// Line numbers of a piece's result, made absolute.
void Offset(std::vector<formats::FoundHostLine>& r, size_t off) {
  for (auto& f : r) f.line.number += off;
}
void Offset(formats::HashOutcome& r, size_t off) {
  for (auto& n : r.invalid_lines) n += off;
  for (auto& w : r.wildcard_lines) w.first += off;
}
void Offset(formats::RemovePlan& r, size_t off) {
  for (auto& n : r.removed_lines) n += off;
  for (auto& n : r.invalid_lines) n += off;
}

// Runs fn(piece, hmac) over the pieces (numbering each piece's lines from
// 1), the first on this thread and the rest on their own; counts each
// piece's lines on the same thread; returns the results in order with
// absolute line numbers, starting after `*lines_before` (advanced).
template <typename R>
std::vector<R> RunChunks(const std::vector<Chunk>& chunks, const std::function<R(const Chunk&, crypto::HmacSha1&)>& fn,
                         size_t* lines_before = nullptr) {
  std::vector<R> results(chunks.size());
  std::vector<size_t> counts(chunks.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < chunks.size(); ++i) {
    threads.emplace_back([&, i] {
      crypto::HmacSha1 hmac;
      results[i] = fn(chunks[i], hmac);
      counts[i] = CountLines(chunks[i].text);
    });
  }
  crypto::HmacSha1 hmac;
  if (!chunks.empty()) {
    results[0] = fn(chunks[0], hmac);
    counts[0] = CountLines(chunks[0].text);
  }
  for (std::thread& t : threads) t.join();
  size_t base = lines_before ? *lines_before : 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    Offset(results[i], base);
    base += counts[i];
  }
  if (lines_before) *lines_before = base;
  return results;
}

// A message for stderr, ordered by the line that caused it.
struct LogEntry {
  size_t line;
  int order;  // within a line: the verbose marker note comes first
  std::string text;
};

std::string MarkerSuffix(HostMarker m) {
  switch (m) {
    case HostMarker::kCertAuthority: return "CA";
    case HostMarker::kRevoked: return "REVOKED";
    case HostMarker::kNone: break;
  }
  return "";
}

// The input file, mapped (large files are not copied) or read.
class InputFile {
 public:
  ~InputFile() {
    if (map_ != nullptr) ::munmap(map_, size_);
  }
  Status Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(path, errno);
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      size_ = static_cast<size_t>(st.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      ::close(fd);
      if (p == MAP_FAILED) return ErrnoStatus(path, errno);
      map_ = p;
      text_ = std::string_view(static_cast<const char*>(p), size_);
      return OkStatus();
    }
    ::close(fd);
    KW_ASSIGN_OR_RETURN(copy_, ReadFile(path));
    text_ = copy_;
    return OkStatus();
  }
  std::string_view text() const { return text_; }

 private:
  void* map_ = nullptr;
  size_t size_ = 0;
  std::string copy_;
  std::string_view text_;
};

// A new file written beside `path` and renamed over it: a temporary file
// in the same directory ("PATH.XXXXXXXXXX", as ssh-keygen names it),
// written as the output is produced, given its mode, fsynced, renamed,
// and the directory fsynced. Removed again unless renamed.
class AtomicFile {
 public:
  ~AtomicFile() { Abort(); }
  Status Create(const std::string& path) {
    path_ = path;
    tmp_ = path + ".XXXXXXXXXX";
    fd_ = ::mkstemp(tmp_.data());
    if (fd_ < 0) return Status(StatusCode::kPermissionDenied, std::string("mkstemp: ") + std::strerror(errno));
    return OkStatus();
  }
  // Writes the pieces in order, many per system call (writev).
  Status WritePieces(const std::vector<std::string_view>& pieces) {
    std::vector<struct iovec> iov;
    size_t i = 0;
    while (i < pieces.size()) {
      iov.clear();
      for (; i < pieces.size() && iov.size() < 512; ++i) {
        if (pieces[i].empty()) continue;
        iov.push_back({const_cast<char*>(pieces[i].data()), pieces[i].size()});
      }
      size_t k = 0;
      while (k < iov.size()) {
        ssize_t n = ::writev(fd_, iov.data() + k, static_cast<int>(std::min<size_t>(iov.size() - k, IOV_MAX)));
        if (n < 0) {
          if (errno == EINTR) continue;
          return ErrnoStatus(tmp_, errno);
        }
        size_t left = static_cast<size_t>(n);
        while (k < iov.size() && left >= iov[k].iov_len) left -= iov[k++].iov_len;
        if (left > 0) {
          iov[k].iov_base = static_cast<char*>(iov[k].iov_base) + left;
          iov[k].iov_len -= left;
        }
      }
    }
    return OkStatus();
  }
  Status Write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(tmp_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return OkStatus();
  }
  // Mode and data on disk; then RenameOver().
  Status Finish(mode_t mode) {
    if (::fchmod(fd_, mode) != 0 || ::fsync(fd_) != 0) return ErrnoStatus(tmp_, errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus(tmp_, errno);
    return OkStatus();
  }
  Status RenameOver() {
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) return ErrnoStatus(tmp_, errno);
    tmp_.clear();
    std::string dir = path_.find('/') == std::string::npos ? "." : path_.substr(0, path_.rfind('/') + 1);
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
    return OkStatus();
  }
  void Abort() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    tmp_.clear();
  }
  bool open() const { return fd_ >= 0; }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
};

// Pieces of about this size are processed two at a time and written out as
// they are done, so a large file never needs a second copy in memory.
constexpr size_t kPieceSize = size_t{4} << 20;

class Runner {
 public:
  Runner(const Io& io, const KnownHostsOptions& o, std::string path) : io_(io), o_(o), path_(std::move(path)) {}

  int Run() {
    struct stat sb;
    if (::stat(path_.c_str(), &sb) != 0) return io_.Fatal("Cannot stat " + path_ + ": " + std::strerror(errno));
    inplace_ = !o_.find && (o_.hash || o_.remove);
    if (inplace_) {
      Status st = out_file_.Create(path_);
      if (!st.ok()) return io_.Fatal(st.message());
    }
    Status st = input_.Open(path_);
    if (!st.ok()) return io_.Fatal("do_known_hosts: hostkeys_foreach: " + st.message());
    text_ = input_.text();

    if (o_.verbose) CollectMarkerNotes();
    if (o_.find && !o_.remove && !o_.hash) {
      DoFind();
    } else if (o_.find && o_.hash && !o_.remove) {
      DoFindHash();
    } else if (!o_.find && o_.hash && !o_.remove) {
      st = DoHash();
    } else if (!o_.find && o_.remove && !o_.hash) {
      st = DoRemove();
    } else {
      DoGenericWalk();
    }
    if (!st.ok()) return io_.Fatal(st.message());
    return Finish(sb);
  }

 private:
  void Log(size_t line, std::string text, int order = 1) { log_.push_back({line, order, std::move(text)}); }

  void CollectMarkerNotes() {
    formats::LineCursor cursor(text_);
    std::string_view l;
    bool nl;
    size_t n;
    while (cursor.Next(&l, &nl, &n)) {
      if (l.find('@') == std::string_view::npos) continue;
      HostLine line = formats::ParseHostLine(l, n, nl);
      if (line.error == formats::HostLineError::kBadMarker) {
        Log(n, "hostkeys_foreach_file: invalid marker at " + path_ + ":" + std::to_string(n), 0);
      }
    }
  }

  void FoundComment(const HostLine& line, bool with_marker) {
    if (o_.quiet) return;
    stdout_ += "# Host " + o_.name + " found: line " + std::to_string(line.number);
    if (with_marker) stdout_ += " " + MarkerSuffix(line.marker);
    stdout_ += '\n';
  }

  void PrintFingerprint(const formats::FoundHostLine& f) {
    const formats::PublicKey& key = f.key->key.plain();
    std::string fp = o_.bubblebabble ? formats::BubbleBabble(key) : formats::Fingerprint(key, o_.fingerprint_hash);
    std::string_view comment = f.key->rest;
    std::string line = o_.name + " " + std::string(f.key->key.short_name()) + " " + fp +
                       (comment.empty() ? "" : " ") + std::string(comment) + "\n";
    stdout_ += SafeText(line);
    if (o_.verbose) {
      Bytes digest = crypto::Digest(o_.fingerprint_hash, key.blob());
      stdout_ += formats::Randomart(digest, o_.fingerprint_hash, f.key->key.short_name(), key.bits()) + "\n";
    }
  }

  size_t Parts() const { return o_.parallel && text_.size() > (size_t{1} << 20) ? 2 : 1; }

  void DoFind() {
    using Found = std::vector<formats::FoundHostLine>;
    std::string name = o_.name;
    bool parse = o_.print_fingerprint;
    std::vector<Found> results =
        RunChunks<Found>(SplitLines(text_, Parts()), [&](const Chunk& c, crypto::HmacSha1& hmac) {
          return formats::FindHost(c.text, name, parse, hmac, 1);
        });
    for (const Found& r : results) {
      for (const formats::FoundHostLine& f : r) {
        found_ = true;
        FoundComment(f.line, true);
        if (o_.print_fingerprint) {
          PrintFingerprint(f);
        } else {
          stdout_ += f.line.c_text;
          stdout_ += '\n';
        }
      }
    }
  }

  void DoFindHash() {
    crypto::HmacSha1 hmac;
    std::vector<formats::FoundHostLine> found = formats::FindHost(text_, o_.name, false, hmac);
    for (const formats::FoundHostLine& f : found) {
      found_ = true;
      FoundComment(f.line, true);
      bool hashed = false;
      stdout_ += formats::HashHostLine(f.line, crypto::SystemRng::Get(), hmac, &hashed);
      has_unhashed_ |= hashed;
    }
  }

  formats::KeepStyle Style() const {
    return io_.style == Style::kSshKeygen ? formats::KeepStyle::kOpenSsh : formats::KeepStyle::kVerbatim;
  }

  // Runs fn over pieces of the file on up to two worker threads while this
  // thread hands each result, in file order and with absolute line
  // numbers, to sink (which writes it out). Workers stay at most a few
  // pieces ahead of the sink, so memory stays bounded.
  template <typename R>
  Status Pieces(const std::function<R(const Chunk&, crypto::HmacSha1&)>& fn, const std::function<Status(R&)>& sink) {
    size_t parts = std::max<size_t>(1, text_.size() / kPieceSize);
    std::vector<Chunk> pieces = SplitLines(text_, parts);
    struct Slot {
      R result;
      size_t lines = 0;
      bool ready = false;
    };
    std::vector<Slot> slots(pieces.size());
    std::mutex mu;
    std::condition_variable cv;
    size_t next = 0, consumed = 0;
    bool stop = false;
    constexpr size_t kAhead = 4;
    auto worker = [&] {
      crypto::HmacSha1 hmac;
      for (;;) {
        size_t i;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return stop || next >= pieces.size() || next < consumed + kAhead; });
          if (stop || next >= pieces.size()) return;
          i = next++;
        }
        R r = fn(pieces[i], hmac);
        size_t lines = CountLines(pieces[i].text);
        std::lock_guard<std::mutex> lock(mu);
        slots[i].result = std::move(r);
        slots[i].lines = lines;
        slots[i].ready = true;
        cv.notify_all();
      }
    };
    std::vector<std::thread> threads;
    for (size_t t = 0; t < Parts(); ++t) threads.emplace_back(worker);
    Status status;
    size_t base = 0;
    for (size_t i = 0; i < pieces.size() && status.ok(); ++i) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return slots[i].ready; });
      }
      Offset(slots[i].result, base);
      base += slots[i].lines;
      status = sink(slots[i].result);
      slots[i].result = R{};
      std::lock_guard<std::mutex> lock(mu);
      consumed = i + 1;
      cv.notify_all();
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
      cv.notify_all();
    }
    for (std::thread& t : threads) t.join();
    return status;
  }

  Status DoHash() {
    formats::KeepStyle style = Style();
    // Output buffers go round: a freed piece's buffer holds the next one
    // (fresh memory would fault in page by page each time).
    std::vector<std::string> pool;
    std::mutex pool_mu;
    return Pieces<formats::HashOutcome>(
        [&](const Chunk& c, crypto::HmacSha1& hmac) {
          formats::HashOutcome out;
          {
            std::lock_guard<std::mutex> lock(pool_mu);
            if (!pool.empty()) {
              out.output = std::move(pool.back());
              pool.pop_back();
            }
          }
          formats::HashKnownHostsInto(c.text, crypto::SystemRng::Get(), hmac, style, 1, &out);
          return out;
        },
        [&](formats::HashOutcome& r) -> Status {
          for (size_t n : r.invalid_lines) {
            invalid_ = true;
            Log(n, path_ + ":" + std::to_string(n) + ": invalid line");
          }
          for (const auto& [n, hosts] : r.wildcard_lines) {
            Log(n, path_ + ":" + std::to_string(n) + ": ignoring host name with wildcard: " + hosts.substr(0, 64));
          }
          has_unhashed_ |= r.hashed_any;
          Status st = invalid_ ? OkStatus() : out_file_.Write(r.output);  // nothing is written once invalid
          std::lock_guard<std::mutex> lock(pool_mu);
          pool.push_back(std::move(r.output));
          return st;
        });
  }

  Status DoRemove() {
    formats::KeepStyle style = Style();
    std::string name = o_.name;
    // The kept lines are written straight from the mapped file.
    return Pieces<formats::RemovePlan>(
        [&](const Chunk& c, crypto::HmacSha1& hmac) {
          return formats::PlanRemoveHost(c.text, name, hmac, style, 1);
        },
        [&](formats::RemovePlan& r) -> Status {
          for (size_t n : r.removed_lines) {
            found_ = true;
            if (!o_.quiet) stdout_ += "# Host " + o_.name + " found: line " + std::to_string(n) + "\n";
          }
          for (size_t n : r.invalid_lines) {
            invalid_ = true;
            Log(n, path_ + ":" + std::to_string(n) + ": invalid line");
          }
          if (invalid_) return OkStatus();
          return out_file_.WritePieces(r.output);
        });
  }

  // The rare combinations (-F with -R, -R with -H): hostkeys_foreach with
  // ssh-keygen's callbacks, line by line.
  void DoGenericWalk() {
    crypto::HmacSha1 hmac;
    formats::WalkOptions wo;
    if (o_.find || o_.remove) wo.host = o_.name;
    wo.want_match = o_.find;
    wo.parse_key = o_.print_fingerprint;
    bool use_find_delete = o_.find || !o_.hash;
    std::string& out = inplace_ ? file_out_ : stdout_;
    formats::LineCursor cursor(text_);
    std::string_view l;
    bool nl;
    size_t n;
    formats::WalkLine w;
    while (cursor.Next(&l, &nl, &n)) {
      HostLine line = formats::ParseHostLine(l, n, nl);
      if (!formats::WalkHostLine(line, wo, hmac, &w)) continue;
      if (use_find_delete) {
        if (w.status == formats::WalkStatus::kMatched) {
          if (o_.remove) {
            if (line.marker != HostMarker::kNone) {
              out += line.c_text;
              out += '\n';
            } else {
              found_ = true;
              if (!o_.quiet) stdout_ += "# Host " + o_.name + " found: line " + std::to_string(n) + "\n";
            }
          } else if (o_.find) {
            found_ = true;
            FoundComment(line, true);
            out += line.c_text;
            out += '\n';
          }
        } else if (o_.remove) {
          if (w.status == formats::WalkStatus::kInvalid) {
            invalid_ = true;
            Log(n, path_ + ":" + std::to_string(n) + ": invalid line");
          }
          out += line.c_text;
          out += '\n';
        }
        continue;
      }
      // known_hosts_hash
      switch (w.status) {
        case formats::WalkStatus::kOk:
        case formats::WalkStatus::kMatched: {
          bool hashed = false;
          out += formats::HashHostLine(line, crypto::SystemRng::Get(), hmac, &hashed);
          has_unhashed_ |= hashed;
          if (line.has_wildcard() && !o_.find) {
            Log(n, path_ + ":" + std::to_string(n) + ": ignoring host name with wildcard: " +
                       std::string(line.hosts.substr(0, 64)));
          }
          break;
        }
        case formats::WalkStatus::kInvalid:
          invalid_ = true;
          Log(n, path_ + ":" + std::to_string(n) + ": invalid line");
          [[fallthrough]];
        case formats::WalkStatus::kComment:
          out += line.c_text;
          out += '\n';
          break;
      }
    }
    if (inplace_ && !invalid_) {
      Status st = out_file_.Write(file_out_);
      if (!st.ok()) io_.Error(st.message());
    }
  }

  void FlushLog() {
    std::stable_sort(log_.begin(), log_.end(), [](const LogEntry& a, const LogEntry& b) {
      return a.line != b.line ? a.line < b.line : a.order < b.order;
    });
    for (const LogEntry& e : log_) Message(e.text);
    log_.clear();
  }

  void Message(const std::string& text) const {
    if (io_.style == Style::kSshKeygen) {
      Err(LogVis(text) + "\r\n");
    } else {
      io_.Error(text);
    }
  }

  int Finish(const struct stat& sb) {
    FlushLog();
    if (!stdout_.empty()) Out(stdout_);
    stdout_.clear();
    if (invalid_) {
      Message(path_ + " is not a valid known_hosts file.");
      if (inplace_) Message("Not replacing existing known_hosts file because of errors");
      out_file_.Abort();
      return 1;
    }
    if (o_.remove && !found_) {
      Message("Host " + o_.name + " not found in " + path_);
      out_file_.Abort();
    } else if (inplace_) {
      mode_t mode = o_.keep_mode ? (sb.st_mode & 07777) : (sb.st_mode & 0644);
      Status st = out_file_.Finish(mode);
      if (!st.ok()) return io_.Fatal(st.message());
      std::string old = path_ + ".old";
      if (::unlink(old.c_str()) == -1 && errno != ENOENT) {
        return io_.Fatal("unlink " + old.substr(0, 100) + ": " + std::strerror(errno));
      }
      if (::link(path_.c_str(), old.c_str()) == -1) {
        return io_.Fatal("link " + path_.substr(0, 100) + " to " + old.substr(0, 100) + ": " + std::strerror(errno));
      }
      st = out_file_.RenameOver();
      if (!st.ok()) {
        Message("rename\"" + path_ + ".XXXXXXXXXX\" to \"" + path_ + "\": " + st.message());
        ::unlink(old.c_str());
        return 1;
      }
      if (o_.keep_mode && (sb.st_uid != ::geteuid() || sb.st_gid != ::getegid())) {
        // Keep the owner too when we may (root editing a user's file).
        (void)::chown(path_.c_str(), sb.st_uid, sb.st_gid);
      }
      Out(path_ + " updated.\n");
      Out("Original contents retained as " + old + "\n");
      if (has_unhashed_) {
        Message("WARNING: " + old + " contains unhashed entries");
        Message("Delete this file to ensure privacy of hostnames");
      }
    }
    return (o_.find && !found_) ? 1 : 0;
  }

  const Io& io_;
  const KnownHostsOptions& o_;
  std::string path_;
  InputFile input_;
  std::string_view text_;
  AtomicFile out_file_;
  bool inplace_ = false;
  bool found_ = false;
  bool invalid_ = false;
  bool has_unhashed_ = false;
  std::string stdout_;
  std::string file_out_;
  std::vector<LogEntry> log_;
};

}  // namespace

int RunKnownHosts(const Io& io, const KnownHostsOptions& options) {
  // Pieces of output (a few MB each) come and go: keep them in the heap,
  // where freed memory is reused, rather than in fresh mappings that fault
  // in page by page every time.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts on 64-bit
  ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::string path = options.file ? *options.file : DefaultKnownHostsPath();
  Runner r(io, options, path);
  return r.Run();
}

}  // namespace kw::cli
