"""The ctypes binding of liblitskit.so (Sources/LiTSKitC): where the library is, its signatures,
and how its errors become exceptions.

ctypes.CDLL releases the GIL for the duration of every foreign call, so other Python threads run
while Swift computes (and several litskit calls can run at once: the library keeps no state).
"""
import ctypes
import json
import math
import os

_HERE = os.path.dirname(os.path.abspath(__file__))


class LitsError(ValueError):
    """Bad input, with the tool's one-line message ("PATH: problem" when a file is at fault)."""


def _find_library():
    """The bundled library (a wheel's litskit/lib), else $LITSKIT_LIBRARY, else a build in the
    repository this file sits in (development)."""
    candidates = [os.environ.get("LITSKIT_LIBRARY"), os.path.join(_HERE, "lib", "liblitskit.so")]
    repo = os.path.dirname(os.path.dirname(_HERE))
    for build in ("release", "debug"):
        candidates.append(os.path.join(repo, ".build", build, "liblitskit.so"))
    for c in candidates:
        if c and os.path.isfile(c):
            return c
    raise ImportError("liblitskit.so not found (install the wheel that `make wheel` builds, "
                      "or set LITSKIT_LIBRARY to the library's path)")


LIBRARY_PATH = _find_library()
_lib = ctypes.CDLL(LIBRARY_PATH)

_c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_i64p = ctypes.POINTER(ctypes.c_int64)
_f64p = ctypes.POINTER(ctypes.c_double)
_vp = ctypes.c_void_p
_err = [ctypes.c_char_p, ctypes.c_size_t]   # every call ends with the message buffer
_json_out = ctypes.POINTER(ctypes.c_void_p)

_SIGNATURES = {
    "litskit_version": ([ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int32),
    "litskit_free": ([_vp], None),
    "litskit_set_warnings": ([ctypes.c_int32], None),
    "litskit_load_shape": ([ctypes.c_char_p, ctypes.c_int32, _i64p] + _err, ctypes.c_int32),
    "litskit_load_into": ([ctypes.c_char_p, ctypes.c_int32, _vp, ctypes.c_int64, _json_out] + _err, ctypes.c_int32),
    "litskit_save": ([ctypes.c_char_p, ctypes.c_int32, _vp, _i64p, _f64p] + _err, ctypes.c_int32),
    "litskit_components": ([_vp, _i64p, ctypes.c_int32, ctypes.c_int32, _vp, _i64p, _json_out] + _err, ctypes.c_int32),
    "litskit_metrics": ([_vp, _vp, _i64p, _f64p, ctypes.c_double, ctypes.c_int32, _json_out] + _err, ctypes.c_int32),
    "litskit_lits_scores": ([_vp, _vp, _i64p, _f64p, _json_out] + _err, ctypes.c_int32),
    "litskit_liver_regions": ([_vp, _i64p, _json_out] + _err, ctypes.c_int32),
    "litskit_evaluate_case": ([_vp, _vp, _i64p, _f64p, ctypes.c_int32, _json_out] + _err, ctypes.c_int32),
    "litskit_qa": ([ctypes.c_char_p, ctypes.c_int32, _json_out] + _err, ctypes.c_int32),
}
for _name, (_args, _res) in _SIGNATURES.items():
    _f = getattr(_lib, _name)
    _f.argtypes, _f.restype = _args, _res

# Reader warnings come back with the results (and are raised as Python warnings), not on stderr.
_lib.litskit_set_warnings(0)


def version():
    buf = ctypes.create_string_buffer(64)
    _lib.litskit_version(buf, len(buf))
    return buf.value.decode()


def _nonfinite(x):
    """The library writes NaN and infinities as "nan", "inf", "-inf" (JSON has no such numbers)."""
    if isinstance(x, dict):
        return {k: _nonfinite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_nonfinite(v) for v in x]
    if x in ("nan", "inf", "-inf"):
        return float(x)
    return x


def call(name, *args, json_result=False):
    """Calls entry point `name` with `args`; returns its JSON result parsed (json_result) or None.
    A non-zero return raises LitsError with the library's message."""
    err = ctypes.create_string_buffer(4096)
    out = ctypes.c_void_p()
    extra = (ctypes.byref(out),) if json_result else ()
    rc = getattr(_lib, name)(*args, *extra, err, len(err))
    if rc != 0:
        message = err.value.decode("utf-8", "replace")
        if out.value:
            _lib.litskit_free(out)
        raise LitsError(message)
    if not json_result:
        return None
    try:
        return _nonfinite(json.loads(ctypes.string_at(out.value).decode()))
    finally:
        _lib.litskit_free(out)


def shape_arg(shape):
    return (ctypes.c_int64 * 3)(*[int(s) for s in shape])


def doubles(values):
    values = [float(v) for v in values]
    return (ctypes.c_double * len(values))(*values)


def free(pointer):
    _lib.litskit_free(pointer)


__all__ = ["LitsError", "call", "version", "LIBRARY_PATH", "math"]
