from tests.mutants import Mutant

F = "transformer/positional_encoding.py"
EX = "positional_encoding"
FILL = "    pe[:, 0::2] = torch.sin(angles)\n    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])"
MUTANTS = [
    Mutant(EX, "sin-cos-swapped", F, FILL, "    pe[:, 0::2] = torch.cos(angles)\n    pe[:, 1::2] = torch.sin(angles[:, : d_model // 2])",
           expect="sin and cos swapped"),
    Mutant(EX, "concatenated", F, FILL, "    pe = torch.cat([torch.sin(angles), torch.cos(angles[:, : d_model // 2])], dim=1)",
           expect="sin and cos concatenated instead of interleaved"),
    Mutant(EX, "exponent-i-not-2i", F, "two_i = torch.arange(0, d_model, 2, dtype=torch.float64)",
           "two_i = torch.arange((d_model + 1) // 2, dtype=torch.float64)", expect="exponent uses i instead of 2i"),
    Mutant(EX, "exponent-column-index", F, "    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])",
           "    pe[:, 1::2] = torch.cos(position * torch.exp(-math.log(10000.0) * (two_i[: d_model // 2] + 1) / d_model))",
           expect="exponent uses the column index"),
    Mutant(EX, "frequency-inverted", F, "inv_freq = torch.exp(-math.log(10000.0) * two_i / d_model)",
           "inv_freq = torch.exp(math.log(10000.0) * two_i / d_model)", expect="position multiplied by 10000^(2i/d_model) instead of divided"),
    Mutant(EX, "pe-not-added", F, "return self.dropout(x + pe)", "return self.dropout(x)",
           expect="positions not added"),
    Mutant(EX, "pe-multiplied", F, "return self.dropout(x + pe)", "return self.dropout(x * pe)",
           expect="positional encoding multiplied instead of added"),
    Mutant(EX, "sequence-first", F, "pe = self.pe[:length].to(dtype=x.dtype, device=x.device)",
           "pe = self.pe[: x.size(0)].unsqueeze(1).to(dtype=x.dtype, device=x.device)", expect="sequence-first layout assumed"),
    Mutant(EX, "dropout-before-adding", F, "return self.dropout(x + pe)", "return self.dropout(x) + pe",
           expect="dropout applied to x before adding the encoding"),
    Mutant(EX, "dropout-missing", F, "return self.dropout(x + pe)", "return x + pe", expect="dropout not applied in train mode"),
    Mutant(EX, "dtype-not-kept", F, "pe = self.pe[:length].to(dtype=x.dtype, device=x.device)", "pe = self.pe[:length]",
           expect="the table's float32 dtype leaked into the result"),
    Mutant(EX, "buffer-with-batch-axis", F, 'self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model))',
           'self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model).unsqueeze(0))', expect="pe registered with a batch axis"),
    Mutant(EX, "buffer-not-persistent", F, 'self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model))',
           'self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model), persistent=False)', expect="persistent=False"),
    Mutant(EX, "no-length-check", F, "        if length > self.pe.size(0):\n            raise ValueError(", "        if False:\n            raise ValueError("),
    Mutant(EX, "learned-not-added", F, "return x + self.embedding(positions).to(x.dtype)", "return x + 0 * self.embedding(positions).to(x.dtype)",
           expect="positions not added"),
    Mutant(EX, "learned-from-one", F, "positions = torch.arange(length, device=x.device)", "positions = torch.arange(1, length + 1, device=x.device)",
           expect="positions start at 1 instead of 0"),
]
