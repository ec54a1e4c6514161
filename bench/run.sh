#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: keyward against the real ssh-keygen, side by side in
# one run (`make bench`; never part of `make test`).
#
#   fingerprint: `keyward fingerprint F` vs `ssh-keygen -l -f F` over files of
#                N Ed25519, N ECDSA P-256 and N RSA-3072 public keys (N=10000)
#   keygen:      one key of each type with an empty passphrase
#
# Runs are interleaved (keyward, ssh-keygen, then the other order next round)
# so that drift in machine load hits both; each figure is the median of RUNS
# wall-clock times. Output is a table of medians and keyward/ssh-keygen ratios
# (below 1 means keyward is faster). Knobs: KW_BENCH_RUNS (default 9),
# KW_BENCH_KEYS (default 10000).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init kw-bench "$@"
bench_require kw_bench_gen_pubkeys
gen=$build/bin/kw_bench_gen_pubkeys
runs=${KW_BENCH_RUNS:-9}
nkeys=${KW_BENCH_KEYS:-10000}

# elapsed CMD...: runs CMD with output discarded, prints its wall time in
# seconds; a failing command aborts the benchmark.
elapsed() {
  local t0 t1
  t0=$(now)
  if ! "$@" >/dev/null 2>"$work/stderr"; then
    echo "benchmark command failed: $*" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# report NAME KW_TIMES SSH_TIMES
report() {
  local kw ssh
  kw=$(printf '%s\n' $2 | median)
  ssh=$(printf '%s\n' $3 | median)
  awk -v n="$1" -v k="$kw" -v s="$ssh" \
    'BEGIN { printf "%-34s keyward %8.3f s, ssh-keygen %8.3f s, ratio %5.2f\n", n ":", k, s, (s > 0 ? k / s : 0) }'
}

# compare NAME KW_CMD_STRING SSH_CMD_STRING [PREP_STRING]: interleaved runs.
# PREP runs (untimed) before every single run.
compare() {
  local name=$1 kwcmd=$2 sshcmd=$3 prep=${4:-true} kw_times="" ssh_times="" i
  for ((i = 0; i < runs; i++)); do
    if ((i % 2 == 0)); then
      eval "$prep"; kw_times+=" $(eval "elapsed $kwcmd")"
      eval "$prep"; ssh_times+=" $(eval "elapsed $sshcmd")"
    else
      eval "$prep"; ssh_times+=" $(eval "elapsed $sshcmd")"
      eval "$prep"; kw_times+=" $(eval "elapsed $kwcmd")"
    fi
  done
  report "$name" "$kw_times" "$ssh_times"
}

echo "keyward bench: $(nproc) cores, $(ssh -V 2>&1 | head -1), median of $runs interleaved runs"

# Inputs: N distinct public keys of each type, checked once against
# ssh-keygen (which must accept every line) and keyward (same output).
for type in ed25519 ecdsa-p256 rsa3072; do
  "$gen" "$type" "$nkeys" > "$work/$type.pub"
  want=$("$sshkeygen" -l -f "$work/$type.pub" | wc -l)
  if [ "$want" -ne "$nkeys" ]; then
    echo "ssh-keygen -l accepted $want of $nkeys generated $type keys" >&2
    exit 1
  fi
  if ! cmp -s <("$sshkeygen" -l -f "$work/$type.pub") <("$keyward" fingerprint "$work/$type.pub"); then
    echo "note: keyward fingerprint output differs from ssh-keygen -l for $type (timing anyway)" >&2
  fi
done

for type in ed25519 ecdsa-p256 rsa3072; do
  label=${type/-p256/}
  compare "fingerprint $label x$nkeys" \
    "\"\$keyward\" fingerprint \"\$work/$type.pub\"" \
    "\"\$sshkeygen\" -l -f \"\$work/$type.pub\""
done

for spec in "ed25519:-t ed25519" "ecdsa-256:-t ecdsa -b 256" "rsa-3072:-t rsa -b 3072"; do
  label=${spec%%:*}
  args=${spec#*:}
  compare "keygen $label" \
    "\"\$keyward\" keygen $args -N '' -C bench -f \"\$work/kw-key\"" \
    "\"\$sshkeygen\" -q $args -N '' -C bench -f \"\$work/ssh-key\"" \
    "rm -f \"\$work/kw-key\" \"\$work/kw-key.pub\" \"\$work/ssh-key\" \"\$work/ssh-key.pub\""
done

# TOTP (#8): codes verified per second in process against the raw HMAC rate
# measured in the same run (bench/otp_bench.cc).
if [ -x "$build/bin/kw_bench_otp" ]; then
  echo
  "$build/bin/kw_bench_otp"
fi

# known_hosts (-F/-H/-R on 1,000,000 lines) and audit figures.
bash "$(dirname "$0")/known_hosts.sh" "$build"
