"""Make a lyrics model fast on a small CPU, without changing what it writes much.

Measured on 2 cores (bench/bench_lyrics_embedded.py), Gemma 3 270M spends a
decode step in three places: the 18 transformer layers, the LM head (a
640 x 262144 matrix, 63% of the weights) and sampling over 262k logits. So:

1. Body weights in int8, activations in bf16 ("weight-only int8"): every
   Linear of the layers keeps one int8 weight matrix and a bf16 scale per
   output row, and multiplies with `torch._weight_int8pack_mm`. A quarter of
   fp32's bytes to read. The activations are not quantized: Gemma's large
   activation outliers made dynamic int8 of the whole model drift far from
   fp32 (KL 0.4 nats per token, against 0.005 for this).
2. The LM head, untied from the embedding:
   - preset "fast" (default): int8 weights and int8 activations
     (`torch._int_mm`), faster than `_weight_int8pack_mm` on this
     640 x 262144 matrix, computed only for the Latin-script part of the
     vocabulary (`latin_script_ids`: 60% of Gemma's multilingual 262k tokens;
     the rest could never appear in English lyrics anyway).
   - preset "quality": weight-only int8 like the body, full vocabulary.
3. Attention in float32 (`sdpa_float32`): keys and values leave their
   projections in float32, so the KV cache is float32, and SDPA runs in
   float32. Attention of one new token over a bf16 cache is about 10x slower
   on this CPU than over a float32 one (4 rows x 512 keys: 4.4 ms against
   0.39 ms a layer), and it is the step that reads the whole song so far.
4. RMSNorm as one fused op (`torch.nn.functional.rms_norm`), the same
   arithmetic as Gemma's and Llama's own modules in fewer steps: a model
   has 109 of them a token, and on a one-token step each cost about
   0.1 ms of small ops.
5. The rest of the model runs in bf16 (the CPU has AVX512-BF16).
6. Sampling on the top-k only (`TopKTopPSampler`): transformers' top-p sorts
   all 262k logits and `multinomial` draws 262k numbers, 13-20 ms a step;
   the same distribution drawn from the 50 top-k candidates takes about 1 ms.

The figures are from bench/bench_lyrics_embedded.py; see the README.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from transformers import LogitsProcessor


class Int8WeightLinear(nn.Module):
    """A Linear with int8 weights (per-row scale) and bf16 activations; its output is in the input's
    dtype, or in `out_dtype` where set (float32 for the key and value projections)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, out_dtype: torch.dtype | None = None):
        super().__init__()
        self.out_dtype = out_dtype
        weight = weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-8) / 127.0
        self.register_buffer("weight_int8", torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous())
        self.register_buffer("scale", scale.to(torch.bfloat16))
        self.bias = None if bias is None else nn.Parameter(bias.detach().to(torch.bfloat16), requires_grad=False)
        self.in_features, self.out_features = weight.shape[1], weight.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        out = torch._weight_int8pack_mm(x.reshape(-1, shape[-1]).to(torch.bfloat16), self.weight_int8, self.scale)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*shape[:-1], self.out_features).to(self.out_dtype or x.dtype)


class FusedRMSNorm(nn.Module):
    """Gemma's RMSNorm (`(x * rsqrt(mean(x^2) + eps)) * (1 + w)` in float32) or Llama's
    (`w * (x * rsqrt(mean(x^2) + eps))`, the weight applied in the input's dtype), fused."""

    def __init__(self, weight: torch.Tensor, eps: float, gemma: bool):
        super().__init__()
        self.gemma, self.eps, self.dim = gemma, eps, weight.shape[-1]
        self.register_buffer("scale", (1.0 + weight.detach().float()) if gemma else weight.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.gemma:
            return nn.functional.rms_norm(x.float(), (self.dim,), self.scale, self.eps).type_as(x)
        return self.scale * nn.functional.rms_norm(x.float(), (self.dim,), None, self.eps).to(x.dtype)


def _fused_norm(module: nn.Module) -> FusedRMSNorm | None:
    """The fused copy of a Gemma- or Llama-style RMSNorm module, or None for any other module."""
    name = type(module).__name__
    weight = getattr(module, "weight", None)
    if not name.endswith("RMSNorm") or not isinstance(weight, torch.Tensor) or weight.dim() != 1:
        return None
    if name.startswith("Gemma") and isinstance(getattr(module, "eps", None), float):
        return FusedRMSNorm(weight, module.eps, gemma=True)
    if isinstance(getattr(module, "variance_epsilon", None), float):
        return FusedRMSNorm(weight, module.variance_epsilon, gemma=False)
    return None


ATTENTION = "sdpa_float32"
# The projections whose outputs are cached as keys and values (GPT-2's c_attn makes queries too).
_KEY_VALUE_PROJECTIONS = ("k_proj", "v_proj", "c_attn")


def sdpa_float32(module, query, key, value, attention_mask, dropout: float = 0.0, scaling: float | None = None,
                 **kwargs):
    """transformers' SDPA attention, computed in float32 and returned in bf16 (the model's dtype).

    One new token a row (every step of the line writer) is two float32 matmuls instead: 40% less
    time than SDPA's CPU kernel for 4-6 rows over 500-1100 keys (bench figures in the README)."""
    if query.shape[2] == 1 and not dropout and kwargs.get("softcap") is None \
            and (attention_mask is None or attention_mask.dtype == torch.bool):
        return _one_token_attention(query, key, value, attention_mask, scaling), None
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if attention_mask is not None and attention_mask.is_floating_point():
        attention_mask = attention_mask.float()
    out, weights = sdpa_attention_forward(module, query.float(), key.float(), value.float(), attention_mask,
                                          dropout=dropout, scaling=scaling, **kwargs)
    return out.to(torch.bfloat16), weights


def _one_token_attention(query, key, value, mask, scaling):
    """(batch, 1, heads, dim) attention output of one query position over `key`/`value` (grouped heads)."""
    batch, heads, _, dim = query.shape
    kv_heads = key.shape[1]
    q = query.float().reshape(batch, kv_heads, heads // kv_heads, dim)
    scores = torch.matmul(q, key.float().transpose(-1, -2)) * (scaling if scaling is not None else dim ** -0.5)
    if mask is not None:  # (batch, 1, 1, keys): True where a key may be seen
        scores = scores.masked_fill(~mask[:, :, -1:, :], float("-inf"))
    out = torch.matmul(scores.softmax(-1), value.float())  # (batch, kv_heads, group, dim)
    return out.reshape(batch, 1, heads, dim).to(torch.bfloat16)


def _register_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(ATTENTION, sdpa_float32)
    AttentionMaskInterface.register(ATTENTION, sdpa_mask)


_register_attention()  # at import: a model unpickled from the cache names it too


class DynamicInt8Head(nn.Module):
    """The LM head with int8 weights and int8 activations, over a kept part of the vocabulary.

    `torch._int_mm` multiplies int8 by int8 into int32; unlike torch.ao's
    dynamic Linear it needs no packed weight (rebuilding that took 3 s on every
    load). Rows not in `keep_ids` are not computed: their logits are -inf, so
    they are never sampled.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, keep_ids: torch.Tensor | None = None):
        super().__init__()
        self.out_features, self.in_features = weight.shape
        keep_ids = torch.arange(self.out_features) if keep_ids is None else keep_ids.to(torch.long)
        weight = weight.detach().float()[keep_ids]
        scale = weight.abs().amax(dim=1).clamp(min=1e-8) / 127.0
        # Stored (out, in) row-major; used transposed, the column-major layout _int_mm reads fastest.
        self.register_buffer("weight_int8", torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous())
        self.register_buffer("scale", scale)
        self.register_buffer("keep_ids", keep_ids)
        self.bias = None if bias is None else nn.Parameter(bias.detach().float()[keep_ids], requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1]).float()
        x_scale = x.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
        x_int8 = torch.round(x / x_scale).clamp(-127, 127).to(torch.int8)
        kept = torch._int_mm(x_int8, self.weight_int8.t()).float() * (x_scale * self.scale)
        if self.bias is not None:
            kept = kept + self.bias
        if len(self.keep_ids) == self.out_features:
            return kept.reshape(*shape[:-1], self.out_features)
        out = kept.new_full((kept.shape[0], self.out_features), float("-inf"))
        out[:, self.keep_ids] = kept
        return out.reshape(*shape[:-1], self.out_features)


def latin_script_ids(tokenizer) -> torch.Tensor:
    """Token ids whose text is Latin script, digits, punctuation or white space, plus special tokens.

    Gemma's 262k vocabulary is multilingual; lyrics in English (and other
    Latin-script languages) need about 60% of it. Reserved placeholder tokens
    (`<unusedN>`) are left out.
    """
    special = set(tokenizer.all_special_ids)
    keep = []
    for token_id, piece in enumerate(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))):
        if token_id in special:
            keep.append(token_id)
        elif piece is not None and not piece.startswith("<unused") and all(
            ord(ch) < 0x250 or 0x2000 <= ord(ch) <= 0x206F or ch == "\u2581" for ch in piece
        ):
            keep.append(token_id)
    return torch.tensor(keep, dtype=torch.long)


PRESETS = ("fast", "quality")
# Bump when optimize_for_cpu changes what it builds: cached optimized models are keyed by it.
FORMAT_VERSION = 5


def optimize_for_cpu(model: nn.Module, preset: str = "fast", keep_ids: torch.Tensor | None = None) -> nn.Module:
    """Return `model` in bf16 with int8 Linears (see the module docstring for the presets).

    `keep_ids` (preset "fast"): the only tokens the head computes and can emit.
    Raises `ValueError` for an unknown preset.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown CPU preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    head = model.get_output_embeddings()
    head_weight, head_bias = head.weight.detach().float().clone(), head.bias
    model.config.tie_word_embeddings = False  # the head gets its own int8 copy
    model = model.to(torch.bfloat16)
    from transformers.pytorch_utils import Conv1D  # GPT-2's Linear, with its weight transposed

    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            fused = _fused_norm(child)
            if fused is not None:
                setattr(module, name, fused)
                continue
            out_dtype = torch.float32 if name in _KEY_VALUE_PROJECTIONS else None
            if isinstance(child, nn.Linear) and child is not head:
                setattr(module, name, Int8WeightLinear(child.weight, child.bias, out_dtype))
            elif isinstance(child, Conv1D):
                setattr(module, name, Int8WeightLinear(child.weight.t(), child.bias, out_dtype))
    if preset == "fast":
        new_head = DynamicInt8Head(head_weight, head_bias, keep_ids)
    else:
        new_head = Int8WeightLinear(head_weight, head_bias)
    model.set_output_embeddings(new_head)
    _use_attention(model)
    return model


def _use_attention(model: nn.Module) -> None:
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation(ATTENTION)
    else:
        model.config._attn_implementation = ATTENTION


class TopKTopPSampler(LogitsProcessor):
    """Temperature, top-k, top-p and the random draw, on the top-k logits only.

    The same distribution as transformers' TemperatureLogitsWarper ->
    TopKLogitsWarper -> TopPLogitsWarper -> softmax -> multinomial, but it
    returns a row that is 0 at the drawn token and -inf elsewhere, so it is
    used with `do_sample=False`: the greedy pick is then the sampled token.
    Seeded by torch's global generator, like transformers' sampling.
    """

    def __init__(self, temperature: float, top_k: int, top_p: float):
        self.temperature, self.top_k, self.top_p = temperature, top_k, top_p

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        scores = scores.float() / self.temperature
        k = scores.shape[-1] if self.top_k <= 0 else min(self.top_k, scores.shape[-1])
        values, indices = torch.topk(scores, k, dim=-1)  # descending
        if self.top_p < 1.0:
            ascending = values.flip(-1)
            remove = ascending.softmax(-1).cumsum(-1) <= (1 - self.top_p)
            remove[..., -1:] = False  # always keep the most likely token
            values = ascending.masked_fill(remove, float("-inf")).flip(-1)
        choice = torch.multinomial(values.softmax(-1), 1)
        token = indices.gather(-1, choice)
        return torch.full_like(scores, float("-inf")).scatter_(-1, token, 0.0)
