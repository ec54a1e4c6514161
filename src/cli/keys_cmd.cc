// keyward keygen | fingerprint | pubkey | passphrase
#include <memory>

#include "cli/commands.h"
#include "cli/key_ops.h"

namespace kw::cli {
namespace {

struct KeyArgs {
  // keygen
  std::string type = "ed25519";
  int bits = 0;
  std::optional<std::string> comment, passphrase;
  std::string path;
  bool force = false, quiet = false;
  uint32_t rounds = formats::kDefaultKdfRounds;
  // fingerprint
  std::string hash = "sha256";
  bool verbose = false, bubble = false, json = false;
  std::string file;
  // pubkey / passphrase
  std::optional<std::string> old_passphrase, new_passphrase;
};

}  // namespace

void AddKeyCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<KeyArgs>();

  CLI::App* keygen = app.add_subcommand("keygen", "Generate a key pair: PATH (0600) and PATH.pub (0644)");
  keygen->add_option("-t,--type", a->type, "ed25519 | ecdsa | rsa")->capture_default_str();
  keygen->add_option("-b,--bits", a->bits, "RSA: 1024-16384 (default 3072); ECDSA: 256, 384, 521");
  keygen->add_option("-C,--comment", a->comment, "Comment (default user@host)");
  keygen->add_option("-N,--passphrase", a->passphrase, "Passphrase (empty: unencrypted; asked if absent)");
  keygen->add_option("-a,--rounds", a->rounds, "bcrypt_pbkdf rounds")->capture_default_str();
  keygen->add_option("-f,--file", a->path, "Private key path")->required();
  keygen->add_flag("--force", a->force, "Replace existing files");
  keygen->add_flag("-q,--quiet", a->quiet, "Print nothing on success");
  keygen->callback([a, rc] {
    KeygenOptions o;
    o.type_name = a->type;
    o.bits = a->bits;
    o.comment = a->comment;
    o.passphrase = a->passphrase;
    o.path = a->path;
    o.force = a->force;
    o.quiet = a->quiet;
    o.write.rounds = a->rounds;
    *rc = Keygen(Io{Style::kNative}, o);
  });

  CLI::App* fp = app.add_subcommand(
      "fingerprint", "Fingerprint every key in a file (public, private, authorized_keys, known_hosts); "
                     "the text of ssh-keygen -l");
  fp->add_option("-E,--hash", a->hash, "md5 | sha1 | sha256 | sha384 | sha512")->capture_default_str();
  fp->add_flag("-v,--randomart", a->verbose, "Also draw the randomart picture");
  fp->add_flag("-B,--bubblebabble", a->bubble, "Bubblebabble digest (SHA1)");
  fp->add_flag("--json", a->json, "JSON: [{line, type, bits, fingerprint, comment[, randomart]}]");
  fp->add_option("FILE", a->file, "File, or - for standard input")->required();
  fp->callback([a, rc] {
    FingerprintOptions o;
    if (!crypto::ParseHashName(a->hash, &o.hash)) {
      *rc = Io{Style::kNative}.Fatal("unknown hash \"" + a->hash + "\" (md5, sha1, sha256, sha384, sha512)");
      return;
    }
    o.randomart = a->verbose;
    o.bubblebabble = a->bubble;
    o.json = a->json;
    *rc = Fingerprint(Io{Style::kNative}, a->file, o);
  });

  CLI::App* pub = app.add_subcommand("pubkey", "Print the public key of a private key file (ssh-keygen -y)");
  pub->add_option("-P,--passphrase", a->old_passphrase, "Passphrase (asked if needed and absent)");
  pub->add_option("-f,--file", a->path, "Private key file")->required();
  pub->callback([a, rc] { *rc = PrintPublic(Io{Style::kNative}, a->path, a->old_passphrase); });

  CLI::App* pass = app.add_subcommand("passphrase", "Change a private key's passphrase in place, atomically");
  pass->add_option("-P,--old", a->old_passphrase, "Current passphrase");
  pass->add_option("-N,--new", a->new_passphrase, "New passphrase (empty: remove)");
  pass->add_option("-a,--rounds", a->rounds, "bcrypt_pbkdf rounds")->capture_default_str();
  pass->add_option("-f,--file", a->path, "Private key file")->required();
  pass->callback([a, rc] {
    ChangePassphraseOptions o;
    o.old_passphrase = a->old_passphrase;
    o.new_passphrase = a->new_passphrase;
    o.write.rounds = a->rounds;
    *rc = ChangePassphrase(Io{Style::kNative}, a->path, o);
  });
}

}  // namespace kw::cli
