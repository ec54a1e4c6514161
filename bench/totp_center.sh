#!/usr/bin/env bash
# The key center's TOTP verify endpoint under load (issue 8), for SQLite and
# PostgreSQL: POST /api/v1/totp/verify with a host token, wrk -t2 -c32,
# cycling over KW_BENCH_USERS (default 5,000) enrolled users, each request
# with the user's right code for the current time step. The replay check is
# part of every request: the first request for a user in a step is
# accepted (its step recorded with the conditional UPDATE), the next ones
# are refused as reused; both outcomes are audited, as in production.
# Users are made and enrolled through the API by a small python3 client,
# which also computes each user's codes (RFC 6238, hashlib/hmac) for the
# steps the run spans; the wrk script picks the code of the current step.
# usage: bench/totp_center.sh BUILD_DIR    (KW_BENCH_SECONDS=10, KW_BENCH_USERS=5000,
#        KW_BENCH_BACKENDS="sqlite postgres", KW_BENCH_PG_OPTIONS="?options=..." appended
#        to the PostgreSQL URL, KW_BENCH_HOOK: a command run 2 s into the load)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init kw-bench-totp "$@"
bench_require keywardd
command -v wrk >/dev/null || { echo "wrk not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }
seconds=${KW_BENCH_SECONDS:-10}
users=${KW_BENCH_USERS:-5000}

cat > "$work/seed.py" <<'PY'
# Makes a host and N users enrolled with TOTP through the API; writes a Lua
# table with each user's codes for the steps of the run.
import base64, hashlib, hmac, http.client, json, struct, sys, time
url, token, n, span, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
host, port = url.split("//")[1].split(":")
conn = http.client.HTTPConnection(host, int(port))
def call(method, path, body):
    conn.request(method, path, json.dumps(body), {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status not in (200, 201):
        sys.exit("%s %s: HTTP %d %s" % (method, path, r.status, data.decode()))
    return json.loads(data)
def code(secret, step):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)
host_token = call("POST", "/api/v1/hosts", {"name": "bastion-bench"})["token"]
secrets = []
for i in range(n):
    call("POST", "/api/v1/users", {"name": "u%d" % i})
    secrets.append(call("POST", "/api/v1/users/u%d/totp" % i, {})["secret"])
base = int(time.time()) // 30
steps = span // 30 + 3
with open(out, "w") as f:
    f.write("return { base = %d, token = %s, users = {\n" % (base, json.dumps(host_token)))
    for i, s in enumerate(secrets):
        f.write('{"u%d", {%s}},\n' % (i, ",".join('"%s"' % code(s, base + k) for k in range(steps))))
    f.write("} }\n")
PY

cat > "$work/verify.lua" <<'LUA'
local data = dofile(os.getenv("KW_TOTP_DATA"))
local n = #data.users
local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
accepted, reused, other = 0, 0, 0
local i = -1
local headers = {["Authorization"] = "Bearer " .. data.token, ["Content-Type"] = "application/json"}
function request()
  if i < 0 then i = (id or 0) * math.floor(n / 2) end
  i = i % n + 1
  local u = data.users[i]
  local code = u[2][math.floor(os.time() / 30) - data.base + 1] or "000000"
  return wrk.format("POST", "/api/v1/totp/verify", headers, '{"user":"' .. u[1] .. '","code":"' .. code .. '"}')
end
function response(status, headers, body)
  if status ~= 200 then other = other + 1
  elseif body:find('"reason":"accepted"', 1, true) then accepted = accepted + 1
  elseif body:find('"reason":"reused"', 1, true) then reused = reused + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local a, r, o = 0, 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); r = r + t:get("reused"); o = o + t:get("other") end
  io.write(string.format("outcomes: accepted %d reused %d other %d\n", a, r, o))
end
LUA

pg_pid=
kd_pid=
cleanup() {
  [ -n "$kd_pid" ] && kill "$kd_pid" 2>/dev/null || true
  [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start_postgres() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$work/pg"
  chmod 711 "$work"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then chown nobody:nogroup "$work/pg"; run=(setpriv --reuid=nobody --regid=nogroup --clear-groups --); fi
  "${run[@]}" "$bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
  "${run[@]}" "$bin/postgres" -D "$work/pg/data" -p 15452 -k "$work/pg" -c listen_addresses=127.0.0.1 \
    -c max_connections=200 -c shared_buffers=128MB >"$work/pg/log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 100); do "$bin/pg_isready" -q -h 127.0.0.1 -p 15452 && return 0; sleep 0.1; done
  echo "postgres did not start: $(cat "$work/pg/log")" >&2; exit 1
}
# wrk's summary -> "RPS P50 P99 NON2XX" (latencies in ms)
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    /Non-2xx or 3xx/ { bad = $NF } /^outcomes:/ { o = $0 }
    END { printf "%.0f %.2f %.2f %s %s\n", rps, p50, p99, bad + 0, o }'
}

echo "keyward TOTP verify bench: $users users, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t2 -c32 -d${seconds}s, $(date -u +%FT%TZ)"
for backend in ${KW_BENCH_BACKENDS:-sqlite postgres}; do
  d="$work/$backend"; mkdir -p "$d"
  if [ "$backend" = sqlite ]; then store="sqlite:$d/center.db"; else start_postgres; store="postgres://postgres@127.0.0.1:15452/postgres${KW_BENCH_PG_OPTIONS:-}"; fi
  # Failures (reused) are counted per user: allow the run's share of them.
  # Port 0: any free port (keywardd says which); another bench may be running.
  printf 'listen = 127.0.0.1:0\nstore = %s\nsigning_key = %s/signing_key\ntotp.rate_limit_attempts = 100\n' \
    "$store" "$d" > "$d/keywardd.conf"
  token=$("$build/bin/keywardd" init --config "$d/keywardd.conf" 2>/dev/null | sed -n 's/^admin token: *//p')
  ${KW_BENCH_ENV:-} "$build/bin/keywardd" --config "$d/keywardd.conf" 2>"$d/log" & kd_pid=$!
  for _ in $(seq 100); do grep -q serving "$d/log" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's|.*serving \(http://[0-9.]*:[0-9]*\) .*|\1|p' "$d/log")
  { [ -n "$url" ] && kill -0 "$kd_pid" 2>/dev/null; } || { echo "keywardd did not start: $(cat "$d/log")" >&2; exit 1; }
  s0=$(now)
  python3 "$work/seed.py" "$url" "$token" "$users" "$((seconds + 30))" "$d/codes.lua"
  s1=$(now)
  [ -n "${KW_BENCH_HOOK:-}" ] && (sleep 2; eval "$KW_BENCH_HOOK") &
  read -r rps p50 p99 bad outcome < <(KW_TOTP_DATA="$d/codes.lua" wrk -t2 -c32 -d"${seconds}s" --latency \
    -s "$work/verify.lua" "$url" | wrk_figures)
  audit=$(curl -s -H "Authorization: Bearer $token" "$url/api/v1/audit/verify")
  printf '%-8s enrol %s users via the API: %.1f s\n' "$backend" "$users" "$(awk -v a="$s0" -v b="$s1" 'BEGIN { print b - a }')"
  printf '%-8s verify: %s/s p50 %s ms p99 %s ms (non-2xx %s; %s) [targets >= 5000/s, p99 < 10 ms]\n' \
    "$backend" "$rps" "$p50" "$p99" "$bad" "$outcome"
  printf '%-8s audit chain after the run: %s\n' "$backend" "$audit"
  kill "$kd_pid"; wait "$kd_pid" 2>/dev/null || true; kd_pid=
done
