"""The MusicGen backend on tiny random-initialised checkpoints, offline.

The checkpoints are built here (T5 text encoder, EnCodec at 1600 Hz / 25 frames a
second, a 2-layer decoder with 4 codebooks of 64 codes), saved with
save_pretrained together with a locally trained tokenizer, and loaded through
`MusicGen.get_pretrained(folder)`: the same path a real checkpoint takes.
EnCodec's codebooks are zeros after init; they are randomised so the decoded
audio depends on the codes.
"""

from __future__ import annotations

import json
import sys
import types
import warnings

import numpy as np
import pytest
import torch

from songgen_core.errors import InvalidRequestError, ModelUnavailableError, SongGenError
from songgen_core.music import musicgen
from songgen_core.music.musicgen import GenerationParams, MusicGen, plan_windows
from songgen_core.music.request import MusicRequest

SAMPLE_RATE = 1600
HOP = 64  # upsampling ratios [8, 8] -> 25 frames a second
FRAME_RATE = SAMPLE_RATE // HOP
CODEBOOKS = 4
VOCAB = 64
WINDOW_S = 2.0
STRIDE_S = 1.0

# Kind generation settings for the tiny model, through request options.
FAST = {"window_s": WINDOW_S, "extend_stride_s": STRIDE_S}


# --------------------------------------------------------------------------- building tiny checkpoints


def _tokenizer():
    """A byte-level BPE tokenizer trained here (no hub), wrapped for transformers,
    ending every text with </s> as T5's does."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<pad>", "</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    corpus = ["upbeat pop song with drums and bass", "sad piano ballad in a minor key", "heavy rock with loud guitars",
              "lofi hip hop with warm keys", "country song about a long road home"]
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def _sub_configs(tokenizer, *, melody: bool = False, stereo: bool = False):
    from transformers import EncodecConfig, MusicgenDecoderConfig, MusicgenMelodyDecoderConfig, T5Config

    text = T5Config(vocab_size=len(tokenizer), d_model=16, d_ff=32, d_kv=8, num_layers=1, num_heads=2,
                    relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    # 1600 Hz / hop 64 = 25 frames a second; 0.6 kbps / (25 * 6 bits) = 4 quantizers.
    audio = EncodecConfig(sampling_rate=SAMPLE_RATE, upsampling_ratios=[8, 8], num_filters=4, hidden_size=16,
                          codebook_size=VOCAB, target_bandwidths=[0.6], num_lstm_layers=1, use_causal_conv=False)
    decoder_class = MusicgenMelodyDecoderConfig if melody else MusicgenDecoderConfig
    # initializer_factor 0.3, not 0.02: with the default init the text moves the
    # logits by ~1e-4, so the same seed samples the same tokens whatever the prompt
    # and a test could not tell conditioning from no conditioning.
    decoder = decoder_class(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, ffn_dim=64,
                            num_codebooks=CODEBOOKS * (2 if stereo else 1), audio_channels=2 if stereo else 1,
                            pad_token_id=VOCAB, bos_token_id=VOCAB, max_position_embeddings=512,
                            initializer_factor=0.3)
    return text, audio, decoder


def _randomise_codebooks(model, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            embed = layer.codebook.embed
            embed.copy_(torch.randn(embed.shape, generator=generator))


def _build(folder, *, melody: bool = False, stereo: bool = False):
    from transformers import (EncodecFeatureExtractor, MusicgenConfig, MusicgenForConditionalGeneration, MusicgenMelodyConfig,
                              MusicgenMelodyForConditionalGeneration, MusicgenProcessor)

    torch.manual_seed(1234)
    tokenizer = _tokenizer()
    text, audio, decoder = _sub_configs(tokenizer, melody=melody, stereo=stereo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if melody:
            # chroma_length: frames of a 2 s window at 1600 Hz, hop 128, centred STFT.
            config = MusicgenMelodyConfig(text_encoder=text, audio_encoder=audio, decoder=decoder, num_chroma=12, chroma_length=26)
            model = MusicgenMelodyForConditionalGeneration(config)
        else:
            config = MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)
            model = MusicgenForConditionalGeneration(config)
    _randomise_codebooks(model, seed=99)
    model.save_pretrained(folder)
    if melody:
        # MusicgenMelodyProcessor needs torchaudio (absent here), so the files are
        # laid out as on the hub: tokenizer files plus preprocessor_config.json.
        tokenizer.save_pretrained(folder)
        (folder / "preprocessor_config.json").write_text(json.dumps({
            "feature_extractor_type": "MusicgenMelodyFeatureExtractor", "processor_class": "MusicgenMelodyProcessor",
            "feature_size": 12, "sampling_rate": SAMPLE_RATE, "hop_length": 128, "chunk_length": 30, "n_fft": 512,
            "num_chroma": 12, "padding_value": 0.0, "return_attention_mask": False, "stem_indices": [3, 2],
        }))
    else:
        MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(feature_size=2 if stereo else 1, sampling_rate=SAMPLE_RATE),
                          tokenizer=tokenizer).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("tiny-musicgen"))


@pytest.fixture(scope="session")
def melody_dir(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("tiny-musicgen-melody"), melody=True)


@pytest.fixture(scope="session")
def tiny(tiny_dir):
    return MusicGen.get_pretrained(str(tiny_dir), device="cpu")


@pytest.fixture(scope="session")
def tiny_melody(melody_dir):
    return MusicGen.get_pretrained(str(melody_dir), device="cpu")


@pytest.fixture(autouse=True)
def stub_brief(monkeypatch):
    """The real prompt builder is another engineer's module; a stub keeps these
    tests independent of it."""
    stub = types.ModuleType("songgen_core.music.brief")
    stub.build_music_prompt = lambda genre, lyrics: f"{genre} song: {lyrics}"[:200]
    monkeypatch.setitem(sys.modules, "songgen_core.music.brief", stub)
    yield
    musicgen.clear_model_cache()


def _params(duration: float, **overrides) -> GenerationParams:
    return GenerationParams(duration=duration, max_window=WINDOW_S, extend_stride=STRIDE_S, **overrides)


def _request(folder, duration=1.5, seed=7, lyrics="sunny day", genre="pop", **options):
    return MusicRequest(genre=genre, lyrics=lyrics, duration_s=duration, seed=seed, backend="musicgen",
                        options={"model": str(folder), **FAST, **options})


def _arpeggio(sample_rate: int, seconds: float = 2.0) -> np.ndarray:
    """C4-E4-G4-C5 sine arpeggio, a quarter second per note."""
    notes = [261.63, 329.63, 392.00, 523.25]
    t = np.arange(int(sample_rate * 0.25)) / sample_rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) * 100)
    one_round = np.concatenate([0.5 * np.sin(2 * np.pi * f * t) * fade for f in notes])
    return np.resize(one_round, int(sample_rate * seconds)).astype(np.float32)


# --------------------------------------------------------------------------- windows


def _audiocraft_windows(duration, max_duration, extend_stride, frame_rate):
    """audiocraft's `_generate_tokens` loop, in its own float seconds, recording
    (offset tokens, prompt tokens, new tokens) per generated chunk."""
    total_gen_len = int(duration * frame_rate)
    if duration <= max_duration:
        return [(0, 0, total_gen_len)]
    stride_tokens = int(frame_rate * extend_stride)
    current_gen_offset, prompt_length, chunks = 0, 0, []
    while current_gen_offset + prompt_length < total_gen_len:
        time_offset = current_gen_offset / frame_rate
        chunk_duration = min(duration - time_offset, max_duration)
        max_gen_len = int(chunk_duration * frame_rate)
        chunks.append((current_gen_offset, prompt_length, max_gen_len - prompt_length))
        prompt_length = max_gen_len - stride_tokens
        current_gen_offset += stride_tokens
    return chunks


@pytest.mark.parametrize("duration", [10.0, 30.0, 31.0, 47.0, 48.0, 60.0, 121.5, 300.0])
def test_plan_windows_matches_audiocraft(duration):
    windows = plan_windows(int(duration * 50), 30 * 50, 18 * 50)
    assert [(w.offset, w.prompt_frames, w.new_frames) for w in windows] == _audiocraft_windows(duration, 30.0, 18.0, 50)
    assert sum(w.new_frames for w in windows) == int(duration * 50)
    assert all(w.prompt_frames + w.new_frames <= 30 * 50 and w.new_frames > 0 for w in windows)


def test_plan_windows_rejects_a_stride_as_long_as_the_window():
    with pytest.raises(ValueError):
        plan_windows(100, 50, 50)


# --------------------------------------------------------------------------- loading


def test_loads_tiny_checkpoint_like_a_real_one(tiny):
    assert (tiny.sample_rate, tiny.frame_rate, tiny.num_codebooks, tiny.audio_channels) == (SAMPLE_RATE, FRAME_RATE, CODEBOOKS, 1)
    assert not tiny.is_melody and tiny.device.type == "cpu" and tiny.dtype == torch.float32
    # The randomised codebooks survived save/load (a zero codebook would hide bugs).
    assert all(layer.codebook.embed.abs().sum() > 0 for layer in tiny.model.audio_encoder.quantizer.layers)


def test_missing_folder_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        MusicGen.get_pretrained(str(tmp_path / "no-such-model"), device="cpu")


def test_broken_folder_is_model_unavailable(tmp_path):
    (tmp_path / "config.json").write_text("{ not json")
    with pytest.raises(ModelUnavailableError, match="model folder"):
        MusicGen.get_pretrained(str(tmp_path), device="cpu")


def test_folder_without_weights_is_model_unavailable(tmp_path, tiny_dir):
    (tmp_path / "config.json").write_text((tiny_dir / "config.json").read_text())
    with pytest.raises(ModelUnavailableError):
        MusicGen.get_pretrained(str(tmp_path), device="cpu")


def test_uncached_hub_id_offline_is_model_unavailable_with_advice():
    with pytest.raises(ModelUnavailableError, match="not in the local cache.*huggingface-cli download"):
        MusicGen.get_pretrained("songgen-tests/no-such-musicgen", device="cpu")


def test_module_generate_reports_unavailable_model(tmp_path):
    request = MusicRequest(genre="pop", lyrics="la", duration_s=2, seed=1, backend="musicgen",
                           options={"model": str(tmp_path / "missing")})
    with pytest.raises(ModelUnavailableError):
        musicgen.generate(request)


def test_models_are_cached_per_source(tiny_dir):
    first = musicgen.load_model(str(tiny_dir), device="cpu")
    assert musicgen.load_model(str(tiny_dir), device="cpu") is first


# --------------------------------------------------------------------------- generation


def test_generate_gives_finite_audible_audio_of_the_right_length(tiny_dir):
    result = musicgen.generate(_request(tiny_dir, duration=1.5))
    audio = result.audio
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 1
    assert result.sample_rate == SAMPLE_RATE and result.backend == "musicgen"
    assert abs(result.duration_s - 1.5) <= 1 / FRAME_RATE
    assert np.isfinite(audio).all()
    assert np.sqrt(np.mean(audio ** 2)) > 1e-4
    assert np.max(np.abs(audio)) <= 1.0
    assert result.prompt == "pop song: sunny day"
    assert result.info["seed"] == 7 and result.info["windows"] == 1


def test_same_seed_same_audio_other_seed_other_audio(tiny_dir):
    first = musicgen.generate(_request(tiny_dir, seed=11)).audio
    again = musicgen.generate(_request(tiny_dir, seed=11)).audio
    other = musicgen.generate(_request(tiny_dir, seed=12)).audio
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_seed_leaves_callers_rng_alone(tiny):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    tiny.generate(["pop"], seed=1, params=_params(1.0))
    assert torch.equal(torch.rand(3), expected)


def test_prompt_changes_the_music(tiny):
    params = _params(1.5)
    first, _ = tiny.generate(["upbeat pop song with drums"], seed=3, params=params)
    second, _ = tiny.generate(["sad piano ballad in a minor key"], seed=3, params=params)
    assert first.shape == second.shape
    assert not np.allclose(first, second)


def test_codes_are_the_ones_transformers_decodes(tiny):
    """The codes read through the stopping criterion, once decoded, give exactly
    the audio transformers' own generate() returns for the same seed and settings."""
    params = _params(1.5, top_k=20, temperature=0.9, guidance_scale=2.5)
    audio, _ = tiny.generate(["heavy rock"], seed=21, params=params)
    torch.manual_seed(21)
    reference = tiny.model.generate(**tiny._tokenize(["heavy rock"]), max_new_tokens=int(1.5 * FRAME_RATE) + CODEBOOKS - 1,
                                    do_sample=True, top_k=20, temperature=0.9, guidance_scale=2.5)
    np.testing.assert_array_equal(audio[0, :, 0], reference[0, 0].numpy())


def test_batch_of_descriptions(tiny):
    audio, rate = tiny.generate(["pop", "rock"], seed=2, params=_params(1.0))
    assert rate == SAMPLE_RATE and audio.shape == (2, FRAME_RATE * HOP, 1)


def test_windowed_continuation_reuses_previous_codes(tiny):
    duration = 3.5  # 87 frames: windows of 50 frames advancing 25
    audio, rate, tokens = tiny.generate(["lofi hip hop"], seed=4, params=_params(duration), return_tokens=True)
    total = int(duration * FRAME_RATE)
    stride = int(STRIDE_S * FRAME_RATE)
    assert [(w.offset, w.prompt_frames, w.new_frames) for w in tokens.windows] == [(0, 0, 50), (25, 25, 25), (50, 25, 12)]
    assert tokens.codes.shape == (1, CODEBOOKS, total)
    assert audio.shape == (1, total * HOP, 1)
    assert abs(audio.shape[1] / rate - duration) <= 1 / FRAME_RATE
    for previous, current, window in zip(tokens.window_codes, tokens.window_codes[1:], tokens.windows[1:]):
        # The overlap: this window's prompt is exactly the previous window's tail ...
        torch.testing.assert_close(current[:, :, : window.prompt_frames], previous[:, :, stride:], rtol=0, atol=0)
    for codes, window in zip(tokens.window_codes, tokens.windows):
        # ... and the piece is the windows laid end to end at their offsets.
        torch.testing.assert_close(tokens.codes[:, :, window.offset: window.end], codes, rtol=0, atol=0)
    # One decode of the whole sequence: the first window's audio is what decoding
    # its codes alone gives, away from its end (no seam, nothing re-encoded).
    alone = tiny.decode(tokens.window_codes[0])
    keep = (tokens.windows[0].end - 10) * HOP
    np.testing.assert_allclose(audio[0, :keep], alone[0, :keep], atol=1e-5)


def test_long_request_through_the_backend(tiny_dir):
    result = musicgen.generate(_request(tiny_dir, duration=4.0))
    assert result.info["windows"] == 3
    assert abs(result.duration_s - 4.0) <= 1 / FRAME_RATE
    assert np.max(np.abs(result.audio)) <= 1.0


def test_progress_increases_to_one(tiny_dir):
    calls = []
    musicgen.generate(_request(tiny_dir, duration=3.0), progress=lambda fraction, message: calls.append((fraction, message)))
    fractions = [fraction for fraction, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(b > a for a, b in zip(fractions, fractions[1:]))
    assert len(calls) > 10  # per step, not only per window
    assert any("window 2/2" in message for _, message in calls)
    assert all(isinstance(message, str) and message for _, message in calls)


def test_progress_exception_cancels(tiny):
    class Cancelled(Exception):
        pass

    def cancel(fraction, message):
        if fraction > 0.2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        tiny.generate(["pop"], progress=cancel, seed=1, params=_params(1.5))


def test_stereo_checkpoint(tmp_path):
    model = MusicGen.get_pretrained(str(_build(tmp_path, stereo=True)), device="cpu")
    audio, _, tokens = model.generate(["pop"], seed=1, params=_params(3.0), return_tokens=True)
    assert tokens.codes.shape == (1, 2 * CODEBOOKS, 75)
    assert audio.shape == (1, 75 * HOP, 2)
    assert not np.allclose(audio[0, :, 0], audio[0, :, 1])


def test_limit_peak():
    loud = np.array([[2.0], [-4.0]], dtype=np.float32)
    assert np.max(np.abs(musicgen.limit_peak(loud))) == pytest.approx(musicgen.PEAK_CEILING)
    quiet = np.array([[0.1], [-0.2]], dtype=np.float32)
    np.testing.assert_array_equal(musicgen.limit_peak(quiet), quiet)
    with pytest.raises(SongGenError):
        musicgen.limit_peak(np.array([[np.nan]], dtype=np.float32))


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("option, value", [
    ("guidance_scale", 0.5), ("guidance_scale", "3"), ("guidance_scale", float("nan")),
    ("top_k", -1), ("top_k", 2.5), ("top_k", True),
    ("top_p", 1.5),
    ("temperature", 0), ("temperature", -1.0), ("temperature", float("inf")),
    ("window_s", 0), ("window_s", 31), ("window_s", 25.0),  # 25 s passes parsing, but the tiny model holds 20 s
    ("extend_stride_s", 0), ("extend_stride_s", 2.0),  # not shorter than the 2 s window
    ("melody_path", "/no/such/melody.wav"), ("melody_path", 42),
    ("model", ""), ("model", 3),
    ("guidence_scale", 3.0),  # a typo is an unknown option, not silently ignored
])
def test_bad_options_are_invalid_requests(tiny_dir, option, value):
    options = {"model": str(tiny_dir), **FAST}
    options[option] = value
    request = MusicRequest(genre="pop", lyrics="la", duration_s=3.0, seed=1, backend="musicgen", options=options)
    with pytest.raises(InvalidRequestError) as info:
        musicgen.generate(request)
    assert info.value.field == option


def test_wrong_backend_is_refused(tiny_dir):
    request = MusicRequest(genre="pop", lyrics="la", duration_s=2.0, backend="arranger", options={"model": str(tiny_dir)})
    with pytest.raises(InvalidRequestError, match="backend"):
        musicgen.generate(request)


def test_generation_params_are_checked(tiny):
    with pytest.raises(InvalidRequestError):
        tiny.set_generation_params(top_k=-5)
    with pytest.raises(InvalidRequestError):
        tiny.set_generation_params(cfg_coef=3.0)
    with pytest.raises(InvalidRequestError):
        tiny.generate("not a list", params=_params(1.0))
    with pytest.raises(InvalidRequestError, match="melody"):
        tiny.generate(["pop"], melody=(_arpeggio(SAMPLE_RATE), SAMPLE_RATE), params=_params(1.0))
    tiny.set_generation_params(duration=1.0, max_window=WINDOW_S)
    audio, _ = tiny.generate(["pop"], seed=1)
    assert audio.shape[1] == FRAME_RATE * HOP


# --------------------------------------------------------------------------- melody


def test_chroma_of_a_440_hz_sine_is_a():
    extractor = musicgen._ChromaExtractor({"sampling_rate": 32000, "n_fft": 16384, "hop_length": 4096, "num_chroma": 12, "chunk_length": 30})
    t = np.arange(32000 * 2) / 32000
    chroma = extractor(np.sin(2 * np.pi * 440.0 * t).astype(np.float32))
    assert chroma.shape == (1 + 64000 // 4096, 12)
    assert torch.all(chroma.sum(dim=1) == 1)  # one-hot per frame
    assert chroma.argmax(dim=1).mode().values.item() == 9  # C=0 ... A=9


def test_melody_steers_the_melody_model(tiny_melody):
    assert tiny_melody.is_melody
    params = _params(3.0)
    melody = (_arpeggio(8000), 8000)  # resampled to the extractor's 1600 Hz
    plain, _ = tiny_melody.generate(["pop"], seed=5, params=params)
    with_melody, _, tokens = tiny_melody.generate(["pop"], melody=melody, seed=5, params=params, return_tokens=True)
    assert plain.shape == with_melody.shape == (1, 75 * HOP, 1)
    assert len(tokens.windows) == 2 and np.isfinite(with_melody).all()
    assert not np.allclose(plain, with_melody)
    again, _ = tiny_melody.generate(["pop"], melody=melody, seed=5, params=params)
    np.testing.assert_array_equal(with_melody, again)


def test_melody_path_through_the_backend(melody_dir, tmp_path):
    from songgen_core.audio import write_wav

    path = write_wav(tmp_path / "hum.wav", _arpeggio(8000, seconds=1.5), 8000)
    with_melody = musicgen.generate(_request(melody_dir, duration=2.0, melody_path=str(path)))
    plain = musicgen.generate(_request(melody_dir, duration=2.0))
    assert with_melody.info["melody_path"] == str(path)
    assert with_melody.audio.shape == plain.audio.shape
    assert not np.allclose(with_melody.audio, plain.audio)


def test_melody_path_on_a_plain_model_is_refused(tiny_dir, tmp_path):
    from songgen_core.audio import write_wav

    path = write_wav(tmp_path / "hum.wav", _arpeggio(8000), 8000)
    with pytest.raises(InvalidRequestError, match="melody"):
        musicgen.generate(_request(tiny_dir, melody_path=str(path)))


def test_unreadable_melody_is_invalid(tiny_melody, tmp_path):
    bad = tmp_path / "not-audio.wav"
    bad.write_bytes(b"hello")
    with pytest.raises(InvalidRequestError, match="melody"):
        tiny_melody.generate(["pop"], melody=str(bad), params=_params(1.0))
    with pytest.raises(InvalidRequestError, match="melody"):
        tiny_melody.generate(["pop"], melody=(np.zeros(10, dtype=np.float32), 8000), params=_params(1.0))
