#!/usr/bin/env bash
# make run: a key center on SQLite under ./var/, on 127.0.0.1:8180, in the
# foreground. The first run creates ./var/ (config, store, signing key, admin
# token); later runs reuse it. Delete ./var/ to start over.
set -euo pipefail
BUILD=${1:-build}
VAR=${KW_VAR:-var}
KEYWARDD="$BUILD/bin/keywardd"

mkdir -p "$VAR"
chmod 700 "$VAR"
if [ ! -f "$VAR/keywardd.conf" ]; then
  cat > "$VAR/keywardd.conf" <<'CONF'
# Written by make run (scripts/run-center.sh). Every setting: dist/keywardd.conf
listen = 127.0.0.1:8180
store = sqlite:center.db
signing_key = signing_key
CONF
fi
if [ ! -f "$VAR/signing_key" ]; then
  umask 077
  out=$("$KEYWARDD" init --config "$VAR/keywardd.conf")
  printf '%s\n' "$out" | sed -n 's/^admin token: *//p' > "$VAR/admin.token"
fi
TOKEN=$(cat "$VAR/admin.token")
cat <<EOF2
keywardd: key center on http://127.0.0.1:8180 (store $VAR/center.db)
admin token (also in $VAR/admin.token):
  export KEYWARD_TOKEN=$TOKEN

Try, in another shell:
  curl -s -H "Authorization: Bearer \$KEYWARD_TOKEN" -d '{"name":"alice","email":"alice@example.com"}' http://127.0.0.1:8180/api/v1/users
  curl -s -H "Authorization: Bearer \$KEYWARD_TOKEN" -d "{\"user\":\"alice\",\"public_key\":\"\$(cat ~/.ssh/id_ed25519.pub)\"}" http://127.0.0.1:8180/api/v1/keys
  curl -s -H "Authorization: Bearer \$KEYWARD_TOKEN" http://127.0.0.1:8180/api/v1/audit
EOF2
exec "$KEYWARDD" --config "$VAR/keywardd.conf"
