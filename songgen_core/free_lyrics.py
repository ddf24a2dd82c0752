"""Free lyrics: one run of the model's `generate` from the prompt (the mode "free").

The text is cut at the end-of-lyrics token or at the next song header, stopped once the
word budget is spent at a line end, and trimmed to whole lines; it always adds at least
`MIN_NEW_WORDS` words to the opening line. While streaming, only text certain to stay in
the lyrics is handed out.
"""

from __future__ import annotations

import math
import threading
import time
import weakref

from .errors import SongGenError
from .loading import LyricsModel, context_length
from .lyrics import Job, LyricsResult, _tidy, _word_count
from .prompts import STOP_MARKERS, cut_at_stop_marker, held_back_length, lyrics_prompt

# A line begun this close to the token cap may be cut short by it: such a line is
# held back while streaming, and dropped if the cap cuts it (whole lines only).
_CAP_MARGIN_TOKENS = 24
# The lyrics always add this many words to the opening line: until they do, the model may
# not end the song (a small model sometimes ends it right after the opening; see _NoEarlyEnd).
MIN_NEW_WORDS = 3


class FreeJob(Job):
    """One free run: builds the prompt, runs `generate`."""

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
