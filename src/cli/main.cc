// keyward: the command-line tool. Thin: parse, dispatch, exit.
#include <cstring>

#include "cli/commands.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "ssh-keygen") == 0) return kw::cli::RunSshKeygen(argc - 1, argv + 1);

  CLI::App app{"keyward: SSH keys, fingerprints and more, byte-compatible with OpenSSH.\n"
               "`keyward ssh-keygen ARGS...` accepts ssh-keygen's own flags.",
               "keyward"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "keyward 0.1.0");
  int rc = 0;
  kw::cli::AddKeyCommands(app, &rc);
  kw::cli::AddCertCommands(app, &rc);
  kw::cli::AddKrlCommands(app, &rc);
  kw::cli::AddSignCommands(app, &rc);
  kw::cli::AddTotpCommands(app, &rc);
  kw::cli::AddKnownHostsCommands(app, &rc);
  kw::cli::AddAuthKeysCommands(app, &rc);
  kw::cli::AddAuditCommands(app, &rc);
  kw::cli::AddAdminCommands(app, &rc);
  app.add_subcommand("ssh-keygen", "ssh-keygen's command line (-t -b -C -N -f -q -a -l -E -v -B -y -P -p -F -H -R ...)")
      ->allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return rc;
}
