#!/usr/bin/env bash
# Regenerates the known-answer vectors of formats_test with the real
# OpenSSH ssh-keygen (9.2 on Debian 12). Every *.expected file is what
# ssh-keygen printed, never keyward's own output.
#
#   cd src/formats/testdata && ./make_testdata.sh
set -euo pipefail
cd "$(dirname "$0")"
rm -f ./*.key ./*.key.pub ./*.expected
export LC_ALL=C TZ=UTC

gen() {  # name type bits passphrase comment
  local name=$1 type=$2 bits=$3 pass=$4 comment=$5
  if [ -n "$bits" ]; then
    ssh-keygen -q -t "$type" -b "$bits" -N "$pass" -C "$comment" -f "$name.key"
  else
    ssh-keygen -q -t "$type" -N "$pass" -C "$comment" -f "$name.key"
  fi
}

gen ed25519 ed25519 "" "" "alice@example"
gen ecdsa256 ecdsa 256 "" "ecdsa 256 key"
gen ecdsa384 ecdsa 384 "" ""
gen ecdsa521 ecdsa 521 "" "p521"
gen rsa2048 rsa 2048 "" "rsa2048"
gen rsa1024 rsa 1024 "" "small"
gen dsa dsa "" "" "dsa key"
gen ed25519_pw ed25519 "" "mekmitasdigoat" "encrypted ed25519"
gen ecdsa_pw ecdsa 384 "mekmitasdigoat" "encrypted ecdsa"
gen rsa_pw rsa 2048 "mekmitasdigoat" "encrypted rsa"
# An aes256-cbc encrypted key, the cipher of older OpenSSH releases.
ssh-keygen -q -t ed25519 -N mekmitasdigoat -Z aes256-cbc -C "cbc key" -f ed25519_cbc.key
# PEM private keys (PKCS#1, SEC1, PKCS#8) as ssh-keygen -m writes them.
ssh-keygen -q -t rsa -b 2048 -N "" -m PEM -C "" -f rsa_pem.key
ssh-keygen -q -t ecdsa -b 256 -N "" -m PEM -C "" -f ecdsa_pem.key
ssh-keygen -q -t ecdsa -b 384 -N "" -m PKCS8 -C "" -f ecdsa_pkcs8.key

for k in *.key.pub; do
  base=${k%.key.pub}
  ssh-keygen -l -f "$k" > "$base.l.expected"
  ssh-keygen -l -E md5 -f "$k" > "$base.md5.expected"
  ssh-keygen -l -E sha1 -f "$k" > "$base.sha1.expected"
  ssh-keygen -l -E sha512 -f "$k" > "$base.sha512.expected"
  ssh-keygen -lv -f "$k" > "$base.lv.expected"
  ssh-keygen -lv -E md5 -f "$k" > "$base.lvmd5.expected"
  ssh-keygen -B -f "$k" > "$base.B.expected"
done
for k in *.key; do
  base=${k%.key}
  case $base in
    *_pw|*_cbc) ssh-keygen -y -P mekmitasdigoat -f "$k" > "$base.y.expected" ;;
    *) ssh-keygen -y -f "$k" > "$base.y.expected" ;;
  esac
done
echo done

# Files of many lines for the scanner: options, host lists, markers, CRLF,
# invalid lines, and 9.2's reuse of a previous line's comment.
K=$(cut -d' ' -f1-2 ed25519.key.pub)
R=$(cut -d' ' -f1-2 rsa2048.key.pub)
E=$(cut -d' ' -f1-2 ecdsa256.key.pub)
{
  printf '# a comment line\n\n'
  printf 'myhost %s\n' "$K"
  printf '%s\n' "$K"
  printf 'command="ls -l",no-pty %s trailing comment\n' "$R"
  printf 'from="10.0.0.0/8" %s\n' "$E"
  printf '@cert-authority *.example.com %s\n' "$K"
  printf '@revoked host %s\n' "$K"
  printf 'host1.example.com,192.0.2.1 %s\n' "$R"
  printf '|1|aGVsbG8gd29ybGQgc2FsdCEhISE=|Zm9vYmFyYmF6cXV4cXV1eHh4eHg= %s hashed\n' "$E"
  printf 'ssh-ed25519 AAAAnotbase64!!! broken\n'
  printf 'not a key line at all\n'
  printf '1024 35 12345 legacy-rsa1\n'
  printf '  \t%s   spaced\tcomment  \n' "$K"
  printf '%s #hash-comment\n' "$R"
  printf '%s crlf comment\r\n' "$E"
  printf 'environment="A=\\"q q\\"",no-pty %s\n' "$K"
  printf '%s' "$R"
} > mixed.txt
ssh-keygen -l -f mixed.txt > mixed.l.expected
ssh-keygen -lv -E md5 -f mixed.txt > mixed.lvmd5.expected
echo scan done
