"""Benchmark (not a test): the reference EncoderLayer against torch.nn.TransformerEncoderLayer.

Both layers get the same weights (dropout 0, eval mode) and the outputs are checked to agree
before anything is timed. Two workloads are timed:

- inference: forward under torch.no_grad() (PyTorch may take its fused "fast path" here);
- training:  forward + backward (no fast path: the same autograd kernels for both).

Each is timed in interleaved rounds (one reference call, one PyTorch call, again ...) after a
warm-up, keeping the best time of each side, so a busy machine does not skew the ratio.

    .venv/bin/python -m bench.layers_vs_torch                      # CPU, d_model 512, 8 heads
    .venv/bin/python -m bench.layers_vs_torch --device cuda --batch 32 --length 256

The ratio printed is reference time / PyTorch time (lower is better; the target is <= 1.3).
``rows()`` gives the same measurements as :class:`bench.common.Row` for ``make bench``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.grading.loader import reference
from bench.common import Row, timing_row

TARGET = 1.3


def our_state(theirs: nn.TransformerEncoderLayer) -> dict[str, torch.Tensor]:
    """nn.TransformerEncoderLayer's weights under the reference's names (in_proj split into w_q, w_k, w_v)."""
    s = {k: v.detach().clone() for k, v in theirs.state_dict().items()}
    state = {}
    for name, w, b in zip(["w_q", "w_k", "w_v"], s["self_attn.in_proj_weight"].chunk(3), s["self_attn.in_proj_bias"].chunk(3)):
        state[f"self_attn.{name}.weight"], state[f"self_attn.{name}.bias"] = w, b
    state["self_attn.w_o.weight"], state["self_attn.w_o.bias"] = s["self_attn.out_proj.weight"], s["self_attn.out_proj.bias"]
    for name in ["linear1", "linear2"]:
        state[f"ffn.{name}.weight"], state[f"ffn.{name}.bias"] = s[f"{name}.weight"], s[f"{name}.bias"]
    for name in ["norm1", "norm2"]:
        state[f"{name}.weight"], state[f"{name}.bias"] = s[f"{name}.weight"], s[f"{name}.bias"]
    return state


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    device: str = "cpu",
    batch: int = 8,
    length: int = 128,
    d_model: int = 512,
    heads: int = 8,
    d_ff: int = 2048,
    norm_first: bool = False,
    padding: bool = False,
    min_run_time: float = 2.0,
) -> tuple[str, dict[str, dict[str, float]]]:
    """(description, {workload: {"reference": seconds, "torch": seconds}}), after checking both agree."""
    torch.manual_seed(0)
    dev = torch.device(device)
    theirs = nn.TransformerEncoderLayer(d_model, heads, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first, device=dev).eval()
    ours = reference()["layers"].EncoderLayer(d_model, heads, d_ff, norm_first=norm_first).to(dev).eval()
    ours.load_state_dict(our_state(theirs))

    x = torch.randn(batch, length, d_model, device=dev)
    keep = torch.ones(batch, length, dtype=torch.bool, device=dev)
    if padding:
        keep[::2, -(length // 4) :] = False
    our_mask = keep[:, None, None, :] if padding else None  # ours: True = may attend
    their_kwargs = {"src_key_padding_mask": ~keep} if padding else {}  # theirs: True = padding

    with torch.no_grad():
        out_ours, out_theirs = ours(x, our_mask), theirs(x, **their_kwargs)
        valid = keep[..., None].expand_as(out_ours)  # the fast path may zero padded positions
        torch.testing.assert_close(out_ours[valid], out_theirs[valid], rtol=1e-4, atol=1e-4)

    def inference(layer, *a, **kw):
        with torch.no_grad():
            return layer(*a, **kw)

    def training(layer, *a, **kw):
        layer(*a, **kw).sum().backward()

    threads = torch.get_num_threads()
    where = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU, {threads} threads"
    description = (
        f"EncoderLayer(d_model={d_model}, heads={heads}, d_ff={d_ff}, norm_first={norm_first}) on x ({batch}, {length}, {d_model}) "
        f"float32, padding={padding}, {where}, torch {torch.__version__}"
    )
    contenders = {"reference": (ours, (x, our_mask), {}), "torch": (theirs, (x,), their_kwargs)}
    results: dict[str, dict[str, float]] = {}
    for label, fn, grad in [("inference (no_grad)", inference, False), ("training (fwd+bwd)", training, True)]:
        for layer, _, _ in contenders.values():
            layer.requires_grad_(grad)
        # Interleaved rounds, best of each: a busy machine slows both sides alike instead of skewing the ratio.
        for layer, call_args, call_kwargs in contenders.values():
            fn(layer, *call_args, **call_kwargs)  # warm-up
        best = {who: float("inf") for who in contenders}
        deadline = time.perf_counter() + min_run_time
        rounds = 0
        while rounds < 3 or (time.perf_counter() < deadline and rounds < 50):
            for who, (layer, call_args, call_kwargs) in contenders.items():
                sync(dev)
                start = time.perf_counter()
                fn(layer, *call_args, **call_kwargs)
                sync(dev)
                best[who] = min(best[who], time.perf_counter() - start)
            rounds += 1
        results[label] = best
    return description, results


def rows(**kwargs: object) -> list[Row]:
    """One row per workload, for ``make bench``."""
    _, results = measure(**kwargs)  # type: ignore[arg-type]
    return [timing_row(f"EncoderLayer vs nn.TransformerEncoderLayer, {label}", t["reference"], t["torch"], TARGET) for label, t in results.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--d-model", type=int, default=512)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--d-ff", type=int, default=2048)
    parser.add_argument("--norm-first", action="store_true")
    parser.add_argument("--padding", action="store_true", help="mask the last quarter of every other sequence")
    parser.add_argument("--min-run-time", type=float, default=2.0, help="seconds of timing per workload (both sides)")
    args = parser.parse_args()
    description, results = measure(**vars(args))
    print(description)
    for label, t in results.items():
        ratio = t["reference"] / t["torch"]
        verdict = "ok" if ratio <= TARGET else f"above the {TARGET}x target"
        print(f"  {label:20s} reference {t['reference'] * 1e3:8.2f} ms   torch {t['torch'] * 1e3:8.2f} ms   ratio {ratio:.2f}x ({verdict})")


if __name__ == "__main__":
    main()
