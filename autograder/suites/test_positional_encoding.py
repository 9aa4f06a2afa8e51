"""Hidden suite: transformer/positional_encoding.py.

Expected values come from the reference, computed here in the trusted process. The known wrong
tables (sin/cos swapped, concatenated, wrong exponent ...) are rebuilt below from the formula, so
a student whose table or module output equals one of them is told which mistake it is.

Tolerances: the float32 policy of compare.py. A table computed directly in float32 (the usual
``torch.exp(arange * -log(10000) / d)`` recipe) is within it up to a few hundred positions; only
the test of the default ``max_len=5000`` table needs a looser bound (see there).
"""


import pytest
import torch

from autograder.grading.compare import check, check_raises, describe_args
from autograder.grading.mistakes.names import DROPOUT_NOT_APPLIED, POSITIONS_ALONG_BATCH, POSITIONS_NOT_ADDED
from autograder.grading.mistakes.positional_encoding import LEARNED, PE, SINUSOIDAL, forward_mistakes, table_mistakes

pytestmark = pytest.mark.timeout(20)


# -- the table and its known mistakes, from the formula ---------------------------------------------


def randn(*shape: int, seed: int, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


# -- sinusoidal_positional_encoding --------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("max_len,d_model", [(7, 6), (23, 8), (60, 16)])
def test_sinusoidal_matches_formula(student, ref, max_len, d_model):
    """sinusoidal: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...), float32"""
    expected = ref["positional_encoding"].sinusoidal_positional_encoding(max_len, d_model)
    got = student.call(SINUSOIDAL, max_len, d_model)
    check(
        got,
        expected,
        what=f"sinusoidal_positional_encoding({max_len}, {d_model})",
        mistakes=table_mistakes(max_len, d_model),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("max_len,d_model", [(9, 5), (4, 1)])
def test_sinusoidal_odd_d_model(student, ref, max_len, d_model):
    """sinusoidal: an odd d_model works (the last column is a sine)"""
    expected = ref["positional_encoding"].sinusoidal_positional_encoding(max_len, d_model)
    got = student.call(SINUSOIDAL, max_len, d_model)
    check(
        got,
        expected,
        what=f"sinusoidal_positional_encoding({max_len}, {d_model})",
        mistakes=table_mistakes(max_len, d_model),
    )


@pytest.mark.points(1)
def test_sinusoidal_single_position(student):
    """sinusoidal: position 0, worked out by hand"""
    expected = torch.tensor([[0.0, 1.0, 0.0, 1.0, 0.0, 1.0]])
    check(student.call(SINUSOIDAL, 1, 6), expected, what="sinusoidal_positional_encoding(1, 6)")


# -- PositionalEncoding ----------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_pe_buffer(student, ref):
    """PositionalEncoding: the table is the buffer `pe` of shape (max_len, d_model), not a parameter"""
    d_model, max_len = 6, 13
    got = student.probe("module_state", target=PE, init_args=[d_model], init_kwargs={"max_len": max_len})
    table = ref["positional_encoding"].sinusoidal_positional_encoding(max_len, d_model)
    what = f"PositionalEncoding({d_model}, max_len={max_len}).state_dict()"
    check(
        got["state"],
        {"pe": table},
        what=what,
        mistakes={
            "pe registered with a batch axis: it must be (max_len, d_model), not (1, max_len, d_model)": {
                "pe": table.unsqueeze(0)
            },
            "pe registered with persistent=False (it must be saved in state_dict)": {},
            **{name: (lambda t=t: {"pe": t()}) for name, t in table_mistakes(max_len, d_model).items()},
        },
    )
    check(
        got["parameters"],
        [],
        what=f"the parameters of PositionalEncoding({d_model}) (pe is a buffer: nothing learns it)",
    )


@pytest.mark.points(1)
def test_pe_default_max_len(student, ref):
    """PositionalEncoding: max_len defaults to 5000"""
    got = student.probe("module_state", target=PE, init_args=[8], init_kwargs={})
    expected = ref["positional_encoding"].sinusoidal_positional_encoding(5000, 8)
    # Documented looser bound: a table computed in float32 carries angle rounding errors of
    # about p * 1e-7 radians, up to ~2e-4 at p = 5000; 1e-3 still catches every wrong formula.
    check(got["state"], {"pe": expected}, what="PositionalEncoding(8).state_dict() (default max_len)", atol=1e-3)


@pytest.mark.points(2)
@pytest.mark.parametrize("B,L,D,max_len", [(3, 5, 8, 11), (2, 9, 7, 9)])
def test_pe_forward(student, ref, B, L, D, max_len):
    """PositionalEncoding: forward(x) = x + pe[:L], added to every sequence of the batch"""
    x = randn(B, L, D, seed=L)
    expected = ref["positional_encoding"].PositionalEncoding(D, max_len=max_len)(x)
    got = student.probe(
        "module_run", target=PE, init_args=[D], init_kwargs={"max_len": max_len}, calls=[{"args": [x]}]
    )["outputs"][0]
    pe = ref["positional_encoding"].sinusoidal_positional_encoding(max_len, D)
    check(
        got,
        expected,
        what=f"PositionalEncoding({D}, max_len={max_len})({describe_args(x)})",
        mistakes=forward_mistakes(x, pe, max_len),
    )


@pytest.mark.points(1)
def test_pe_forward_keeps_dtype(student, ref):
    """PositionalEncoding: the output keeps x's dtype (float16 in, float16 out)"""
    x = randn(2, 4, 6, seed=5, dtype=torch.float16)
    expected = ref["positional_encoding"].PositionalEncoding(6, max_len=10)(x)
    got = student.probe("module_run", target=PE, init_args=[6], init_kwargs={"max_len": 10}, calls=[{"args": [x]}])[
        "outputs"
    ][0]
    pe = ref["positional_encoding"].sinusoidal_positional_encoding(10, 6)
    check(
        got,
        expected,
        what=f"PositionalEncoding(6, max_len=10)({describe_args(x)})",
        mistakes={
            "the table's float32 dtype leaked into the result (cast pe to x's dtype)": lambda: x.float() + pe[:4]
        },
    )


@pytest.mark.points(2)
def test_pe_dropout_in_train_mode(student, ref):
    """PositionalEncoding: dropout(x + pe[:L]) in train mode (torch.manual_seed(0) before the call)"""
    B, L, D, p, seed = 3, 6, 10, 0.4, 3
    x = randn(B, L, D, seed=1)
    torch.manual_seed(seed)
    module = ref["positional_encoding"].PositionalEncoding(D, max_len=20, dropout=p).train()
    torch.manual_seed(seed)
    expected = module(x)
    pe = module.pe[:L]

    def dropout_before_adding():
        torch.manual_seed(seed)
        return torch.nn.functional.dropout(x, p, True) + pe

    got = student.probe(
        "module_run",
        target=PE,
        init_args=[D],
        init_kwargs={"max_len": 20, "dropout": p},
        calls=[{"args": [x]}],
        seed=seed,
        train=True,
    )["outputs"][0]
    check(
        got,
        expected,
        what=f"PositionalEncoding({D}, max_len=20, dropout={p}).train()({describe_args(x)})",
        mistakes={
            DROPOUT_NOT_APPLIED: lambda: x + pe,
            "dropout applied to x before adding the encoding (apply it to the sum)": dropout_before_adding,
        },
    )


@pytest.mark.points(1)
def test_pe_no_dropout_in_eval_mode(student, ref):
    """PositionalEncoding: eval() turns dropout off"""
    x = randn(2, 5, 4, seed=2)
    expected = ref["positional_encoding"].PositionalEncoding(4, max_len=8, dropout=0.5).eval()(x)
    got = student.probe(
        "module_run", target=PE, init_args=[4], init_kwargs={"max_len": 8, "dropout": 0.5}, calls=[{"args": [x]}]
    )
    check(got["outputs"][0], expected, what=f"PositionalEncoding(4, max_len=8, dropout=0.5).eval()({describe_args(x)})")


@pytest.mark.points(1)
def test_pe_too_long_raises(student):
    """PositionalEncoding: ValueError when the sequence is longer than max_len"""
    x = randn(2, 6, 4, seed=0)
    check_raises(
        lambda: student.probe(
            "module_run", target=PE, init_args=[4], init_kwargs={"max_len": 5}, calls=[{"args": [x]}]
        ),
        "ValueError",
        what=f"PositionalEncoding(4, max_len=5)({describe_args(x)})",
    )


# -- LearnedPositionalEmbedding --------------------------------------------------------------------------


@pytest.mark.points(1)
def test_learned_state(student):
    """LearnedPositionalEmbedding: one parameter, embedding.weight of shape (max_len, d_model)"""
    got = student.probe("module_state", target=LEARNED, init_args=[11, 6], init_kwargs={})
    shapes = {name: tuple(t.shape) for name, t in got["state"].items()}
    check(shapes, {"embedding.weight": (11, 6)}, what="LearnedPositionalEmbedding(11, 6).state_dict() shapes")
    check(got["modules"].get("embedding"), "Embedding", what="LearnedPositionalEmbedding(11, 6).embedding type")


@pytest.mark.points(2)
@pytest.mark.parametrize("B,L,D,max_len", [(3, 5, 6, 9), (2, 7, 4, 7)], ids=["L<max_len", "L=max_len"])
def test_learned_forward_and_gradients(student, ref, B, L, D, max_len):
    """LearnedPositionalEmbedding: x + embedding([0..L-1]), and its gradients (float64)"""
    x = randn(B, L, D, seed=4, dtype=torch.float64).requires_grad_()
    g = randn(B, L, D, seed=5, dtype=torch.float64)
    torch.manual_seed(0)
    module = ref["positional_encoding"].LearnedPositionalEmbedding(max_len, D).double()
    state = {k: v.clone() for k, v in module.state_dict().items()}
    x_ref = x.detach().clone().requires_grad_()
    expected = module(x_ref)
    (expected * g).sum().backward()
    weight = state["embedding.weight"]
    got = student.probe(
        "module_run",
        target=LEARNED,
        init_args=[max_len, D],
        init_kwargs={},
        calls=[{"args": [x]}],
        state=state,
        dtype="float64",
        grad_outputs=[g],
    )
    what = f"LearnedPositionalEmbedding({max_len}, {D})({describe_args(x)})"
    check(
        got["outputs"][0],
        expected.detach(),
        what=what,
        mistakes={
            POSITIONS_NOT_ADDED: x.detach(),
            "positions start at 1 instead of 0": lambda: x.detach() + weight[1 : L + 1],
            POSITIONS_ALONG_BATCH: lambda: x.detach() + weight[:B].unsqueeze(1),
        },
    )
    check(got["input_grads"][0][0], x_ref.grad, what=f"gradient of x for {what}")
    check(
        got["param_grads"],
        {"embedding.weight": module.embedding.weight.grad},
        what=f"gradient of embedding.weight for {what}",
    )


@pytest.mark.points(1)
def test_learned_too_long_raises(student):
    """LearnedPositionalEmbedding: ValueError when the sequence is longer than max_len"""
    x = randn(1, 4, 3, seed=0)
    check_raises(
        lambda: student.probe("module_run", target=LEARNED, init_args=[3, 3], init_kwargs={}, calls=[{"args": [x]}]),
        "ValueError",
        what=f"LearnedPositionalEmbedding(3, 3)({describe_args(x)})",
    )
