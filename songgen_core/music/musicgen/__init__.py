"""MusicGen through transformers: text (and, for melody checkpoints, a reference
melody) to music.

audiocraft cannot be installed with this stack, so the `facebook/musicgen-*`
weights run through transformers' `MusicgenForConditionalGeneration` (and
`MusicgenMelodyForConditionalGeneration` for melody checkpoints). This package puts
a thin API in the spirit of audiocraft's `models/musicgen.py` on top:

    model = MusicGen.get_pretrained("facebook/musicgen-small")     # or a local folder
    model.set_generation_params(duration=45, top_k=250, guidance_scale=3.0)
    audio, sample_rate = model.generate(["lofi hip hop with warm piano"], progress=print)

and a module-level `generate(request, progress)` for the song pipeline.

Long pieces: windowed continuation, as audiocraft's `MusicGen._generate_tokens`
---------------------------------------------------------------------------
The models were trained on 30-second segments (`max_window`). For a longer piece
audiocraft generates the first window, then repeatedly takes the last
`window - extend_stride` seconds of the *tokens* it just made as the prompt of the
next window and generates `extend_stride` new seconds after them, until the
requested length is reached; the new tokens of each window are concatenated and
the whole token sequence is decoded by EnCodec once at the end. `plan_windows`
reproduces its loop exactly (same offsets, prompt lengths and last-chunk length,
in whole frames). The prompt is handed to transformers as `decoder_input_ids`
holding those previous codes, which is what transformers itself does for
audio-prompted generation after encoding `input_values` with EnCodec: its delay
pattern mask then forces every prompt position, per codebook with its delay, to
the given codes and samples only the rest. Passing the codes, not decoded audio
re-encoded through `audio_values`, keeps the overlap token-exact like audiocraft's
`prompt_tokens` (re-encoding would be lossy and cost an EnCodec round-trip).
For melody checkpoints, each window gets the chroma of the reference melody from
that window's start time, looped when the melody is shorter, as audiocraft does.

transformers' `generate` returns decoded audio only, so the codes of each window
are read through a `StoppingCriteria` that sees the token sequence after every
step (it never stops anything; it also drives the per-step progress callback),
then the delay pattern is undone the way transformers does it.

Known differences from audiocraft: the classifier-free-guidance "null" condition
is transformers' (zeroed text states, and for melody a fixed null chroma); the
melody is not separated with Demucs before the chroma is taken (audiocraft removes
drums and bass first), so a full mix gives a noisier chroma than in audiocraft.

The package, one idea a file: `options` (validated settings), `windows` (the
window arithmetic), `progress`, `chroma` (the reference melody), `checkpoint`
(finding and loading a checkpoint), `model` (the `MusicGen` class) and `backend`
(the pipeline's `generate` and the model cache).

This package imports torch and transformers: import it lazily.
"""

from .backend import MAX_CACHED_MODELS, PEAK_CEILING, clear_model_cache, generate, limit_peak, load_model
from .chroma import MAX_MELODY_S, MIN_MELODY_S, _ChromaExtractor  # noqa: F401 (the tests build one directly)
from .model import MAX_TEXT_TOKENS, GeneratedTokens, MusicGen
from .options import DEFAULT_EXTEND_STRIDE_S, DEFAULT_MODEL, MAX_WINDOW_S, OPTION_NAMES, GenerationParams, MusicgenOptions, parse_options
from .windows import Window, plan_windows

__all__ = [
    "DEFAULT_MODEL",
    "GenerationParams",
    "GeneratedTokens",
    "MusicGen",
    "MusicgenOptions",
    "Window",
    "clear_model_cache",
    "generate",
    "limit_peak",
    "load_model",
    "parse_options",
    "plan_windows",
]
