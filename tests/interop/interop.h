// Shared helpers of the interop suites: where the tools are, how they are
// run (a fixed locale and time zone, no agent), keys made by the real
// ssh-keygen, and a byte-for-byte comparison of two runs with a readable diff.
//
// The judge is always the installed OpenSSH (9.2p1 on Debian 12): a test
// states a case once and runs it through both ssh-keygen and keyward, so the
// expected text is never written by hand.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace kw::interop {

using test::SubprocessResult;
using test::TempDir;

// $KW_BUILD_DIR/bin/keyward (KW_BUILD_DIR is set by ctest). kNotFound, with
// an explanation, when the variable is unset or the binary is missing.
StatusOr<std::string> KeywardPath();
// The real ssh-keygen from PATH.
StatusOr<std::string> SshKeygenPath();

// Every interop binary calls this from a global test environment: without
// keyward (or ssh-keygen) every comparison would fail the same way, so one
// clear fatal failure is reported instead.
class ToolsEnvironment : public ::testing::Environment {
 public:
  explicit ToolsEnvironment(bool need_keyward) : need_keyward_(need_keyward) {}
  void SetUp() override;

 private:
  bool need_keyward_;
};

// How a tool is run: argv[0] "keyward" or "ssh-keygen" is replaced by the
// real path. Environment: LC_ALL=C.UTF-8 (unless `locale` says otherwise),
// TZ=UTC, SSH_AUTH_SOCK and SSH_ASKPASS removed, DISPLAY removed.
struct Invocation {
  std::vector<std::string> argv;
  std::string stdin_data;
  std::string cwd;
  std::string locale = "C.UTF-8";
  int timeout_seconds = 120;
};

// An Invocation of `argv` in `cwd` (empty: the test's working directory).
Invocation Inv(std::vector<std::string> argv, std::string cwd = "");

// `name` with every character outside [A-Za-z0-9] made '_', as gtest wants
// test names; ParamName() applies it to a parameter's `name` field.
std::string GtestName(std::string name);
template <typename Param>
std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return GtestName(info.param.name);
}

// Runs the tool; a failure to start is reported as exit code -1 with the
// reason in `err` (so comparisons fail with a readable message).
SubprocessResult RunTool(const Invocation& inv);

// Convenience: RunTool() and ADD_FAILURE unless it exits 0; returns stdout.
std::string RunToolOk(const Invocation& inv);

// How strictly stderr is compared.
enum class StderrMatch {
  kExact,            // byte for byte (the `keyward ssh-keygen` compatibility mode)
  kEmptyIffEmpty,    // both empty, or both non-empty (own commands: wording is free)
  kContains,         // keyward's stderr contains each line of ssh-keygen's (minus a
                     // leading "ssh-keygen: "), and is empty when ssh-keygen's is
  kIgnore,
};

// Compares stdout and the exit status exactly, stderr per `match`. The
// failure message shows both commands, a line diff and both outputs with
// invisible characters made visible.
::testing::AssertionResult SameResult(const std::string& what, const Invocation& oracle_inv,
                                      const SubprocessResult& oracle, const Invocation& keyward_inv,
                                      const SubprocessResult& keyward, StderrMatch match);

// Runs both and compares them.
::testing::AssertionResult SameAsOracle(const Invocation& oracle, const Invocation& keyward,
                                        StderrMatch match);

// A line diff of two texts ("-expected" / "+got"), with invisible characters
// shown; empty when equal.
std::string LineDiff(std::string_view expected, std::string_view got);
// Visible() (tests/support/subprocess.h) shows tabs, CRs and line ends.
using test::Visible;

// Limits the flood when keyward is broken across the board: the first
// `detailed` mismatches of a test are reported in full, the rest only
// counted; Finish() reports the count. Use one per test body.
class MismatchBudget {
 public:
  explicit MismatchBudget(int detailed = 8) : detailed_(detailed) {}
  // Records the outcome; returns it.
  bool Check(const ::testing::AssertionResult& r, const char* file, int line);
  ~MismatchBudget();
  int failures() const { return failures_; }

 private:
  int detailed_;
  int failures_ = 0;
  int checks_ = 0;
  std::vector<std::string> summaries_;
};
#define KW_CHECK(budget, expr) (budget).Check((expr), __FILE__, __LINE__)

// ---------------------------------------------------------------------------
// Keys made by the real ssh-keygen.

struct KeySpec {
  std::string type;   // ssh-keygen -t: ed25519, ecdsa, rsa, dsa
  int bits = 0;       // ssh-keygen -b, 0 for the default
  std::string label;  // ed25519, ecdsa256, rsa3072, ...
  std::string ShortType() const;  // "ED25519", "ECDSA", "RSA", "DSA"
  int Bits() const;               // what -l prints
};

// ed25519, ecdsa 256/384/521, rsa 1024/2048/3072/4096, dsa 1024.
const std::vector<KeySpec>& AllKeySpecs();
const KeySpec& SpecByLabel(std::string_view label);

struct KeyFile {
  std::string name;        // file name inside the directory (private key)
  KeySpec spec;
  std::string comment;     // as given to ssh-keygen -C (it may keep less)
  std::string passphrase;  // empty for an unencrypted key
  std::string base;        // the key this one is a modified copy of ("": generated)
};

// gtest prints parameters with this: the name is enough.
void PrintTo(const KeyFile& k, std::ostream* os);

// The keys MakeOracleKeys() creates, in creation order: per spec a generated
// key "<label>" with comment "user@example.com", and copies made with
// ssh-keygen -p / -c: "<label>-pw" (passphrase kTestPassphrase),
// "<label>-nocomment", "<label>-pw-nocomment"; and for each label in
// `comment_labels`, "<label>-c<N>" for every comment of OddComments().
// Planning is separate from making so that parameterized tests can list the
// keys before any is made.
inline constexpr const char* kTestPassphrase = "correct horse battery";
std::vector<KeyFile> PlanOracleKeys(const std::vector<KeySpec>& specs,
                                    const std::vector<std::string>& comment_labels);
// Makes the planned keys in `dir` with the real ssh-keygen; ADD_FAILUREs and
// returns false on any error.
bool MakeOracleKeys(const TempDir& dir, const std::vector<KeyFile>& plan);

// Comments that exercise the printers: spaces, tabs, UTF-8, a leading '#',
// quotes, a control byte, a very long one (ssh-keygen -C/-c keep only its
// first 1023 bytes).
const std::vector<std::string>& OddComments();

// Reads "<type> <b64>[ <comment>]" lines; returns the first two fields of
// the first line ("type b64").
std::string KeyPart(const std::string& pub_line);
// The key blob of a public key line (decoded base64 of the second field).
Bytes BlobOf(const std::string& pub_line);

// Decodes an openssh-key-v1 private key file far enough to check the
// envelope (PROTOCOL.key): armour, magic, cipher, kdf, rounds.
struct PrivateEnvelope {
  bool armour_ok = false;     // BEGIN/END lines, 70-column base64 body
  bool magic_ok = false;      // "openssh-key-v1\0"
  std::string cipher;
  std::string kdf;
  size_t salt_len = 0;
  uint32_t rounds = 0;
  uint32_t nkeys = 0;
  Bytes public_blob;
  std::string error;          // non-empty when decoding failed
};
PrivateEnvelope DecodePrivateEnvelope(std::string_view file_text);

// Builds an SSH public key line "type base64(blob) comment" from a blob.
std::string PubLine(ByteSpan blob, std::string_view comment);

}  // namespace kw::interop

// Registers ToolsEnvironment for this binary.
#define KW_INTEROP_ENVIRONMENT(need_keyward)                                                   \
  static ::testing::Environment* const kw_interop_env_ [[maybe_unused]] =                     \
      ::testing::AddGlobalTestEnvironment(new ::kw::interop::ToolsEnvironment(need_keyward))
