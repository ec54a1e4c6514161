#!/usr/bin/env bash
# A fleet of keyward-agents against one keywardd (issue 7):
#   N agent processes (default 1,000), each with its own config, state and
#   install directories, long-polling one keywardd on SQLite, seeded as in
#   bench/center.sh (10,000 users, 30,000 keys, 5,000 hosts in 100 groups,
#   2,000 grants; user "fleet" has one key granted on every host).
#   1. enroll all N (keyward-agent enroll, 8 at a time) and start them; wait
#      until each has installed its first bundle;
#   2. idle: resident memory of each agent (VmRSS, median and max) and the
#      CPU time all agents use over KW_BENCH_IDLE seconds (default 20);
#   3. revoke the fleet key and measure, for each agent, the time from the
#      start of the revoke call to the moment its new revision was installed
#      (status.json installed_at_us): p50, p99, max.
# usage: bench/agent_fleet.sh BUILD_DIR   (KW_BENCH_AGENTS=1000, KW_BENCH_IDLE=20,
#        KW_BENCH_AGENT_DIR=DIR to put the agents' directories elsewhere, e.g. a tmpfs,
#        KW_BENCH_INPROC=1 to run the N agents as instances of the agent's own
#        Agent class, a thread each, in one process (kw_bench_agent_fleet);
#        issue 7 allows either. Resident memory is then the whole process's
#        divided by N.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init kw-bench-fleet "$@"
bench_require keywardd keyward-agent kw_bench_center_seed
inproc=${KW_BENCH_INPROC:-0}
[ "$inproc" = 0 ] || bench_require kw_bench_agent_fleet
command -v curl >/dev/null || { echo "curl not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
agents=${KW_BENCH_AGENTS:-1000}
idle=${KW_BENCH_IDLE:-20}
adir=${KW_BENCH_AGENT_DIR:-$work/agents}
[ "$agents" -le 5000 ] || { echo "at most 5000 agents (the seeded hosts)" >&2; exit 2; }
mkdir -p "$adir"
adir=$(mktemp -d "$adir/fleet.XXXXXX")

kd_pid=
fleet_pid=
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "agent_fleet.sh failed (exit $rc); keywardd's log ends:" >&2
    tail -5 "$work/center/log" >&2 2>/dev/null || true
    echo "agent a0's log ends:" >&2
    tail -5 "$adir/a0/log" >&2 2>/dev/null || true
    [ -s "$adir/fleet.err" ] && { echo "kw_bench_agent_fleet's errors end:" >&2; tail -5 "$adir/fleet.err" >&2; }
  fi
  pkill -TERM -f "keyward-agent run --config $adir/" 2>/dev/null || true
  [ -n "$fleet_pid" ] && kill "$fleet_pid" 2>/dev/null || true
  [ -n "$kd_pid" ] && kill "$kd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$adir" "$work"
}
trap cleanup EXIT
# In one process, 1,000 agents hold about 5,000 descriptors (a connection
# and its event loop each, more while a report is sent).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

d=$work/center; mkdir -p "$d"
port=18190
url=http://127.0.0.1:$port
printf 'listen = 127.0.0.1:%s\nstore = sqlite:%s/center.db\nsigning_key = %s/signing_key\nmax_wait = 300\n' \
  "$port" "$d" "$d" > "$d/keywardd.conf"
token=$("$build/bin/keywardd" init --config "$d/keywardd.conf" 2>/dev/null | sed -n 's/^admin token: *//p')
fleet=$("$build/bin/kw_bench_center_seed" "sqlite:$d/center.db")
"$build/bin/keywardd" --config "$d/keywardd.conf" 2>"$d/log" & kd_pid=$!
for _ in $(seq 100); do grep -q serving "$d/log" 2>/dev/null && break; sleep 0.1; done
fp=$(ssh-keygen -lf "$d/signing_key.pub" | awk '{print $2}')

echo "keyward agent fleet bench: $agents agents ($([ "$inproc" = 0 ] && echo "processes" || echo "in one process, a thread each")), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), agents in $(df -P "$adir" | awk 'NR==2 {print $1}'), $(date -u +%FT%TZ)"
# 1. Enroll and start.
for i in $(seq 0 $((agents - 1))); do
  mkdir -p "$adir/a$i"
  printf 'server = %s\nstate_dir = state\ninstall_dir = install\nhost_key_dir = %s\nwait = 120\n' \
    "$url" "$adir/a$i" > "$adir/a$i/agent.conf"
done
t0=$(now)
seq 0 $((agents - 1)) | xargs -P 8 -I{} "$build/bin/keyward-agent" enroll --config "$adir/a{}/agent.conf" \
  --token kw_bench_host_{} --signing-key-fingerprint "$fp" >/dev/null
t1=$(now)
if [ "$inproc" = 0 ]; then
  for i in $(seq 0 $((agents - 1))); do
    "$build/bin/keyward-agent" run --config "$adir/a$i/agent.conf" 2>>"$adir/a$i/log" &
  done
else
  seq 0 $((agents - 1)) | sed "s|.*|$adir/a&/agent.conf|" | "$build/bin/kw_bench_agent_fleet" \
    >"$adir/fleet.out" 2>"$adir/fleet.err" & fleet_pid=$!
fi
# Every agent's first bundle installed (status.json with a revision).
installed() { cat "$adir"/a*/state/status.json 2>/dev/null | grep -c '"revision":[1-9]' || true; }
for _ in $(seq 600); do [ "$(installed)" -ge "$agents" ] && break; sleep 0.5; done
t2=$(now)
[ "$(installed)" -ge "$agents" ] || { echo "only $(installed) of $agents agents installed a first bundle" >&2; exit 1; }
printf 'enroll %d agents (8 at a time): %.1f s; all started and first bundle installed: %.1f s\n' \
  "$agents" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')"

# 2. Idle: memory and CPU.
sleep 2
if [ "$inproc" = 0 ]; then
  pids=$(pgrep -f "keyward-agent run --config $adir/" || true)
  rss=$(for p in $pids; do awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null; done)
else
  pids=$fleet_pid
  rss=$(awk -v n="$agents" '/^VmRSS/ {print $2 / n}' "/proc/$fleet_pid/status")
fi
cpu() { for p in $pids; do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null; done | awk '{s += $1} END {print s + 0}'; }
c0=$(cpu); sleep "$idle"; c1=$(cpu)
hz=$(getconf CLK_TCK)
if [ "$inproc" = 0 ]; then
  printf 'one agent resident memory: median %.1f MB, max %.1f MB [target < 10 MB]\n' \
    "$(printf '%s\n' "$rss" | median | awk '{print $1 / 1024}')" "$(printf '%s\n' "$rss" | sort -n | tail -1 | awk '{print $1 / 1024}')"
else
  printf 'resident memory of the one process, divided by %d agents: %.2f MB each (the 10 MB target is for an agent process: run without KW_BENCH_INPROC)\n' \
    "$agents" "$(printf '%s\n' "$rss" | awk '{print $1 / 1024}')"
fi
printf 'idle CPU over %s s: all %d agents %.2f s together, %.4f%% of a core per agent\n' \
  "$idle" "$agents" "$(awk -v a="$c0" -v b="$c1" -v h="$hz" 'BEGIN { print (b - a) / h }')" \
  "$(awk -v a="$c0" -v b="$c1" -v h="$hz" -v n="$agents" -v s="$idle" 'BEGIN { print 100 * (b - a) / h / n / s }')"

# 3. Revoke the fleet key; each agent's install time.
before=$(grep -ho '"revision":[0-9]*' "$adir/a0/state/status.json" | cut -d: -f2)
kd_cpu() { awk '{print $14 + $15}' "/proc/$kd_pid/stat"; }
a0=$(cpu); k0=$(kd_cpu)
r0_us=$(now | awk '{printf "%.0f", $1 * 1000000}')
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{}' "$url/api/v1/keys/$fleet/revoke"
r1_us=$(now | awk '{printf "%.0f", $1 * 1000000}')
# One process reads all status files (a process per file would take the
# CPU the agents need), checked every half second.
newer() { grep -ho '"revision":[0-9]*' "$adir"/a*/state/status.json | awk -F: -v b="$before" '$2 > b' | wc -l; }
for _ in $(seq 120); do sleep 0.5; [ "$(newer)" -ge "$agents" ] && break; done
done_n=$(newer)
a1=$(cpu); k1=$(kd_cpu)
# Each status.json is one line with its keys sorted: installed_at_us comes
# before revision. Only agents at the new revision count.
lat=$(cat "$adir"/a*/state/status.json |
  sed -n 's/.*"installed_at_us":\([0-9]*\).*"revision":\([0-9]*\).*/\1 \2/p' |
  awk -v r="$r0_us" -v b="$before" '$2 > b { printf "%.1f\n", ($1 - r) / 1000 }' | sort -g)
pct() { printf '%s\n' "$lat" | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'; }
printf 'revoke call took %.0f ms; agents at the new revision: %d of %d\n' "$(( (r1_us - r0_us) / 1000 ))" "$done_n" "$agents"
printf 'revoke -> installed on each agent: p50 %s ms, p99 %s ms, max %s ms [target p99 < 1000 ms]\n' \
  "$(pct 50)" "$(pct 99)" "$(pct 100)"
printf 'CPU spent on the revocation (until all installed and reported, polls renewed): agents %.2f s (%.2f ms each), keywardd %.2f s\n' \
  "$(awk -v a="$a0" -v b="$a1" -v h="$hz" 'BEGIN { print (b - a) / h }')" \
  "$(awk -v a="$a0" -v b="$a1" -v h="$hz" -v n="$agents" 'BEGIN { print 1000 * (b - a) / h / n }')" \
  "$(awk -v a="$k0" -v b="$k1" -v h="$hz" 'BEGIN { print (b - a) / h }')"
[ "$done_n" -ge "$agents" ] || { echo "only $done_n of $agents agents installed the new revision in 60 s" >&2; exit 1; }
