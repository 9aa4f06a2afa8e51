"""Held-out set 2026-12 C: common student mistakes, written without reading the mistake models. FROZEN.

Written on 2026-12 by a helper session of the kit that read only what a student and an instructor see: the
curriculum and the design notes, the README and ``docs/``, the stubs and their docstrings (``assignments/``), the
reference it patches (``solutions/``), the held-out harness (``tests/mutants/heldout/__init__.py``, the rule of
``Mutant.apply``, ``tests/kit/test_heldout.py``) and the first lines of set B (its docstring and its constants, to
copy the layout). It did not open the kit's mistake models (``autograder/grading/mistakes/``), the hidden suites
(``autograder/suites/``), the public tests, the catalogue (``tests/mutants/<exercise>.py``, ``generated.py``), the
mistakes of set A (``set_2026_12.py``) or of set B (``set_2026_12b.py``), and it did not look at any feedback a
mistake gets: each mistake was checked only to apply once, to parse, and to lose points in its exercise's hidden
suite (the score alone, one grade at a time). The naming patterns were decided here, before anything measured them,
by the rule of :mod:`tests.mutants.heldout`: a mistake is named when one of its ``names`` (case-insensitive regular
expressions) matches the text after ``Likely mistake:`` in a failing test's feedback. They are meant to be generous
to wording and specific to the concept of the mistake: no pattern that any feedback of the exercise would match.

This module is frozen: never edit it, not even to fix a pattern or drop a mistake, so that every number measured
on set C means the same thing. A later set goes in a new module. Ids carry a ``c_`` prefix so that they cannot
collide with set A's or set B's.
"""

from __future__ import annotations

from tests.mutants.heldout import HeldOutMutant as M

LABEL = "held-out C"  # how the measurement labels this set's figures

ONE_HOT = "embeddings/one_hot.py"
BPE = "embeddings/bpe.py"
SKIPGRAM = "embeddings/skipgram.py"
CBOW = "embeddings/cbow.py"
GLOVE = "embeddings/glove.py"
FASTTEXT = "embeddings/fasttext.py"
PRETRAINED = "embeddings/pretrained.py"
SIMILARITY = "embeddings/similarity.py"
SDPA = "attention/scaled_dot_product.py"
MASKS = "attention/masks.py"
MULTI_HEAD = "attention/multi_head.py"
POSITIONAL = "transformer/positional_encoding.py"
LAYERS = "transformer/layers.py"
MODELS = "transformer/models.py"

# Naming patterns shared by several mistakes of one concept.
OFF_BY_ONE = (r"off.by.one", r"exclusive", r"inclusive")
REPEATS = (r"repeat", r"twice", r"duplicate", r"add\.at", r"accumulat")
BATCH_MEAN = (r"1\s*/\s*B\b", r"batch.?size", r"\bmean\b", r"averag")
OVERFLOW = (r"overflow", r"unstab", r"stabl", r"\bnan\b", r"large (input|magnitude|value)", r"subtract.{0,20}max")
CAUSAL = (r"causal", r"future", r"peek", r"look.?ahead", r"later (token|position)")
MEMORY_MASK = (r"memory.?mask", r"(source|src).{0,20}pad", r"pad.{0,30}(source|src|memory|encoder)")
RESIDUAL = (r"residual", r"skip.?connection", r"add ?& ?norm")
HEAD_LAYOUT = (r"reshape", r"\bview\b", r"transpos", r"\bmix", r"interleav", r"head.{0,20}(axis|order)", r"split.?heads", r"merge.?heads")
SQRT_D_MODEL = (r"sqrt", r"scal")
TEMPERATURE = (r"temperature",)
TOP_K = (r"top.?k", r"k.?th", r"\bk largest", r"keepdim")

HELDOUT = [
    # --- one_hot ---------------------------------------------------------------------------------------------------
    M(
        "one_hot",
        "c_vocab_ties_by_first_occurrence",
        ONE_HOT,
        "sorted(counts.items(), key=lambda item: (-item[1], item[0]))",
        "sorted(counts.items(), key=lambda item: -item[1])",
        "build_vocab sorts by count only, so equal counts keep the corpus's first-occurrence order, not alphabetical",
        (r"\bties?\b", r"alphabet", r"first.?occurrence", r"order of (appearance|the corpus)"),
    ),
    M(
        "one_hot",
        "c_vocab_min_count_strict",
        ONE_HOT,
        "if count >= min_count and word not in vocab:",
        "if count > min_count and word not in vocab:",
        "min_count read as 'more than': a word seen exactly min_count times is left out",
        (r"min.?count", r"threshold", r"at least", r"strict", *OFF_BY_ONE),
    ),
    M(
        "one_hot",
        "c_one_hot_negative_id_accepted",
        ONE_HOT,
        "if indices.size and (indices.min() < 0 or indices.max() >= vocab_size):",
        "if indices.size and indices.max() >= vocab_size:",
        "only ids too large are refused: a negative id indexes np.eye from the end instead of raising ValueError",
        (r"negative", r"out of range", r"wrap", r"from the end"),
    ),
    M(
        "one_hot",
        "c_one_hot_integer_dtype",
        ONE_HOT,
        "return np.eye(vocab_size, dtype=np.float64)[indices]",
        "return np.eye(vocab_size, dtype=np.int64)[indices]",
        "the one-hot rows are built as an integer array instead of float64",
        (r"dtype", r"float64", r"int(eger|64)? (array|dtype|output)"),
    ),
    # --- bpe -------------------------------------------------------------------------------------------------------
    M(
        "bpe",
        "c_split_word_separate_marker",
        BPE,
        "return [*word[:-1], word[-1] + EOW] if word else []",
        "return [*word, EOW] if word else []",
        "the end-of-word marker is a symbol of its own instead of fused to the last character",
        (r"separate", r"fused?", r"marker", r"</w>", r"end.of.word"),
    ),
    M(
        "bpe",
        "c_merge_pair_no_skip",
        BPE,
        "            i += 2",
        "            i += 1",
        "after a merge the scan moves on by one symbol instead of two, so the right symbol is kept a second time",
        (r"\bskip", r"overlap", r"both symbols", r"advanc", r"i \+= ?2", r"twice"),
    ),
    M(
        "bpe",
        "c_merge_pair_first_only",
        BPE,
        "            out.append(symbols[i] + symbols[i + 1])\n            i += 2",
        "            out.append(symbols[i] + symbols[i + 1])\n            out.extend(symbols[i + 2 :])\n            break",
        "merge_pair merges only the first occurrence of the pair, not every occurrence",
        (r"every occurrence", r"all (the )?occurrences", r"first occurrence", r"only (the )?(first|one)", r"merges? (only )?once"),
    ),
    M(
        "bpe",
        "c_pair_counts_ignore_word_frequency",
        BPE,
        "        for pair in zip(symbols, symbols[1:]):\n            pair_counts[pair] += counts[i]",
        "        for pair in zip(symbols, symbols[1:]):\n            pair_counts[pair] += 1",
        "a pair is counted once per distinct word, not as often as the word occurs in the corpus",
        (r"frequen", r"word.?counts?", r"weight", r"as often as", r"once per (word|type)", r"occurrences of the word"),
    ),
    M(
        "bpe",
        "c_ties_alphabetical",
        BPE,
        "return -pair_counts[pair], ids[pair[0]], ids[pair[1]], pair",
        "return -pair_counts[pair], pair[0], pair[1], pair",
        "ties between equally frequent pairs go to the alphabetically first pair, not to the lowest symbol ids",
        (r"\bties?\b", r"alphabetic", r"lexicograph", r"lower(est)? id", r"symbol ids?", r"by id", r"string order"),
    ),
    M(
        "bpe",
        "c_alphabet_without_last_characters",
        BPE,
        "alphabet = sorted({char for word in word_counts for char in word})",
        "alphabet = sorted({char for word in word_counts for char in word[:-1]})",
        "a character that only ends words gets no bare token in the vocabulary (only its marked form)",
        (r"alphabet", r"\bbare\b", r"last char", r"initial (symbol|token)s?", r"every character"),
    ),
    M(
        "bpe",
        "c_apply_merges_in_order",
        BPE,
        "    while len(symbols) > 1:\n"
        "        best = min(zip(symbols, symbols[1:]), key=lambda pair: rank.get(pair, len(rank)))\n"
        "        if best not in rank:\n"
        "            break  # no adjacent pair is a merge: done\n"
        "        symbols = merge_pair(symbols, best)\n",
        "    for pair in merges:\n        symbols = merge_pair(symbols, pair)\n",
        "apply_bpe makes one pass over the merges in their order instead of repeatedly taking the lowest-ranked applicable pair",
        (r"\brank", r"in (their|the) order", r"one pass", r"single pass", r"priority", r"lowest"),
    ),
    M(
        "bpe",
        "c_decode_marker_dropped",
        BPE,
        '.replace(EOW, " ").rstrip(" ")',
        '.replace(EOW, "")',
        "decode removes the end-of-word markers without putting a space between the words",
        (r"\bspaces?\b", r"</w>", r"word boundar", r"end.of.word", r"marker"),
    ),
    M(
        "bpe",
        "c_encode_unknown_dropped",
        BPE,
        "                ids.append(vocab[unk_token])",
        "                pass",
        "a symbol missing from the vocabulary is silently skipped instead of mapped to unk_token",
        (r"\bunk", r"unknown", r"dropp", r"skipp", r"out.of.vocab"),
    ),
    # --- skipgram --------------------------------------------------------------------------------------------------
    M(
        "skipgram",
        "c_pairs_right_window_short",
        SKIPGRAM,
        "offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])",
        "offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window)])",
        "range's exclusive end: the neighbour at distance `window` on the right is never paired",
        (*OFF_BY_ONE, r"window ?\+ ?1", r"i ?\+ ?window", r"both ends", r"right.{0,20}(side|neighbour)", r"asymmetr"),
    ),
    M(
        "skipgram",
        "c_sigmoid_naive",
        SKIPGRAM,
        "return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
        "return np.exp(x) / (1.0 + np.exp(x))",
        "sigmoid as exp(x) / (1 + exp(x)): inf / inf = NaN for large positive inputs",
        OVERFLOW,
    ),
    M(
        "skipgram",
        "c_softmax_normalised_over_everything",
        SKIPGRAM,
        "return e / e.sum(axis=-1, keepdims=True)",
        "return e / e.sum()",
        "softmax divides by the sum of the whole array, so a batch of rows no longer sums to 1 row by row",
        (r"\baxis", r"whole (array|matrix|input)", r"every (entry|element)", r"per.?row", r"each (row|slice)", r"last axis"),
    ),
    M(
        "skipgram",
        "c_naive_grad_only_outside_row",
        SKIPGRAM,
        "grad_outside_vectors = np.outer(delta, center_vec)  # (V, D)",
        "grad_outside_vectors = np.zeros_like(outside_vectors)\n    grad_outside_vectors[outside_idx] = delta[outside_idx] * center_vec",
        "the softmax gradient is given only to the outside word's row; every other word's row is left at 0",
        (r"only (the )?(row|word|vector)", r"every (word|row)", r"other (rows|words)", r"all (the )?rows", r"outside word'?s? row", r"row o\b"),
    ),
    M(
        "skipgram",
        "c_neg_repeats_not_accumulated",
        SKIPGRAM,
        "np.add.at(grad_outside_vectors, negative_indices, s_k[:, None] * center_vec[None, :])  # repeats add up",
        "grad_outside_vectors[negative_indices] += s_k[:, None] * center_vec[None, :]",
        "grad[idx] += g with fancy indexing: a negative drawn twice adds its gradient once",
        REPEATS,
    ),
    M(
        "skipgram",
        "c_neg_loss_sign",
        SKIPGRAM,
        "np.sum(np.log(sigmoid(-(u_k @ center_vec))))",
        "np.sum(np.log(sigmoid(u_k @ center_vec)))",
        "the noise words' loss term uses log s(u_k . v) instead of log s(-u_k . v)",
        (r"\bsign", r"s\(-", r"sigmoid\(-", r"1 ?- ?s", r"minus"),
    ),
    M(
        "skipgram",
        "c_neg_center_grad_without_noise",
        SKIPGRAM,
        "grad_center_vec = (s_o - 1.0) * u_o + s_k @ u_k  # (D,)",
        "grad_center_vec = (s_o - 1.0) * u_o  # (D,)",
        "the center vector's gradient leaves out the noise words' term sum_k s(u_k . v) u_k",
        (
            r"cent(er|re).{0,40}(negative|noise)",
            r"(negative|noise).{0,40}(cent(er|re)|v_c)",
            r"sum_k",
            r"missing.{0,30}(u_k|negative|noise)",
        ),
    ),
    M(
        "skipgram",
        "c_noise_without_power",
        SKIPGRAM,
        "weights = counts**power  # (V,)",
        "weights = counts  # (V,)",
        "the noise distribution is the plain unigram distribution: the counts are not raised to the power 3/4",
        (r"power", r"3\s*/\s*4", r"0\.75", r"unigram", r"exponent"),
    ),
    M(
        "skipgram",
        "c_sgns_gradient_sum_not_mean",
        SKIPGRAM,
        "    g_pos = (sigmoid(pos) - 1.0) / B  # (B,) d loss / d (u_o . v)\n    g_neg = sigmoid(neg) / B  # (B, K) d loss / d (u_k . v)",
        "    g_pos = sigmoid(pos) - 1.0  # (B,) d loss / d (u_o . v)\n    g_neg = sigmoid(neg)  # (B, K) d loss / d (u_k . v)",
        "the loss is the batch mean but the gradients are the batch sum (no 1/B factor)",
        BATCH_MEAN,
    ),
    M(
        "skipgram",
        "c_sgns_noise_grad_uses_noise_vectors",
        SKIPGRAM,
        "np.add.at(grad_W_out, negatives, g_neg[:, :, None] * v[:, None, :])",
        "np.add.at(grad_W_out, negatives, g_neg[:, :, None] * u_k)",
        "a noise word's output-row gradient is scaled by its own vector u_k instead of the center vector v",
        (r"cent(er|re) vectors?", r"\bv_?[bc]?\b", r"u_k", r"wrong (vector|factor|tensor)", r"its own (output )?vector"),
    ),
    # --- cbow ------------------------------------------------------------------------------------------------------
    M(
        "cbow",
        "c_cbow_sum_of_context",
        CBOW,
        "h = input_vectors[context].mean(axis=0)  # (D,)",
        "h = input_vectors[context].sum(axis=0)  # (D,)",
        "h is the sum of the context vectors instead of their mean",
        (r"\bsum\b", r"\bmean\b", r"averag", r"1\s*/\s*C"),
    ),
    M(
        "cbow",
        "c_cbow_context_deduplicated",
        CBOW,
        "context = np.asarray(context_indices, dtype=np.int64)",
        "context = np.unique(np.asarray(context_indices, dtype=np.int64))",
        "the context is made a set (np.unique): a word listed twice counts once",
        (*REPEATS, r"unique", r"\bset\b"),
    ),
    M(
        "cbow",
        "c_cbow_input_grad_not_divided",
        CBOW,
        "np.add.at(grad_input_vectors, context, grad_h / len(context))",
        "np.add.at(grad_input_vectors, context, grad_h)",
        "each context word's gradient is the whole grad_h, not grad_h / C (the 1/C of the mean is forgotten)",
        (r"1\s*/\s*C", r"divid", r"\bmean\b", r"averag", r"context size", r"len\(context\)"),
    ),
    M(
        "cbow",
        "c_cbow_output_grad_center_vector",
        CBOW,
        "grad_output_vectors = np.outer(delta, h)  # (V, D)",
        "grad_output_vectors = np.outer(delta, input_vectors[center_idx])  # (V, D)",
        "the output gradient uses the center word's input vector (skip-gram's v_c) instead of the context mean h",
        (r"\bh\b", r"hidden", r"cent(er|re) (word'?s? )?(input )?vector", r"v_c", r"skip.?gram", r"context mean"),
    ),
    # --- glove -----------------------------------------------------------------------------------------------------
    M(
        "glove",
        "c_cooc_no_distance_weight",
        GLOVE,
        "        np.add.at(X, (left, right), 1.0 / d)\n        np.add.at(X, (right, left), 1.0 / d)",
        "        np.add.at(X, (left, right), 1.0)\n        np.add.at(X, (right, left), 1.0)",
        "every pair in the window adds 1, not 1/d",
        (r"1\s*/\s*d", r"distance", r"harmonic"),
    ),
    M(
        "glove",
        "c_cooc_one_direction",
        GLOVE,
        "        np.add.at(X, (right, left), 1.0 / d)  # and the same pairs seen from the other end\n",
        "",
        "each pair is counted from its left word only, so X is not symmetric",
        (r"symmetr", r"both (ends|directions|sides)", r"one direction", r"other end", r"transpose"),
    ),
    M(
        "glove",
        "c_weight_not_capped",
        GLOVE,
        "return np.where(x < x_max, (x / x_max) ** alpha, 1.0)",
        "return (x / x_max) ** alpha",
        "f(x) = (x / x_max)^alpha everywhere: the cap at 1 for x >= x_max is forgotten",
        (r"\bcap", r"x_max", r"clip", r"above", r"at most 1", r"min\("),
    ),
    M(
        "glove",
        "c_gradient_half_factor",
        GLOVE,
        "g = 2.0 * weight * diff",
        "g = weight * diff",
        "the gradient drops the factor 2 (as if the loss had a factor 1/2)",
        (r"factor", r"\b2\b", r"half", r"1\s*/\s*2"),
    ),
    M(
        "glove",
        "c_context_grad_not_transposed",
        GLOVE,
        "dW_ctx = g.T @ W  # (V, D)",
        "dW_ctx = g @ W  # (V, D)",
        "dW_ctx uses g instead of g^T: right only when X is symmetric",
        (r"transpos", r"g\.T", r"g\^T", r"symmetric", r"row.{0,20}column"),
    ),
    # --- fasttext --------------------------------------------------------------------------------------------------
    M(
        "fasttext",
        "c_ngrams_without_markers",
        FASTTEXT,
        'marked = f"<{word}>"',
        "marked = word",
        "the n-grams are cut from the bare word: the boundary markers < and > are forgotten",
        (r"boundar", r"marker", r"bracket", r"<.{0,5}>", r"wrap"),
    ),
    M(
        "fasttext",
        "c_ngrams_by_start_position",
        FASTTEXT,
        "for n in range(n_min, min(n_max, len(marked)) + 1) for start in range(len(marked) - n + 1)]",
        "for start in range(len(marked)) for n in range(n_min, min(n_max, len(marked) - start) + 1)]",
        "the n-grams are listed by start position (fastText's C++ order) instead of shortest first",
        (r"shortest", r"by (start|position)", r"length first", r"\border(ed|ing)? (of|by)\b", r"start position"),
    ),
    M(
        "fasttext",
        "c_hash_without_sign_extension",
        FASTTEXT,
        "        if byte >= 0x80:\n            byte |= 0xFFFFFF00  # sign extension of a C (signed) char to 32 bits\n",
        "",
        "the textbook FNV-1a: bytes >= 0x80 are not sign-extended as fastText's signed char does",
        (r"\bsign", r"signed", r"0x80", r"non.?ascii", r"int8", r"utf.?8 bytes? above"),
    ),
    M(
        "fasttext",
        "c_hash_code_points",
        FASTTEXT,
        'for byte in s.encode("utf-8"):',
        "for byte in map(ord, s):",
        "the hash runs over the string's code points instead of its UTF-8 bytes",
        (r"\bbytes\b", r"utf.?8", r"code.?points?", r"encod", r"ord\("),
    ),
    M(
        "fasttext",
        "c_word_vector_sum",
        FASTTEXT,
        "np.mean(np.stack(rows), axis=0)",
        "np.sum(np.stack(rows), axis=0)",
        "the word vector is the sum of its rows instead of their mean",
        (r"\bsum\b", r"\bmean\b", r"averag"),
    ),
    # --- pretrained ------------------------------------------------------------------------------------------------
    M(
        "pretrained",
        "c_load_header_always",
        PRETRAINED,
        'header = first and len(fields) == 2 and all(x.isascii() and x.isdigit() for x in fields)  # "count dim"',
        "header = first",
        "the first line is always skipped as a header, so a GloVe file (no header) loses its first word",
        (r"header", r"first (line|word)", r"count dim"),
    ),
    M(
        "pretrained",
        "c_load_limit_off_by_one",
        PRETRAINED,
        "if limit is not None and len(rows) >= limit:",
        "if limit is not None and len(rows) > limit:",
        "limit keeps one word too many",
        (r"\blimit", *OFF_BY_ONE, r"one (word|line|row) too many", r"extra (word|row)"),
    ),
    M(
        "pretrained",
        "c_load_line_numbers_from_zero",
        PRETRAINED,
        "        for line_no, line in enumerate(f, start=1):\n            try:",
        "        for line_no, line in enumerate(f):\n            try:",
        "line numbers in the error messages count from 0, not from 1 as an editor shows them",
        (r"line (number|no)", r"zero.based", r"0.based", r"1.based", r"from (0|1|zero|one)", *OFF_BY_ONE),
    ),
    M(
        "pretrained",
        "c_save_in_dict_order",
        PRETRAINED,
        "for word, row in sorted(vocab.items(), key=lambda item: item[1]):",
        "for word, row in vocab.items():",
        "save_vectors writes the words in the dict's order, not in the order of their rows",
        (r"row order", r"order of (its|the) rows?", r"\bsort", r"dict(ionary)?'?s? order", r"insertion order", r"by (row|id|index)"),
    ),
    # --- similarity ------------------------------------------------------------------------------------------------
    M(
        "similarity",
        "c_cosine_zero_vector_nan",
        SIMILARITY,
        "    A = np.divide(A, norm_A, out=np.zeros_like(A), where=norm_A > 0)\n    B = np.divide(B, norm_B, out=np.zeros_like(B), where=norm_B > 0)",
        "    A = A / norm_A\n    B = B / norm_B",
        "rows are divided by their norms unguarded: a zero vector gives 0/0 = NaN instead of similarity 0",
        (r"zero (vector|row|norm)", r"\bnan\b", r"divi.{0,20}(by )?zero", r"0\s*/\s*0"),
    ),
    M(
        "similarity",
        "c_most_similar_ties_reversed",
        SIMILARITY,
        'order = np.argsort(-sims, kind="stable")',
        "order = np.argsort(sims)[::-1]",
        "ascending argsort reversed: equal similarities come out higher index first",
        (r"\bties?\b", r"stable", r"lower index", r"revers"),
    ),
    M(
        "similarity",
        "c_most_similar_exclude_after_cut",
        SIMILARITY,
        "return np.array([i for i in order if i not in excluded][:k], dtype=np.int64)",
        "return np.array([i for i in order[:k] if i not in excluded], dtype=np.int64)",
        "the top k are taken before the excluded rows are removed, so fewer than k indices come back",
        (r"exclu", r"fewer than k", r"before (cutting|taking|slicing)", r"k (results|indices)"),
    ),
    M(
        "similarity",
        "c_analogy_direction_swapped",
        SIMILARITY,
        "target = unit[1] - unit[0] + unit[2]",
        "target = unit[0] - unit[1] + unit[2]",
        "the analogy target is a - b + c instead of b - a + c",
        (r"b ?- ?a", r"a ?- ?b", r"direction", r"\bsign", r"swap", r"revers"),
    ),
    M(
        "similarity",
        "c_pca_not_centred",
        SIMILARITY,
        "Xc = X - X.mean(axis=0)  # (N, D)",
        "Xc = X  # (N, D)",
        "PCA on the raw data: the mean row is not subtracted first",
        (r"cent(er|re)", r"\bmean\b"),
    ),
    # --- scaled_dot_product ----------------------------------------------------------------------------------------
    M(
        "scaled_dot_product",
        "c_sdpa_mask_after_softmax",
        SDPA,
        "    if mask is not None:\n"
        '        scores.masked_fill_(~mask, float("-inf"))  # before the softmax, so each row renormalises; in place: scores is ours\n'
        "    weights = softmax(scores, dim=-1)  # (..., Lq, Lk): one distribution over the keys per query\n",
        "    weights = softmax(scores, dim=-1)  # (..., Lq, Lk): one distribution over the keys per query\n"
        "    if mask is not None:\n"
        "        weights = weights.masked_fill(~mask, 0.0)\n",
        "masked weights are zeroed after the softmax, so the remaining weights no longer sum to 1",
        (r"after (the )?softmax", r"renormali", r"before (the )?softmax", r"sum to (1|one)"),
    ),
    M(
        "scaled_dot_product",
        "c_sdpa_mask_fill_zero",
        SDPA,
        'scores.masked_fill_(~mask, float("-inf"))',
        "scores.masked_fill_(~mask, 0.0)",
        "masked scores are set to 0 instead of -inf, so masked keys still get weight",
        (r"-\s*inf", r"infinity", r"zero (score|logit)", r"fill(ed)? with (0|zero)", r"large negative"),
    ),
    M(
        "scaled_dot_product",
        "c_softmax_all_masked_nan",
        SDPA,
        "return exp / total.masked_fill(total == 0, 1.0)  # an all -inf slice: 0 / 1 = 0",
        "return exp / total",
        "a fully masked row divides 0 by 0 and gives NaN instead of zero weights",
        (r"\bnan\b", r"fully.?masked", r"all.{0,10}-?\s*inf", r"every key (is )?masked", r"no (key|visible)", r"0\s*/\s*0"),
    ),
    M(
        "scaled_dot_product",
        "c_sdpa_softmax_over_queries",
        SDPA,
        "weights = softmax(scores, dim=-1)",
        "weights = softmax(scores, dim=-2)",
        "the softmax runs over the queries (dim=-2) instead of over the keys",
        (r"\baxis", r"\bdim\b", r"over (the )?quer", r"wrong (axis|dim)", r"over (the )?keys"),
    ),
    M(
        "scaled_dot_product",
        "c_sdpa_scaled_by_value_size",
        SDPA,
        "d_k = q.size(-1)",
        "d_k = v.size(-1)",
        "the scores are scaled by sqrt(d_v), the value size, instead of sqrt(d_k)",
        (r"d_v", r"value (size|dim)", r"\bdv\b", r"sqrt", r"scal"),
    ),
    # --- masks -----------------------------------------------------------------------------------------------------
    M(
        "masks",
        "c_causal_upper_triangle",
        MASKS,
        "return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device))",
        "return torch.triu(torch.ones(size, size, dtype=torch.bool, device=device))",
        "torch.triu instead of torch.tril: each query may read the later keys instead of the earlier ones",
        (*CAUSAL, r"upper", r"triu", r"transpos", r"above the diagonal"),
    ),
    M(
        "masks",
        "c_padding_mask_on_queries",
        MASKS,
        "return (tokens != pad_id)[:, None, None, :]",
        "return (tokens != pad_id)[:, None, :, None]",
        "the padding mask is (B, 1, L, 1): it hides padded queries instead of padded keys",
        (r"quer(y|ies) (axis|instead)", r"instead of (the )?keys", r"masks? (the )?quer", r"\(B, ?1, ?L, ?1\)", r"wrong axis", r"key axis"),
    ),
    M(
        "masks",
        "c_combine_with_or",
        MASKS,
        "combined = mask if combined is None else combined & mask",
        "combined = mask if combined is None else combined | mask",
        "masks combined with logical OR instead of AND: a key allowed by any one mask is attended",
        (r"logical or", r"\bor\b instead", r"\|", r"union", r"instead of and", r"logical and", r"&"),
    ),
    M(
        "masks",
        "c_decoder_mask_causal_only",
        MASKS,
        "return combine_masks(padding_mask(tokens, pad_id), causal)",
        "return causal[None, None].expand(tokens.size(0), 1, -1, -1)",
        "decoder_mask is the causal mask alone: padded target keys stay visible",
        (
            r"no padding",
            r"padding (mask )?(is )?(missing|dropped|ignored|forgotten)",
            r"without (the )?padding",
            r"(missing|forg\w+|dropp\w+|ignor\w+).{0,20}pad",
            r"causal only",
            r"only (the )?causal",
        ),
    ),
    # --- multi_head ------------------------------------------------------------------------------------------------
    M(
        "multi_head",
        "c_split_heads_plain_reshape",
        MULTI_HEAD,
        "return x.reshape(batch, length, num_heads, d_model // num_heads).transpose(1, 2)  # (B, H, L, D/H)",
        "return x.reshape(batch, num_heads, length, d_model // num_heads)  # (B, H, L, D/H)",
        "split_heads reshapes straight to (B, H, L, D/H), mixing positions and features",
        HEAD_LAYOUT,
    ),
    M(
        "multi_head",
        "c_merge_heads_no_transpose",
        MULTI_HEAD,
        "return x.transpose(1, 2).reshape(batch, length, num_heads * d_head)  # (B, L, D)",
        "return x.reshape(batch, length, num_heads * d_head)  # (B, L, D)",
        "merge_heads reshapes without moving the head axis back after the positions",
        HEAD_LAYOUT,
    ),
    M(
        "multi_head",
        "c_mha_scaled_by_d_model",
        MULTI_HEAD,
        "        out, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, H, Lq, d_head), (B, H, Lq, Lk)\n",
        "        scores = q @ k.transpose(-2, -1) / self.d_model**0.5\n"
        "        if mask is not None:\n"
        '            scores = scores.masked_fill(~mask, float("-inf"))\n'
        "        weights = torch.softmax(scores, dim=-1)\n"
        "        out = weights @ v\n",
        "attention written inline and scaled by sqrt(d_model) instead of sqrt(d_head)",
        (r"sqrt", r"scal", r"d_head", r"head size"),
    ),
    M(
        "multi_head",
        "c_mha_3d_mask_without_head_axis",
        MULTI_HEAD,
        "        if mask is not None and mask.dim() == 3:\n"
        "            mask = mask.unsqueeze(1)  # (B, Lq, Lk) -> (B, 1, Lq, Lk): one mask per sequence, for every head\n",
        "",
        "a 3-D mask (B, Lq, Lk) is passed on as it is and broadcasts as (1, B, Lq, Lk), against the heads",
        (r"3.?d", r"unsqueeze", r"head axis", r"\(B, ?Lq, ?Lk\)", r"per sequence", r"broadcast"),
    ),
    M(
        "multi_head",
        "c_mha_returns_dropped_weights",
        MULTI_HEAD,
        "            out = self.dropout(weights) @ v",
        "            weights = self.dropout(weights)\n            out = weights @ v",
        "in training the weights returned are the ones after dropout, not before",
        (r"before dropout", r"after dropout", r"dropped", r"undropped", r"dropout"),
    ),
    M(
        "multi_head",
        "c_mha_key_value_swapped",
        MULTI_HEAD,
        "        k = split_heads(self.w_k(key), self.num_heads)  # (B, H, Lk, d_head)\n"
        "        v = split_heads(self.w_v(value), self.num_heads)  # (B, H, Lk, d_head)",
        "        k = split_heads(self.w_k(value), self.num_heads)  # (B, H, Lk, d_head)\n"
        "        v = split_heads(self.w_v(key), self.num_heads)  # (B, H, Lk, d_head)",
        "keys projected from the value tensor and values from the key tensor",
        (r"swap", r"key.{0,30}value", r"value.{0,30}key"),
    ),
    M(
        "multi_head",
        "c_mha_query_from_key",
        MULTI_HEAD,
        "q = split_heads(self.w_q(query), self.num_heads)",
        "q = split_heads(self.w_q(key), self.num_heads)",
        "the queries are projected from the key tensor: cross-attention then attends from the encoder's side",
        (r"quer(y|ies).{0,30}from (the )?key", r"cross.?attention", r"w_q\(key\)", r"queries from"),
    ),
    M(
        "multi_head",
        "c_mha_no_output_projection",
        MULTI_HEAD,
        "return self.w_o(merge_heads(out)), weights  # (B, Lq, D), (B, H, Lq, Lk)",
        "return merge_heads(out), weights  # (B, Lq, D), (B, H, Lq, Lk)",
        "the merged heads are returned without the output projection w_o",
        (r"w_o", r"output projection", r"out.?proj"),
    ),
    M(
        "multi_head",
        "c_mha_weights_averaged_over_heads",
        MULTI_HEAD,
        "return self.w_o(merge_heads(out)), weights  # (B, Lq, D), (B, H, Lq, Lk)",
        "return self.w_o(merge_heads(out)), weights.mean(dim=1)  # (B, Lq, D), (B, Lq, Lk)",
        "the weights are averaged over the heads (PyTorch's default) instead of returned per head",
        (r"averag", r"mean over (the )?heads", r"per.?head", r"average_attn_weights", r"\(B, ?Lq, ?Lk\)"),
    ),
    # --- positional_encoding ---------------------------------------------------------------------------------------
    M(
        "positional_encoding",
        "c_pe_sines_then_cosines",
        POSITIONAL,
        "    pe[:, 0::2] = torch.sin(angles)\n    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])",
        "    pe[:, : angles.shape[1]] = torch.sin(angles)\n    pe[:, angles.shape[1] :] = torch.cos(angles[:, : d_model // 2])",
        "all the sines first and all the cosines after, instead of interleaved",
        (r"interleav", r"concat", r"\bhalf", r"blocks?", r"sines? first", r"first half"),
    ),
    M(
        "positional_encoding",
        "c_pe_exponent_uses_i",
        POSITIONAL,
        "inv_freq = torch.exp(-math.log(10000.0) * two_i / d_model)",
        "inv_freq = torch.exp(-math.log(10000.0) * (two_i / 2) / d_model)",
        "the exponent uses the pair index i instead of 2i: 10000^(i/d_model)",
        (r"\b2i\b", r"\bi\s*/\s*d", r"frequenc", r"exponent"),
    ),
    M(
        "positional_encoding",
        "c_pe_sin_cos_swapped",
        POSITIONAL,
        "    pe[:, 0::2] = torch.sin(angles)\n    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])",
        "    pe[:, 0::2] = torch.cos(angles)\n    pe[:, 1::2] = torch.sin(angles[:, : d_model // 2])",
        "cosines in the even columns and sines in the odd ones",
        (r"swap", r"sin.{0,20}cos", r"cos.{0,20}sin"),
    ),
    M(
        "positional_encoding",
        "c_pe_sliced_by_batch",
        POSITIONAL,
        "pe = self.pe[:length].to(dtype=x.dtype, device=x.device)",
        "pe = self.pe[: x.size(0)].to(dtype=x.dtype, device=x.device)",
        "the table is sliced by x.size(0), the batch size (the sequence-first habit), instead of the length",
        (r"seq(uence)?.?first", r"batch (axis|size|dimension)", r"size\(0\)", r"wrong axis", r"\(L, ?B"),
    ),
    M(
        "positional_encoding",
        "c_learned_positions_from_one",
        POSITIONAL,
        "positions = torch.arange(length, device=x.device)  # (L,)",
        "positions = torch.arange(1, length + 1, device=x.device)  # (L,)",
        "learned positions are numbered from 1: each token gets the next position's vector",
        (*OFF_BY_ONE, r"from (1|one)", r"start(s|ing)? at (0|1)", r"position 0", r"shift"),
    ),
    # --- layers ----------------------------------------------------------------------------------------------------
    M(
        "layers",
        "c_layernorm_unbiased_variance",
        LAYERS,
        "var = centred.pow(2).mean(dim=-1, keepdim=True)",
        "var = x.var(dim=-1, keepdim=True)",
        "torch.var's default unbiased variance (divides by d_model - 1)",
        (r"unbiased", r"biased", r"bessel", r"d_model ?- ?1", r"n ?- ?1", r"correction"),
    ),
    M(
        "layers",
        "c_layernorm_eps_outside_sqrt",
        LAYERS,
        "torch.sqrt(var + self.eps)",
        "(torch.sqrt(var) + self.eps)",
        "eps added after the square root instead of inside it",
        (r"\beps", r"epsilon", r"inside (the )?(square root|sqrt)", r"outside"),
    ),
    M(
        "layers",
        "c_layernorm_over_sequence",
        LAYERS,
        "        mean = x.mean(dim=-1, keepdim=True)  # (..., 1)\n        centred = x - mean\n        var = centred.pow(2).mean(dim=-1, keepdim=True)",
        "        mean = x.mean(dim=(-2, -1), keepdim=True)  # (..., 1)\n"
        "        centred = x - mean\n"
        "        var = centred.pow(2).mean(dim=(-2, -1), keepdim=True)",
        "the statistics are taken over the whole sequence (last two axes) instead of each token's features",
        (r"last (axis|dim)", r"\baxis", r"\bdim\b", r"over (the )?(sequence|tokens|positions)", r"per.?token", r"each token"),
    ),
    M(
        "layers",
        "c_ffn_output_rectified",
        LAYERS,
        "return self.linear2(self.dropout(torch.relu(self.linear1(x))))",
        "return torch.relu(self.linear2(self.dropout(torch.relu(self.linear1(x)))))",
        "a ReLU after linear2 as well, so the feed-forward output is never negative",
        (r"relu", r"rectif", r"activation"),
    ),
    M(
        "layers",
        "c_encoder_ffn_no_residual",
        LAYERS,
        "x = self.norm2(x + self.dropout2(self.ffn(x)))",
        "x = self.norm2(self.dropout2(self.ffn(x)))",
        "post-norm encoder: the feed-forward sublayer's residual x + ... is missing",
        RESIDUAL,
    ),
    M(
        "layers",
        "c_prenorm_residual_from_normalised",
        LAYERS,
        "x = x + self.dropout1(self.self_attn(h, h, h, mask)[0])",
        "x = h + self.dropout1(self.self_attn(h, h, h, mask)[0])",
        "pre-norm encoder: the residual adds the normalised input h instead of x",
        (*RESIDUAL, r"normali[sz]ed (input|x)", r"pre.?norm", r"\bh\b instead"),
    ),
    M(
        "layers",
        "c_encoder_mask_not_passed",
        LAYERS,
        "x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, mask)[0]))",
        "x = self.norm1(x + self.dropout1(self.self_attn(x, x, x)[0]))",
        "post-norm encoder: the mask is not passed to self-attention, so padding is attended",
        (
            r"padd",
            r"mask (is )?(ignored|not passed|dropped|missing|forgotten)",
            r"(ignor\w*|forg\w*|dropp\w*|without) (the )?mask",
        ),
    ),
    M(
        "layers",
        "c_decoder_cross_attention_reversed",
        LAYERS,
        "x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))",
        "x = self.norm2(x + self.dropout2(self.cross_attn(memory, x, x, memory_mask)[0]))",
        "cross-attention takes its queries from memory and its keys and values from the decoder",
        (r"cross.?attention.{0,40}(quer|swap|revers)", r"quer(y|ies).{0,30}(decoder|memory|encoder)", r"memory.{0,30}quer", r"swap"),
    ),
    M(
        "layers",
        "c_decoder_prenorm_memory_normalised",
        LAYERS,
        "self.cross_attn(self.norm2(x), memory, memory, memory_mask)",
        "self.cross_attn(self.norm2(x), self.norm2(memory), self.norm2(memory), memory_mask)",
        "pre-norm decoder: memory is normalised by norm2 too before the cross-attention",
        (r"memory.{0,30}normali", r"normali.{0,30}memory", r"norm2\(memory\)"),
    ),
    # --- models ----------------------------------------------------------------------------------------------------
    M(
        "models",
        "c_encode_not_scaled",
        MODELS,
        "x = self.pos_encoding(self.src_embed(src) * math.sqrt(self.d_model))  # (B, Ls, D)",
        "x = self.pos_encoding(self.src_embed(src))  # (B, Ls, D)",
        "the source embeddings are not multiplied by sqrt(d_model)",
        SQRT_D_MODEL,
    ),
    M(
        "models",
        "c_forward_no_memory_mask",
        MODELS,
        "return self.generator(self.decode(tgt, memory, tgt_mask, src_mask))  # (B, Lt, V)",
        "return self.generator(self.decode(tgt, memory, tgt_mask))  # (B, Lt, V)",
        "forward gives the decoder no memory mask, so cross-attention reads source padding",
        (*MEMORY_MASK, r"cross.?attention"),
    ),
    M(
        "models",
        "c_forward_target_padding_only",
        MODELS,
        "tgt_mask = decoder_mask(tgt, self.pad_id)  # (B, 1, Lt, Lt): no peeking ahead, no padding",
        "tgt_mask = padding_mask(tgt, self.pad_id)  # (B, 1, 1, Lt)",
        "the decoder's self-attention gets the target padding mask only, without the causal part",
        (*CAUSAL, r"decoder.?mask"),
    ),
    M(
        "models",
        "c_decoder_only_no_causal_mask",
        MODELS,
        "            x = layer(x, mask)\n        return self.lm_head(self.norm(x))",
        "            x = layer(x)\n        return self.lm_head(self.norm(x))",
        "the decoder-only model runs its layers without the causal mask",
        CAUSAL,
    ),
    M(
        "models",
        "c_decoder_memory_chained",
        MODELS,
        "            x = layer(x, memory, tgt_mask, memory_mask)  # (B, Lt, D)\n",
        "            x = layer(x, memory, tgt_mask, memory_mask)  # (B, Lt, D)\n            memory = x\n",
        "each decoder layer reads the previous decoder layer's output as memory instead of the encoder's output",
        (r"encoder'?s? output", r"previous (decoder )?layer", r"same memory", r"memory.{0,30}(each|every) layer", r"(each|every) layer.{0,30}memory"),
    ),
    M(
        "models",
        "c_greedy_no_padding_after_eos",
        MODELS,
        "        next_token = next_token.masked_fill(finished, model.pad_id)  # finished sequences only get padding\n",
        "",
        "greedy_decode keeps appending argmax tokens after a sequence's eos instead of pad_id",
        (r"pad.{0,40}(after|finished)", r"after (the |its )?eos", r"finished sequences?", r"keeps? (generating|decoding) after"),
    ),
    M(
        "models",
        "c_greedy_bos_not_counted",
        MODELS,
        "for _ in range(max_len - 1):",
        "for _ in range(max_len):",
        "bos is not counted in max_len: up to max_len tokens are generated after it, one too many",
        (r"max_len", *OFF_BY_ONE, r"bos.{0,30}count", r"one (token )?too (many|long)", r"\blength\b"),
    ),
    M(
        "models",
        "c_greedy_no_early_stop",
        MODELS,
        "        if finished.all():\n            break\n",
        "",
        "greedy_decode always runs max_len - 1 steps, even when every sequence has produced eos",
        (r"\bstop", r"early", r"every sequence", r"all (sequences )?(are )?finished", r"\bbreak\b"),
    ),
    M(
        "models",
        "c_greedy_no_target_mask",
        MODELS,
        "hidden = model.decode(ys, memory, decoder_mask(ys, model.pad_id), src_mask)  # (B, T, D)",
        "hidden = model.decode(ys, memory, None, src_mask)  # (B, T, D)",
        "greedy decoding decodes ys without the causal decoder mask",
        (*CAUSAL, r"decoder.?mask", r"tgt.?mask", r"target mask"),
    ),
    M(
        "models",
        "c_greedy_no_memory_mask",
        MODELS,
        "hidden = model.decode(ys, memory, decoder_mask(ys, model.pad_id), src_mask)  # (B, T, D)",
        "hidden = model.decode(ys, memory, decoder_mask(ys, model.pad_id))  # (B, T, D)",
        "greedy decoding decodes without the source padding mask on the cross-attention",
        (*MEMORY_MASK, r"cross.?attention"),
    ),
    M(
        "models",
        "c_greedy_first_position_logits",
        MODELS,
        "next_token = model.generator(hidden[:, -1]).argmax(dim=-1)  # (B,)",
        "next_token = model.generator(hidden[:, 0]).argmax(dim=-1)  # (B,)",
        "the next token is read from the first position's logits instead of the last one's",
        (r"last position", r"first position", r"\[:, ?-1\]", r"\[:, ?0\]", r"wrong position"),
    ),
    M(
        "models",
        "c_generate_temperature_multiplied",
        MODELS,
        "logits = logits / temperature",
        "logits = logits * temperature",
        "the logits are multiplied by the temperature instead of divided",
        (*TEMPERATURE, r"divid", r"multipl"),
    ),
    M(
        "models",
        "c_generate_topk_threshold_broadcast",
        MODELS,
        "kth_largest = torch.topk(logits, top_k, dim=-1).values[:, [-1]]  # (B, 1)",
        "kth_largest = torch.topk(logits, top_k, dim=-1).values[:, -1]  # (B,)",
        "the k-th largest logit loses its axis ((B,) not (B, 1)) and broadcasts against the vocabulary axis",
        (*TOP_K, r"broadcast"),
    ),
    M(
        "models",
        "c_generate_crop_keeps_first_tokens",
        MODELS,
        "context = tokens[:, -model.max_len :]  # (B, <= max_len)",
        "context = tokens[:, : model.max_len]  # (B, <= max_len)",
        "the context is cropped to its first max_len tokens instead of its last",
        (r"\bcrop", r"last max_len", r"first max_len", r"context (window|length)", r"most recent"),
    ),
    M(
        "models",
        "c_generate_temperature_zero_not_greedy",
        MODELS,
        "        if temperature == 0:\n"
        "            next_token = logits.argmax(dim=-1, keepdim=True)  # (B, 1)\n"
        "        else:\n"
        "            logits = logits / temperature\n"
        "            if top_k is not None and top_k < logits.shape[-1]:\n"
        "                kth_largest = torch.topk(logits, top_k, dim=-1).values[:, [-1]]  # (B, 1)\n"
        '                logits = logits.masked_fill(logits < kth_largest, float("-inf"))\n'
        "            probs = torch.softmax(logits, dim=-1)\n"
        "            next_token = torch.multinomial(probs, num_samples=1, generator=generator)  # (B, 1)\n",
        "        logits = logits / temperature\n"
        "        if top_k is not None and top_k < logits.shape[-1]:\n"
        "            kth_largest = torch.topk(logits, top_k, dim=-1).values[:, [-1]]  # (B, 1)\n"
        '            logits = logits.masked_fill(logits < kth_largest, float("-inf"))\n'
        "        probs = torch.softmax(logits, dim=-1)\n"
        "        next_token = torch.multinomial(probs, num_samples=1, generator=generator)  # (B, 1)\n",
        "temperature 0 is not special-cased as greedy: the logits are divided by 0 and sampled",
        (*TEMPERATURE, r"greedy", r"argmax"),
    ),
]
