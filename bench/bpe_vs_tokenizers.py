"""Benchmark (not a test): the reference BPE against Hugging Face ``tokenizers``, and the Part 3 capstone.

BPE: ``train_bpe`` against ``BpeTrainer`` on gensim's Lee corpus (60k words), 3,000 merges, both
from the same word counts and the same initial ids (the reference's initial symbols handed to
``BpeTrainer`` as special tokens, as ``tests/kit/test_reference_bpe.py`` does, so that the merges
are the same, which the row checks); ``tokenizers`` uses its default threads, the reference one.

Capstone: the notebook's settings (``course.corpus.CAPSTONE``): the reference BPE on Lee, the
reference ``DecoderOnlyTransformer`` trained by ``course.trainer.train_lm``, its held-out loss
against the unigram baseline's, and the training's CPU time.

    .venv/bin/python -m bench.bpe_vs_tokenizers
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.grading.loader import reference
from bench.common import Row, best_of

NUM_MERGES = 3000
TIME_TARGET = 10.0  # the reference may take this many times tokenizers' training time
LOSS_MARGIN = 0.5  # nats per token the capstone's model must gain over the unigram baseline


def lee_text() -> str:
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        return f.read()


def benchmark_bpe(num_merges: int = NUM_MERGES) -> dict[str, float | bool]:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    bpe = reference()["bpe"]
    text = lee_text()
    initial = bpe.bpe_vocab(bpe.word_counts(text), [])

    def hf() -> Tokenizer:
        tokenizer = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        trainer = trainers.BpeTrainer(
            vocab_size=len(initial) + num_merges, special_tokens=list(initial), end_of_word_suffix="</w>", show_progress=False
        )
        tokenizer.train_from_iterator(text.splitlines(), trainer)
        return tokenizer

    ours = best_of(lambda: bpe.train_bpe(bpe.word_counts(text), num_merges), repeat=3)
    theirs = best_of(hf, repeat=3)
    same = bpe.train_bpe(bpe.word_counts(text), num_merges) == [tuple(m) for m in json.loads(hf().to_str())["model"]["merges"]]
    print(f"BPE, {num_merges} merges on Lee: reference {ours:.2f} s, tokenizers {theirs:.3f} s ({ours / theirs:.1f}x), same merges: {same}")
    return {"reference": ours, "tokenizers": theirs, "same": same}


def benchmark_capstone() -> dict[str, float]:
    import torch

    from course.corpus import CAPSTONE, mean_loss, split_stream, unigram_loss
    from course.trainer import Recipe, train_lm

    ref = reference()
    bpe, models = ref["bpe"], ref["models"]
    s = CAPSTONE
    text = lee_text()
    counts = bpe.word_counts(text)
    merges = bpe.train_bpe(counts, s["num_merges"])
    vocab = bpe.bpe_vocab(counts, merges)
    train, held_out = split_stream(torch.as_tensor(bpe.encode(text, vocab, merges)), len(vocab), s["seq_len"])
    torch.manual_seed(0)
    model = models.DecoderOnlyTransformer(
        vocab_size=len(vocab), max_len=s["seq_len"], **{k: s[k] for k in ("d_model", "num_heads", "num_layers", "d_ff")}
    )
    start = time.process_time()
    train_lm(model, train, Recipe(train, steps=s["steps"], batch_size=s["batch_size"], lr=s["lr"], warmup=s["warmup"]), seed=0)
    seconds = time.process_time() - start
    loss, baseline = mean_loss(model, held_out), unigram_loss(train, held_out)
    print(f"capstone: {len(vocab)} tokens, trained in {seconds:.1f} s of CPU, held-out {loss:.3f} nats/token, unigram {baseline:.3f}")
    return {"seconds": seconds, "loss": loss, "unigram": baseline}


def rows() -> list[Row]:
    """BPE training time against tokenizers; the capstone's held-out loss against the unigram baseline, and its time."""
    b = benchmark_bpe()
    c = benchmark_capstone()
    ratio = b["reference"] / b["tokenizers"]
    return [
        Row(
            benchmark=f"train_bpe vs tokenizers BpeTrainer, {NUM_MERGES} merges on Lee (same merges: {'yes' if b['same'] else 'NO'})",
            ours=f"{b['reference']:.2f} s",
            baseline=f"{b['tokenizers']:.3f} s",
            ratio=f"{ratio:.1f}x",
            target=f"<= {TIME_TARGET:g}x, same merges",
            met=bool(b["same"]) and ratio <= TIME_TARGET,
        ),
        Row(
            benchmark="capstone: DecoderOnlyTransformer on BPE tokens of Lee, held-out loss vs unigram (nats/token)",
            ours=f"{c['loss']:.2f}",
            baseline=f"{c['unigram']:.2f}",
            target=f"<= unigram - {LOSS_MARGIN:g}",
            met=c["loss"] <= c["unigram"] - LOSS_MARGIN,
        ),
        Row(benchmark="capstone: training time (CPU)", ours=f"{c['seconds']:.0f} s", target="<= 180 s", met=c["seconds"] <= 180),
    ]


if __name__ == "__main__":
    rows()
