"""encryip for Python: protect a model you train yourself (PyTorch or any
other framework) with EncryIP (Mu et al., AAAI 2024), over libencryip.so.

    plan = encryip.protect_plan(labels=y, licensees=3, group="ristretto255",
                                image_shape=(1, 28, 28), out="bundle")
    ... train on plan.targets(...) (encryip.torch helps) ...
    answers = encryip.Deployment("bundle").confuse(logits)        # Algorithm 2
    labels = encryip.Licensee("bundle/keys/licensee-2.key").decrypt(answers)
    encryip.trace(suspect_fn, bundle="bundle")                     # eq. (5)

Files are the CLI's (docs/FORMATS.md, docs/PROTECT.md): a bundle written
here works with `encryip trace/licensee/decrypt/verify-key`, and CLI bundles
and keys load here.  Every call takes and returns whole numpy arrays (one C
call per batch).  Errors are EncryipError(status, message).  docs/PYTHON.md.
"""
import ctypes
import os

import numpy as np

from . import _lib
from ._lib import (EncryipError, NotMemorisedError, NOT_A_LABEL, TRACE_MIN_RATE, TRACE_PVALUE,
                   call, b)

__all__ = ["EncryipError", "NotMemorisedError", "NOT_A_LABEL", "PublicKey", "MasterKey",
           "Licensee", "Keys", "keygen", "Keyring", "Plan", "protect_plan", "Deployment",
           "Ciphertexts", "trace", "TraceResult", "verify_key", "library_path", "Client"]
__version__ = "0.1.0"
library_path = _lib.path
_L = _lib.lib


def _ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


class _Handle:
    _free = None

    def __init__(self, h):
        self._h = h

    def close(self):
        if getattr(self, "_h", None):
            getattr(_L, self._free)(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def _rng(seed):
    """Seeded crypto stream (tests and demos only: whoever knows the seed
    recomputes every key) or None = libsodium's CSPRNG."""
    if seed is None:
        return None
    h = ctypes.c_void_p()
    call("eip_crypto_rng_new_u64", ctypes.c_uint64(int(seed)), ctypes.byref(h))
    return h


def _rng_free(h):
    if h is not None:
        _L.eip_crypto_rng_free(h)


# ---- keys --------------------------------------------------------------------

class PublicKey(_Handle):
    _free = "eip_crypto_pk_free"

    def __init__(self, h, owned=True):
        super().__init__(h)
        if not owned:           # borrowed from another object: never freed here
            self._free = None
            self.close = lambda: None

    @classmethod
    def load(cls, path):
        h = ctypes.c_void_p()
        call("eip_crypto_pk_load", b(path), ctypes.byref(h))
        return cls(h)

    def save(self, path):
        call("eip_crypto_pk_save", self._h, b(path))

    @property
    def group(self):
        return _lib.GROUP_NAMES[_L.eip_crypto_pk_group(self._h)]

    @property
    def classes(self):
        return int(_L.eip_crypto_pk_classes(self._h))

    @property
    def q(self):
        return int(_L.eip_crypto_pk_q(self._h))

    @property
    def id(self):
        return ctypes.string_at(_L.eip_crypto_pk_id(self._h), _lib.PKID_BYTES)


class MasterKey(_Handle):
    """The owner's secret (t, a1, b_1..b_P): derives every licensee key."""
    _free = "eip_crypto_master_free"

    @classmethod
    def load(cls, path):
        h = ctypes.c_void_p()
        call("eip_crypto_master_load", b(path), ctypes.byref(h))
        return cls(h)

    def save(self, path):
        call("eip_crypto_master_save", self._h, b(path))

    @property
    def licensees(self):
        return int(_L.eip_crypto_master_licensees(self._h))

    def licensee(self, j):
        """sk_j (j = 1..P) as a Licensee."""
        h = ctypes.c_void_p()
        call("eip_crypto_master_sk", self._h, ctypes.c_int64(j), ctypes.byref(h))
        return Licensee(h)


class Licensee(_Handle):
    """A licensee's secret key sk_j: decrypts a protected model's answers (eq. 4)."""
    _free = "eip_crypto_sk_free"

    def __init__(self, key):
        if isinstance(key, (str, bytes, os.PathLike)):
            h = ctypes.c_void_p()
            call("eip_crypto_sk_load", b(key), ctypes.byref(h))
            key = h
        super().__init__(key)

    def save(self, path):
        call("eip_crypto_sk_save", self._h, b(path))

    @property
    def index(self):
        return int(_L.eip_crypto_sk_index(self._h))

    @property
    def pk_id(self):
        return ctypes.string_at(_L.eip_crypto_sk_pk_id(self._h), _lib.PKID_BYTES)

    def decrypt(self, cts):
        """Labels [N] (int32; NOT_A_LABEL = -1 where Dec is no label) of
        Ciphertexts; a key of another public key raises EncryipError (crypto)."""
        if not isinstance(cts, Ciphertexts):
            raise TypeError("decrypt: expected encryip.Ciphertexts, got %s" % type(cts).__name__)
        out = np.empty(len(cts), dtype=np.int32)
        pkid = (ctypes.c_uint8 * _lib.PKID_BYTES).from_buffer_copy(cts.pk_id)
        call("eip_protect_decrypt_key", self._h, ctypes.cast(pkid, _lib.c_uint8_p),
             cts.data.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(len(cts)),
             _ptr(out, ctypes.c_int32))
        return out


class Keys:
    """Public key + master key (+ the P licensee keys they derive)."""

    def __init__(self, pk, master):
        self.pk, self.master = pk, master

    @classmethod
    def generate(cls, classes, licensees, group="ristretto255", q=0, seed=None):
        """Gen(P) (Figure 1).  group "paper" is the paper's toy group (anyone
        decrypts with the public key alone; for reproducing the paper only)."""
        if group not in _lib.GROUPS:
            raise EncryipError(1, "group %r: expected 'paper' or 'ristretto255'" % (group,))
        prm = _lib.Params(_lib.GROUPS[group], int(classes), int(q))
        pk, m = ctypes.c_void_p(), ctypes.c_void_p()
        rng = _rng(seed)
        try:
            call("eip_crypto_gen", ctypes.byref(prm), ctypes.c_int64(licensees), rng,
                 ctypes.byref(pk), ctypes.byref(m))
        finally:
            _rng_free(rng)
        return cls(PublicKey(pk), MasterKey(m))

    @classmethod
    def load(cls, directory):
        """DIR/public.key + DIR/master.key (what `encryip keygen` writes)."""
        return cls(PublicKey.load(os.path.join(directory, "public.key")),
                   MasterKey.load(os.path.join(directory, "master.key")))

    def save(self, directory):
        """Like `encryip keygen --out DIR`: public.key, master.key (0600),
        licensee-<j>.key (0600)."""
        os.makedirs(directory, exist_ok=True)
        for name in ["public.key", "master.key"] + ["licensee-%d.key" % j for j in
                                                    range(1, self.master.licensees + 1)]:
            if os.path.exists(os.path.join(directory, name)):
                raise EncryipError(12, "%s: already exists" % os.path.join(directory, name))
        self.pk.save(os.path.join(directory, "public.key"))
        self.master.save(os.path.join(directory, "master.key"))
        for j in range(1, self.master.licensees + 1):
            with self.master.licensee(j) as sk:
                sk.save(os.path.join(directory, "licensee-%d.key" % j))


def keygen(classes, licensees, out, group="ristretto255", q=0, seed=None):
    keys = Keys.generate(classes, licensees, group=group, q=q, seed=seed)
    keys.save(out)
    return keys


class Keyring(_Handle):
    """The licensees of one public key (docs/KEYRING.md): list, add (section
    4.5 (2): no retraining), verify a key."""
    _free = "eip_keyring_close"

    def __init__(self, path):
        h = ctypes.c_void_p()
        call("eip_keyring_open", b(path), ctypes.byref(h))
        super().__init__(h)
        self.path = path

    @staticmethod
    def _dict(lic):
        return {"id": int(lic.id), "name": lic.name.decode(), "created": lic.created.decode(),
                "revoked": lic.revoked.decode() or None}

    def licensees(self):
        p = ctypes.POINTER(_lib.Licensee)()
        n = ctypes.c_int64()
        call("eip_keyring_licensee_list", self._h, ctypes.byref(p), ctypes.byref(n))
        try:
            return [self._dict(p[i]) for i in range(n.value)]
        finally:
            _lib.free(ctypes.cast(p, ctypes.c_void_p)) if p else None

    def add(self, name, master, key_out=None, seed=None):
        """Issues a new licensee with the master key file (updated in place),
        like `encryip licensee add`; the key is written to key_out (0600)."""
        lic = _lib.Licensee()
        rng = _rng(seed)
        try:
            call("eip_keyring_licensee_add", self._h, b(master), name.encode(), b(key_out), rng,
                 ctypes.byref(lic))
        finally:
            _rng_free(rng)
        return self._dict(lic)

    def verify_key(self, key):
        """The licensee (dict) holding `key` (path or Licensee), or None when
        it is no licensee's key; a key of another public key raises."""
        sk = key if isinstance(key, Licensee) else Licensee(key)
        lic = _lib.Licensee()
        err = _lib.Error()
        st = _L.eip_keyring_verify_key(self._h, sk._h, ctypes.byref(lic), ctypes.byref(err))
        msg = err.msg.decode("utf-8", "replace")
        if st == 11 and "another public key" not in msg:   # NOT_FOUND: no licensee's key
            return None
        if st:
            raise EncryipError(st, msg)
        return self._dict(lic)


def verify_key(key, bundle=None, keyring=None):
    """Section 4.4 "secret key available": which licensee holds key? (dict or None)"""
    with Keyring(keyring or os.path.join(bundle, "owner", "keyring.sqlite")) as kr:
        return kr.verify_key(key)


# ---- ciphertexts ----------------------------------------------------------------

class Ciphertexts:
    """N CS_lite ciphertexts: `data` uint8 [N, 96] (eip_crypto_ct: u1, u2, u3
    of 32 bytes), the public key id and group they belong to."""

    def __init__(self, data, pk_id, group, pk=None):
        self.data = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1, _lib.CT_BYTES)
        self.pk_id, self.group, self._pk = bytes(pk_id), group, pk

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, i):
        return Ciphertexts(self.data[i].reshape(-1, _lib.CT_BYTES), self.pk_id, self.group, self._pk)

    def hex(self, i):
        """One ciphertext as the CLI prints it (predict): paper (u1,u2,u3), else hex."""
        row = self.data[i]
        if self.group == "paper":
            return "(%s)" % ",".join(str(int.from_bytes(row[32 * k:32 * k + 4].tobytes(), "little"))
                                     for k in range(3))
        return row.tobytes().hex()

    def save(self, path):
        """Ciphertext file (docs/FORMATS.md) for `encryip decrypt --in`."""
        if self._pk is None:
            raise EncryipError(12, "%s: these ciphertexts carry no public key to save with" % path)
        call("eip_crypto_cts_save", self._pk._h, self.data.ctypes.data_as(ctypes.c_void_p),
             ctypes.c_int64(len(self)), b(path))

    @classmethod
    def load(cls, path):
        class Info(ctypes.Structure):   # eip_crypto_cts_info
            _fields_ = [("group", ctypes.c_int), ("classes", ctypes.c_int32), ("q", ctypes.c_int64),
                        ("pk_id", ctypes.c_uint8 * _lib.PKID_BYTES)]
        info, p, n = Info(), ctypes.c_void_p(), ctypes.c_int64()
        call("eip_crypto_cts_load", b(path), ctypes.byref(info), ctypes.byref(p), ctypes.byref(n))
        try:
            data = np.frombuffer(ctypes.string_at(p, n.value * _lib.CT_BYTES), dtype=np.uint8).copy()
        finally:
            _lib.free(p)
        return cls(data, bytes(info.pk_id), _lib.GROUP_NAMES[info.group])


# ---- deployment (Algorithm 2) -------------------------------------------------------

def _as_f32(y, k, what):
    if type(y).__module__.split(".")[0] == "torch":   # no torch import for numpy callers
        import torch
        y = y.detach().to("cpu", torch.float32).numpy()
    y = np.ascontiguousarray(y, dtype=np.float32)
    if y.ndim != 2 or y.shape[1] != k:
        raise EncryipError(9, "%s: shape %s, expected [N, %d] (the protected model's outputs)"
                           % (what, tuple(y.shape), k))
    return y


class Deployment(_Handle):
    """A protected model's head: public key + deploy codebook (a bundle or
    its deploy/ directory).  confuse(logits) is Algorithm 2 for any model's
    outputs: Φ⁻¹ (ML over the codebook, or the paper's per-block arg-max, eq. 3)
    then SampDist with fresh CSPRNG randomness per answer.  No secret key."""
    _free = "eip_protect_model_free"

    def __init__(self, path, decoder="ml"):
        h = ctypes.c_void_p()
        call("eip_protect_model_load_head", b(path), ctypes.byref(h))
        super().__init__(h)
        if decoder not in ("ml", "argmax"):
            raise EncryipError(1, "decoder %r: expected 'ml' or 'argmax'" % (decoder,))
        _L.eip_protect_model_set_decoder(h, 0 if decoder == "ml" else 1)
        self.outputs = int(_L.eip_protect_model_outputs(h))
        self.public_key = PublicKey(_L.eip_protect_model_pk(h), owned=False)
        self.public_key._owner = self

    def confuse(self, logits):
        """logits [N, K] (numpy or torch) -> Ciphertexts (one fresh c_d per row)."""
        y = _as_f32(logits, self.outputs, "confuse: logits")
        n = y.shape[0]
        out = np.empty((n, _lib.CT_BYTES), dtype=np.uint8)
        call("eip_protect_predict_outputs", self._h, _ptr(y, ctypes.c_float), ctypes.c_int64(n), None,
             out.ctypes.data_as(ctypes.c_void_p), None)
        return Ciphertexts(out, self.public_key.id, self.public_key.group, self.public_key)


# ---- planning without training (Algorithm 1 minus the trainer) ------------------------

class Plan(_Handle):
    """Keys, label codewords, verification set and secret slot order of a
    model you train yourself; `bundle` is the directory it was written to.

    Targets: `target_kind` "block" (paper group: float [N, K] = Φ(c_y), 3
    one-hot blocks of q, block soft-label cross-entropy) or "slot"
    (ristretto255: int64 [N] codebook slot, cross-entropy)."""
    _free = "eip_protect_plan_free"

    def __init__(self, h, bundle=None):
        super().__init__(h)
        self.bundle = bundle
        self.outputs = int(_L.eip_protect_plan_outputs(h))
        self.classes = int(_L.eip_protect_plan_classes(h))
        self.licensees = int(_L.eip_protect_plan_licensees(h))
        self.verif_count = int(_L.eip_protect_plan_verif_count(h))
        self.id = _L.eip_protect_plan_id(h).decode()
        self.public_key = PublicKey(_L.eip_protect_plan_pk(h), owned=False)
        self.public_key._owner = self
        self.group = self.public_key.group
        self.target_kind = "block" if self.group == "paper" else "slot"

    @classmethod
    def load(cls, bundle):
        """From a bundle's deploy/ and owner/ files (CLI bundles too)."""
        h = ctypes.c_void_p()
        call("eip_protect_plan_load", b(bundle), ctypes.byref(h))
        return cls(h, bundle)

    def _ids_targets(self, ids):
        ids = np.ascontiguousarray(ids, dtype=np.int32).reshape(-1)
        n = ids.shape[0]
        slots = np.empty(n, dtype=np.int64)
        soft = np.empty((n, self.outputs), dtype=np.float32) if self.target_kind == "block" else None
        call("eip_protect_plan_targets", self._h, _ptr(ids, ctypes.c_int32), ctypes.c_int64(n),
             _ptr(soft, ctypes.c_float) if soft is not None else None, _ptr(slots, ctypes.c_int64))
        return soft if soft is not None else slots

    def targets(self, labels):
        """Training targets of labels [N] in 0..z-1 (one C call)."""
        labels = np.asarray(labels)
        if labels.size and (labels.min() < 0 or labels.max() >= self.classes):
            raise EncryipError(7, "targets: labels must be in 0..%d (got %d..%d)"
                               % (self.classes - 1, labels.min(), labels.max()))
        return self._ids_targets(labels)

    def verification_targets(self):
        """Targets of the V verification instances (same kind as targets())."""
        return self._ids_targets(np.arange(self.verif_count, dtype=np.int32) + self.classes)

    def verification_images(self):
        """uint8 [V, C, H, W] (a copy)."""
        ds = ctypes.cast(_L.eip_protect_plan_verif(self._h), ctypes.POINTER(_lib.DataSet)).contents
        shape = (ds.n, ds.c, ds.h, ds.w)
        return np.ctypeslib.as_array(ds.pixels, shape=(int(np.prod(shape)),)).reshape(shape).copy()

    def replicas(self, train_n, epochs, fraction=0.0):
        """Replicas of each verification instance for train_n images and
        `epochs` (the rule `encryip protect` uses: >= 2 % of the training set
        and >= 150 presentations of every instance)."""
        return int(_L.eip_protect_verif_reps_auto(train_n, self.verif_count, epochs, fraction))

    def check_memorised(self, logits):
        """logits [V, K] on verification_images(): returns the memorised
        fraction; raises NotMemorisedError when `trace` could not name some
        licensee from a deployment of this model (its decision rule)."""
        y = _as_f32(logits, self.outputs, "check_memorised: logits")
        rate = ctypes.c_double()
        call("eip_protect_plan_check_memorised", self._h, _ptr(y, ctypes.c_float),
             ctypes.c_int64(y.shape[0]), ctypes.c_int64(self.outputs), ctypes.byref(rate),
             error_class=NotMemorisedError)
        return rate.value

    def write(self, out, force=False, arch="", dataset="", verification=""):
        info = _lib.BundleInfo(dataset=dataset.encode(), arch=arch.encode(),
                               verif_source=verification.encode(), optim=b"", schedule=b"")
        call("eip_protect_plan_write", self._h, ctypes.byref(info), b(out), int(bool(force)))
        self.bundle = out

    def save_model(self, model, name="model.pt"):
        """Writes the trained weights (torch state_dict, DDP wrapper removed)
        to BUNDLE/deploy/<name>; returns the path."""
        import torch
        if self.bundle is None:
            raise EncryipError(12, "save_model: the plan has no bundle directory (write() first)")
        m = getattr(model, "module", model)
        path = os.path.join(self.bundle, "deploy", name)
        tmp = path + ".tmp"
        torch.save(m.state_dict(), tmp)
        os.replace(tmp, path)
        return path


def protect_plan(labels=None, classes=None, licensees=3, group="ristretto255", q=0,
                 verification="noise", verif_count=0, image_shape=None, out=None, keys=None,
                 seed=0, crypto_seed=None, force=False, arch="", dataset=""):
    """Algorithm 1 without training.  classes: z (default: max(labels)+1);
    verification: "noise", "mnist", or uint8 images [V, C, H, W] of your own
    (V must be the plan's count: verif_count for the paper group, verif_count
    x licensees for ristretto255); image_shape (C, H, W) of the model input
    (default: the given images' shape); keys: a Keys or a directory with
    public.key + master.key to reuse; out: bundle skeleton directory."""
    if classes is None:
        if labels is None:
            raise EncryipError(1, "protect_plan: give classes or labels")
        classes = int(np.max(np.asarray(labels))) + 1
    pix = None
    if isinstance(verification, str):
        if verification not in _lib.VERIF_SOURCES:
            raise EncryipError(1, "verification %r: 'noise', 'mnist' or an image array" % verification)
        src = _lib.VERIF_SOURCES[verification]
    else:
        pix = np.ascontiguousarray(verification, dtype=np.uint8)
        if pix.ndim == 3:
            pix = pix[:, None]
        if pix.ndim != 4:
            raise EncryipError(9, "verification images: shape %s, expected [V, C, H, W]" % (pix.shape,))
        src = 0
        image_shape = image_shape or pix.shape[1:]
    if image_shape is None:
        raise EncryipError(1, "protect_plan: image_shape (C, H, W) is required with %r images"
                           % verification)
    if isinstance(keys, (str, os.PathLike)):
        keys = Keys.load(keys)
    if group not in _lib.GROUPS:
        raise EncryipError(1, "group %r: expected 'paper' or 'ristretto255'" % (group,))
    c, h, w = (int(x) for x in image_shape)
    cfg = _lib.PlanConfig(classes=int(classes), group=_lib.GROUPS[group], q=int(q),
                          licensees=int(licensees), verif_count=int(verif_count),
                          verif_source=src, c=c, h=h, w=w, seed=int(seed))
    if keys is not None:
        cfg.pk, cfg.master = keys.pk._h, keys.master._h
    if pix is not None:
        cfg.verif_pixels, cfg.verif_n = _ptr(pix, ctypes.c_uint8), pix.shape[0]
    rng = _rng(crypto_seed)
    cfg.crypto_rng = rng
    h_ = ctypes.c_void_p()
    try:
        call("eip_protect_plan_create", ctypes.byref(cfg), ctypes.byref(h_))
    finally:
        _rng_free(rng)
    plan = Plan(h_)
    if out is not None:
        plan.write(out, force=force, arch=arch, dataset=dataset,
                   verification=verification if isinstance(verification, str) else "user")
    return plan


# ---- tracing (section 4.4, eq. (5)) ------------------------------------------------------

class TraceResult:
    """named: licensee id (0 = none); name; per-licensee agreement rows."""

    def __init__(self, named, name, rows, queried, answered, classes):
        self.named, self.name, self.rows = named, name, rows
        self.queried, self.answered, self.classes = queried, answered, classes

    def __bool__(self):
        return self.named != 0

    def __str__(self):
        lines = ["trace: %d instances queried, %d answered with a label; chance agreement 1/%d"
                 % (self.queried, self.answered, self.classes)]
        for r in self.rows:
            lines.append("  licensee %d (%s): %d/%d agree, p = %.3g%s" % (
                r["id"], r["name"], r["matched"], r["total"], r["pvalue"],
                " [revoked]" if r["revoked"] else ""))
        if self.named:
            r = next(r for r in self.rows if r["id"] == self.named)
            lines.append("licensee %d (%s): %d of %d verification instances agree"
                         % (self.named, self.name, r["matched"], r["total"]))
        else:
            lines.append("no licensee: no licensee's agreement is significantly above chance "
                         "(p < %g and >= %.0f%% of its instances)" % (TRACE_PVALUE, 100 * TRACE_MIN_RATE))
        return "\n".join(lines)


def trace(suspect, bundle=None, keyring=None, verification=None, log=True, what="python suspect"):
    """Queries suspect(images uint8 [V, C, H, W]) -> labels [V] (ints; -1 or
    None = no label) and applies `encryip trace`'s statistics and decision
    (binomial p < 1e-6 and >= 80 % agreement).  Logged in the keyring
    unless log=False."""
    if bundle is not None:
        keyring = keyring or os.path.join(bundle, "owner", "keyring.sqlite")
        verification = verification or os.path.join(bundle, "owner", "verification.json")
    if keyring is None or verification is None:
        raise EncryipError(1, "trace: give bundle=, or keyring= and verification=")
    h = ctypes.c_void_p()
    call("eip_protect_tracer_open", b(keyring), b(verification), ctypes.byref(h))
    try:
        c, hh, w = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
        v = int(_L.eip_protect_tracer_count(h))
        p = _L.eip_protect_tracer_images(h, ctypes.byref(c), ctypes.byref(hh), ctypes.byref(w))
        shape = (v, c.value, hh.value, w.value)
        images = np.ctypeslib.as_array(p, shape=(int(np.prod(shape)),)).reshape(shape).copy() \
            if v else np.zeros(shape, np.uint8)
        answer = suspect(images)
        if type(answer).__module__.split(".")[0] == "torch":
            answer = answer.cpu().numpy()
        printed = np.array([NOT_A_LABEL if a is None else int(a) for a in list(answer)],
                           dtype=np.int32) if not isinstance(answer, np.ndarray) else \
            np.ascontiguousarray(answer, dtype=np.int32).reshape(-1)
        if printed.shape[0] != v:
            raise EncryipError(9, "trace: the suspect returned %d labels for %d verification images"
                               % (printed.shape[0], v))
        tr = _lib.TraceResult()
        call("eip_protect_tracer_score", h, _ptr(printed, ctypes.c_int32), ctypes.c_int64(v),
             ctypes.byref(tr))
        try:
            kr = _L.eip_protect_tracer_keyring(h)
            z = int(_L.eip_crypto_pk_classes(_L.eip_keyring_pk(kr)))
            rows, name, best_m = [], None, 0
            for k in range(tr.licensees):
                lic = _lib.Licensee()
                call("eip_keyring_licensee_get", kr, tr.id[k], ctypes.byref(lic))
                rows.append({"id": int(tr.id[k]), "name": lic.name.decode(),
                             "revoked": lic.revoked.decode() or None, "matched": int(tr.matched[k]),
                             "total": int(tr.total[k]), "pvalue": float(tr.pvalue[k])})
                if tr.id[k] == tr.named:
                    name, best_m = lic.name.decode(), int(tr.matched[k])
            if log:   # as `encryip trace` logs it
                call("eip_keyring_log_add", kr, 2, what.encode()[:1024], tr.named,
                     best_m if tr.named else 0, tr.queried)
            return TraceResult(int(tr.named), name, rows, int(tr.queried), int(tr.answered), z)
        finally:
            _L.eip_protect_trace_result_free(ctypes.byref(tr))
    finally:
        _L.eip_protect_tracer_free(h)


from .client import Client  # noqa: E402  (licensee client of `encryip serve`)
