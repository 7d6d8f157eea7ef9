"""Licensee client of `encryip serve` (docs/SERVE.md): sends images, gets
fresh ciphertexts (Algorithm 2) and decrypts them locally with the
licensee's key — the key never leaves this process.  Standard library HTTP
(urllib); the ciphertexts are parsed and checked by libencryip
(eip_crypto_cts_from_bytes: size, checksum, key id, every element), then
decrypted in one C call per request, like `encryip classify --remote`."""
import base64
import ctypes
import json
import urllib.error
import urllib.request

import numpy as np

from . import _lib
from ._lib import EncryipError, call


class Client:
    """encryip.Client(url, key): key is a Licensee or a key file path."""

    def __init__(self, url, key, timeout=30.0, batch=256):
        from . import Licensee
        self.url = url.rstrip("/")
        self.key = key if isinstance(key, Licensee) else Licensee(key)
        self.timeout, self.batch = float(timeout), int(batch)
        self.model = self._get("/v1/model")
        if bytes.fromhex(self.model["key_id"]) != self.key.pk_id:
            raise EncryipError(5, "%s serves key id %s; %s belongs to another public key"
                               % (self.url, self.model["key_id"], key))

    def _request(self, path, data=None, headers=None):
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
            try:
                msg = json.loads(body).get("error", body)
            except ValueError:
                msg = body
            raise EncryipError(2 if e.code < 500 else 2, "%s%s: HTTP %d: %s"
                               % (self.url, path, e.code, msg)) from None
        except (urllib.error.URLError, OSError) as e:
            raise EncryipError(2, "%s%s: %s" % (self.url, path, e)) from None

    def _get(self, path):
        return self._request(path)

    def predict(self, images):
        """images: uint8 [N, C, H, W] or [N, H, W] (numpy) -> the server's
        answers as Ciphertexts (fresh per request)."""
        from . import Ciphertexts
        x = np.ascontiguousarray(images, dtype=np.uint8)
        if x.ndim == 3:
            x = x[:, None]
        inp = self.model["input"]
        want = (inp["channels"], inp["height"], inp["width"])
        if x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise EncryipError(9, "images: shape %s, the served model takes [N, %d, %d, %d]"
                               % (tuple(images.shape), *want))
        rows = []
        for i in range(0, x.shape[0], self.batch):
            part = x[i:i + self.batch]
            path = "/v1/predict?dtype=uint8&shape=%s" % ",".join(str(d) for d in part.shape)
            ans = self._request(path, part.tobytes(), {"Content-Type": "application/octet-stream"})
            if ans.get("count") != part.shape[0] or len(ans.get("ciphertexts", [])) != part.shape[0]:
                raise EncryipError(3, "%s: %d answers for %d images" % (self.url, ans.get("count", -1),
                                                                        part.shape[0]))
            for j, enc in enumerate(ans["ciphertexts"]):
                buf = base64.b64decode(enc, validate=True)
                rows.append(_parse_ct(buf, "answer %d" % (i + j)))
        data = np.concatenate(rows) if rows else np.zeros((0, _lib.CT_BYTES), np.uint8)
        return Ciphertexts(data, self.key.pk_id, self.model["group"])

    def classify(self, images):
        """images -> labels decrypted with this licensee's key (int32 [N];
        NOT_A_LABEL where the answer decrypts to no label)."""
        return self.key.decrypt(self.predict(images))


class _Info(ctypes.Structure):  # eip_crypto_cts_info
    _fields_ = [("group", ctypes.c_int), ("classes", ctypes.c_int32), ("q", ctypes.c_int64),
                ("pk_id", ctypes.c_uint8 * _lib.PKID_BYTES)]


def _parse_ct(buf, name):
    info, p, n = _Info(), ctypes.c_void_p(), ctypes.c_int64()
    call("eip_crypto_cts_from_bytes", ctypes.c_char_p(buf), ctypes.c_size_t(len(buf)),
         name.encode(), ctypes.byref(info), ctypes.byref(p), ctypes.byref(n))
    try:
        return np.frombuffer(ctypes.string_at(p, n.value * _lib.CT_BYTES),
                             dtype=np.uint8).reshape(-1, _lib.CT_BYTES).copy()
    finally:
        _lib.free(p)
