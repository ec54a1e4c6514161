#!/bin/bash
# Makes the known_hosts test vectors with the real OpenSSH 9.2 ssh-keygen:
# a known_hosts file holding every kind of line, and what ssh-keygen -F,
# -lF, -R and -H make of it. The unit tests (known_hosts_test.cc) compare
# keyward's results with these files; nothing here is written by keyward.
#
#   cd src/formats/testdata/hosts && ./make_testdata.sh
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C.UTF-8 TZ=UTC
ssh-keygen -V 2>/dev/null || true
ssh -V

K=..  # the key vectors of src/formats/testdata
key() { cut -d' ' -f1,2 "$K/$1.key.pub"; }
E=$(key ed25519); C=$(key ecdsa256); C3=$(key ecdsa384); R=$(key rsa2048); D=$(key dsa)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# Hashed lines, made by ssh-keygen -H from plain ones.
cat > "$work/plain" <<EOT
hashed1.example.com $E
hashed2.example.com,192.0.2.7 $C
[hashed3.example.com]:2200 $R
EOT
ssh-keygen -H -f "$work/plain" >/dev/null 2>&1
HASHED=$(cat "$work/plain")

{
  echo "# known_hosts with every kind of line"
  echo "host1.example.com $E"
  echo "Host2.Example.COM,10.0.0.2 $R trailing comment here"
  echo ""
  echo "   "
  echo "*.wild.example.com $C"
  echo "!bad.wild.example.com,*.wild.example.com $E"
  echo "[host3.example.com]:2222 $E"
  echo "[*.ports.example.com]:* $C3"
  echo "host?.q.example.com $C"
  echo "@cert-authority *.example.com $C"
  echo "@revoked host1.example.com $R"
  echo "@revoked	host1.example.com $C"
  echo "@bogus host1.example.com $E"
  echo "@cert-authority @revoked host1.example.com $E"
  echo "host1.example.com ssh-foo AAAA"
  echo "host1.example.com"
  echo "host1.example.com ssh-ed25519"
  echo "host1.example.com ssh-ed25519 # only a comment"
  echo "host1.example.com ED25519 ${E#ssh-ed25519 }"
  echo "host1.example.com ssh-ed25519 AAAAgarbage=="
  echo "host1.example.com 1024 35 12345"
  echo "	  host1.example.com,x $D spaced "
  echo "$HASHED"
  echo "|1|garbage|x $E"
  echo "|1|AAAA|x $E"
  echo "host4,HOST5,,host6 $E"
  echo ",lead.example.com $E"
  echo "UPPER.example.com $E"
  printf 'crlf.example.com %s\r\n' "$E"
  printf 'crlfc.example.com %s comment\r\n' "$E"
  printf 'nul.example.com %s\0junk\n' "$E"
  echo "x $(key ecdsa521) z"
  echo "long.example.com ssh-rsa-cert-v01@openssh.com AAAA"
  printf 'nonl.example.com %s' "$E"
} > known_hosts.mixed

# The same without the lines ssh-keygen -H and -R refuse.
{
  echo "# valid lines only"
  echo "host1.example.com $E"
  echo "Host2.Example.COM,10.0.0.2 $R trailing comment here"
  echo ""
  echo "*.wild.example.com $C"
  echo "[host3.example.com]:2222 $E"
  echo "@cert-authority *.example.com $C"
  echo "@revoked host1.example.com $R"
  echo "$HASHED"
  echo "host4,HOST5,,host6 $E"
  echo ",lead.example.com $E"
  printf 'crlf.example.com %s\r\n' "$E"
  printf 'nul.example.com %s\0junk\n' "$E"
  printf 'nonl.example.com %s' "$E"
} > known_hosts.valid

cat > names.txt <<EOT
host1.example.com
HOST1.EXAMPLE.COM
Host2.Example.COM
host2.example.com
10.0.0.2
a.wild.example.com
bad.wild.example.com
wild.example.com
host3.example.com
[host3.example.com]:2222
[host3.example.com]:22
[a.ports.example.com]:1
hostx.q.example.com
hostxx.q.example.com
hashed1.example.com
Hashed1.example.com
hashed2.example.com
192.0.2.7
[hashed3.example.com]:2200
hashed3.example.com
host4
host5
HOST5
host6
lead.example.com
upper.example.com
crlf.example.com
crlfc.example.com
nul.example.com
x
nonl.example.com
long.example.com
nothere.example.com
EOT

# -F and -lF: stdout and exit status per name.
run_find() {
  local file=$1 out=$2
  : > "$out"
  while read -r name; do
    for flags in -F -lF; do
      printf '### %s %s\n' "$flags" "$name" >> "$out"
      set +e
      ssh-keygen $flags "$name" -f "$file" >> "$out" 2>/dev/null
      rc=$?
      set -e
      printf '### rc=%d\n' "$rc" >> "$out"
    done
  done < names.txt
}
run_find known_hosts.mixed find.mixed.expected

# -R: the rewritten file (or none), stdout, stderr and exit status per name.
run_remove() {
  local file=$1 out=$2
  : > "$out"
  while read -r name; do
    cp "$file" "$work/kh"
    rm -f "$work/kh.old"
    set +e
    (cd "$work" && ssh-keygen -R "$name" -f kh > stdout 2> stderr)
    rc=$?
    set -e
    if [ -e "$work/kh.old" ]; then changed=1; else changed=0; fi
    printf '### -R %s rc=%d changed=%d bytes=%d\n' "$name" "$rc" "$changed" "$(stat -c %s "$work/kh")" >> "$out"
    cat "$work/kh" >> "$out"
    printf '\n### stdout\n' >> "$out"
    cat "$work/stdout" >> "$out"
    printf '### stderr\n' >> "$out"
    tr -d '\r' < "$work/stderr" >> "$out"
    printf '### end\n' >> "$out"
  done < names.txt
}
run_remove known_hosts.mixed remove.mixed.expected
run_remove known_hosts.valid remove.valid.expected

# -H: which lines are refused (mixed), and the hashed file (valid).
cp known_hosts.mixed "$work/kh"
(cd "$work" && ssh-keygen -H -f kh > /dev/null 2> stderr) || true
tr -d '\r' < "$work/stderr" > hash.mixed.stderr
cp known_hosts.valid "$work/kh"
(cd "$work" && ssh-keygen -H -f kh > /dev/null 2> stderr)
tr -d '\r' < "$work/stderr" > hash.valid.stderr
cp "$work/kh" hash.valid.hashed

# Host patterns: one pattern per line, every name looked up with -F.
cat > patterns.txt <<'EOT'
*
*.example.com
*example.com
*.EXAMPLE.com
a*b*c
a?c
??
?*
*?
a**b
!a.example.com
!a.example.com,*.example.com
*.example.com,!a.example.com
b.example.com,!*.example.com
!*
[a]:22
[a]:*
[*]:2222
a,b,c
,a
a,
a,,b
!
*.*.example.com
ab*ba
*a*a*a*a*a*b
EOT
cat > pattern_names.txt <<'EOT'
a.example.com
A.Example.COM
b.example.com
abc
axbyc
ac
abbc
a
b
aa
x.y.example.com
[a]:22
[a]:2222
[b]:2222
ab
abba
abxba
aaaaaaaaaaaaaaaab
aaaaaaaaaaaaaaaaa
EOT
: > patterns.expected
while IFS= read -r pat; do
  printf '%s %s\n' "$pat" "$E" > "$work/pat"
  while IFS= read -r name; do
    if ssh-keygen -F "$name" -f "$work/pat" > /dev/null 2>&1; then r=1; else r=0; fi
    printf '%s\t%s\t%d\n' "$pat" "$name" "$r" >> patterns.expected
  done < pattern_names.txt
done < patterns.txt
echo "made $(ls | wc -l) files"
