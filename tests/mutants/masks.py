from tests.mutants import Mutant

F = "attention/masks.py"
EX = "masks"
CAUSAL = "return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device))"
PADDING = "return (tokens != pad_id)[:, None, None, :]"
DECODER_CAUSAL = "causal = causal_mask(tokens.size(-1), device=tokens.device)"
DECODER_COMBINE = "return combine_masks(padding_mask(tokens, pad_id), causal)"

MUTANTS = [
    # causal_mask
    Mutant(EX, "causal-strict", F, CAUSAL, "return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device), diagonal=-1)",
           expect="strict causal mask"),
    Mutant(EX, "causal-transposed", F, CAUSAL, "return torch.triu(torch.ones(size, size, dtype=torch.bool, device=device))",
           expect="transposed causal mask"),
    Mutant(EX, "causal-inverted", F, CAUSAL, "return torch.triu(torch.ones(size, size, dtype=torch.bool, device=device), diagonal=1)",
           expect="mask inverted"),
    Mutant(EX, "causal-float", F, CAUSAL, "return torch.tril(torch.ones(size, size, device=device))", expect="not boolean"),
    Mutant(EX, "causal-device-ignored", F, CAUSAL, "return torch.tril(torch.ones(size, size, dtype=torch.bool))", expect="device argument ignored"),
    # padding_mask
    Mutant(EX, "padding-query-axis", F, PADDING, "return (tokens != pad_id)[:, None, :, None]", expect="padding mask on the query axis"),
    Mutant(EX, "padding-not-reshaped", F, PADDING, "return tokens != pad_id", expect="not reshaped to (B, 1, 1, L)"),
    Mutant(EX, "padding-one-axis", F, PADDING, "return (tokens != pad_id)[:, None, :]", expect="needs both singleton axes"),
    Mutant(EX, "padding-inverted", F, PADDING, "return (tokens == pad_id)[:, None, None, :]", expect="mask inverted"),
    Mutant(EX, "padding-pad-id-zero", F, PADDING, "return (tokens != 0)[:, None, None, :]", expect="pad_id ignored"),
    # combine_masks
    Mutant(EX, "combine-or", F, "combined = mask if combined is None else combined & mask",
           "combined = mask if combined is None else combined | mask", expect="OR instead of AND"),
    Mutant(EX, "combine-none-not-skipped", F, "        if mask is None:\n            continue\n", ""),
    Mutant(EX, "combine-first-only", F, "combined = mask if combined is None else combined & mask", "combined = mask if combined is None else combined"),
    # decoder_mask
    Mutant(EX, "decoder-no-causal", F, DECODER_COMBINE, "return padding_mask(tokens, pad_id)", expect="causal part missing"),
    Mutant(EX, "decoder-no-padding", F, DECODER_COMBINE, "return causal", expect="padding part missing"),
    Mutant(EX, "decoder-padding-query-axis", F, DECODER_COMBINE, "return combine_masks(padding_mask(tokens, pad_id).transpose(-2, -1), causal)",
           expect="padding mask on the query axis"),
    Mutant(EX, "decoder-padding-both-axes", F, DECODER_COMBINE,
           "pad = padding_mask(tokens, pad_id)\n    return combine_masks(pad, pad.transpose(-2, -1), causal)", expect="padding applied on both"),
    Mutant(EX, "decoder-causal-on-cpu", F, DECODER_CAUSAL, "causal = causal_mask(tokens.size(-1))", expect="tokens' device"),
    Mutant(EX, "decoder-no-head-axis", F, DECODER_COMBINE, "return combine_masks(padding_mask(tokens, pad_id), causal)[:, 0]",
           expect="needs the head axis"),
]
