"""ctypes binding of libencryip.so: loading, C structures, signatures, errors.

Only the public C API (include/encryip/*.h) is used.  Every call that can
fail goes through `call`, which turns a non-zero eip_status into an
EncryipError carrying the C message and status.
"""
import ctypes
import ctypes.util
import os

c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_float_p = ctypes.POINTER(ctypes.c_float)
c_uint8_p = ctypes.POINTER(ctypes.c_uint8)
c_double_p = ctypes.POINTER(ctypes.c_double)
vp = ctypes.c_void_p

STATUS_NAMES = {0: "ok", 1: "arg", 2: "io", 3: "format", 4: "checksum", 5: "crypto", 6: "nomem",
                7: "range", 8: "infeasible", 9: "shape", 10: "backend", 11: "not_found", 12: "state"}
NOT_A_LABEL = -1
CT_BYTES = 96                      # sizeof(eip_crypto_ct): 3 elements of 32 bytes
PKID_BYTES = 16
GROUPS = {"paper": 1, "ristretto255": 2}
GROUP_NAMES = {v: k for k, v in GROUPS.items()}
VERIF_SOURCES = {"noise": 0, "mnist": 1}
TRACE_PVALUE = 1e-6                # EIP_PROTECT_TRACE_PVALUE (protect.h)
TRACE_MIN_RATE = 0.8               # EIP_PROTECT_TRACE_MIN_RATE


class EncryipError(Exception):
    """An error reported by libencryip: `status` (int), `status_name` ("crypto",
    "format", ...) and the C message naming the thing and the reason."""

    def __init__(self, status, message):
        self.status = int(status)
        self.status_name = STATUS_NAMES.get(self.status, str(self.status))
        self.message = message
        super().__init__("%s (encryip status %d %s)" % (message, self.status, self.status_name))


class NotMemorisedError(EncryipError):
    """The trained model does not reproduce its verification instances well
    enough for `trace` to name a leaking licensee."""


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 512)]


class Licensee(ctypes.Structure):        # eip_keyring_licensee
    _fields_ = [("id", ctypes.c_int64), ("name", ctypes.c_char * 129),
                ("created", ctypes.c_char * 21), ("revoked", ctypes.c_char * 21)]


class TraceResult(ctypes.Structure):     # eip_protect_trace_result
    _fields_ = [("licensees", ctypes.c_int64), ("id", c_int64_p), ("matched", c_int64_p),
                ("total", c_int64_p), ("pvalue", c_double_p), ("named", ctypes.c_int64),
                ("queried", ctypes.c_int64), ("answered", ctypes.c_int64)]


class Params(ctypes.Structure):          # eip_crypto_params
    _fields_ = [("group", ctypes.c_int), ("classes", ctypes.c_int32), ("q", ctypes.c_int64)]


class PlanConfig(ctypes.Structure):      # eip_protect_plan_config
    _fields_ = [("classes", ctypes.c_int32), ("group", ctypes.c_int), ("q", ctypes.c_int64),
                ("licensees", ctypes.c_int64), ("pk", vp), ("master", vp),
                ("verif_count", ctypes.c_int64), ("verif_pixels", c_uint8_p),
                ("verif_n", ctypes.c_int64), ("verif_source", ctypes.c_int),
                ("mnist_dir", ctypes.c_char_p), ("c", ctypes.c_int32), ("h", ctypes.c_int32),
                ("w", ctypes.c_int32), ("seed", ctypes.c_uint64), ("crypto_rng", vp)]


class BundleInfo(ctypes.Structure):      # eip_protect_bundle_info
    _fields_ = [("dataset", ctypes.c_char_p), ("arch", ctypes.c_char_p), ("width", ctypes.c_double),
                ("epochs", ctypes.c_int64), ("batch", ctypes.c_int64), ("lr", ctypes.c_double),
                ("wd", ctypes.c_double), ("optim", ctypes.c_char_p), ("schedule", ctypes.c_char_p),
                ("seed", ctypes.c_uint64), ("crypto_seeded", ctypes.c_int),
                ("verif_source", ctypes.c_char_p), ("command", ctypes.c_char_p)]


E = ctypes.POINTER(Error)
S = ctypes.c_int  # eip_status

# name: (restype, argtypes)
_SIGS = {
    "eip_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "eip_crypto_init": (S, [E]),
    "eip_crypto_rng_new_u64": (S, [ctypes.c_uint64, ctypes.POINTER(vp), E]),
    "eip_crypto_rng_free": (None, [vp]),
    "eip_crypto_gen": (S, [ctypes.POINTER(Params), ctypes.c_int64, vp, ctypes.POINTER(vp),
                           ctypes.POINTER(vp), E]),
    "eip_crypto_master_sk": (S, [vp, ctypes.c_int64, ctypes.POINTER(vp), E]),
    "eip_crypto_pk_free": (None, [vp]),
    "eip_crypto_sk_free": (None, [vp]),
    "eip_crypto_master_free": (None, [vp]),
    "eip_crypto_pk_save": (S, [vp, ctypes.c_char_p, E]),
    "eip_crypto_pk_load": (S, [ctypes.c_char_p, ctypes.POINTER(vp), E]),
    "eip_crypto_sk_save": (S, [vp, ctypes.c_char_p, E]),
    "eip_crypto_sk_load": (S, [ctypes.c_char_p, ctypes.POINTER(vp), E]),
    "eip_crypto_master_save": (S, [vp, ctypes.c_char_p, E]),
    "eip_crypto_master_load": (S, [ctypes.c_char_p, ctypes.POINTER(vp), E]),
    "eip_crypto_pk_group": (ctypes.c_int, [vp]),
    "eip_crypto_pk_classes": (ctypes.c_int32, [vp]),
    "eip_crypto_pk_q": (ctypes.c_int64, [vp]),
    "eip_crypto_pk_id": (c_uint8_p, [vp]),
    "eip_crypto_sk_group": (ctypes.c_int, [vp]),
    "eip_crypto_sk_classes": (ctypes.c_int32, [vp]),
    "eip_crypto_sk_index": (ctypes.c_int64, [vp]),
    "eip_crypto_sk_pk_id": (c_uint8_p, [vp]),
    "eip_crypto_master_licensees": (ctypes.c_int64, [vp]),
    "eip_crypto_master_pk_id": (c_uint8_p, [vp]),
    "eip_crypto_phi": (S, [vp, vp, ctypes.c_void_p, c_float_p, E]),
    "eip_crypto_cts_save": (S, [vp, ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p, E]),
    "eip_crypto_cts_load": (S, [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(vp), c_int64_p, E]),
    "eip_crypto_cts_from_bytes": (S, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p,
                                      ctypes.POINTER(vp), c_int64_p, E]),
    "eip_keyring_open": (S, [ctypes.c_char_p, ctypes.POINTER(vp), E]),
    "eip_keyring_close": (None, [vp]),
    "eip_keyring_pk": (vp, [vp]),
    "eip_keyring_licensee_add": (S, [vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, vp,
                                     ctypes.POINTER(Licensee), E]),
    "eip_keyring_licensee_list": (S, [vp, ctypes.POINTER(ctypes.POINTER(Licensee)), c_int64_p, E]),
    "eip_keyring_licensee_get": (S, [vp, ctypes.c_int64, ctypes.POINTER(Licensee), E]),
    "eip_keyring_verify_key": (S, [vp, vp, ctypes.POINTER(Licensee), E]),
    "eip_keyring_log_add": (S, [vp, ctypes.c_int, ctypes.c_char_p, ctypes.c_int64, ctypes.c_int64,
                                ctypes.c_int64, E]),
    "eip_protect_plan_create": (S, [ctypes.POINTER(PlanConfig), ctypes.POINTER(vp), E]),
    "eip_protect_plan_load": (S, [ctypes.c_char_p, ctypes.POINTER(vp), E]),
    "eip_protect_plan_free": (None, [vp]),
    "eip_protect_plan_write": (S, [vp, ctypes.POINTER(BundleInfo), ctypes.c_char_p, ctypes.c_int, E]),
    "eip_protect_plan_outputs": (ctypes.c_int64, [vp]),
    "eip_protect_plan_classes": (ctypes.c_int32, [vp]),
    "eip_protect_plan_licensees": (ctypes.c_int64, [vp]),
    "eip_protect_plan_verif_count": (ctypes.c_int64, [vp]),
    "eip_protect_plan_id": (ctypes.c_char_p, [vp]),
    "eip_protect_plan_pk": (vp, [vp]),
    "eip_protect_plan_codebook": (vp, [vp]),
    "eip_protect_plan_verif_shape": (None, [vp, c_int32_p, c_int32_p, c_int32_p]),
    "eip_protect_plan_targets": (S, [vp, c_int32_p, ctypes.c_int64, c_float_p, c_int64_p, E]),
    "eip_protect_verif_reps_auto": (ctypes.c_int64, [ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                                     ctypes.c_double]),
    "eip_protect_plan_check_memorised": (S, [vp, c_float_p, ctypes.c_int64, ctypes.c_int64,
                                             c_double_p, E]),
    "eip_protect_model_load_head": (S, [ctypes.c_char_p, ctypes.POINTER(vp), E]),
    "eip_protect_model_free": (None, [vp]),
    "eip_protect_model_outputs": (ctypes.c_int64, [vp]),
    "eip_protect_model_pk": (vp, [vp]),
    "eip_protect_model_set_decoder": (None, [vp, ctypes.c_int]),
    "eip_protect_predict_outputs": (S, [vp, c_float_p, ctypes.c_int64, vp, ctypes.c_void_p,
                                        c_int64_p, E]),
    "eip_protect_decrypt_key": (S, [vp, c_uint8_p, ctypes.c_void_p, ctypes.c_int64, c_int32_p, E]),
    "eip_protect_tracer_open": (S, [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(vp), E]),
    "eip_protect_tracer_free": (None, [vp]),
    "eip_protect_tracer_keyring": (vp, [vp]),
    "eip_protect_tracer_count": (ctypes.c_int64, [vp]),
    "eip_protect_tracer_images": (c_uint8_p, [vp, c_int32_p, c_int32_p, c_int32_p]),
    "eip_protect_tracer_score": (S, [vp, c_int32_p, ctypes.c_int64, ctypes.POINTER(TraceResult), E]),
    "eip_protect_trace_result_free": (None, [ctypes.POINTER(TraceResult)]),
}
# verification images of a plan: a pointer to eip_protect_verif; its first
# member is eip_data_set images (name[64], n, c, h, w, num_classes, flags, pixels)
_SIGS["eip_protect_plan_verif"] = (vp, [vp])


class _DataSet(ctypes.Structure):        # eip_data_set
    _fields_ = [("name", ctypes.c_char * 64), ("n", ctypes.c_int64), ("c", ctypes.c_int32),
                ("h", ctypes.c_int32), ("w", ctypes.c_int32), ("num_classes", ctypes.c_int32),
                ("flags", ctypes.c_uint32), ("pixels", c_uint8_p), ("labels", c_int32_p)]


DataSet = _DataSet


def _candidates():
    env = os.environ.get("ENCRYIP_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "libencryip.so")                       # next to the package
    yield os.path.join(here, "..", "..", "build", "libencryip.so")  # source tree (python/encryip)
    # an installed prefix: PREFIX/lib/pythonX/.../encryip -> PREFIX/lib
    parts = here.split(os.sep)
    if "lib" in parts:
        i = len(parts) - 1 - parts[::-1].index("lib")
        yield os.sep.join(parts[:i + 1] + ["libencryip.so"])
    found = ctypes.util.find_library("encryip")
    if found:
        yield found
    yield "libencryip.so.0"


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("encryip: cannot load libencryip.so; build it (cmake --build build) or set "
                      "ENCRYIP_LIB to its path. Tried: " + "; ".join(tried))


lib, path = _load()
for _name, (_res, _args) in _SIGS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


_libc = ctypes.CDLL(None)
free = _libc.free
free.argtypes = [vp]
free.restype = None


def call(name, *args, error_class=EncryipError):
    """Calls a libencryip function whose last argument is eip_error *, raising
    EncryipError on a non-zero status."""
    err = Error()
    st = getattr(lib, name)(*args, ctypes.byref(err))
    if st != 0:
        raise error_class(st, err.msg.decode("utf-8", "replace") or STATUS_NAMES.get(st, str(st)))
    return st


def b(s):
    return None if s is None else os.fsencode(s)


call("eip_crypto_init")
