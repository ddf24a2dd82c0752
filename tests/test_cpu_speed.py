"""The CPU speed-ups of the lyrics models compute what transformers' own code computes: the in-place KV
cache (kv_cache.py), the fused RMSNorms, float32 attention of one new token (cpu_speed.py), and a chosen
line committed from its row's cached keys and values (LineWriter.commit_line). Tiny random models."""

import copy

import pytest
import torch
from transformers import DynamicCache, Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.models.gemma3.modeling_gemma3 import Gemma3RMSNorm
from transformers.models.llama.modeling_llama import LlamaRMSNorm

from songgen_core.cpu_speed import ATTENTION, FusedRMSNorm, _fused_norm, _one_token_attention, optimize_for_cpu
from songgen_core.kv_cache import SPARE, AppendingLayer, AppendingSlidingWindowLayer, appending_cache
from songgen_core.line_writer import LineWriter
from songgen_core.loading import load_lyrics_model, unload_all
from songgen_core.registry import ModelSource


def tiny_gemma(seed=0):
    torch.manual_seed(seed)
    config = Gemma3TextConfig(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=1, head_dim=8, sliding_window=6,
                              layer_types=["sliding_attention", "sliding_attention", "full_attention"],
                              max_position_embeddings=512)
    return Gemma3ForCausalLM(config).eval()


def tiny_llama(seed=0):
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    return LlamaForCausalLM(config).eval()


def run_steps(model, cache, steps=SPARE + 20):
    """A prompt, three rows, one token a step, rows reordered (dropped, repeated) every 5 steps and a
    deep copy that goes on on its own: the hidden states of every step."""
    g = torch.Generator().manual_seed(1)
    outs = []
    with torch.inference_mode():
        prompt = torch.randint(0, 96, (1, 9), generator=g)
        outs.append(model.model(input_ids=prompt, past_key_values=cache, use_cache=True).last_hidden_state)
        cache.batch_repeat_interleave(3)
        copied = None
        for step in range(steps):
            feed = torch.randint(0, 96, (3, 1), generator=g)
            outs.append(model.model(input_ids=feed, past_key_values=cache, use_cache=True).last_hidden_state)
            if step % 5 == 4:
                cache.reorder_cache(torch.tensor([0, 0, 2]) if step % 10 == 4 else torch.tensor([2, 1, 1]))
            if step == 30:
                copied = copy.deepcopy(cache)
        for _ in range(3):  # the copy goes on, and was not touched by the original's later steps
            feed = torch.randint(0, 96, (3, 1), generator=g)
            outs.append(model.model(input_ids=feed, past_key_values=copied, use_cache=True).last_hidden_state)
    return outs, cache


@pytest.mark.parametrize("make", [tiny_gemma, tiny_llama])
def test_the_appending_cache_computes_what_dynamic_cache_computes(make):
    model = make()
    expected, _ = run_steps(model, DynamicCache(config=model.config))
    got, cache = run_steps(model, appending_cache(model.config))
    assert len(got) == len(expected) == SPARE + 24
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    kinds = {type(layer) for layer in cache.layers}
    assert kinds <= {AppendingLayer, AppendingSlidingWindowLayer} and AppendingLayer in kinds
    if make is tiny_gemma:
        assert AppendingSlidingWindowLayer in kinds
        assert cache.layers[0].keys.shape[-2] == 5  # the window less one, as transformers keeps it
        assert cache.get_seq_length() == 9 + SPARE + 20


def test_fused_norms_are_the_models_own_arithmetic():
    torch.manual_seed(0)
    gemma, llama = Gemma3RMSNorm(32, eps=1e-6), LlamaRMSNorm(32, eps=1e-5)
    with torch.no_grad():
        gemma.weight.normal_()
        llama.weight.normal_()
    for module in (gemma.to(torch.bfloat16), llama.to(torch.bfloat16)):
        fused = _fused_norm(module)
        assert isinstance(fused, FusedRMSNorm)
        x = torch.randn(3, 5, 32).to(torch.bfloat16) * 4
        assert torch.equal(fused(x), module(x))
    assert _fused_norm(torch.nn.LayerNorm(32)) is None


def test_one_token_attention_matches_sdpa_with_grouped_heads_and_a_mask():
    class Module:
        num_key_value_groups, is_causal = 4, True

    torch.manual_seed(0)
    q, k, v = torch.randn(3, 8, 1, 16), torch.randn(3, 2, 11, 16), torch.randn(3, 2, 11, 16)
    mask = torch.rand(3, 1, 1, 11) > 0.4
    mask[..., -1] = True
    got = _one_token_attention(q, k, v, mask, 0.25).float()
    expected = sdpa_attention_forward(Module(), q, k, v, mask, scaling=0.25)[0]
    assert got.shape == expected.shape == (3, 1, 8, 16)
    torch.testing.assert_close(got, expected, rtol=0, atol=2e-2)  # bf16 out
    masked_out = mask.clone()
    masked_out[0, ..., 0] = False  # a key the mask hides changes nothing when its value changes
    v2 = v.clone()
    v2[0, :, 0] += 100
    torch.testing.assert_close(_one_token_attention(q, k, v2, masked_out, 0.25), _one_token_attention(q, k, v, masked_out, 0.25))


@pytest.mark.parametrize("make", [tiny_gemma, tiny_llama])
def test_an_optimized_model_caches_float32_keys_and_writes_what_the_original_writes(make):
    original = make()
    optimized = optimize_for_cpu(make(), "quality")
    assert optimized.config._attn_implementation == ATTENTION
    assert not any(type(m).__name__.endswith("RMSNorm") and not isinstance(m, FusedRMSNorm) for m in optimized.modules())
    ids = torch.randint(0, 96, (1, 12), generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        cache = appending_cache(optimized.config)
        logits = optimized(input_ids=ids, past_key_values=cache, use_cache=True).logits[:, -1].float()
        step = optimized(input_ids=ids[:, -1:], past_key_values=cache, use_cache=True).logits[:, -1].float()
        reference = original(input_ids=ids).logits[:, -1]
        reference_step = original(input_ids=torch.cat([ids, ids[:, -1:]], 1)).logits[:, -1]
    assert cache.layers[0].keys.dtype == torch.float32
    for got, want in ((logits, reference), (step, reference_step)):  # int8 weights and bf16: close, not equal
        assert torch.nn.functional.cosine_similarity(got, want).item() > 0.99


@pytest.fixture(scope="module")
def trained(tiny_lyrics_dir):
    yield load_lyrics_model(ModelSource("path", str(tiny_lyrics_dir)))
    unload_all()


def test_a_line_committed_from_its_cached_keys_reads_like_the_line_committed_as_text(trained):
    prompt = "[Artist: The Rust Engines]\n[Song: Highway Static]\n[Verse 1]\nHeadlights cutting through the rain\n"

    def writer():
        w = LineWriter(trained, seed=4, candidates=4)
        w.start(prompt)
        return w

    with trained.using():
        by_text, by_cache = writer(), writer()
        found_text, found_cache = by_text.candidates(4, 14), by_cache.candidates(4, 14)
        assert [c.text for c in found_text] == [c.text for c in found_cache]
        same = [i for i, c in enumerate(found_cache)  # a line whose text tokenizes as it was drawn
                if len(trained.tokenizer(c.text, add_special_tokens=False)["input_ids"]) == c.cached[0][0].shape[-2]
                and not c.text.startswith(" ")]
        assert same, [c.text for c in found_cache]
        chosen = found_cache[same[0]]
        by_text.commit(chosen.text + "\n")
        assert by_cache.commit_line(chosen) is True
        with pytest.raises(RuntimeError):
            by_cache.candidates(4, 14)  # the line's break first
        assert by_cache.commit_line(chosen) is False  # drawn before the song grew: refused
        by_cache.commit("\n")
        assert by_cache.context_tokens == by_text.context_tokens
        torch.testing.assert_close(by_cache.next_logits, by_text.next_logits, rtol=0, atol=1e-3)
