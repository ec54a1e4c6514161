// Entry points of the keyward command groups (one file each).
#pragma once

#include <CLI/CLI.hpp>

namespace kw::cli {

// `keyward ssh-keygen ARGS...` (argv[0] is "ssh-keygen").
int RunSshKeygen(int argc, char** argv);

// Registers `keygen`, `fingerprint`, `pubkey` and `passphrase`; the
// callback stores the exit code in *rc.
void AddKeyCommands(CLI::App& app, int* rc);

// Registers `cert` (sign, show, verify): OpenSSH certificates.
void AddCertCommands(CLI::App& app, int* rc);

// Registers `krl` (build, query, show): OpenSSH key revocation lists.
void AddKrlCommands(CLI::App& app, int* rc);

// Registers `sign` and `verify`: SSHSIG file signatures.
void AddSignCommands(CLI::App& app, int* rc);

// Registers `totp` (init, code, verify): TOTP/HOTP google-authenticator files.
void AddTotpCommands(CLI::App& app, int* rc);

// Registers `knownhosts` (find, hash, remove, add, check, lint).
void AddKnownHostsCommands(CLI::App& app, int* rc);

// Registers `authkeys` (lint, check): authorized_keys as sshd reads it.
void AddAuthKeysCommands(CLI::App& app, int* rc);

// Registers `audit` (scan, merge: authorized_keys across hosts; log: the key
// center's audit log).
void AddAuditCommands(CLI::App& app, int* rc);

// Registers the key center's admin commands: `user`, `team`, `group`,
// `host`, `key`, `grant` and `render` (the token comes from $KEYWARD_TOKEN).
void AddAdminCommands(CLI::App& app, int* rc);

}  // namespace kw::cli
