"""Plain data between the grader and student code: JSON plus raw arrays, never pickle.

A value is encoded as a JSON-able tree and a list of NumPy arrays that the tree refers to by
index. Only these kinds of value cross the boundary:

- ``None``, ``bool``, ``int``, ``float`` (NaN and inf included), ``str``;
- ``list``, ``tuple`` and ``dict`` (keys ``str`` or ``int``, order kept) of such values;
- NumPy arrays and scalars of a whitelisted dtype, and ``torch.Tensor`` (sent as its data,
  detached and on the CPU; the decoder makes a fresh tensor). Subclasses are reduced to the
  plain type; object arrays are refused.

Anything else raises :class:`ProtocolError`, whose message says what was sent. The same
encoding is used in-process (``make test``) and across the worker pipe, so both modes see
identical values.
"""

from __future__ import annotations

import io
import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

ALLOWED_DTYPES = frozenset(
    np.dtype(name)
    for name in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    )
)
MAX_DEPTH = 32


class Stream(Protocol):
    """What messages are read from and written to: a binary file, or the grader's deadline-bound pipe end."""

    def read(self, n: int, /) -> bytes: ...

    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> None: ...


class ProtocolError(Exception):
    """A value that cannot cross the boundary (wrong type, dtype, or malformed message)."""


@dataclass
class Encoded:
    tree: Any
    arrays: list[np.ndarray]


def _torch():
    try:
        import torch
    except ImportError:  # Part 1 workers need no torch
        return None
    return torch


def _float(x: float) -> Any:
    return x if math.isfinite(x) else {"__float__": repr(x)}


def _array(a: np.ndarray, arrays: list[np.ndarray], kind: str) -> dict[str, Any]:
    a = np.asarray(a)
    if type(a) is not np.ndarray:
        a = np.array(a, copy=True, subok=False)
    if a.dtype not in ALLOWED_DTYPES:
        raise ProtocolError(f"an array of dtype {a.dtype} cannot be graded (expected a numeric dtype)")
    arrays.append(np.ascontiguousarray(a))
    return {"__array__": len(arrays) - 1, "kind": kind}


def encode(value: Any) -> Encoded:
    arrays: list[np.ndarray] = []
    torch = _torch()

    def enc(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("value is nested too deeply")
        if v is None or isinstance(v, (bool, str)):
            return str(v) if isinstance(v, str) else v
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, int) and not isinstance(v, bool):
            return int(v)
        if isinstance(v, float):
            return _float(float(v))
        if isinstance(v, np.generic):
            return _array(np.asarray(v), arrays, "numpy_scalar")
        if isinstance(v, np.ndarray):
            return _array(v, arrays, "numpy")
        if torch is not None and isinstance(v, torch.Tensor):
            t = v.detach().to("cpu")
            if t.dtype == torch.bfloat16:
                raise ProtocolError("a bfloat16 tensor cannot be graded")
            out = _array(t.resolve_conj().resolve_neg().numpy(), arrays, "torch")
            out["requires_grad"] = bool(v.requires_grad)
            out["device"] = str(v.device)
            return out
        if isinstance(v, tuple):
            return {"__tuple__": [enc(x, depth + 1) for x in v]}
        if isinstance(v, list):
            return [enc(x, depth + 1) for x in v]
        if isinstance(v, dict):
            items = []
            for k, x in v.items():
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise ProtocolError(f"a dict key of type {type(k).__name__} cannot be graded")
                items.append([str(k) if isinstance(k, str) else int(k), enc(x, depth + 1)])
            return {"__dict__": items}
        raise ProtocolError(f"a value of type {type(v).__module__}.{type(v).__qualname__} cannot be graded")

    return Encoded(enc(value, 0), arrays)


def _is_pair(item: Any) -> bool:
    """What encode() writes for one dict entry: ``[key, value]`` with a str or int (not bool) key."""
    return (
        isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int)) and not isinstance(item[0], bool)
    )


def decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    """Rebuild a value; every array is re-validated and copied into a fresh, plain object."""
    torch = _torch()

    def dec(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("message is nested too deeply")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [dec(x, depth + 1) for x in v]
        if not isinstance(v, dict) or len(v) == 0:
            raise ProtocolError(f"malformed message node {v!r:.80}")
        if "__float__" in v:
            text = v["__float__"]
            if text not in ("nan", "inf", "-inf"):
                raise ProtocolError(f"malformed float {text!r:.40}")
            return float(text)
        if "__tuple__" in v:
            return tuple(dec(x, depth + 1) for x in v["__tuple__"])
        if "__dict__" in v:
            items = v["__dict__"]
            if not isinstance(items, list) or not all(_is_pair(i) for i in items):
                raise ProtocolError("malformed dict in the message")  # refused, never silently dropped
            return {k: dec(x, depth + 1) for k, x in items}
        if "__array__" in v:
            index = v["__array__"]
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise ProtocolError("array reference out of range")
            a = np.array(arrays[index], copy=True, subok=False)
            if a.dtype not in ALLOWED_DTYPES:
                raise ProtocolError(f"array of dtype {a.dtype} refused")
            kind = v.get("kind")
            if kind == "numpy":
                return a
            if kind == "numpy_scalar":
                return a[()]
            if kind == "torch":
                if torch is None:
                    raise ProtocolError("a torch tensor arrived but torch is not installed")
                t = torch.from_numpy(a)
                return t.requires_grad_() if v.get("requires_grad") and t.is_floating_point() else t
            raise ProtocolError(f"unknown array kind {kind!r:.40}")
        raise ProtocolError(f"malformed message node {v!r:.80}")

    return dec(tree, 0)


def roundtrip(value: Any) -> Any:
    """Encode then decode in memory: the in-process twin of sending a value through the pipe."""
    encoded = encode(value)
    return decode(encoded.tree, encoded.arrays)


# -- framing over a byte stream: header length, JSON header, then each array as .npy ---------------

_LEN = struct.Struct("!Q")


def encode_message(payload: Any) -> bytes:
    """The whole framed message; raises :class:`ProtocolError` (or ValueError) before anything is written."""
    encoded = encode(payload)
    blobs = []
    for a in encoded.arrays:
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)
        blobs.append(buf.getvalue())
    header = json.dumps({"tree": encoded.tree, "sizes": [len(b) for b in blobs]}, allow_nan=False).encode()
    return b"".join([_LEN.pack(len(header)), header, *blobs])


def write_message(stream: Stream, payload: Any) -> None:
    stream.write(encode_message(payload))
    stream.flush()


def _read_exact(stream: Stream, n: int) -> bytes:
    chunks = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _load_array(blob: bytes) -> np.ndarray:
    """One ``.npy`` blob, its header checked before any allocation: shape times dtype must be what the blob holds.

    (``np.load`` allocates what the header claims before it reads the data, so a 100-byte blob could
    ask for terabytes.)
    """
    from numpy.lib import format as npy

    stream = io.BytesIO(blob)
    try:
        version = npy.read_magic(stream)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ProtocolError(f"unsupported .npy version {version}")
        reader = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran, dtype = reader(stream, max_header_size=10000)
    except ValueError as error:
        raise ProtocolError(f"malformed array: {error}") from None
    if dtype not in ALLOWED_DTYPES:
        raise ProtocolError(f"array of dtype {dtype} refused")
    count = math.prod(shape)
    if count * dtype.itemsize != len(blob) - stream.tell():
        raise ProtocolError(f"an array header claims shape {shape} of {dtype}, which is not the {len(blob)} bytes sent")
    data = np.frombuffer(blob, dtype=dtype, count=count, offset=stream.tell())
    return data.reshape(shape, order="F" if fortran else "C")


def _depth(text: bytes, limit: int) -> int:
    """How deeply ``text`` (JSON) nests brackets, counted without parsing (quotes and escapes respected)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def read_message(stream: Stream, max_bytes: int = 1 << 30, max_header: int | None = None) -> Any:
    """Read one message; every size is checked before it is allocated (header, array sizes, each array's shape)."""
    (size,) = _LEN.unpack(_read_exact(stream, _LEN.size))
    limit = min(max_bytes, max_header) if max_header is not None else max_bytes
    if size > limit:
        raise ProtocolError(f"message header of {size} bytes is too large (at most {limit})")
    text = _read_exact(stream, size)
    # a value nests at most MAX_DEPTH levels, each at most two brackets deep ({"__dict__": [[key, value]]})
    if _depth(text, 3 * MAX_DEPTH + 8) > 3 * MAX_DEPTH + 8:
        raise ProtocolError("message is nested too deeply")
    try:
        header = json.loads(text)
        sizes = header["sizes"]
        tree = header["tree"]
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise ProtocolError(f"malformed message header: {error}") from None
    if not isinstance(sizes, list) or not all(isinstance(s, int) and 0 <= s for s in sizes) or sum(sizes) > max_bytes:
        raise ProtocolError("malformed or oversized array sizes")
    return decode(tree, [_load_array(_read_exact(stream, s)) for s in sizes])
