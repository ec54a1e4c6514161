#!/usr/bin/env bash
# The key center under load (issue 6), for SQLite and PostgreSQL:
#   - renders: GET /api/v1/keys?host=H over HTTP, H cycling over 5,000 hosts,
#     each request with that host's own token (wrk, 2 threads, 32 connections)
#   - revalidations: GET /api/v1/hosts/H/bundle with If-None-Match -> 304
#   - 1,000 held long polls woken by one revocation (kw_bench_longpoll)
# on a store of 10,000 users, 30,000 keys, 5,000 hosts in 100 groups and
# 2,000 grants (kw_bench_center_seed).
# usage: bench/center.sh BUILD_DIR      (KW_BENCH_SECONDS=10, KW_BENCH_POLLS=1000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init kw-bench-center "$@"
bench_require keywardd kw_bench_center_seed kw_bench_longpoll
command -v wrk >/dev/null || { echo "wrk not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
seconds=${KW_BENCH_SECONDS:-10}
polls=${KW_BENCH_POLLS:-1000}

cat > "$work/render.lua" <<'LUA'
local i = 0
request = function()
  i = (i + 1) % 5000
  return wrk.format("GET", "/api/v1/keys?host=h" .. i, {["Authorization"] = "Bearer kw_bench_host_" .. i})
end
LUA
cat > "$work/revalidate.lua" <<'LUA'
local i = 0
local etag = os.getenv("KW_ETAG")
request = function()
  i = (i + 1) % 5000
  return wrk.format("GET", "/api/v1/hosts/h" .. i .. "/bundle",
                    {["Authorization"] = "Bearer kw_bench_host_" .. i, ["If-None-Match"] = etag})
end
response = function(status, headers, body)
  if status ~= 304 and status ~= 200 then print("status " .. status) end
end
LUA

pg_pid=
start_postgres() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$work/pg"
  chmod 711 "$work"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then chown nobody:nogroup "$work/pg"; run=(setpriv --reuid=nobody --regid=nogroup --clear-groups --); fi
  "${run[@]}" "$bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
  "${run[@]}" "$bin/postgres" -D "$work/pg/data" -p 15432 -k "$work/pg" -c listen_addresses=127.0.0.1 \
    -c max_connections=200 -c shared_buffers=128MB >"$work/pg/log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 100); do "$bin/pg_isready" -q -h 127.0.0.1 -p 15432 && return 0; sleep 0.1; done
  echo "postgres did not start: $(cat "$work/pg/log")" >&2; exit 1
}

kd_pid=
cleanup() {
  [ -n "$kd_pid" ] && kill "$kd_pid" 2>/dev/null || true
  [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# wrk's summary -> "RPS P50 P99" (latencies in ms)
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    /Non-2xx or 3xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %s\n", rps, p50, p99, bad + 0 }'
}

echo "keyward center bench: cache=${KW_BENCH_CACHE:-yes}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t2 -c32 -d${seconds}s, $(date -u +%FT%TZ)"
for backend in sqlite postgres; do
  d="$work/$backend"; mkdir -p "$d"
  port=$([ $backend = sqlite ] && echo 18180 || echo 18181)
  if [ $backend = sqlite ]; then store="sqlite:$d/center.db"; else start_postgres; store="postgres://postgres@127.0.0.1:15432/postgres"; fi
  printf 'listen = 127.0.0.1:%s\nstore = %s\nsigning_key = %s/signing_key\ncache = %s\n' "$port" "$store" "$d" "${KW_BENCH_CACHE:-yes}" > "$d/keywardd.conf"
  token=$("$build/bin/keywardd" init --config "$d/keywardd.conf" 2>/dev/null | sed -n 's/^admin token: *//p')
  s0=$(now); fleet=$("$build/bin/kw_bench_center_seed" "$store"); s1=$(now)
  "$build/bin/keywardd" --config "$d/keywardd.conf" 2>"$d/log" & kd_pid=$!
  for _ in $(seq 100); do grep -q serving "$d/log" 2>/dev/null && break; sleep 0.1; done
  url="http://127.0.0.1:$port"
  # One pass over every host first: the first bundle of a host records its
  # content's revision (a write), which happens once per host and change.
  t0=$(now)
  seq 0 4999 | xargs -P 8 -I{} curl -s -o /dev/null -o /dev/null -H "Authorization: Bearer kw_bench_host_{}" \
    "$url/api/v1/hosts/h{}/bundle" "$url/api/v1/keys?host=h{}"
  t1=$(now)
  warm=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  read -r rps p50 p99 bad < <(wrk -t2 -c32 -d"${seconds}s" --latency -s "$work/render.lua" "$url" | wrk_figures)
  lines=$(curl -s -H "Authorization: Bearer kw_bench_host_17" "$url/api/v1/keys?host=h17" | wc -l)
  etag=$(curl -s -D - -o /dev/null -H "Authorization: Bearer kw_bench_host_0" "$url/api/v1/hosts/h0/bundle" | tr -d '\r' | sed -n 's/^ETag: //Ip')
  read -r rps304 p50_304 p99_304 bad304 < <(KW_ETAG=$etag wrk -t2 -c32 -d"${seconds}s" --latency -s "$work/revalidate.lua" "$url" | wrk_figures)
  lp=$("$build/bin/kw_bench_longpoll" "$port" "$polls" "$token" "$fleet" || true)
  printf '%-8s first bundle + render of all 5,000 hosts (curl, 8 at a time): %.1f s\n' "$backend" "$warm"
  printf '%-8s seed %.1f s | renders (%s lines each): %s/s p50 %s ms p99 %s ms (non-2xx %s) [targets >= 5000/s, p99 < 10 ms]\n' \
    "$backend" "$(awk -v a="$s0" -v b="$s1" 'BEGIN { print b - a }')" "$lines" "$rps" "$p50" "$p99" "$bad"
  printf '%-8s 304 revalidations: %s/s p50 %s ms p99 %s ms (other than 304: %s) [target >= 20000/s]\n' \
    "$backend" "$rps304" "$p50_304" "$p99_304" "$bad304"
  printf '%-8s %s [target: 1,000 within 1 s]\n' "$backend" "$lp"
  kill "$kd_pid"; wait "$kd_pid" 2>/dev/null || true; kd_pid=
done
