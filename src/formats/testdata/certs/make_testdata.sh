#!/usr/bin/env bash
# Regenerates the certificate, KRL and SSHSIG vectors of formats_test with
# the real OpenSSH ssh-keygen (9.2 on Debian 12). Every *.expected file,
# certificate, KRL and signature here was written by ssh-keygen, never by
# keyward.
#
#   cd src/formats/testdata/certs && ./make_testdata.sh
set -euo pipefail
cd "$(dirname "$0")"
rm -f ./*.key ./*.pub ./*.expected ./*.krl ./*.sig ./*.spec ./*.allowed ./msg.txt ./*.fp
export LC_ALL=C TZ=UTC

key() { ssh-keygen -q -t "$2" ${3:+-b "$3"} -N "" -C "$1 comment" -f "$1.key"; }

# CAs of every signing type, and subject keys of every type.
key ca_ed25519 ed25519
key ca_ecdsa256 ecdsa 256
key ca_ecdsa384 ecdsa 384
key ca_ecdsa521 ecdsa 521
key ca_rsa rsa 2048
key ed25519 ed25519
key ecdsa256 ecdsa 256
key ecdsa384 ecdsa 384
key ecdsa521 ecdsa 521
key rsa rsa 2048

# Certificates: name, CA, extra ssh-keygen arguments, subject key.
cert() {
  local name=$1 ca=$2 subject=$4
  # shellcheck disable=SC2086
  cp "$subject.key.pub" "$name.pub"
  ssh-keygen -q -s "$ca.key" $3 "$name.pub"
  rm "$name.pub"
  ssh-keygen -L -f "$name-cert.pub" > "$name.L.expected"
  ssh-keygen -L -E md5 -f "$name-cert.pub" > "$name.Lmd5.expected"
  ssh-keygen -l -f "$name-cert.pub" > "$name.l.expected"
}
cert user_ed25519 ca_ed25519 "-I alice@example -n alice,bob -V 20240101:20300101 -z 42" ed25519
cert user_ecdsa256 ca_ecdsa256 "-I ecdsa-user -n alice -V 20240101120000Z:20240102 -z 1" ecdsa256
cert user_ecdsa384 ca_ecdsa384 "-I e384 -n alice -V always:20300101" ecdsa384
cert user_ecdsa521 ca_ecdsa521 "-I e521 -n alice -V 20240101:forever" ecdsa521
cert user_rsa ca_rsa "-I rsa-user -n alice -V 20240101:20300101 -z 7" rsa
cert user_rsa256 ca_rsa "-I rsa-256 -n alice -t rsa-sha2-256 -V 20240101:20300101" rsa
cert user_sha1 ca_rsa "-I rsa-sha1 -n alice -t ssh-rsa -V 20240101:20300101" ed25519
cert host_ed25519 ca_ed25519 "-h -I host.example.com -n host.example.com,10.0.0.1 -V 20240101:20300101 -z 1000" ed25519
cert host_rsa ca_ecdsa256 "-h -I rsa-host -n h1 -V 20240101:20300101" rsa
cert opts ca_ed25519 "-I opts -n alice -V 20240101:20300101 -O force-command=/bin/true -O source-address=10.0.0.0/8,192.168.1.1 -O critical:crit@example.com -O extension:custom@example.com=val -O verify-required -O no-touch-required" ed25519
cert clear ca_ed25519 "-I clear -n alice -V 20240101:20300101 -O clear -O permit-pty" ecdsa256
cert noprinc ca_ed25519 "-I noprinc -V 20240101:20300101" ed25519
cert forever ca_ed25519 "-I forever -n alice" ed25519
cert maxserial ca_ed25519 "-I max -n alice -z 18446744073709551615 -V 0x1:0xfffffffe" ed25519
cert utf8 ca_ed25519 "-I idé-ünïcode -n αλίκη,bob -V 20240101:20300101" ed25519
# A file with a certificate, a plain key, a comment and a bad line.
{
  echo "# certificates"
  cat user_ed25519-cert.pub
  cat ed25519.key.pub
  echo "ssh-ed25519 AAAAbroken"
  cat host_rsa-cert.pub
} > mixed.pub
ssh-keygen -L -f mixed.pub > mixed.L.expected 2> mixed.Lerr.expected || true

# KRLs from spec files (the generation date differs from run to run).
ssh-keygen -l -E sha256 -f rsa.key.pub | awk '{print $2}' > rsa.fp
{
  echo "# a KRL spec"
  echo "serial: 1-5"
  echo "serial: 7"
  echo "serial: 0x10"
  echo "serial: 1000000-2000000"
  echo "serial: 3000000"
  echo "serial: 3000005"
  echo "id: revoked-id"
  echo "id: another id  # with a comment"
  echo "key: $(cat ecdsa384.key.pub)"
  echo "sha1: $(cat ecdsa521.key.pub)"
  echo "sha256: $(cat ecdsa256.key.pub)"
  echo "hash: $(cat rsa.fp)"
  cat user_rsa-cert.pub
  cat noprinc-cert.pub
} > full.spec
rm rsa.fp
ssh-keygen -q -k -f full.krl -s ca_ed25519.key.pub -z 17 full.spec
ssh-keygen -Q -l -f full.krl > full.Ql.expected || true
for k in ed25519.key.pub ecdsa256.key.pub ecdsa384.key.pub ecdsa521.key.pub rsa.key.pub \
         user_ed25519-cert.pub user_rsa-cert.pub noprinc-cert.pub host_ed25519-cert.pub opts-cert.pub; do
  ssh-keygen -Q -f full.krl "$k" >> full.Q.expected || true
done
printf 'serial: 1-5\nserial: 7\nserial: 16\n' > bitmap.spec
ssh-keygen -q -k -f bitmap.krl -s ca_ed25519.key.pub bitmap.spec
printf 'serial: 5\nserial: 1000\nserial: 100000\nid: x\n' > wild.spec
ssh-keygen -q -k -f wild.krl -s none wild.spec
ssh-keygen -Q -l -f wild.krl > wild.Ql.expected
cp full.krl updated.krl
printf 'serial: 6\nid: later\n' > update.spec
ssh-keygen -q -k -u -f updated.krl -s ca_ecdsa256.key.pub update.spec
ssh-keygen -q -k -f empty.krl /dev/null

# SSHSIG signatures of a message, by every key type and both hashes.
printf 'the message\n' > msg.txt
for k in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa; do
  ssh-keygen -q -Y sign -f "$k.key" -n file < msg.txt > "$k.sha512.sig"
  ssh-keygen -q -Y sign -f "$k.key" -n git -O hashalg=sha256 < msg.txt > "$k.sha256.sig"
done
# Signed with a certificate.
cp user_ed25519-cert.pub ed25519.key-cert.pub
ssh-keygen -q -Y sign -f ed25519.key-cert.pub -n file < msg.txt > cert.sig
rm ed25519.key-cert.pub
{
  echo "# allowed signers"
  echo "alice,bob* $(cut -d' ' -f1,2 ed25519.key.pub)"
  echo "carol namespaces=\"git\" $(cut -d' ' -f1,2 ecdsa256.key.pub)"
  echo "dave valid-before=\"20200101\" $(cut -d' ' -f1,2 ecdsa384.key.pub)"
  echo "alice,*@example.com cert-authority $(cut -d' ' -f1,2 ca_ed25519.key.pub)"
  echo "erin $(cut -d' ' -f1,2 rsa.key.pub)"
} > signers.allowed
verify() {  # name sig namespace principal: stdout, stderr and exit status
  local rc=0
  ssh-keygen -Y verify -f signers.allowed -I "$4" -n "$3" -s "$2" -O verify-time=20250101 \
    < msg.txt > "$1.verify.out.expected" 2> "$1.verify.err.expected" || rc=$?
  echo "$rc" > "$1.verify.rc.expected"
}
verify alice ed25519.sha512.sig file alice
verify bob2 ed25519.sha512.sig file bobby
verify mallory ed25519.sha512.sig file mallory
verify carol_git ecdsa256.sha256.sig git carol
verify carol_file ecdsa256.sha512.sig file carol
verify dave ecdsa384.sha512.sig file dave
verify erin rsa.sha512.sig file erin
verify cert_alice cert.sig file alice
verify wrong_ns ed25519.sha512.sig git alice
ssh-keygen -Y find-principals -f signers.allowed -s ed25519.sha512.sig > find_ed25519.expected
ssh-keygen -Y find-principals -f signers.allowed -s cert.sig -O verify-time=20250101 > find_cert.expected || true
echo done
