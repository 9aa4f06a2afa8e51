"""What models's public tests share: decoding loops written out over the stand-in models, with switches for the
known mistakes.

Shipped to students, since the public tests import it: hand formulas over the scripted stand-ins
(:mod:`autograder.runtime.probes.transformer`), never the reference. The switches are the *places* a decoding loop
goes wrong (which position's logits it reads, how it counts max_len, which end of the context it keeps), so one
model names the mistake whatever the loop around it looks like.
"""

import torch

# Which decoder position's logits give the next token: the family "the wrong position", wherever it is read.
FIRST_POSITION = (
    "next token taken from the first position's logits (hidden[:, 0]) instead of the last one's (hidden[:, -1])"
)

BOS_NOT_COUNTED = "bos_id not counted in max_len (one token too many): the output has max_len tokens, bos included"

NO_PAD = "does not pad after eos_id (tokens after eos_id must be pad_id)"
EOS_REPLACED = "eos_id replaced by padding (a finished sequence keeps its eos_id)"
NO_STOP = "does not stop once every sequence has produced eos_id"


def greedy_scripted(
    script: torch.Tensor,
    src: torch.Tensor,
    max_len: int,
    bos: int,
    eos: int,
    pad: int,
    *,
    position: int = -1,
    steps: int | None = None,
    pad_after: bool = True,
    keep_eos: bool = True,
    stop: bool = True,
) -> torch.Tensor:
    """greedy_decode over the scripted stand-in (logits at decoder position t are ``script[src[:, 0], t]``).

    ``position``: the position whose logits pick the next token; ``steps``: how many tokens are generated after
    bos (``max_len - 1`` right); the flags switch the eos handling.
    """
    rows = src[:, 0].long()
    ys = torch.full((len(src), 1), bos, dtype=torch.long)
    finished = torch.zeros(len(src), dtype=torch.bool)
    for _ in range(max_len - 1 if steps is None else steps):
        logits = script[rows, : ys.shape[1]]  # (B, t, V)
        token = logits[:, position].argmax(dim=-1)
        if pad_after:
            token = token.masked_fill(finished, pad)
        if not keep_eos:
            token = token.masked_fill(token == eos, pad)
        ys = torch.cat([ys, token[:, None]], dim=1)
        finished |= token == eos if keep_eos else logits[:, position].argmax(dim=-1) == eos
        if stop and finished.all():
            break
    return ys


def greedy_mistakes(script: torch.Tensor, src: torch.Tensor, max_len: int, bos: int, eos: int, pad: int) -> dict:
    def v(**changes):
        return lambda: greedy_scripted(script, src, max_len, bos, eos, pad, **changes)

    return {
        NO_PAD: v(pad_after=False),
        EOS_REPLACED: v(keep_eos=False),
        NO_STOP: v(stop=False),
        FIRST_POSITION: v(position=0),
        BOS_NOT_COUNTED: v(steps=max_len),
    }


CROP_FIRST = "context crop keeps the first max_len tokens instead of the last"


def generate_bigram(
    table: torch.Tensor, prompt: torch.Tensor, n: int, max_len: int, *, position: int = -1, crop: str = "last"
) -> torch.Tensor:
    """generate at temperature 0 over the bigram stand-in (the logits after token a are ``table[a]``).

    ``position``: the position whose logits pick the next token; ``crop``: which end of a context longer than
    max_len the model sees.
    """
    tokens = prompt.clone()
    for _ in range(n):
        context = tokens[:, -max_len:] if crop == "last" else tokens[:, :max_len]
        token = table[context][:, position].argmax(dim=-1)
        tokens = torch.cat([tokens, token[:, None]], dim=1)
    return tokens


def generate_mistakes(table: torch.Tensor, prompt: torch.Tensor, n: int, max_len: int) -> dict:
    return {
        CROP_FIRST: lambda: generate_bigram(table, prompt, n, max_len, crop="first"),
        FIRST_POSITION: lambda: generate_bigram(table, prompt, n, max_len, position=0),
    }


ONLY_ARGMAX = (
    "only the most likely token is ever drawn: always the argmax (temperature > 0 must sample), or top-k's threshold "
    "is the largest logit instead of the k-th largest"
)

TEMPERATURE_NOT_DIVIDING = (
    "temperature ignored, or logits multiplied by the temperature instead of divided: sample from "
    "softmax(logits / temperature)"
)
