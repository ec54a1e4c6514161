// `keyward ssh-keygen ARGS...`: ssh-keygen's own command line, for scripts
// written for it. Options are parsed with getopt and the same option string
// as OpenSSH 9.2's ssh-keygen, so permutation, clustering ("-lvf") and
// error messages match; what keyward does not implement yet is refused
// clearly rather than ignored.
#include <getopt.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/key_ops.h"
#include "cli/output.h"
#include "crypto/cipher.h"

namespace kw::cli {
namespace {

constexpr char kOptString[] =
    "ABHKLQUXceghiklopquvy"
    "C:D:E:F:I:M:N:O:P:R:V:Y:Z:"
    "a:b:f:g:m:n:r:s:t:w:z:";

int Usage() {
  Err("usage: keyward ssh-keygen [-q] [-a rounds] [-b bits] [-C comment] [-f output_keyfile]\n"
      "                          [-N new_passphrase] [-t ecdsa | ed25519 | rsa] [-Z cipher]\n"
      "       keyward ssh-keygen -l [-v] [-E fingerprint_hash] [-f input_keyfile]\n"
      "       keyward ssh-keygen -B [-f input_keyfile]\n"
      "       keyward ssh-keygen -y [-P passphrase] [-f input_keyfile]\n"
      "       keyward ssh-keygen -p [-a rounds] [-f keyfile] [-N new_passphrase] [-P old_passphrase]\n"
      "                          [-Z cipher]\n");
  return 1;
}

// strtonum(3): "invalid", "too small" or "too large".
bool StrToNum(const char* s, long long lo, long long hi, long long* out, const char** err) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (*s == '\0' || *end != '\0') {
    *err = "invalid";
    return false;
  }
  if ((v == LLONG_MIN && errno == ERANGE) || v < lo) {
    *err = "too small";
    return false;
  }
  if ((v == LLONG_MAX && errno == ERANGE) || v > hi) {
    *err = "too large";
    return false;
  }
  *out = v;
  return true;
}

std::string HomeFile(const char* name) {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.ssh/" + name;
}

}  // namespace

int RunSshKeygen(int argc, char** argv) {
  Io io{Style::kSshKeygen};
  std::vector<std::string> storage(argv, argv + argc);
  storage[0] = "ssh-keygen";
  std::vector<char*> args;
  for (auto& s : storage) args.push_back(s.data());
  args.push_back(nullptr);

  bool fingerprint = false, bubble = false, print_public = false, change_pass = false, quiet = false;
  std::optional<std::string> identity, passphrase, new_passphrase, comment;
  std::string type_name;
  int bits = 0;
  FingerprintOptions fp;
  formats::OpensshWriteOptions write;
  std::string unsupported;

  optind = 0;  // reset glibc getopt (also re-initialises permutation)
  opterr = 1;
  int opt;
  while ((opt = ::getopt(argc, args.data(), kOptString)) != -1) {
    switch (opt) {
      case 'b': {
        long long v;
        const char* err;
        if (!StrToNum(optarg, 1, UINT32_MAX, &v, &err))
          return io.Fatal(std::string("Bits has bad value ") + optarg + " (" + err + ")");
        bits = v > INT_MAX ? INT_MAX : static_cast<int>(v);
        break;
      }
      case 'E':
        if (!crypto::ParseHashName(optarg, &fp.hash))
          return io.Fatal(std::string("Invalid hash algorithm \"") + optarg + "\"");
        break;
      case 'l': fingerprint = true; break;
      case 'B': bubble = true; break;
      case 'y': print_public = true; break;
      case 'p': change_pass = true; break;
      case 'q': quiet = true; break;
      case 'v': io.verbose = true; break;
      case 'f': identity = optarg; break;
      case 'P': passphrase = optarg; break;
      case 'N': new_passphrase = optarg; break;
      case 'C': comment = optarg; break;
      case 't': type_name = optarg; break;
      case 'o': break;  // no-op: the new format is the default
      case 'a': {
        long long v;
        const char* err;
        if (!StrToNum(optarg, 1, INT_MAX, &v, &err))
          return io.Fatal(std::string("Invalid number: ") + optarg + " (" + err + ")");
        write.rounds = static_cast<uint32_t>(v);
        break;
      }
      case 'Z':
        if (!crypto::FindCipher(optarg) && std::string(optarg) != "none")
          return io.Fatal(std::string("Invalid OpenSSH-format cipher '") + optarg + "'");
        write.cipher = optarg;
        break;
      case '?':
        return Usage();
      default:
        if (unsupported.empty()) unsupported = std::string("-") + static_cast<char>(opt);
        break;
    }
  }
  if (!unsupported.empty())
    return io.Fatal("keyward ssh-keygen: option " + unsupported + " is not supported yet");
  if (optind < argc) {
    io.Error("Too many arguments.");
    return Usage();
  }

  auto ask_identity = [&](const char* prompt) -> bool {
    if (identity) return true;
    std::string def = HomeFile("id_rsa");
    Out(std::string(prompt) + " (" + def + "): ");
    std::string line;
    if (!ReadStdinLine(&line)) return false;
    identity = line.empty() ? def : line;
    return true;
  };

  if (fingerprint || bubble) {
    if (!ask_identity("Enter file in which the key is")) return 1;
    fp.randomart = io.verbose;
    fp.bubblebabble = bubble;
    return Fingerprint(io, *identity, fp);
  }
  if (change_pass) {
    if (!ask_identity("Enter file in which the key is")) return 1;
    ChangePassphraseOptions o{passphrase, new_passphrase, write};
    return ChangePassphrase(io, *identity, o);
  }
  if (print_public) {
    if (!ask_identity("Enter file in which the key is")) return 1;
    return PrintPublic(io, *identity, passphrase);
  }
  KeygenOptions k;
  k.type_name = type_name.empty() ? "rsa" : type_name;
  k.bits = bits;
  k.comment = comment;
  k.passphrase = new_passphrase;
  k.path = identity;
  k.quiet = quiet;
  k.write = write;
  return Keygen(io, k);
}

}  // namespace kw::cli
