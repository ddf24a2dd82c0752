"""Lyrics: a validated request, generation, and a streaming form.

    request = LyricsRequest(genre="rock", title="Unintended", artist="Muse",
                            opening_line="You could be my unintended")
    result = generate_lyrics(request)            # whole lyrics at once
    stream = stream_lyrics(request)              # or piece by piece
    for piece in stream: print(piece, end="")
    stream.result                                # the same LyricsResult

The request's mode says how: "structured" (the default) writes the genre's song plan line
by line (structured.py); "free" lets the model run once (free_lyrics.py). Both stream, and
concatenating the streamed pieces gives exactly `result.text`.
"""

from __future__ import annotations

import math
import queue
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

from .errors import InvalidRequestError
from .loading import LyricsModel, load_lyrics_model
from .registry import GENRE_NAME, Registry, load_registry
from .song_plan import LENGTHS
from .text import check_text

MAX_TITLE_CHARS = 120
MAX_ARTIST_CHARS = 120
MAX_OPENING_CHARS = 300
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
    """The job for the request's mode: a structured song (structured.py) or one free run (free_lyrics.py)."""
    if isinstance(request, LyricsRequest) and request.mode == "structured":
        from .structured import StructuredJob

        return StructuredJob(request, registry, model)
    from .free_lyrics import FreeJob

    return FreeJob(request, registry, model)


class LyricsStream:
    """An iterator of text pieces; `.result` holds the `LyricsResult` once it is exhausted.

    Leaving the iteration early (closing it, or dropping it: a page rerun interrupts
    `st.write_stream`) cancels the generation at its next token, so an abandoned song
    does not hold the model, and its lock, until its token cap.
    """

    def __init__(self, job: "Job"):
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
        if "\n" in text and self.result is None and not job.WHOLE_LINES:
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


class Job:
    """What every way of writing lyrics shares: the request, its model (the registry's for the
    genre unless one is given; loaded here, so an unknown genre or a missing model is raised
    before any text), the seed, and what a stream reads while it runs. Subclasses write in
    `run(sink)`: a free run (free_lyrics.FreeJob) or a structured song (structured.StructuredJob)."""

    WHOLE_LINES = False  # whether every piece handed to the sink ends a line (see stopped_result)

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
