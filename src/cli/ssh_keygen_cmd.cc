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
#include "cli/known_hosts_ops.h"
#include "cli/output.h"
#include "cli/pki_ops.h"
#include "base/clock.h"
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
      "                          [-Z cipher]\n"
      "       keyward ssh-keygen -I certificate_identity -s ca_key [-h] [-n principals]\n"
      "                          [-O option] [-V validity_interval] [-z serial_number] file ...\n"
      "       keyward ssh-keygen -F hostname [-lv] [-f known_hosts_file]\n"
      "       keyward ssh-keygen -H [-f known_hosts_file]\n"
      "       keyward ssh-keygen -R hostname [-f known_hosts_file]\n"
      "       keyward ssh-keygen -L [-f input_keyfile]\n"
      "       keyward ssh-keygen -k -f krl_file [-u] [-s ca_public] [-z version_number] file ...\n"
      "       keyward ssh-keygen -Q [-l] -f krl_file [file ...]\n"
      "       keyward ssh-keygen -Y find-principals -s signature_file -f allowed_signers_file\n"
      "       keyward ssh-keygen -Y match-principals -I signer_identity -f allowed_signers_file\n"
      "       keyward ssh-keygen -Y check-novalidate -n namespace -s signature_file\n"
      "       keyward ssh-keygen -Y sign -f key_file -n namespace file [-O option] ...\n"
      "       keyward ssh-keygen -Y verify -f allowed_signers_file -I signer_identity\n"
      "                          -n namespace -s signature_file [-r krl_file] [-O option]\n");
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
  // Certificates (-s -I -n -V -O -z -h -L), KRLs (-k -u -Q) and signatures (-Y).
  std::optional<std::string> ca_key_path, cert_key_id, cert_principals, sign_op, rr_hostname;
  std::vector<std::string> opts;
  CertSignOptions cert;
  bool show_cert = false, gen_krl = false, update_krl = false, check_krl = false;
  // known_hosts (-F -H -R); -F, -R and -r all set rr_hostname, as in ssh-keygen.
  bool find_host = false, delete_host = false, hash_hosts = false;

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
      case 's': ca_key_path = optarg; break;
      case 'I': cert_key_id = optarg; break;
      case 'n': cert_principals = optarg; break;
      case 'O': opts.push_back(optarg); break;
      case 'h': cert.host = true; break;
      case 'L': show_cert = true; break;
      case 'k': gen_krl = true; break;
      case 'u': update_krl = true; break;
      case 'Q': check_krl = true; break;
      case 'Y': sign_op = optarg; break;
      case 'r': rr_hostname = optarg; break;
      case 'F':
        find_host = true;
        rr_hostname = optarg;
        break;
      case 'R':
        delete_host = true;
        rr_hostname = optarg;
        break;
      case 'H': hash_hosts = true; break;
      case 'V': {
        // Parsed at once, against the time of parsing, as ssh-keygen does.
        auto v = formats::ParseValiditySpec(optarg, SystemClock::Get().NowUnix(), LocalZone());
        if (!v.ok()) return io.Fatal(v.status().message());
        cert.validity = *v;
        break;
      }
      case 'z': {
        const char* arg = optarg;
        if (*arg == '+') {
          cert.serial_autoinc = true;
          ++arg;
        }
        char* ep = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(arg, &ep, 10);
        if (*arg < '0' || *arg > '9' || *ep != '\0' || (errno == ERANGE && v == ULLONG_MAX))
          return io.Fatal(std::string("Invalid serial number \"") + arg + "\"");
        cert.serial = v;
        break;
      }
      case '?':
        return Usage();
      default:
        if (unsupported.empty()) unsupported = std::string("-") + static_cast<char>(opt);
        break;
    }
  }
  if (!unsupported.empty())
    return io.Fatal("keyward ssh-keygen: option " + unsupported + " is not supported yet");
  std::vector<std::string> rest(storage.begin() + optind, storage.end());

  if (sign_op) {
    SigOptions so;
    so.opts = opts;
    so.quiet = quiet;
    so.fingerprint_hash = fp.hash;
    so.passphrase = passphrase;
    const std::string& op = *sign_op;
    if (op.compare(0, 15, "find-principals") == 0) {
      if (!ca_key_path) {
        io.Error("Too few arguments for find-principals:missing signature file");
        return 1;
      }
      if (!identity) {
        io.Error("Too few arguments for find-principals:missing allowed keys file");
        return 1;
      }
      return SigFindPrincipals(io, *ca_key_path, *identity, so);
    } else if (op.compare(0, 16, "match-principals") == 0) {
      if (!identity) {
        io.Error("Too few arguments for match-principals:missing allowed keys file");
        return 1;
      }
      if (!cert_key_id) {
        io.Error("Too few arguments for match-principals: missing principal ID");
        return 1;
      }
      return SigMatchPrincipals(io, *identity, *cert_key_id, so);
    } else if (op.compare(0, 4, "sign") == 0) {
      if (!cert_principals || cert_principals->empty()) {
        io.Error("Too few arguments for sign: missing namespace");
        return 1;
      }
      if (!identity) {
        io.Error("Too few arguments for sign: missing key");
        return 1;
      }
      return SigSign(io, *identity, *cert_principals, rest, so);
    } else if (op.compare(0, 16, "check-novalidate") == 0) {
      if (!cert_principals || cert_principals->empty()) {
        io.Error("Too few arguments for check-novalidate: missing namespace");
        return 1;
      }
      if (!ca_key_path) {
        io.Error("Too few arguments for check-novalidate: missing signature file");
        return 1;
      }
      return SigVerify(io, *ca_key_path, *cert_principals, std::nullopt, std::nullopt, std::nullopt, so);
    } else if (op.compare(0, 6, "verify") == 0) {
      if (!cert_principals || cert_principals->empty()) {
        io.Error("Too few arguments for verify: missing namespace");
        return 1;
      }
      if (!ca_key_path) {
        io.Error("Too few arguments for verify: missing signature file");
        return 1;
      }
      if (!identity) {
        io.Error("Too few arguments for sign: missing allowed keys file");
        return 1;
      }
      if (!cert_key_id) {
        io.Error("Too few arguments for verify: missing principal identity");
        return 1;
      }
      return SigVerify(io, *ca_key_path, *cert_principals, cert_key_id, identity, rr_hostname, so);
    }
    io.Error("Unsupported operation for -Y: \"" + op + "\"");
    return Usage();
  }

  if (ca_key_path) {
    if (rest.empty() && !gen_krl) {
      io.Error("Too few arguments.");
      return Usage();
    }
  } else if (!rest.empty() && !gen_krl && !check_krl) {
    io.Error("Too many arguments.");
    return Usage();
  }
  if (fingerprint && (delete_host || hash_hosts)) {
    io.Error("Cannot use -l with -H or -R.");
    return Usage();
  }
  if (gen_krl) {
    KrlBuildOptions k;
    if (!identity || identity->empty()) return io.Fatal("KRL generation requires an output file");
    k.krl_path = *identity;
    k.update = update_krl;
    k.ca_path = ca_key_path;
    k.version = cert.serial;
    k.comment = comment;
    k.quiet = quiet;
    k.specs = rest;
    return KrlBuild(io, k);
  }
  if (check_krl) {
    if (!identity || identity->empty()) return io.Fatal("KRL checking requires an input file");
    return KrlQuery(io, *identity, fingerprint, rest);
  }
  if (ca_key_path) {
    cert.ca_path = *ca_key_path;
    cert.key_id = cert_key_id;
    cert.principals = cert_principals;
    cert.options = opts;
    if (!type_name.empty()) cert.algorithm = type_name;
    cert.passphrase = passphrase;
    cert.quiet = quiet;
    cert.keys = rest;
    return CertSign(io, cert);
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

  if (show_cert) {
    if (!ask_identity("Enter file in which the key is")) return 1;
    return ShowCert(io, *identity, fp.hash);
  }
  if (delete_host || hash_hosts || find_host) {
    KnownHostsOptions kh;
    kh.name = rr_hostname.value_or("");
    kh.find = find_host;
    kh.remove = delete_host;
    kh.hash = hash_hosts;
    kh.quiet = quiet;
    kh.print_fingerprint = fingerprint;
    kh.bubblebabble = bubble;
    kh.verbose = io.verbose;
    kh.fingerprint_hash = fp.hash;
    kh.file = identity;
    return RunKnownHosts(io, kh);
  }
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
