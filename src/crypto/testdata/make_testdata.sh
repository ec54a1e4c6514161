#!/bin/sh
# Regenerates the crypto test vectors in this directory with the real tools
# (OpenSSH 9.2's ssh-keygen and OpenSSL 3.0's openssl on Debian 12). Every
# key is random, so running it again changes every file; the tests read the
# expected values from these files, never from the tools.
#
#   openssh_*        openssh-key-v1 keys encrypted by ssh-keygen: external
#                    vectors for bcrypt_pbkdf plus the file's cipher
#                    (passphrase in OPENSSH_PASS below).
#   *.pem            PEM private keys in each encoding ParsePemPrivateKey reads
#                    (passphrase in PEM_PASS below for the encrypted ones).
#   *.pub.hex        the public half as openssl prints it, to compare with.
#   *.sig            signatures of msg.txt made by openssl.
set -eu
cd "$(dirname "$0")"

OPENSSH_PASS='kw-test-pass'
PEM_PASS='pem-pass'

rm -f openssh_* *.pem *.pub.hex *.sig *.modulus msg.txt

printf 'keyward crypto test message\n' > msg.txt

# --- openssh-key-v1, one per key length bcrypt_pbkdf is asked for -----------
# aes256-ctr: 48 bytes (2 interleaved blocks); aes128-cbc: 32 (1 block);
# aes192-ctr: 40 (2 blocks, uneven); chacha20-poly1305: 64 (2 blocks).
keygen() { # name cipher rounds
  ssh-keygen -q -t ed25519 -N "$OPENSSH_PASS" -Z "$2" -a "$3" -C "kw-$1" -f "openssh_$1"
  rm -f "openssh_$1.pub"
}
keygen ed25519_aes256ctr_a16 aes256-ctr 16
keygen ed25519_aes128cbc_a4 aes128-cbc 4
keygen ed25519_aes192ctr_a1 aes192-ctr 1
keygen ed25519_chacha_a2 chacha20-poly1305@openssh.com 2

# --- PEM ----------------------------------------------------------------------
pubhex() { # key-file tail-bytes -> hex of the last bytes of the DER public key
  openssl pkey -in "$1" -passin "pass:$PEM_PASS" -pubout -outform DER | tail -c "$2" | od -An -v -tx1 | tr -d ' \n'
}

# RSA: PKCS#1 ("RSA PRIVATE KEY"), and a legacy Proc-Type-encrypted PKCS#1
# as ssh-keygen -m PEM writes it.
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 | openssl pkey -traditional -out rsa2048_pkcs1.pem
openssl rsa -in rsa2048_pkcs1.pem -noout -modulus | sed 's/^Modulus=//' | tr 'A-F' 'a-f' > rsa2048_pkcs1.modulus
for h in sha1 sha256 sha512; do
  openssl dgst -"$h" -sign rsa2048_pkcs1.pem -out "rsa2048_pkcs1.$h.sig" msg.txt
done
ssh-keygen -q -t rsa -b 2048 -m PEM -N "$PEM_PASS" -C '' -f rsa2048_pkcs1_enc.pem
rm -f rsa2048_pkcs1_enc.pem.pub
openssl rsa -in rsa2048_pkcs1_enc.pem -passin "pass:$PEM_PASS" -noout -modulus | sed 's/^Modulus=//' | tr 'A-F' 'a-f' > rsa2048_pkcs1_enc.modulus

# EC: SEC1 ("EC PRIVATE KEY") P-256, the same key with a compressed public
# point, PKCS#8 P-384, encrypted PKCS#8 P-521.
openssl ecparam -name prime256v1 -genkey -noout -out ec256_sec1.pem
pubhex ec256_sec1.pem 65 > ec256_sec1.pub.hex
openssl ec -in ec256_sec1.pem -conv_form compressed -out ec256_sec1_compressed.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384_pkcs8.pem
pubhex ec384_pkcs8.pem 97 > ec384_pkcs8.pub.hex
openssl dgst -sha384 -sign ec384_pkcs8.pem -out ec384_pkcs8.sha384.sig msg.txt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -aes-256-cbc -pass "pass:$PEM_PASS" -out ec521_pkcs8_enc.pem
pubhex ec521_pkcs8_enc.pem 133 > ec521_pkcs8_enc.pub.hex

# Ed25519: PKCS#8, and encrypted PKCS#8.
openssl genpkey -algorithm ED25519 -out ed25519_pkcs8.pem
pubhex ed25519_pkcs8.pem 32 > ed25519_pkcs8.pub.hex
openssl pkeyutl -sign -rawin -inkey ed25519_pkcs8.pem -in msg.txt -out ed25519_pkcs8.sig
openssl genpkey -algorithm ED25519 -aes-256-cbc -pass "pass:$PEM_PASS" -out ed25519_pkcs8_enc.pem
pubhex ed25519_pkcs8_enc.pem 32 > ed25519_pkcs8_enc.pub.hex

# Keys keyward does not handle: DSA and a curve OpenSSH lacks.
openssl genpkey -quiet -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:1024 -out dsa.params
openssl genpkey -paramfile dsa.params -out dsa1024.pem
rm -f dsa.params
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out secp256k1.pem
