# bench/lib.sh: the set-up every benchmark script shares. Source it, then
#
#   bench_init NAME BUILD_DIR   # or "$@" of the script: one argument, the build
#   bench_require BIN...        # binaries under $build/bin that must exist
#
# bench_init sets $build, $keyward and $sshkeygen, makes the scratch
# directory $work (removed at exit), and gives both tools the same
# environment. now() prints wall-clock seconds without forking; median()
# reads numbers, one per line, and prints their median.

bench_init() {
  local name=$1
  shift
  if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
  fi
  build=$(cd "$1" && pwd)
  keyward=$build/bin/keyward
  bench_require keyward
  sshkeygen=$(command -v ssh-keygen) || { echo "ssh-keygen not found" >&2; exit 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # Same environment for both tools.
  export LC_ALL=C.UTF-8 TZ=UTC
  unset SSH_AUTH_SOCK
}

bench_require() {
  local b
  for b in "$@"; do
    [ -x "$build/bin/$b" ] || { echo "missing $build/bin/$b: build first (make build)" >&2; exit 1; }
  done
}

# bash 5 has EPOCHREALTIME; `date` would add its own start-up to each run.
if [ -n "${EPOCHREALTIME:-}" ]; then
  now() { echo "${EPOCHREALTIME/,/.}"; }
else
  now() { date +%s.%N; }
fi

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
