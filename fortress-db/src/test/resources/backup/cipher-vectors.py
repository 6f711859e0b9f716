#!/usr/bin/env python3
"""Writes cipher-vectors.json: test vectors of fortress's remote object encryption, made by this
independent implementation of the format docs/backup.md specifies ("Object format"), with the
`cryptography` package only. ObjectCipherTest checks that fortress's Java code produces and reads
exactly these bytes, so neither side can change the format alone.

Also a disaster-recovery decryptor:  python3 cipher-vectors.py decrypt KEYFILE NAME < object > plain
"""
import hashlib, hmac, json, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"FTRSENC1"
CHUNK = 64 * 1024
TAG = 16


def fingerprint(key):
    return hashlib.sha256(b"fortress backup key fingerprint" + key).digest()[:8]


def object_key(key, salt):
    return hmac.new(key, b"fortress backup object v1" + salt, hashlib.sha256).digest()


def encrypt(key, salt, name, plain):
    header = MAGIC + fingerprint(key) + salt
    aead, aad = AESGCM(object_key(key, salt)), header + name.encode("utf-8")
    chunks = [plain[i:i + CHUNK] for i in range(0, len(plain), CHUNK)] or [b""]
    out = header
    for i, chunk in enumerate(chunks):
        out += aead.encrypt(struct.pack(">QI", i, 1 if i == len(chunks) - 1 else 0), chunk, aad)
    return out


def decrypt(key, name, stored):
    header, body = stored[:32], stored[32:]
    if len(header) < 32 or header[:8] != MAGIC or header[8:16] != fingerprint(key):
        raise ValueError("not an object encrypted with this key")
    aead, aad = AESGCM(object_key(key, header[16:32])), header + name.encode("utf-8")
    out, i, pos = b"", 0, 0
    while True:
        chunk = body[pos:pos + CHUNK + TAG]
        pos += len(chunk)
        last = pos == len(body)
        if len(chunk) < TAG:
            raise ValueError("cut off")
        out += aead.decrypt(struct.pack(">QI", i, 1 if last else 0), chunk, aad)  # raises InvalidTag
        if last:
            return out
        i += 1


def pattern(n):
    return bytes(i % 251 for i in range(n))


def vectors():
    key = bytes(range(32))
    salt = bytes(range(0xA0, 0xB0))
    cases = [
        ("empty", "fortress/fortress_20240115_120000/fortress_20240115_120000.dump", b""),
        ("short", "fortress/fortress_20240115_120000/fortress_20240115_120000.manifest.json", b'{"id":"fortress_20240115_120000"}'),
        ("one full chunk", "db/db_20240101_000000/db_20240101_000000.dump", pattern(CHUNK)),
        ("a chunk and a byte", "db/db_20240101_000000/db_20240101_000000.dir/toc.dat", pattern(CHUNK + 1)),
    ]
    out = []
    for title, name, plain in cases:
        stored = encrypt(key, salt, name, plain)
        assert decrypt(key, name, stored) == plain
        v = {"title": title, "key": key.hex(), "salt": salt.hex(), "name": name, "plaintext_bytes": len(plain)}
        if len(plain) <= 64:
            v["plaintext"] = plain.hex()
            v["ciphertext"] = stored.hex()
        else:
            v["plaintext_pattern"] = "byte i is i % 251"
            v["ciphertext_bytes"] = len(stored)
            v["ciphertext_sha256"] = hashlib.sha256(stored).hexdigest()
            v["ciphertext_tail"] = stored[-48:].hex()
        out.append(v)
    return out


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "decrypt":
        text = open(sys.argv[2], "rb").read()
        s = text.strip()
        try:
            key = bytes.fromhex(s.decode()) if len(s) == 64 else None
        except ValueError:
            key = None
        if key is None:
            import base64
            try:
                key = base64.b64decode(s, validate=True)
            except Exception:
                key = text
        if len(key) != 32:
            sys.exit("the key file holds no 256-bit key")
        sys.stdout.buffer.write(decrypt(key, sys.argv[3], sys.stdin.buffer.read()))
    else:
        json.dump({"format": "fortress backup object v1 (docs/backup.md, Object format)", "vectors": vectors()},
                  sys.stdout, indent=2)
        print()
