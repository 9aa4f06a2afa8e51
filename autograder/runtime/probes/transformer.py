"""Probes specific to the transformer exercises (see :mod:`autograder.runtime.probes`)."""

from __future__ import annotations

from typing import Any

from autograder.runtime.probes.registry import Resolve, probe

# -- transformer/models.py: decoding with stand-in models, and training on the course's tasks -------------
# (owned by the models exercise)


def _stand_ins() -> dict[str, Any]:
    """Stand-in models with scripted logits (built lazily: Part 1 workers have no torch)."""
    import torch
    from torch import nn

    class ScriptedSeq2Seq(nn.Module):
        """Looks like a ``Transformer`` to a decoding loop; its logits come from a script.

        The row of the script is the first source token, ``src[:, 0]``, so the logits do not depend
        on how the loop batches the sequences; the logits at decoder position ``t`` are
        ``script[src[:, 0], t]`` whatever the tokens decoded so far. ``encode``, ``decode``,
        ``generator`` and ``forward`` are consistent with one another.
        """

        def __init__(self, script: torch.Tensor, pad_id: int) -> None:
            super().__init__()
            self.script: torch.Tensor
            self.register_buffer("script", script)  # (R, T, V)
            self.pad_id = pad_id
            self.generator = nn.Identity()

        def encode(self, src: torch.Tensor, src_mask: Any = None) -> torch.Tensor:
            return src[..., None].to(self.script.dtype)  # (B, Ls, 1): the memory carries the row

        def decode(
            self, tgt: torch.Tensor, memory: torch.Tensor, tgt_mask: Any = None, memory_mask: Any = None
        ) -> torch.Tensor:
            if tgt.shape[1] > self.script.shape[1]:
                raise ValueError(
                    f"decoded {tgt.shape[1]} positions, more than the {self.script.shape[1]} this test allows"
                )
            return self.script[memory[:, 0, 0].long(), : tgt.shape[1]]  # (B, Lt, V), "hidden" = logits

        def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
            return self.generator(self.decode(tgt, self.encode(src)))

    class BigramLM(nn.Module):
        """Looks like a ``DecoderOnlyTransformer``: the logits after token ``a`` are ``table[a]``.

        Raises ``ValueError`` for an input longer than ``max_len``, as the real model does.
        """

        def __init__(self, table: torch.Tensor, max_len: int) -> None:
            super().__init__()
            self.table: torch.Tensor
            self.register_buffer("table", table)  # (V, V)
            self.max_len = max_len

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            if tokens.shape[-1] > self.max_len:
                raise ValueError(f"sequence length {tokens.shape[-1]} exceeds max_len {self.max_len}")
            return self.table[tokens]  # (B, L, V)

    return {"scripted_seq2seq": ScriptedSeq2Seq, "bigram_lm": BigramLM}


def build_model(resolve: Resolve, spec: dict[str, Any]) -> Any:
    """A model for a decoding test, in eval mode.

    - ``{"kind": "student", "target", "init_args", "init_kwargs", "state", "dtype", "seed", "upstream"}``: the
      student's class, built like :func:`autograder.runtime.probes.general.module_run` builds it;
    - ``{"kind": "scripted_seq2seq", "script", "pad_id"}`` or ``{"kind": "bigram_lm", "table", "max_len"}``: a stand-in.
    """
    import torch

    kind = spec["kind"]
    if kind == "student":
        torch.manual_seed(spec.get("seed", 0))
        cls = resolve(spec["target"], spec.get("upstream") or ())
        model = cls(*spec.get("init_args", []), **spec.get("init_kwargs", {}))
        if spec.get("dtype") is not None:
            model = model.to(getattr(torch, spec["dtype"]))
        if spec.get("state") is not None:
            model.load_state_dict(spec["state"], strict=True)
    elif kind == "scripted_seq2seq":
        model = _stand_ins()[kind](spec["script"], spec["pad_id"])
    elif kind == "bigram_lm":
        model = _stand_ins()[kind](spec["table"], spec["max_len"])
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    return model.eval()


@probe
def decode_run(
    resolve: Resolve,
    function: str,
    model: dict[str, Any],
    args: list[Any],
    kwargs: dict[str, Any],
    generator_seeds: list[int] | None = None,
) -> list[Any]:
    """Call the student's decoding ``function(model, *args, **kwargs)`` (``greedy_decode``, ``generate``).

    ``model`` is a spec for :func:`build_model`. With ``generator_seeds``, one call per seed, each
    given ``generator=torch.Generator().manual_seed(seed)``; otherwise a single call. Returns the outputs.
    """
    import torch

    built = build_model(resolve, model)
    fn = resolve(function, model.get("upstream") or ())  # the decoding function of the module the model came from
    if generator_seeds is None:
        return [fn(built, *args, **kwargs)]
    return [fn(built, *args, **kwargs, generator=torch.Generator().manual_seed(seed)) for seed in generator_seeds]


@probe
def train_on_task(
    resolve: Resolve,
    target: str,
    task: str,
    seed: int,
    inputs: Any,
    decode: str | None = None,
    upstream: list[str] | None = None,
) -> dict[str, Any]:
    """Build the student's model class ``target`` with ``course.trainer.RECIPES[task].model_kwargs``, train it here with
    the course's trainer, and return ``{"state": its trained state_dict, "losses": the training losses,
    "predictions": ..., "prediction_error": ...}``.

    ``predictions``: with ``decode`` (the student's ``greedy_decode``), the decoding of the sources
    ``inputs``; without, the argmax of the model's logits on the token sequences ``inputs``.
    When only the prediction fails, ``prediction_error`` describes why and the weights still come back.
    ``upstream``: the earlier modules replaced by stand-ins (see :func:`autograder.runtime.probes.general.module_run`).
    """
    import torch

    from autograder.runtime.errors import describe
    from course.tasks import BOS_ID, EOS_ID
    from course.trainer import RECIPES, train_lm, train_seq2seq

    recipe = RECIPES[task]
    torch.manual_seed(seed)
    over = tuple(upstream or ())
    model = resolve(target, over)(**recipe.model_kwargs)
    train = train_seq2seq if decode is not None else train_lm
    losses = train(model, recipe.task, recipe, seed=seed)
    model.eval()
    result: dict[str, Any] = {
        "state": dict(model.state_dict()),
        "losses": losses,
        "predictions": None,
        "prediction_error": None,
    }
    try:
        with torch.no_grad():
            if decode is not None:
                result["predictions"] = resolve(decode, over)(model, inputs, recipe.task.tgt_len, BOS_ID, EOS_ID)
            else:
                result["predictions"] = model(inputs).argmax(-1)
    except Exception as error:  # noqa: BLE001 - reported as data; the weights are still graded
        result["prediction_error"] = describe(error)
    return result
