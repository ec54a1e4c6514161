#!/usr/bin/env bash
# bench/certs_krl.sh BUILD_DIR: certificates and KRLs (#5), keyward against
# the real ssh-keygen in one run (`make bench`; never part of `make test`).
#
#   krl-serials: ssh-keygen -k vs keyward ssh-keygen -k vs keyward krl build,
#                100,000 random 64-bit serials under one CA (target: keyward
#                under a quarter of ssh-keygen's time)
#   krl-ids:     the same for 100,000 key ids
#   cert-issue:  ssh-keygen -s issues one certificate per process; so does
#                keyward ssh-keygen -s (both for KW_BENCH_CERTS keys)
#   in-process:  kw_bench_certs: certificates/s vs raw OpenSSL Ed25519
#                signatures/s (target ratio >= 0.70), KRL queries at
#                1,000,000 entries (target < 10 us)
#
# Runs are interleaved and each figure is the median of KW_BENCH_RUNS
# (default 5) wall-clock times.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init kw-bench-certs "$@"
bench_require kw_bench_certs
bench=$build/bin/kw_bench_certs
runs=${KW_BENCH_RUNS:-5}
ncerts=${KW_BENCH_CERTS:-50}
export LC_ALL=C.UTF-8 TZ=UTC
unset SSH_AUTH_SOCK
cd "$work"

elapsed() {
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>"$work/stderr" || { echo "benchmark command failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

ssh-keygen -q -t ed25519 -N '' -C ca -f ca
python3 - <<'PY'
import random
r = random.Random(5)
with open("serials.spec", "w") as f:
    for _ in range(100000):
        f.write("serial: %d\n" % r.randrange(1, 2**64))
with open("ids.spec", "w") as f:
    for i in range(100000):
        f.write("id: user-%d-%d\n" % (i, r.randrange(10**9)))
PY

printf '%-12s %12s %12s %12s %10s\n' case ssh-keygen kw-compat kw-native ratio
for spec in serials ids; do
  : > o.t; : > k.t; : > n.t
  for i in $(seq "$runs"); do
    if [ $((i % 2)) -eq 1 ]; then
      elapsed ssh-keygen -q -k -f o.krl -s ca.pub "$spec.spec" >> o.t
      elapsed "$keyward" ssh-keygen -q -k -f k.krl -s ca.pub "$spec.spec" >> k.t
      elapsed "$keyward" krl build -q -f n.krl -s ca.pub "$spec.spec" >> n.t
    else
      elapsed "$keyward" krl build -q -f n.krl -s ca.pub "$spec.spec" >> n.t
      elapsed "$keyward" ssh-keygen -q -k -f k.krl -s ca.pub "$spec.spec" >> k.t
      elapsed ssh-keygen -q -k -f o.krl -s ca.pub "$spec.spec" >> o.t
    fi
  done
  # Same bytes apart from the generation date (offset 20, 8 bytes).
  cmp <(head -c 20 o.krl; tail -c +29 o.krl) <(head -c 20 k.krl; tail -c +29 k.krl) >/dev/null \
    || { echo "krl-$spec: keyward's KRL differs from ssh-keygen's" >&2; exit 1; }
  o=$(median < o.t); k=$(median < k.t); n=$(median < n.t)
  printf '%-12s %11.3fs %11.3fs %11.3fs %10.3f %s\n' "krl-$spec" "$o" "$k" "$n" \
    "$(awk -v a="$k" -v b="$o" 'BEGIN { printf "%.3f", a / b }')" \
    "$(awk -v a="$k" -v b="$o" 'BEGIN { print (a / b < 0.25) ? "(target < 0.25: OK)" : "(target < 0.25: MISSED)" }')"
done

# One certificate per process, as ssh-keygen -s issues them.
for i in $(seq "$ncerts"); do ssh-keygen -q -t ed25519 -N '' -C "u$i" -f "u$i"; done
issue() {  # tool...
  local i
  for i in $(seq "$ncerts"); do "$@" -q -s ca -I "user$i" -n alice -V +8h "u$i.pub"; done
}
: > o.t; : > k.t
for i in $(seq 3); do
  elapsed issue ssh-keygen >> o.t
  elapsed issue "$keyward" ssh-keygen >> k.t
done
o=$(median < o.t); k=$(median < k.t)
printf '%-12s %11.0f/s %11.0f/s %12s %10.3f (one process per certificate)\n' cert-issue \
  "$(awk -v t="$o" -v n="$ncerts" 'BEGIN { print n / t }')" "$(awk -v t="$k" -v n="$ncerts" 'BEGIN { print n / t }')" \
  - "$(awk -v a="$k" -v b="$o" 'BEGIN { printf "%.3f", a / b }')"

echo
echo "in-process (kw_bench_certs):"
"$bench" "${KW_BENCH_SECONDS:-2}"
