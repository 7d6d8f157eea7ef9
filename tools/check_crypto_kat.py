#!/usr/bin/python3
"""Independent cross-check of the crypto known-answer files (tests/ref/crypto/).

The golden files are written by the code under test (test_crypto_kat
--generate), so comparing against them only catches *changes*.  This script
re-derives what the files must satisfy from the paper's definitions (EncryIP
section 4.2, Figure 1) with arithmetic that shares no code with encryip:
  - paper group Z_q^*: Python big integers (pow, modular inverse);
  - ristretto255: libsodium's primitive operations through ctypes (point
    addition, scalar multiplication, from_hash) and Python integers mod L for
    scalars, SHA-512 / BLAKE2b from hashlib.
Checked: file frames (magic, version, group, z, q) and BLAKE2b-128 checksums,
pk_id = BLAKE2b-128(public key file without checksum), g1 (smallest primitive
root / base point), g2 = g1^t, h = g1^a1 g2^b1, every licensee key
a_j = a1 + (b1 - b_j) t with b_j from the master key, the issued key on the
same line with a fresh b, the label encoding, Dec of every ciphertext under
every key (labels 0..9, the two Fakes pairwise different, SampDist of label 0,
the codebook's labelled codewords, the targeted verification ciphertext).
Usage: check_crypto_kat.py DIR   (exit 0 = all checks passed)
"""
import ctypes
import ctypes.util
import hashlib
import os
import struct
import sys

L = 2**252 + 27742317777372353535851937790883648493  # ristretto255 group order
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL", what)


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def frame(buf, magic, group, name):
    """Header + checksum; returns (z, q, body)."""
    check(buf[:4] == magic, f"{name}: magic {buf[:4]!r}")
    ver, grp, z, q = struct.unpack_from("<HHII", buf, 4)
    check(ver == 1, f"{name}: version {ver}")
    check(grp == group, f"{name}: group {grp}")
    want = hashlib.blake2b(buf[:-16], digest_size=16).digest()
    check(buf[-16:] == want, f"{name}: BLAKE2b-128 checksum")
    return z, q, buf[16:-16]


# ---------------------------------------------------------------- paper group

def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


def is_primitive_root(g, q):
    n = q - 1
    fs = {p for p in range(2, n + 1) if n % p == 0 and is_prime(p)}
    return all(pow(g, n // p, q) != 1 for p in fs)


def paper(d):
    pkb = read(d, "paper-public.key")
    z, q, body = frame(pkb, b"EIPK", 1, "paper-public.key")
    check(is_prime(q) and q > z, f"paper: q={q} prime > z={z}")
    n = q - 1
    g1, g2, h = struct.unpack("<III", body)
    check(g1 == min(g for g in range(2, q) if is_primitive_root(g, q)), "paper: g1 smallest primitive root")
    pk_id = hashlib.blake2b(pkb[:-16], digest_size=16).digest()
    _, _, mb = frame(read(d, "paper-master.key"), b"EIMK", 1, "paper-master.key")
    check(mb[:16] == pk_id, "paper master: pk_id")
    P = struct.unpack_from("<I", mb, 16)[0]
    t, a1 = struct.unpack_from("<II", mb, 20)
    bs = list(struct.unpack_from("<%dI" % P, mb, 28))
    check(pow(g1, t, q) == g2, "paper: g2 = g1^t")
    check(pow(g1, a1, q) * pow(g2, bs[0], q) % q == h, "paper: h = g1^a1 g2^b1")
    keys = []
    for j in (1, 2, 3):
        name = f"paper-licensee-{j}.key"
        _, _, kb = frame(read(d, name), b"EISK", 1, name)
        check(kb[:16] == pk_id, f"{name}: pk_id")
        jj, a, b = struct.unpack_from("<III", kb, 16)
        check(jj == j and b == bs[j - 1], f"{name}: index and b_j from the master key")
        check(a == (a1 + (bs[0] - b) * t) % n, f"{name}: a_j = a1 + (b1 - b_j) t mod q-1")
        keys.append((a, b))
    _, _, kb = frame(read(d, "paper-licensee-4-issued.key"), b"EISK", 1, "issued")
    jj, a, b = struct.unpack_from("<III", kb, 16)
    check(jj == 4 and b not in bs[:3], "paper issued: j = 4, fresh b")
    check((a + b * t) % n == (a1 + bs[0] * t) % n, "paper issued: on the key line a + b t = a1 + b1 t")
    keys.append((a, b))

    def dec(k, c):
        a, b = k
        u1, u2, u3 = c
        return u3 * pow(pow(u1, a, q) * pow(u2, b, q) % q, -1, q) % q

    lab = read(d, "paper-label-elements.bin")
    for y in range(10):
        check(struct.unpack_from("<I", lab, 32 * y)[0] == y + 1 and lab[32 * y + 4:32 * y + 32] == bytes(28),
              f"paper: label {y} is the element {y + 1}")
    _, _, cb = frame(read(d, "paper-ciphertexts.ct"), b"EICT", 1, "paper-ciphertexts.ct")
    check(cb[:16] == pk_id, "paper ciphertexts: pk_id")
    cnt = struct.unpack_from("<Q", cb, 16)[0]
    cts = [struct.unpack_from("<III", cb, 24 + 12 * i) for i in range(cnt)]
    check(cnt == 13, "paper: 13 ciphertexts")
    for y in range(10):
        for k in keys:
            check(dec(k, cts[y]) == y + 1, f"paper: Dec(label {y}) under key {k}")
    for f in (10, 11):
        ds = [dec(k, cts[f]) for k in keys]
        check(len(set(ds)) == len(ds), f"paper: Fake {f - 9} decrypts differently under every key")
    check(all(dec(k, cts[12]) == 1 for k in keys), "paper: SampDist(label 0) decrypts to label 0")
    _, _, bb = frame(read(d, "paper-codebook.bin"), b"EICB", 1, "paper-codebook.bin")
    m = struct.unpack_from("<I", bb, 16)[0]
    for i in range(m):
        y, u1, u2, u3 = struct.unpack_from("<iIII", bb, 20 + 16 * i)
        if y >= 0:
            check(all(dec(k, (u1, u2, u3)) == y + 1 for k in keys), f"paper codebook slot {i}: label {y}")
    check(sum(1 for i in range(m) if struct.unpack_from("<i", bb, 20 + 16 * i)[0] == -1) == 2,
          "paper codebook: 2 Fakes")


# -------------------------------------------------------------- ristretto255

def ristretto(d):
    path = ctypes.util.find_library("sodium")
    if not path:
        check(False, "libsodium not found (ctypes)")
        return
    so = ctypes.CDLL(path)
    check(so.sodium_init() >= 0, "sodium_init")

    def pt_ok(p):
        return so.crypto_core_ristretto255_is_valid_point(p) == 1

    def smul(s, p):
        out = ctypes.create_string_buffer(32)
        rc = so.crypto_scalarmult_ristretto255(out, (s % L).to_bytes(32, "little"), p)
        return out.raw if rc == 0 else bytes(32)  # identity

    def sbase(s):
        out = ctypes.create_string_buffer(32)
        rc = so.crypto_scalarmult_ristretto255_base(out, (s % L).to_bytes(32, "little"))
        return out.raw if rc == 0 else bytes(32)

    def add(p, r):
        out = ctypes.create_string_buffer(32)
        check(so.crypto_core_ristretto255_add(out, p, r) == 0, "point add")
        return out.raw

    def sub(p, r):
        out = ctypes.create_string_buffer(32)
        check(so.crypto_core_ristretto255_sub(out, p, r) == 0, "point sub")
        return out.raw

    def from_hash(h):
        out = ctypes.create_string_buffer(32)
        so.crypto_core_ristretto255_from_hash(out, h)
        return out.raw

    pkb = read(d, "ristretto255-public.key")
    z, q, body = frame(pkb, b"EIPK", 2, "ristretto255-public.key")
    check(q == 0, "ristretto255: q = 0")
    g1, g2, h = body[:32], body[32:64], body[64:96]
    check(all(pt_ok(p) for p in (g1, g2, h)), "ristretto255: pk points valid")
    check(g1 == sbase(1), "ristretto255: g1 is the base point")
    pk_id = hashlib.blake2b(pkb[:-16], digest_size=16).digest()
    _, _, mb = frame(read(d, "ristretto255-master.key"), b"EIMK", 2, "ristretto255-master.key")
    check(mb[:16] == pk_id, "ristretto255 master: pk_id")
    P = struct.unpack_from("<I", mb, 16)[0]
    sc = lambda off: int.from_bytes(mb[off:off + 32], "little")
    t, a1 = sc(20), sc(52)
    bs = [sc(84 + 32 * i) for i in range(P)]
    check(all(x < L for x in [t, a1] + bs), "ristretto255 master: canonical scalars")
    check(sbase(t) == g2, "ristretto255: g2 = g1^t")
    check(add(sbase(a1), smul(bs[0], g2)) == h, "ristretto255: h = g1^a1 g2^b1")
    keys = []
    for j in (1, 2, 3):
        name = f"ristretto255-licensee-{j}.key"
        _, _, kb = frame(read(d, name), b"EISK", 2, name)
        check(kb[:16] == pk_id, f"{name}: pk_id")
        jj = struct.unpack_from("<I", kb, 16)[0]
        a, b = int.from_bytes(kb[20:52], "little"), int.from_bytes(kb[52:84], "little")
        check(jj == j and b == bs[j - 1], f"{name}: index and b_j")
        check(a == (a1 + (bs[0] - b) * t) % L, f"{name}: a_j = a1 + (b1 - b_j) t mod L")
        keys.append((a, b))
    _, _, kb = frame(read(d, "ristretto255-licensee-4-issued.key"), b"EISK", 2, "issued")
    a, b = int.from_bytes(kb[20:52], "little"), int.from_bytes(kb[52:84], "little")
    check(b not in bs[:3] and (a + b * t) % L == (a1 + bs[0] * t) % L, "ristretto255 issued: fresh b on the key line")
    keys.append((a, b))
    lab = read(d, "ristretto255-label-elements.bin")
    labels = []
    for y in range(10):
        want = from_hash(hashlib.sha512(b"encryip label" + struct.pack("<I", y)).digest())
        check(lab[32 * y:32 * y + 32] == want, f"ristretto255: label {y} = from_hash(SHA-512(...))")
        labels.append(want)

    def dec(k, c):
        a, b = k
        return sub(c[2], add(smul(a, c[0]), smul(b, c[1])))

    def ct_file(name):
        _, _, cb = frame(read(d, name), b"EICT", 2, name)
        check(cb[:16] == pk_id, f"{name}: pk_id")
        cnt = struct.unpack_from("<Q", cb, 16)[0]
        return [(cb[24 + 96 * i:56 + 96 * i], cb[56 + 96 * i:88 + 96 * i], cb[88 + 96 * i:120 + 96 * i])
                for i in range(cnt)]

    cts = ct_file("ristretto255-ciphertexts.ct")
    check(len(cts) == 13, "ristretto255: 13 ciphertexts")
    for y in range(10):
        for k in keys:
            check(dec(k, cts[y]) == labels[y], f"ristretto255: Dec(label {y})")
    for f in (10, 11):
        ds = [dec(k, cts[f]) for k in keys]
        check(len(set(ds)) == len(ds) and not set(ds) & set(labels), f"ristretto255: Fake {f - 9}: distinct, no label")
    check(all(dec(k, cts[12]) == labels[0] for k in keys), "ristretto255: SampDist(label 0)")
    v = ct_file("ristretto255-verification-2-label5.ct")[0]
    check(dec(keys[1], v) == labels[5], "ristretto255: verification ciphertext -> label 5 under key 2")
    check(all(dec(keys[j], v) not in labels for j in (0, 2)), "ristretto255: no label under keys 1 and 3")
    _, _, bb = frame(read(d, "ristretto255-codebook.bin"), b"EICB", 2, "ristretto255-codebook.bin")
    m = struct.unpack_from("<I", bb, 16)[0]
    for i in range(m):
        off = 20 + 100 * i
        y = struct.unpack_from("<i", bb, off)[0]
        c = (bb[off + 4:off + 36], bb[off + 36:off + 68], bb[off + 68:off + 100])
        if y >= 0:
            check(all(dec(k, c) == labels[y] for k in keys), f"ristretto255 codebook slot {i}: label {y}")


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "ref", "crypto")
    paper(d)
    ristretto(d)
    print(f"check_crypto_kat: {len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
