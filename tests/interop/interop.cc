#include "interop/interop.h"

#include <cctype>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "wire/base64.h"
#include "wire/reader.h"

namespace kw::interop {
namespace {

std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.emplace_back(s.substr(start));  // last line without '\n' (shown without '$')
      break;
    }
    lines.emplace_back(std::string(s.substr(start, nl - start)) + "\n");
    start = nl + 1;
  }
  return lines;
}

std::string Indent(const std::string& text, const std::string& prefix) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size() - 1;
    out += prefix + text.substr(start, nl - start + 1);
    start = nl + 1;
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

std::string Describe(const Invocation& inv) {
  std::string s = "$ " + test::ShellQuote(inv.argv);
  if (!inv.stdin_data.empty()) s += "  < stdin(" + std::to_string(inv.stdin_data.size()) + " bytes)";
  if (inv.locale != "C.UTF-8") s += "  [LC_ALL=" + inv.locale + "]";
  return s;
}

}  // namespace


std::string LineDiff(std::string_view expected, std::string_view got) {
  if (expected == got) return "";
  std::vector<std::string> a = SplitLines(expected), b = SplitLines(got);
  std::string out;
  auto line = [&](char mark, const std::string& l) {
    std::string v = Visible(l, 600);
    if (!v.empty() && v.back() == '\n') v.pop_back();
    out += mark;
    out += v;
    out += '\n';
  };
  if (a.size() > 3000 || b.size() > 3000) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    out += "first difference at line " + std::to_string(i + 1) + "\n";
    if (i < a.size()) line('-', a[i]);
    if (i < b.size()) line('+', b[i]);
    return out;
  }
  // Longest common subsequence over lines; fine for tool-sized outputs.
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<uint16_t>> lcs(n + 1, std::vector<uint16_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? static_cast<uint16_t>(lcs[i + 1][j + 1] + 1) : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  size_t i = 0, j = 0;
  int shown = 0;
  while ((i < n || j < m) && shown < 200) {
    if (i < n && j < m && a[i] == b[j]) {
      line(' ', a[i]);
      ++i, ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      line('+', b[j++]);
      ++shown;
    } else {
      line('-', a[i++]);
      ++shown;
    }
  }
  if (i < n || j < m) out += "... (diff truncated)\n";
  return out;
}

StatusOr<std::string> KeywardPath() {
  const char* build = std::getenv("KW_BUILD_DIR");
  if (build == nullptr || *build == '\0')
    return NotFoundError("KW_BUILD_DIR is not set (run the interop tests through ctest, or export "
                         "KW_BUILD_DIR=<build dir>)");
  std::string path = std::string(build) + "/bin/keyward";
  if (::access(path.c_str(), X_OK) != 0)
    return NotFoundError("keyward binary not found at " + path + " (build the `keyward` target first)");
  return path;
}

StatusOr<std::string> SshKeygenPath() {
  static const StatusOr<std::string> path = test::FindProgram("ssh-keygen");
  return path;
}

void ToolsEnvironment::SetUp() {
  StatusOr<std::string> keygen = SshKeygenPath();
  ASSERT_TRUE(keygen.ok()) << "the interop tests need OpenSSH's ssh-keygen: " << keygen.status().ToString();
  StatusOr<SubprocessResult> version = test::RunSubprocess({"ssh", "-V"});
  if (version.ok()) std::fprintf(stderr, "[interop] judge: %s", version->err.c_str());
  if (need_keyward_) {
    StatusOr<std::string> kw = KeywardPath();
    ASSERT_TRUE(kw.ok()) << kw.status().message();
    std::fprintf(stderr, "[interop] keyward: %s\n", kw->c_str());
  }
}

Invocation Inv(std::vector<std::string> argv, std::string cwd) {
  Invocation i;
  i.argv = std::move(argv);
  i.cwd = std::move(cwd);
  return i;
}

std::string GtestName(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

SubprocessResult RunTool(const Invocation& inv) {
  SubprocessResult failed;
  if (inv.argv.empty()) {
    failed.err = "empty argv";
    return failed;
  }
  std::vector<std::string> argv = inv.argv;
  if (argv[0] == "keyward" || argv[0] == "ssh-keygen") {
    StatusOr<std::string> path = argv[0] == "keyward" ? KeywardPath() : SshKeygenPath();
    if (!path.ok()) {
      failed.err = path.status().message();
      return failed;
    }
    argv[0] = *path;
  }
  test::SubprocessOptions o;
  o.stdin_data = inv.stdin_data;
  o.cwd = inv.cwd;
  o.timeout = std::chrono::seconds(inv.timeout_seconds);
  o.env = {{"LC_ALL", inv.locale},   {"TZ", "UTC"},      {"SSH_AUTH_SOCK", std::nullopt},
           {"SSH_ASKPASS", std::nullopt}, {"DISPLAY", std::nullopt}};
  StatusOr<SubprocessResult> r = test::RunSubprocess(argv, o);
  if (!r.ok()) {
    failed.err = "could not start: " + r.status().ToString();
    return failed;
  }
  return *r;
}

std::string RunToolOk(const Invocation& inv) {
  SubprocessResult r = RunTool(inv);
  if (!r.ExitedWith(0)) {
    ADD_FAILURE() << Describe(inv) << (inv.cwd.empty() ? "" : "  (cwd " + inv.cwd + ")") << "\n"
                  << r.Describe();
  }
  return r.out;
}

::testing::AssertionResult SameResult(const std::string& what, const Invocation& oracle_inv,
                                      const SubprocessResult& oracle, const Invocation& keyward_inv,
                                      const SubprocessResult& keyward, StderrMatch match) {
  std::string problems;
  // keyward's own commands exit 1 on a fatal error where ssh-keygen's
  // fatal() exits 255 (README); `keyward ssh-keygen` (kExact) must match
  // exactly.
  bool native_fatal = match != StderrMatch::kExact && oracle.ExitedWith(255) && keyward.ExitedWith(1);
  if (oracle.DescribeStatus() != keyward.DescribeStatus() && !native_fatal) {
    problems += "exit status: ssh-keygen " + oracle.DescribeStatus() + ", keyward " + keyward.DescribeStatus() + "\n";
  }
  if (oracle.out != keyward.out) {
    problems += "stdout differs (-ssh-keygen +keyward):\n" + Indent(LineDiff(oracle.out, keyward.out), "    ");
  }
  bool err_ok = true;
  // Outside the exact mode, ssh-keygen's debug output (-v raises the log
  // level to DEBUG1) is diagnostics, not part of what is compared.
  std::string oracle_err;
  for (const std::string& l : SplitLines(oracle.err))
    if (match == StderrMatch::kExact || l.rfind("debug", 0) != 0) oracle_err += l;
  switch (match) {
    case StderrMatch::kExact:
      err_ok = oracle.err == keyward.err;
      break;
    case StderrMatch::kEmptyIffEmpty:
      err_ok = oracle_err.empty() == keyward.err.empty();
      break;
    case StderrMatch::kContains:
      for (const std::string& l : SplitLines(oracle_err)) {
        std::string t = l;
        if (!t.empty() && t.back() == '\n') t.pop_back();
        // OpenSSH's log functions end lines with "\r\n"; the wording is what counts here.
        if (!t.empty() && t.back() == '\r') t.pop_back();
        // The program name prefix of fatal() messages is not part of the text.
        if (t.rfind("ssh-keygen: ", 0) == 0) t.erase(0, 12);
        if (keyward.err.find(t) == std::string::npos) err_ok = false;
      }
      if (oracle_err.empty() && !keyward.err.empty()) err_ok = false;
      break;
    case StderrMatch::kIgnore:
      break;
  }
  if (!err_ok) {
    static const char* const kModes[] = {"exactly", "empty iff empty", "contains each line", "ignored"};
    problems += std::string("stderr differs (compared ") + kModes[static_cast<int>(match)] +
                ", -ssh-keygen +keyward):\n" + Indent(LineDiff(oracle.err, keyward.err), "    ");
  }
  if (problems.empty()) return ::testing::AssertionSuccess();
  std::string cwd = oracle_inv.cwd.empty() ? "" : "  (cwd " + oracle_inv.cwd + ")";
  return ::testing::AssertionFailure()
         << "keyward differs from ssh-keygen: " << what << "\n"
         << "  ssh-keygen: " << Describe(oracle_inv) << cwd << "\n"
         << "  keyward:    " << Describe(keyward_inv) << "\n"
         << problems;
}

::testing::AssertionResult SameAsOracle(const Invocation& oracle, const Invocation& keyward, StderrMatch match) {
  SubprocessResult want = RunTool(oracle);
  SubprocessResult got = RunTool(keyward);
  std::string what = test::ShellQuote(keyward.argv);
  return SameResult(what, oracle, want, keyward, got, match);
}

bool MismatchBudget::Check(const ::testing::AssertionResult& r, const char* file, int line) {
  ++checks_;
  if (r) return true;
  ++failures_;
  if (failures_ <= detailed_) {
    ADD_FAILURE_AT(file, line) << r.message();
  } else {
    // One line per further mismatch: the command and what differs.
    std::vector<std::string> lines = SplitLines(r.message());
    std::string summary = lines.empty() ? "" : lines[0];
    for (const std::string& l : lines)
      if (l.rfind("exit status", 0) == 0 || l.rfind("stdout differs", 0) == 0 || l.rfind("stderr differs", 0) == 0)
        summary += "  | " + l.substr(0, l.find(" ("));
    for (char& c : summary)
      if (c == '\n') c = ' ';
    summaries_.push_back(summary);
  }
  return false;
}

MismatchBudget::~MismatchBudget() {
  if (failures_ > detailed_) {
    std::string list;
    for (size_t i = 0; i < summaries_.size() && i < 60; ++i) list += "  " + summaries_[i] + "\n";
    if (summaries_.size() > 60) list += "  ...\n";
    ADD_FAILURE() << failures_ << " of " << checks_ << " comparisons in this test failed; the first " << detailed_
                  << " are shown in full above, the others here:\n"
                  << list;
  }
}

// ---------------------------------------------------------------------------

void PrintTo(const KeyFile& k, std::ostream* os) { *os << k.name; }

std::string KeySpec::ShortType() const {
  if (type == "ed25519") return "ED25519";
  if (type == "ecdsa") return "ECDSA";
  if (type == "rsa") return "RSA";
  if (type == "dsa") return "DSA";
  return type;
}

int KeySpec::Bits() const {
  if (bits != 0) return bits;
  if (type == "ed25519" || type == "ecdsa") return 256;
  if (type == "rsa") return 3072;
  return 1024;
}

const std::vector<KeySpec>& AllKeySpecs() {
  static const std::vector<KeySpec> specs = {
      {"ed25519", 0, "ed25519"}, {"ecdsa", 256, "ecdsa256"}, {"ecdsa", 384, "ecdsa384"},
      {"ecdsa", 521, "ecdsa521"}, {"rsa", 1024, "rsa1024"},  {"rsa", 2048, "rsa2048"},
      {"rsa", 3072, "rsa3072"},   {"rsa", 4096, "rsa4096"},  {"dsa", 1024, "dsa"},
  };
  return specs;
}

const KeySpec& SpecByLabel(std::string_view label) {
  for (const KeySpec& s : AllKeySpecs())
    if (s.label == label) return s;
  std::fprintf(stderr, "unknown key label %.*s\n", static_cast<int>(label.size()), label.data());
  std::abort();
}

const std::vector<std::string>& OddComments() {
  static const std::vector<std::string> comments = [] {
    std::vector<std::string> c = {
        "two  spaces and a trailing space ",
        "tab\tinside\tand at end\t",
        "J\xc3\xbcrgen M\xc3\xbcller \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac",  // Jürgen Müller ✓ 日本
        "#leading hash",
        "quotes \"double\" and 'single' and \\backslash",
        "ctrl\x01" "byte and DEL\x7f",
        " leading space",
    };
    std::string long_comment;
    for (int i = 0; long_comment.size() < 1600; ++i) long_comment += "long-comment-" + std::to_string(i) + " ";
    c.push_back(long_comment);
    return c;
  }();
  return comments;
}

std::vector<KeyFile> PlanOracleKeys(const std::vector<KeySpec>& specs,
                                    const std::vector<std::string>& comment_labels) {
  std::vector<KeyFile> plan;
  const std::string comment = "user@example.com";
  for (const KeySpec& spec : specs) {
    const std::string& l = spec.label;
    plan.push_back({l, spec, comment, "", ""});
    plan.push_back({l + "-pw", spec, comment, kTestPassphrase, l});
    plan.push_back({l + "-nocomment", spec, "", "", l});
    plan.push_back({l + "-pw-nocomment", spec, "", kTestPassphrase, l + "-nocomment"});
    if (std::find(comment_labels.begin(), comment_labels.end(), l) == comment_labels.end()) continue;
    for (size_t i = 0; i < OddComments().size(); ++i)
      plan.push_back({l + "-c" + std::to_string(i), spec, OddComments()[i], "", l});
  }
  return plan;
}

bool MakeOracleKeys(const TempDir& dir, const std::vector<KeyFile>& plan) {
  bool ok = true;
  auto keygen = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "ssh-keygen");
    Invocation inv{args, "", dir.path()};
    SubprocessResult r = RunTool(inv);
    if (r.ExitedWith(0)) return true;
    ADD_FAILURE() << "making test keys: " << Describe(inv) << "\n" << r.Describe();
    return ok = false;
  };
  for (const KeyFile& k : plan) {
    if (k.base.empty()) {
      std::vector<std::string> args = {"-q", "-t", k.spec.type};
      if (k.spec.bits != 0) args.insert(args.end(), {"-b", std::to_string(k.spec.bits)});
      args.insert(args.end(), {"-N", k.passphrase, "-C", k.comment, "-f", k.name});
      keygen(args);
      continue;
    }
    const KeyFile* base = nullptr;
    for (const KeyFile& b : plan)
      if (b.name == k.base) base = &b;
    if (base == nullptr || !base->passphrase.empty()) {
      ADD_FAILURE() << "bad key plan: " << k.name << " from " << k.base;
      ok = false;
      continue;
    }
    for (const char* ext : {"", ".pub"}) {
      Status s = test::CopyFile(dir.Path(k.base + ext), dir.Path(k.name + ext));
      if (!s.ok()) {
        ADD_FAILURE() << s.ToString();
        ok = false;
      }
    }
    if (k.comment != base->comment) keygen({"-c", "-C", k.comment, "-f", k.name});
    if (!k.passphrase.empty()) keygen({"-p", "-P", "", "-N", k.passphrase, "-f", k.name});
  }
  return ok;
}

std::string KeyPart(const std::string& pub_line) {
  size_t sp1 = pub_line.find(' ');
  if (sp1 == std::string::npos) return pub_line;
  size_t sp2 = pub_line.find_first_of(" \n", sp1 + 1);
  return pub_line.substr(0, sp2);
}

Bytes BlobOf(const std::string& pub_line) {
  std::string key = KeyPart(pub_line);
  size_t sp = key.find(' ');
  if (sp == std::string::npos) return {};
  StatusOr<Bytes> blob = wire::Base64Decode(key.substr(sp + 1));
  return blob.ok() ? *blob : Bytes{};
}

std::string PubLine(ByteSpan blob, std::string_view comment) {
  wire::Reader r(blob);
  StatusOr<std::string_view> type = r.ReadText("key type");
  std::string line = std::string(type.ok() ? *type : "?") + " " + wire::Base64Encode(blob);
  if (!comment.empty()) line += " " + std::string(comment);
  return line;
}

PrivateEnvelope DecodePrivateEnvelope(std::string_view text) {
  PrivateEnvelope env;
  static constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  static constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----\n";
  if (text.substr(0, kBegin.size()) != kBegin) {
    env.error = "does not start with the BEGIN OPENSSH PRIVATE KEY line";
    return env;
  }
  if (text.size() < kBegin.size() + kEnd.size() || text.substr(text.size() - kEnd.size()) != kEnd) {
    env.error = "does not end with the END OPENSSH PRIVATE KEY line and a newline";
    return env;
  }
  std::string_view body = text.substr(kBegin.size(), text.size() - kBegin.size() - kEnd.size());
  std::string b64;
  bool widths_ok = !body.empty();
  std::vector<std::string> lines = SplitLines(body);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string l = lines[i];
    if (l.empty() || l.back() != '\n') widths_ok = false;
    if (!l.empty() && l.back() == '\n') l.pop_back();
    if (i + 1 < lines.size() ? l.size() != 70 : (l.empty() || l.size() > 70)) widths_ok = false;
    b64 += l;
  }
  env.armour_ok = widths_ok;
  StatusOr<Bytes> blob = wire::Base64Decode(b64);
  if (!blob.ok()) {
    env.error = "body is not valid base64: " + blob.status().message();
    return env;
  }
  static constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  if (blob->size() < kMagic.size() || AsChars(ByteSpan(*blob).first(kMagic.size())) != kMagic) {
    env.error = "no openssh-key-v1 magic";
    return env;
  }
  env.magic_ok = true;
  wire::Reader r(ByteSpan(*blob).subspan(kMagic.size()));
  auto fail = [&](const Status& s) {
    env.error = s.ToString();
    return env;
  };
  StatusOr<std::string_view> cipher = r.ReadText("ciphername");
  if (!cipher.ok()) return fail(cipher.status());
  env.cipher = std::string(*cipher);
  StatusOr<std::string_view> kdf = r.ReadText("kdfname");
  if (!kdf.ok()) return fail(kdf.status());
  env.kdf = std::string(*kdf);
  StatusOr<ByteSpan> kdfopts = r.ReadString("kdfoptions");
  if (!kdfopts.ok()) return fail(kdfopts.status());
  if (!kdfopts->empty()) {
    wire::Reader k(*kdfopts);
    StatusOr<ByteSpan> salt = k.ReadString("salt");
    if (!salt.ok()) return fail(salt.status());
    env.salt_len = salt->size();
    StatusOr<uint32_t> rounds = k.ReadU32("rounds");
    if (!rounds.ok()) return fail(rounds.status());
    env.rounds = *rounds;
  }
  StatusOr<uint32_t> nkeys = r.ReadU32("nkeys");
  if (!nkeys.ok()) return fail(nkeys.status());
  env.nkeys = *nkeys;
  StatusOr<ByteSpan> pub = r.ReadString("public key");
  if (!pub.ok()) return fail(pub.status());
  env.public_blob.assign(pub->begin(), pub->end());
  return env;
}

}  // namespace kw::interop
