#!/usr/bin/env bash
# bench/known_hosts.sh BUILD_DIR: known_hosts and audit against the real
# ssh-keygen, side by side in one run (`make bench`; never part of `make test`).
#
#   find:   `keyward ssh-keygen -F HOST` vs `ssh-keygen -F HOST` in a hashed
#           known_hosts of N lines (N=1,000,000): a host near the end, and
#           an absent one (every line is hashed, so every line costs one
#           HMAC-SHA1)
#   hash:   `keyward ssh-keygen -H` vs `ssh-keygen -H` of N plain lines
#   remove: `keyward ssh-keygen -R HOST` vs `ssh-keygen -R HOST` in the
#           hashed file
#   audit:  `keyward audit scan` of 100,000 keys in 10,000 files (ssh-keygen
#           has no equivalent; the figure is set against the 2 s target)
#
# Targets (issue #4): find within 1.5x of the HMAC floor (N HMAC-SHA1 on
# one core, measured here with `openssl speed`), both cores allowed; hash and
# remove at most 1/4 of ssh-keygen's time; audit under 2 s.
#
# Runs are interleaved (keyward first, then ssh-keygen first next round) and
# each figure is the median of RUNS wall-clock times, with the median CPU time
# (user + system) beside it; before every run of -H and -R the input file is
# copied back (untimed). Knobs: KW_BENCH_RUNS
# (default 5), KW_BENCH_LINES (default 1000000).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init kw-bench-hosts "$@"
bench_require kw_bench_gen_pubkeys
gen=$build/bin/kw_bench_gen_pubkeys
runs=${KW_BENCH_RUNS:-5}
lines=${KW_BENCH_LINES:-1000000}

[ -x /usr/bin/time ] || { echo "/usr/bin/time (Debian package time) is needed" >&2; exit 1; }

# elapsed CMD...: "WALL CPU" seconds of CMD (output discarded; CPU is user
# + system, which a loaded machine distorts less). Exit status 0 and 1 are
# both fine (-F exits 1 when the host is absent).
elapsed() {
  local rc=0
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "benchmark command failed ($rc): $*" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  tail -1 "$work/time" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}

# compare NAME TARGET_NOTE KW_CMD SSH_CMD [PREP]: interleaved runs, medians, ratio.
compare() {
  local name=$1 note=$2 kwcmd=$3 sshcmd=$4 prep=${5:-true} kw_w="" kw_c="" ssh_w="" ssh_c="" i t
  for ((i = 0; i < runs; i++)); do
    if ((i % 2 == 0)); then
      eval "$prep"; t=$(eval "elapsed $kwcmd"); kw_w+=" ${t% *}"; kw_c+=" ${t#* }"
      eval "$prep"; t=$(eval "elapsed $sshcmd"); ssh_w+=" ${t% *}"; ssh_c+=" ${t#* }"
    else
      eval "$prep"; t=$(eval "elapsed $sshcmd"); ssh_w+=" ${t% *}"; ssh_c+=" ${t#* }"
      eval "$prep"; t=$(eval "elapsed $kwcmd"); kw_w+=" ${t% *}"; kw_c+=" ${t#* }"
    fi
  done
  awk -v n="$name" -v t="$note" -v kw="$(printf '%s\n' $kw_w | median)" -v kc="$(printf '%s\n' $kw_c | median)" \
      -v sw="$(printf '%s\n' $ssh_w | median)" -v sc="$(printf '%s\n' $ssh_c | median)" \
    'BEGIN { printf "%-30s keyward %6.3f s (cpu %5.3f), ssh-keygen %6.3f s (cpu %5.3f), ratio %4.2f  %s\n",
             n ":", kw, kc, sw, sc, (sw > 0 ? kw / sw : 0), t }'
}

echo "keyward known_hosts/audit bench: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$(ssh -V 2>&1 | head -1), median of $runs interleaved runs"

# The HMAC floor: N HMAC-SHA1 of a short name on one core (openssl speed
# reports 16-byte blocks per second; a name fits one block).
if command -v openssl >/dev/null; then
  per_sec=$(openssl speed -seconds 1 -hmac sha1 2>/dev/null | awk '/^hmac\(sha1\)/ { v = $2; sub(/k$/, "", v); print v * 1000 / 16 }')
  floor=$(awk -v n="$lines" -v p="$per_sec" 'BEGIN { if (p > 0) printf "%.3f", n / p; else print "?" }')
  echo "HMAC floor: $lines HMAC-SHA1 on one core ~ $floor s (find target: 1.5x that)"
fi

# Inputs: N lines "hostI.example.com KEY" over 100 distinct Ed25519 keys,
# hashed once by ssh-keygen -H.
"$gen" ed25519 100 7 | cut -d' ' -f1,2 > "$work/keys"
awk -v n="$lines" 'NR == FNR { k[NR - 1] = $0; nk = NR; next }
  END { for (i = 1; i <= n; i++) printf "host%d.example.com %s\n", i, k[i % nk] }' "$work/keys" /dev/null \
  > "$work/plain"
cp "$work/plain" "$work/hashed"
"$sshkeygen" -H -f "$work/hashed" >/dev/null 2>&1
rm -f "$work/hashed.old"
near_end="host$((lines - 10)).example.com"

# Sanity: both tools find the same line.
a=$("$sshkeygen" -F "$near_end" -f "$work/hashed" | head -1)
b=$("$keyward" ssh-keygen -F "$near_end" -f "$work/hashed" | head -1)
[ "$a" = "$b" ] || { echo "find disagrees: '$a' vs '$b'" >&2; exit 1; }

compare "find (near the end) x$lines" "[target: 1.5x floor]" \
  "\"\$keyward\" ssh-keygen -F \"$near_end\" -f \"\$work/hashed\"" \
  "\"\$sshkeygen\" -F \"$near_end\" -f \"\$work/hashed\""
compare "find (absent) x$lines" "[target: 1.5x floor]" \
  "\"\$keyward\" ssh-keygen -F absent.example.com -f \"\$work/hashed\"" \
  "\"\$sshkeygen\" -F absent.example.com -f \"\$work/hashed\""
compare "hash x$lines" "[target: ratio <= 0.25]" \
  "\"\$keyward\" ssh-keygen -H -f \"\$work/kh\"" \
  "\"\$sshkeygen\" -H -f \"\$work/kh\"" \
  "cp \"\$work/plain\" \"\$work/kh\"; rm -f \"\$work/kh.old\""
compare "remove x$lines" "[target: ratio <= 0.25]" \
  "\"\$keyward\" ssh-keygen -R \"$near_end\" -f \"\$work/kh\"" \
  "\"\$sshkeygen\" -R \"$near_end\" -f \"\$work/kh\"" \
  "cp \"\$work/hashed\" \"\$work/kh\"; rm -f \"\$work/kh.old\""

# Audit: 10,000 accounts with 10 keys each (60% Ed25519, 20% ECDSA, 20%
# RSA-3072), a few options, root-owned files (StrictModes passes).
tree=$work/tree
mkdir -p "$tree/etc" "$tree/root/.ssh"
{ "$gen" ed25519 60000 11; "$gen" ecdsa-p256 20000 12; "$gen" rsa3072 20000 13; } > "$work/all.pub"
awk 'BEGIN { print "root:x:0:0:root:/root:/bin/bash" }
  { } END { for (i = 0; i < 10000; i++) printf "u%05d:x:%d:100::/home/u%05d:/bin/sh\n", i, 10000 + i, i }' /dev/null \
  > "$tree/etc/passwd"
for ((i = 0; i < 10000; i++)); do printf '%s/home/u%05d/.ssh\n' "$tree" "$i"; done | xargs mkdir -p
awk -v t="$tree" '{ f = sprintf("%s/home/u%05d/.ssh/authorized_keys", t, int((NR - 1) / 10))
  o = ((NR % 10) == 3) ? "no-pty,from=\"10.0.0.0/8\" " : ((NR % 10) == 5) ? "restrict,command=\"/bin/true\" " : ""
  print o $0 > f; if (NR % 10 == 0) close(f) }' "$work/all.pub"
audit_w=""
audit_c=""
for ((i = 0; i < runs; i++)); do
  t=$(elapsed "$keyward" audit scan --root "$tree" --json -o "$work/audit.json")
  audit_w+=" ${t% *}"
  audit_c+=" ${t#* }"
done
keys=$(grep -o '"keys":[0-9]*' "$work/audit.json" | head -1)
printf '%-30s keyward %6.3f s (cpu %5.3f) (%s)  [target: < 2 s]\n' "audit scan 100k keys/10k files:" \
  "$(printf '%s\n' $audit_w | median)" "$(printf '%s\n' $audit_c | median)" "$keys"
