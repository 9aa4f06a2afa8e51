"""The plain-data protocol: what may cross, what may not, and that nothing is unpickled."""

import io
import math

import numpy as np
import pytest
import torch

from autograder.runtime import protocol


def test_roundtrip_keeps_values_and_kinds():
    value = {
        "vocab": {"naïve": 0, "日本": 1},
        "ids": np.arange(6, dtype=np.int64).reshape(2, 3),
        "t": torch.randn(2, 3, dtype=torch.float64, requires_grad=True),
        "pair": (1, 2.5, None, True, "x"),
        "items": [np.float32(1.5), float("nan"), -math.inf],
        7: "int key",
    }
    back = protocol.roundtrip(value)
    assert list(back["vocab"].items()) == [("naïve", 0), ("日本", 1)]
    assert back["ids"].dtype == np.int64 and np.array_equal(back["ids"], value["ids"])
    assert isinstance(back["t"], torch.Tensor) and back["t"].dtype == torch.float64 and back["t"].requires_grad
    assert torch.equal(back["t"].detach(), value["t"].detach())
    assert back["pair"] == (1, 2.5, None, True, "x") and isinstance(back["pair"], tuple)
    assert back["items"][0] == np.float32(1.5) and back["items"][0].dtype == np.float32
    assert math.isnan(back["items"][1]) and back["items"][2] == -math.inf
    assert back[7] == "int key"


def test_decoded_arrays_are_fresh_copies():
    a = np.zeros(3)
    back = protocol.roundtrip(a)
    back[0] = 1
    assert a[0] == 0


class Sneaky(np.ndarray):
    def __eq__(self, other):  # a submission's array that claims to equal anything
        return np.ones(self.shape, dtype=bool)


class SneakyTensor(torch.Tensor):
    pass


def test_subclasses_are_reduced_to_plain_types():
    back = protocol.roundtrip(np.zeros(3).view(Sneaky))
    assert type(back) is np.ndarray
    t = protocol.roundtrip(torch.zeros(2).as_subclass(SneakyTensor))
    assert type(t) is torch.Tensor


@pytest.mark.parametrize(
    "bad",
    [object(), np.array([object()], dtype=object), {(1, 2): 3}, lambda: 1, {1.5: "float key"}, torch.zeros(2, dtype=torch.bfloat16)],
    ids=["object", "object-array", "tuple-key", "function", "float-key", "bfloat16"],
)
def test_values_that_cannot_be_graded_are_refused(bad):
    with pytest.raises(protocol.ProtocolError):
        protocol.encode(bad)


def test_framed_messages_roundtrip_and_never_unpickle():
    buf = io.BytesIO()
    protocol.write_message(buf, {"ok": [np.eye(2), "x"]})
    buf.seek(0)
    back = protocol.read_message(buf)
    assert np.array_equal(back["ok"][0], np.eye(2)) and back["ok"][1] == "x"

    # A hand-made message carrying a pickled object array must be refused, not executed.
    payload = io.BytesIO()
    np.save(payload, np.array([object()], dtype=object), allow_pickle=True)
    header = b'{"tree": {"__array__": 0, "kind": "numpy"}, "sizes": [%d]}' % len(payload.getvalue())
    evil = io.BytesIO(protocol._LEN.pack(len(header)) + header + payload.getvalue())
    with pytest.raises(protocol.ProtocolError):
        protocol.read_message(evil)


def test_malformed_messages_are_refused():
    for header in (b"not json", b'{"tree": {"__array__": 3, "kind": "numpy"}, "sizes": []}', b'{"tree": {"__float__": "1e999x"}, "sizes": []}'):
        with pytest.raises(protocol.ProtocolError):
            protocol.read_message(io.BytesIO(protocol._LEN.pack(len(header)) + header))
    with pytest.raises(EOFError):
        protocol.read_message(io.BytesIO(b"\x00\x00"))
