"""Lyrics: a validated request, generation, and a streaming form.

    request = LyricsRequest(genre="rock", title="Unintended", artist="Muse",
                            opening_line="You could be my unintended")
    result = generate_lyrics(request)            # whole lyrics at once
    stream = stream_lyrics(request)              # or piece by piece
    for piece in stream: print(piece, end="")
    stream.result                                # the same LyricsResult

Both forms sample with transformers' `generate`; the text is cut at the
end-of-lyrics token or at the next song header, and trimmed to whole lines;
it always adds at least `MIN_NEW_WORDS` words to the opening line.
Concatenating the streamed pieces gives exactly `result.text`.
"""

from __future__ import annotations

import math
import queue
import re
import secrets
import threading
import time
import weakref
from dataclasses import asdict, dataclass, field
from typing import Iterator

from .errors import InvalidRequestError, SongGenError
from .loading import LyricsModel, context_length, load_lyrics_model
from .prompts import STOP_MARKERS, cut_at_stop_marker, held_back_length, lyrics_prompt
from .registry import GENRE_NAME, Registry, load_registry
from .song_plan import LENGTHS
from .text import check_text

MAX_TITLE_CHARS = 120
MAX_ARTIST_CHARS = 120
MAX_OPENING_CHARS = 300
# A line begun this close to the token cap may be cut short by it: such a line is
# held back while streaming, and dropped if the cap cuts it (whole lines only).
_CAP_MARGIN_TOKENS = 24
# The lyrics always add this many words to the opening line: until they do, the model may
# not end the song (a small model sometimes ends it right after the opening; see _NoEarlyEnd).
MIN_NEW_WORDS = 3
MODES = ("structured", "free")


@dataclass(frozen=True)
class LyricsRequest:
    """What a person asks for. Defaults follow the original design.

    Raises `InvalidRequestError` (with `.field`) on bad input. Whether the genre
    exists is checked against the registry when generating (`UnknownGenreError`).
    `temperature=0` means greedy decoding; `top_k=0` turns top-k off.
    """

    genre: str
    title: str
    opening_line: str
    artist: str = ""
    max_words: int = 150
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 0.95
    seed: int | None = None
    repetition_penalty: float = 1.1
    mode: str = "structured"  # "structured": to the genre's song plan (structured.py); "free": one free run
    length: str = "standard"  # structured songs: "short", "standard" (150-250 words) or "long"
    explicit: bool = False  # False: clean lyrics, no profanity or sexual vulgarity (clean_words.py)

    def __post_init__(self):
        genre = check_text("genre", self.genre, max_chars=32).lower()
        if not GENRE_NAME.match(genre):
            raise InvalidRequestError("genre", "must be a genre name such as rock, pop or rap")
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen dataclass)
        set_("genre", genre)
        set_("title", check_text("title", self.title, max_chars=MAX_TITLE_CHARS))
        set_("artist", check_text("artist", self.artist, max_chars=MAX_ARTIST_CHARS, required=False))
        set_("opening_line", check_text("opening_line", self.opening_line, max_chars=MAX_OPENING_CHARS))
        set_("max_words", _integer("max_words", self.max_words, 10, 1000))
        set_("temperature", _number("temperature", self.temperature, 0.0, 5.0))
        set_("top_k", _integer("top_k", self.top_k, 0, 1000))
        set_("top_p", _number("top_p", self.top_p, 0.01, 1.0))
        set_("repetition_penalty", _number("repetition_penalty", self.repetition_penalty, 1.0, 2.0))
        if self.seed is not None:
            set_("seed", _integer("seed", self.seed, 0, 2**32 - 1))
        if self.mode not in MODES:
            raise InvalidRequestError("mode", f"must be one of: {', '.join(MODES)}")
        if self.length not in LENGTHS:
            raise InvalidRequestError("length", f"must be one of: {', '.join(LENGTHS)}")
        if not isinstance(self.explicit, bool):
            raise InvalidRequestError("explicit", "must be true or false")

    def with_seed(self, seed: int | None) -> "LyricsRequest":
        """The same request with another seed (for "repeat with a new seed")."""
        return LyricsRequest(**{**asdict(self), "seed": seed})


@dataclass
class LyricsResult:
    text: str
    request: LyricsRequest
    seed: int
    model_source: str
    model_description: str
    few_shot: bool
    # "end-marker", "word-limit", "eos", "token-limit", "cancelled" (a stream left early) or
    # "stopped" (the lines a stream showed before its reader left: `LyricsStream.stopped_result`)
    ended_by: str
    prompt_tokens: int
    new_tokens: int
    timings: dict = field(default_factory=dict)
    mode: str = "free"
    plan: dict | None = None  # structured: the song plan, with the rhyme schemes drawn (SongPlan.to_dict)
    line_scores: list = field(default_factory=list)  # structured: how each line was chosen (structured.py)
    examples: int = 0  # how many example songs the prompt started with (LyricsModel.prompt_examples)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["request"] = asdict(self.request)
        return data


def generate_lyrics(request: LyricsRequest, registry: Registry | None = None, model: LyricsModel | None = None) -> LyricsResult:
    """Write lyrics for `request` in one call.

    Raises `UnknownGenreError`, `ModelUnavailableError` or `SongGenError`.
    """
    job = _make_job(request, registry, model)
    job.run(sink=None)
    return job.result


def stream_lyrics(request: LyricsRequest, registry: Registry | None = None, model: LyricsModel | None = None) -> "LyricsStream":
    """Write lyrics piece by piece: iterate the returned stream for text pieces.

    The model is resolved (and loaded) here, so `UnknownGenreError` and
    `ModelUnavailableError` are raised before the first piece.
    """
    return LyricsStream(_make_job(request, registry, model))


def _make_job(request: "LyricsRequest", registry: Registry | None, model: LyricsModel | None):
    """The job for the request's mode: a structured song (structured.py) or one free run (`_Job`)."""
    if isinstance(request, LyricsRequest) and request.mode == "structured":
        from .structured import StructuredJob

        return StructuredJob(request, registry, model)
    return _Job(request, registry, model)


class LyricsStream:
    """An iterator of text pieces; `.result` holds the `LyricsResult` once it is exhausted.

    Leaving the iteration early (closing it, or dropping it: a page rerun interrupts
    `st.write_stream`) cancels the generation at its next token, so an abandoned song
    does not hold the model, and its lock, until its token cap.
    """

    def __init__(self, job: "_Job"):
        self._job = job
        self.result: LyricsResult | None = None
        self.shown = ""  # every piece handed out so far

    def __iter__(self) -> Iterator[str]:
        pieces: queue.Queue = queue.Queue()
        failure: list[BaseException] = []

        def work():
            try:
                self._job.run(sink=pieces.put)
            except BaseException as error:  # handed to the reading thread
                failure.append(error)
            finally:
                pieces.put(None)

        worker = threading.Thread(target=work, name="lyrics-generate", daemon=True)
        worker.start()
        try:
            while (piece := pieces.get()) is not None:
                self.shown += piece
                yield piece
        except BaseException:  # GeneratorExit: the reader left early
            # Not joined: the worker may still wait for the model's lock behind another
            # generation, and the reader (a page being rerun) should not wait for it.
            self._job.cancelled.set()
            raise
        worker.join()
        if failure:
            raise failure[0]
        self.result = self._job.result

    def cancel(self) -> None:
        """Stop the generation at its next token, from any thread (the reader's loop ends)."""
        self._job.cancelled.set()

    def stopped_result(self) -> LyricsResult:
        """The lyrics as far as they were shown, for a person who stopped the song: the
        whole lines handed out (a line still being written is dropped; the opening line
        always stays), with `ended_by="stopped"`. Meant for a stream left early; on a
        finished stream it gives its whole text."""
        job = self._job
        text = self.shown if self.result is None else self.result.text
        if "\n" in text and self.result is None and not getattr(job, "WHOLE_LINES", False):
            text = text[: text.rfind("\n")]
        text = _tidy(text) or job.request.opening_line
        elapsed = time.perf_counter() - job.started if job.started is not None else None
        plan = getattr(job, "resolved_plan", None)
        return LyricsResult(
            text=text, request=job.request, seed=job.seed, model_source=str(job.lm.source),
            model_description=job.lm.description, few_shot=job.lm.few_shot, ended_by="stopped",
            prompt_tokens=job.prompt_tokens, new_tokens=0,
            timings={"generate_s": None if elapsed is None else round(elapsed, 3),
                     "model_load_s": round(job.lm.load_seconds, 3)},
            mode=job.request.mode, plan=None if plan is None else plan.to_dict(),
            line_scores=list(getattr(job, "line_scores", [])), examples=job.lm.prompt_examples(job.request.genre),
        )


class _Job:
    """One generation: resolves the model, builds the prompt, runs `generate`."""

    def __init__(self, request: LyricsRequest, registry: Registry | None, model: LyricsModel | None):
        if not isinstance(request, LyricsRequest):
            raise InvalidRequestError("request", "expected a LyricsRequest")
        self.request = request
        if model is None:
            registry = registry or load_registry()
            model = load_lyrics_model(registry.lyrics_source(request.genre))
        self.lm = model
        self.seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
        self.result: LyricsResult | None = None
        self.cancelled = threading.Event()  # set when the stream's reader left early
        self.started: float | None = None  # when the model was taken (perf_counter)
        self.prompt_tokens = 0

    def run(self, sink) -> None:
        import torch

        request, lm = self.request, self.lm
        prompt = lyrics_prompt(request.artist or "Unknown Artist", request.title, request.opening_line, request.genre,
                               lm.prompt_examples(request.genre))
        inputs = lm.tokenizer(prompt, return_tensors="pt").to(lm.device)
        prompt_len = self.prompt_tokens = inputs["input_ids"].shape[1]
        max_new_tokens = math.ceil(request.max_words * 2.5) + 32
        # A model with learnt positions (GPT-2: 1024) fails with an index error past them.
        context = context_length(lm.model)
        if context is not None:
            if context - prompt_len < _CAP_MARGIN_TOKENS:
                raise SongGenError(f"the prompt ({prompt_len} tokens) leaves no room in this model's context of "
                                   f"{context} tokens; use a shorter title, artist or opening line")
            max_new_tokens = min(max_new_tokens, context - prompt_len)
        assembler = _Assembler(lm, prompt_len, request.opening_line, request.max_words, max_new_tokens, sink,
                               self.cancelled)
        from transformers import LogitsProcessorList

        # Custom processors run after the repetition penalty and before sampling's warpers.
        processors = LogitsProcessorList([_NoEarlyEnd(assembler, _ending_token_ids(lm))])
        kwargs = dict(
            max_new_tokens=max_new_tokens,
            do_sample=request.temperature > 0,
            repetition_penalty=request.repetition_penalty,
            eos_token_id=lm.eos_token_ids,
            pad_token_id=lm.tokenizer.pad_token_id,
            stopping_criteria=[assembler],
            logits_processor=processors,
        )
        if request.temperature > 0 and lm.cpu_optimized:
            # The same distribution, drawn on the top-k only (see cpu_speed.py).
            from .cpu_speed import TopKTopPSampler

            processors.append(TopKTopPSampler(request.temperature, request.top_k, request.top_p))
            kwargs.update(do_sample=False, cache_implementation="static")
        elif request.temperature > 0:
            kwargs.update(temperature=request.temperature, top_k=request.top_k or None, top_p=request.top_p)
        started = time.perf_counter()
        with lm.using():  # one generation at a time per model object (adapters on one base share it)
            if self.cancelled.is_set():  # left while waiting for the model: nothing to write
                return
            torch.manual_seed(self.seed)
            if lm.device.startswith("cuda"):
                torch.cuda.manual_seed_all(self.seed)
            assembler.started = self.started = started
            if sink is not None:
                sink(request.opening_line)
                assembler.emitted, assembler.shown = len(request.opening_line), request.opening_line
            try:
                with torch.inference_mode():
                    output = lm.model.generate(**inputs, **kwargs)
            except RuntimeError as error:
                raise SongGenError(f"lyrics generation failed: {error}") from error
        elapsed = time.perf_counter() - started
        text, ended_by = assembler.finish(output[0])
        if sink is not None:
            if not text.startswith(assembler.shown):  # never expected; the stream would not add up
                raise SongGenError("internal error: streamed lyrics differ from the final lyrics")
            if len(text) > assembler.emitted:
                sink(text[assembler.emitted :])
        new_tokens = output.shape[1] - prompt_len
        self.result = LyricsResult(
            text=text,
            request=request,
            seed=self.seed,
            model_source=str(lm.source),
            model_description=lm.description,
            few_shot=lm.few_shot,
            ended_by=ended_by,
            prompt_tokens=prompt_len,
            new_tokens=new_tokens,
            timings={
                "generate_s": round(elapsed, 3),
                "first_token_s": round(assembler.first_token_s, 3) if assembler.first_token_s is not None else None,
                "tokens_per_s": round(new_tokens / elapsed, 2) if elapsed > 0 else None,
                "model_load_s": round(lm.load_seconds, 3),
            },
            examples=lm.prompt_examples(request.genre),
        )


class _Assembler:
    """A stopping criterion that also turns tokens into the lyrics text.

    Called by `generate` after every new token: it decodes what was written,
    stops at a stop marker or once the word budget is spent at a line end, and
    (when streaming) hands on the text that is certain to stay in the lyrics.
    """

    def __init__(self, lm: LyricsModel, prompt_len: int, opening: str, max_words: int, max_new_tokens: int, sink,
                 cancelled: threading.Event):
        self.lm, self.prompt_len, self.opening, self.cancelled = lm, prompt_len, opening, cancelled
        self.max_words, self.max_new_tokens, self.sink = max_words, max_new_tokens, sink
        self.emitted, self.shown = 0, ""
        self.opening_words, self.new_words = _word_count(opening), 0
        self.last_newline, self.line_start_token = -1, 0
        self.ended_by: str | None = None
        self.started = time.perf_counter()
        self.first_token_s: float | None = None
        # Decode from a few prompt tokens back: SentencePiece drops the leading
        # space of a sequence's first token, which would glue words together.
        self.context = max(0, prompt_len - 4)

    def lyrics_so_far(self, ids) -> tuple[str, int]:
        tokenizer = self.lm.tokenizer
        ids = ids.tolist()
        head = tokenizer.decode(ids[self.context : self.prompt_len], skip_special_tokens=True)
        full = tokenizer.decode(ids[self.context :], skip_special_tokens=True)
        return self.opening + full[len(head) :], len(ids) - self.prompt_len

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        if self.first_token_s is None:
            self.first_token_s = time.perf_counter() - self.started
        if self.cancelled.is_set():
            self.ended_by = "cancelled"
            return torch.ones((input_ids.shape[0],), dtype=torch.bool, device=input_ids.device)
        raw, n_new = self.lyrics_so_far(input_ids[0])
        body, found = cut_at_stop_marker(raw)
        words = _word_count(body)
        self.new_words = words - self.opening_words
        newline = body.rfind("\n")
        if newline != self.last_newline:
            self.last_newline, self.line_start_token = newline, n_new
        if found:
            self.ended_by = "end-marker"
        elif body.endswith("\n") and words >= self.max_words and self.new_words >= MIN_NEW_WORDS:
            self.ended_by = "word-limit"
        if self.sink is not None and self.ended_by is None:
            self._emit(body)
        return torch.full((input_ids.shape[0],), self.ended_by is not None, dtype=torch.bool, device=input_ids.device)

    def open_line_may_be_cut(self) -> bool:
        return self.max_new_tokens - self.line_start_token <= _CAP_MARGIN_TOKENS

    def _emit(self, body: str) -> None:
        safe = body[: len(body) - held_back_length(body)]
        if self.open_line_may_be_cut():
            safe = safe[: safe.rfind("\n") + 1]
        safe = _tidy(safe.rstrip("\ufffd"))  # an unfinished UTF-8 character decodes as U+FFFD
        if len(safe) > self.emitted and safe.startswith(self.shown):
            self.sink(safe[self.emitted :])
            self.emitted, self.shown = len(safe), safe

    def finish(self, ids) -> tuple[str, str]:
        raw, n_new = self.lyrics_so_far(ids)
        body, found = cut_at_stop_marker(raw)
        ended_by = self.ended_by
        if ended_by is None:
            last = ids[-1].item() if n_new > 0 else None
            ended_by = "end-marker" if found else "eos" if last in self.lm.eos_token_ids else "token-limit"
        if ended_by == "token-limit" and not body.endswith("\n") and self.open_line_may_be_cut():
            body = body[: body.rfind("\n") + 1]  # drop the line the cap cut short
        return _tidy(body), ended_by


class _NoEarlyEnd:
    """A logits processor: until the lyrics hold `MIN_NEW_WORDS` words beyond the opening,
    the tokens that end a song (end of text, the end-of-lyrics token, and any token that
    could begin a stop marker written as text) cannot be drawn."""

    def __init__(self, assembler: "_Assembler", ending_ids: list[int]):
        self.assembler, self.ending_ids = assembler, ending_ids

    def __call__(self, input_ids, scores):
        if self.assembler.new_words < MIN_NEW_WORDS and self.ending_ids:
            scores = scores.clone()
            scores[:, self.ending_ids] = float("-inf")
        return scores


_ENDING_IDS: "weakref.WeakKeyDictionary[object, list[int]]" = weakref.WeakKeyDictionary()  # tokenizer -> ids


def _ending_token_ids(lm: LyricsModel) -> list[int]:
    """The ids of end tokens and of tokens holding a stop marker's first character ("[" of
    "[Artist:" and "[Song:", "<" of a plain-text "<|endoflyrics|>"). Cached while the tokenizer lives."""
    tokenizer = lm.tokenizer
    if tokenizer not in _ENDING_IDS:  # 0.2 s for Gemma's 262k tokens, once per loaded tokenizer
        starts = {marker[0] for marker in STOP_MARKERS}
        tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        ids = {i for i, token in enumerate(tokens) if token is not None and any(ch in token for ch in starts)}
        _ENDING_IDS[tokenizer] = sorted(ids | set(lm.eos_token_ids))
    return _ENDING_IDS[tokenizer]


def _printable(text: str) -> str:
    """Other white space becomes a space; control and other unprintable characters go."""
    return "".join(ch if ch == "\n" or (ch.isprintable() and ch != "\ufffd") else " " if ch.isspace() else "" for ch in text)


def _tidy(text: str) -> str:
    """Whole lines, no trailing spaces, at most one blank line in a row, printable only."""
    lines = [line.rstrip() for line in _printable(text).split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _word_count(text: str) -> int:
    return len(text.split())


def _integer(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(name, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise InvalidRequestError(name, f"must be from {low} to {high}, not {value}")
    return value


def _number(name: str, value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidRequestError(name, f"must be a number from {low:g} to {high:g}")
    if not low <= value <= high:
        raise InvalidRequestError(name, f"must be from {low:g} to {high:g}, not {value:g}")
    return float(value)
