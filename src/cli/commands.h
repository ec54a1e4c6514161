// Entry points of the keyward command groups (one file each).
#pragma once

#include <CLI/CLI.hpp>

namespace kw::cli {

// `keyward ssh-keygen ARGS...` (argv[0] is "ssh-keygen").
int RunSshKeygen(int argc, char** argv);

// Registers `keygen`, `fingerprint`, `pubkey` and `passphrase`; the
// callback stores the exit code in *rc.
void AddKeyCommands(CLI::App& app, int* rc);

}  // namespace kw::cli
