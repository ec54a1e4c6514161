#!/usr/bin/python3
"""Prints bcrypt_pbkdf known answers for bcrypt_pbkdf_test.cc.

The oracle is pyca/bcrypt's kdf() (Debian 12's python3-bcrypt 3.2.2, which
wraps OpenBSD's bcrypt_pbkdf.c), independent of keyward's implementation.
Dev-time only: the test embeds the printed values and needs no Python.

    apt-get install python3-bcrypt && /usr/bin/python3 bcrypt_pbkdf_vectors.py
"""

import bcrypt

CASES = [
    # passphrase, salt, rounds, key length
    (b"password", b"salt", 4, 32),
    (b"password", b"salt", 4, 64),
    (b"password", b"salt", 4, 1),
    (b"password", b"salt", 1, 33),
    (b"password", b"salt", 2, 48),
    (b"\x00", b"\x00", 3, 100),
    (bytes(range(100)), bytes(range(16)), 8, 88),
    (b"kw", b"x" * 300, 1, 512),  # pyca caps the length at 512
]

for passphrase, salt, rounds, keylen in CASES:
    key = bcrypt.kdf(passphrase, salt, keylen, rounds, ignore_few_rounds=True)
    print(f'    {{"{passphrase.hex()}", "{salt.hex()}", {rounds}, "{key.hex()}"}},')
