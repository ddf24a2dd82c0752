"""Candidate lyric lines from any causal LM: batched sampling that can steer a line's last word.

    writer = LineWriter(lm, seed=7, clean=True, candidates=4)
    writer.start(prompt)                           # the prompt once (its example part cached across songs)
    found = writer.candidates(8, 11, rhymes={"light": id, "night": id}, prefix="")
    writer.commit("the chosen line\\n")            # the song so far grows by the chosen line

How a line is drawn. `candidates` rows are sampled together in one batch from
the song so far (a copy of its KV cache per row), with the request's
temperature, top-k and top-p, never drawing a banned token (token_tables.py:
markup, brackets, digits, special tokens; clean-list words in clean lyrics)
and never ending the line before it has the minimum syllables. A row ends at
a newline, or is dropped once it runs past the maximum.

How an ending is steered (only when `rhymes` is given: the words, each one
token, that rhyme with the line's partner). At every step, for every row
whose syllables leave room for one more word, the model's own probability of
each rhyme word as the next token is read off the logits it computed anyway.
Where a rhyme word is likely (log-probability above `FORK_MIN_LOGPROB`, the
best few per step), the row is forked: a copy of its cache takes that word,
and one step later the fork's probability of ending the line right there is
read. The fork becomes a candidate "prefix + rhyme word" whose fluency is the
model's own mean token log-probability over the whole line, ending included.
So a rhyme is only ever offered where the model itself found the word likely
in that place and the line likely to end after it; the caller weighs it
against the free rows (structured.py). Rows and forks share one batch
(`DynamicCache.reorder_cache` copies, drops and forks rows).

Same seed, same candidates: sampling uses a generator seeded per line.
Raises `SongGenError` if the model fails (a RuntimeError from torch).
"""

from __future__ import annotations

import copy
import threading
import weakref
from dataclasses import dataclass
from collections.abc import Callable

import torch

from .errors import SongGenError
from .kv_cache import AppendingLayer, AppendingSlidingWindowLayer, appending_cache
from .loading import LyricsModel
from .rhyme import line_syllables, syllables
from .token_tables import tables

FORK_MIN_LOGPROB = -8.0  # a rhyme word less likely than this as the next token is not tried
FORKS_PER_STEP = 4
MAX_FORKS = 12
WORDS_PER_ROW = 3  # the most likely rhyme words considered per row and step
_PREFIX_CACHE_SIZE = 4


@dataclass
class Candidate:
    text: str  # the line (the forced prefix included), no newline
    logprob: float  # summed token log-probabilities, the line's end included
    tokens: int  # how many tokens were scored
    rhyme_word: str | None = None  # set for a fork steered to a rhyme word
    end_logprob: float = 0.0  # the model's log-probability of the line ending where it ends
    cached: tuple | None = None  # per layer, the keys and values of the line's tokens (LineWriter.commit_line)
    commit_count: int = -1  # the writer's commits when it was drawn: `cached` follows that song so far

    @property
    def fluency(self) -> float:
        """Mean token log-probability (the model's own, before temperature or bans)."""
        return self.logprob / max(1, self.tokens)


_prefix_caches: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()
_prefix_lock = threading.Lock()


class LineWriter:
    """Writes candidate lines after the song so far. One instance per song; hold `lm.using()` while it runs."""

    def __init__(self, lm: LyricsModel, seed: int, *, clean: bool = True, candidates: int | None = None,
                 temperature: float = 1.0, top_k: int = 50, top_p: float = 0.95, repetition_penalty: float = 1.0,
                 cancelled: threading.Event | None = None):
        self.lm, self.seed, self.clean = lm, seed, clean
        self.rows = candidates or (8 if str(lm.device).startswith("cuda") else 4)
        self.temperature, self.top_k, self.top_p = temperature, top_k, top_p
        self.repetition_penalty = repetition_penalty
        self.cancelled = cancelled or threading.Event()
        self.tables = tables(lm.tokenizer)
        # Logits have a column per token, or (the CPU fast head) per token of the lyric vocabulary only:
        # `_columns` maps those columns to token ids, `_column_of` token ids to columns (-1: not computed).
        self._decoder, self._head, self._columns = _fast_head(lm)
        self._column_of = None
        if self._columns is not None:
            self._column_of = torch.full((int(self._columns.max()) + 1,), -1, dtype=torch.long)
            self._column_of[self._columns] = torch.arange(len(self._columns))
        never = [self.tables.banned] + ([self.tables.blocked] if clean else [])
        self._never = self._columns_for(torch.cat(never)).to(lm.device)
        self._ends = self._columns_for(self.tables.ends).to(lm.device)
        word_start = self.tables.word_start
        self._word_start = (word_start if self._columns is None else word_start[self._columns]).to(lm.device)
        self.cache = None
        self.next_logits: torch.Tensor | None = None  # (1, columns) after the song so far
        self.context_tokens = 0
        self.song_ids: set[int] = set()  # tokens of the lyrics written so far (for the repetition penalty)
        self.lines_drawn = 0
        self.forward_calls = 0
        self.commits = 0

    # ------------------------------------------------------------------ the song so far

    def start(self, prompt: str, cacheable_prefix: str = "") -> None:
        """Read the prompt. Its first `cacheable_prefix` characters (the example songs) are
        read once per model and reused by later songs."""
        if not prompt.startswith(cacheable_prefix):
            raise ValueError("the cacheable prefix must begin the prompt")
        if not cacheable_prefix:  # the whole prompt, with the tokenizer's own start token (Gemma's <bos>)
            self.cache, self.context_tokens = None, 0
            ids = self.lm.tokenizer(prompt, add_special_tokens=True)["input_ids"]
            self.next_logits = self._forward(torch.tensor([ids], device=self.lm.device))[:, -1]
            return
        self.cache, self.next_logits, self.context_tokens = self._prefix(cacheable_prefix)
        self.commit(prompt[len(cacheable_prefix):], counts_as_song=False)

    def read_prefix(self, text: str) -> None:
        """Read `text` (example songs) into the per-model prefix cache, for later songs to reuse."""
        self._prefix(text)

    def commit(self, text: str, counts_as_song: bool = True) -> None:
        """Add `text` to the song so far (a chosen line with its newline, a header, a repeated chorus)."""
        ids = self.lm.tokenizer(text, add_special_tokens=False)["input_ids"]
        if not ids:
            return
        if counts_as_song:
            self.song_ids.update(ids)
        self.commits += 1
        self.next_logits = self._forward(torch.tensor([ids], device=self.lm.device))[:, -1]

    def commit_line(self, candidate: Candidate) -> bool:
        """Add a chosen candidate to the song so far from the keys and values its row computed, without
        running the model over it again (a line cost a forward pass of 140 ms on 2 cores). The line's
        break is not added: the next `commit` starts with it. False (nothing added) where the candidate
        was not drawn after the song so far as it is now; `commit` its text then."""
        if candidate.cached is None or candidate.commit_count != self.commits or self.cache is None:
            return False
        with torch.inference_mode():  # the cache's tensors are inference tensors
            for layer, (keys, values) in zip(self.cache.layers, candidate.cached):
                layer.update(keys, values)
        self.context_tokens += candidate.cached[0][0].shape[-2]
        self.song_ids.update(self.lm.tokenizer(candidate.text, add_special_tokens=False)["input_ids"])
        self.commits += 1
        self.next_logits = None  # until the next `commit`, which the line's break always is
        return True

    def _prefix(self, text: str):
        key = (self.lm.adapter, text)
        with _prefix_lock:
            per_model = _prefix_caches.setdefault(self.lm.model, {})
            found = per_model.get(key)
        if found is None:
            self.cache = None
            ids = self.lm.tokenizer(text, add_special_tokens=True)["input_ids"]
            self.context_tokens = 0
            logits = self._forward(torch.tensor([ids], device=self.lm.device))[:, -1]
            found = (self.cache, logits, len(ids))
            with _prefix_lock:
                per_model[key] = found
                while len(per_model) > _PREFIX_CACHE_SIZE:
                    per_model.pop(next(iter(per_model)))
        cache, logits, count = found
        return copy.deepcopy(cache), logits.clone(), count

    def _columns_for(self, ids: torch.Tensor) -> torch.Tensor:
        """The logit columns of token `ids` (those the head computes)."""
        if self._column_of is None:
            return ids
        ids = ids[ids < len(self._column_of)]
        columns = self._column_of[ids]
        return columns[columns >= 0]

    def _token(self, column: int) -> int:
        return column if self._columns is None else int(self._columns[column])

    def _column(self, token: int) -> int:
        return token if self._column_of is None else int(self._column_of[token])

    def _forward(self, ids: torch.Tensor, cache=None) -> torch.Tensor:
        """Run `ids` after the song so far (or after `cache`, which it extends); the last logits, float."""
        own = cache is None
        if own:
            if self.cache is None:
                self.cache = appending_cache(self.lm.model.config)
            cache = self.cache
        try:
            with torch.inference_mode():
                if self._head is not None:  # the decoder, then the head on the last position only
                    hidden = self._decoder(input_ids=ids, past_key_values=cache, use_cache=True).last_hidden_state
                    logits = self._head(hidden[:, -1])
                else:
                    logits = self.lm.model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1]
        except RuntimeError as error:
            raise SongGenError(f"lyrics generation failed: {error}") from error
        self.forward_calls += 1
        if own:
            self.context_tokens += ids.shape[1]
        return logits.float().reshape(ids.shape[0], 1, -1)

    # ------------------------------------------------------------------ candidates

    def candidates(self, min_syllables: int, max_syllables: int, *, rhymes: dict[str, int] | None = None,
                   prefix: str = "", rows: int | None = None,
                   enough: Callable[[list[Candidate]], bool] | None = None) -> list[Candidate]:
        """Sample candidate lines that continue the song so far (see the module docstring).

        Lines have `min_syllables` to `max_syllables` (a row past the maximum is dropped).
        `prefix` (the title, for the chorus's first line) starts every candidate; `rhymes`
        maps the words to steer the ending to onto their one-token ids. `enough(found)`, when
        given, is asked after every step; once it says yes the rows still writing are left."""
        if self.next_logits is None:
            raise RuntimeError("commit the break after a line committed with commit_line before drawing the next")
        rows = rows or self.rows
        device = self.lm.device
        generator = torch.Generator(device=device).manual_seed((self.seed * 1_000_003 + self.lines_drawn) % 2**63)
        self.lines_drawn += 1
        cache = copy.deepcopy(self.cache)
        logits = self.next_logits
        prefix_syllables = line_syllables(prefix)
        prefix_tokens = 0
        if prefix:
            ids = self.lm.tokenizer(prefix, add_special_tokens=False)["input_ids"]
            prefix_tokens = len(ids)
            logits = self._forward(torch.tensor([ids], device=device), cache)[:, -1]
        reusable = all(isinstance(layer, (AppendingLayer, AppendingSlidingWindowLayer)) for layer in cache.layers)

        def kept(r: int, candidate: Candidate) -> Candidate:
            """`candidate` with row r's keys and values of the line (for commit_line)."""
            if reusable:
                n = prefix_tokens + state.n[r]
                candidate.cached = tuple((layer.keys[r : r + 1, :, -n:].clone(), layer.values[r : r + 1, :, -n:].clone())
                                         for layer in cache.layers)
                candidate.commit_count = self.commits
            return candidate

        state = _Rows(rows, prefix)
        logits = logits.expand(rows, -1)
        cache.batch_repeat_interleave(rows)
        rhymes = {w: t for w, t in (rhymes or {}).items() if self._column(t) >= 0} or None  # (all are, on this head)
        rhyme_ids = torch.tensor([self._column(t) for t in rhymes.values()], device=device) if rhymes else None
        rhyme_words = list(rhymes) if rhymes else []
        cap = 3 * max_syllables + 6
        found: list[Candidate] = []
        forks = 0
        for step in range(cap):
            if self.cancelled.is_set():
                return []
            logprobs = torch.log_softmax(logits, dim=-1)
            end_lp = torch.logsumexp(logprobs[:, self._ends], dim=-1)
            # Forks from the previous step: read how likely the line ends after the rhyme word.
            for r in state.fork_rows():
                found.append(kept(r, Candidate(" ".join(state.text[r].split()), state.lp[r] + end_lp[r].item(),
                                               state.n[r] + 1, state.rhyme[r], end_lp[r].item())))
            # Free rows: draw the next token.
            scores = logits / max(self.temperature, 1e-5)
            scores = self._penalize(scores.clone())
            scores[:, self._never] = float("-inf")
            if step == 0 and prefix:  # the title is whole: what follows starts a word, or is punctuation
                scores[:, ~self._word_start] = float("-inf")
            short = torch.tensor([prefix_syllables + state.syl[r] < min_syllables for r in range(len(state.text))],
                                 device=device)
            if short.any():
                scores[short.nonzero().flatten()[:, None], self._ends[None, :]] = float("-inf")
            drawn = self._draw(scores, generator)
            keep, feed = [], []
            children = []
            if rhyme_ids is not None and forks < MAX_FORKS:
                new_forks = self._forks(state, logprobs, rhyme_ids, rhyme_words, prefix_syllables,
                                        min_syllables, max_syllables, min(FORKS_PER_STEP, MAX_FORKS - forks))
                forks += len(new_forks)
                for r, word in new_forks:  # before the rows take their drawn tokens
                    token = rhymes[word]
                    lp = logprobs[r, self._column(token)].item()
                    children.append((r, state.fork(r, token, " " + word, lp, word), token))
            for r in state.free_rows():
                column = drawn[r].item()
                token = self._token(column)
                text = self.tables.texts[token]
                lp = logprobs[r, column].item()
                if "\n" in text:
                    line = " ".join((state.text[r] + text[: text.index("\n")]).split())
                    found.append(kept(r, Candidate(line, state.lp[r] + lp, state.n[r] + 1, None, end_lp[r].item())))
                    continue
                state.extend(r, token, text, lp)
                if prefix_syllables + state.syl[r] > max_syllables:
                    continue  # ran past the maximum: dropped (its forks are already taken)
                keep.append(r)
                feed.append(token)
            feed += [token for _, _, token in children]
            order = keep + [r for r, _, _ in children]
            if not order or (enough is not None and enough(found)):
                break
            state.reorder(keep, [child for _, child, _ in children])
            if order != list(range(logits.shape[0])):  # rows ended, dropped or forked
                cache.reorder_cache(torch.tensor(order, device=device))
            logits = self._forward(torch.tensor(feed, device=device)[:, None], cache)[:, -1]
        return found

    def _forks(self, state, logprobs, rhyme_ids, rhyme_words, prefix_syllables, low, high, budget):
        """(row, word) pairs to fork this step: rhyme words the model finds likely next, where the
        line would then have its syllables in range."""
        if budget <= 0:
            return []
        free = state.free_rows()
        if not free:
            return []
        lp = logprobs[free][:, rhyme_ids]  # (free rows, rhyme words)
        best, where = torch.topk(lp, min(WORDS_PER_ROW, lp.shape[1]), dim=-1)
        options = []
        for i, r in enumerate(free):
            for value, index in zip(best[i].tolist(), where[i].tolist()):
                word = rhyme_words[index]
                total = prefix_syllables + state.syl[r] + syllables(word)
                if value >= FORK_MIN_LOGPROB and low <= total <= high and not state.has_word(r, word):
                    options.append((value, r, word))
        options.sort(reverse=True)
        return [(r, word) for _, r, word in options[:budget]]

    def _penalize(self, scores: torch.Tensor) -> torch.Tensor:
        if self.repetition_penalty == 1.0 or not self.song_ids:
            return scores
        ids = self._columns_for(torch.tensor(sorted(self.song_ids))).to(scores.device)
        picked = scores[:, ids]
        scores[:, ids] = torch.where(picked > 0, picked / self.repetition_penalty, picked * self.repetition_penalty)
        return scores

    def _draw(self, scores: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One token per row: greedy at temperature 0, else top-k then top-p then a draw."""
        if self.temperature <= 0:
            return scores.argmax(-1)
        k = scores.shape[-1] if self.top_k <= 0 else min(self.top_k, scores.shape[-1])
        values, indices = torch.topk(scores, k, dim=-1)
        probs = values.softmax(-1)
        if self.top_p < 1.0:
            cumulative = probs.cumsum(-1)
            probs = probs.masked_fill(cumulative - probs > self.top_p, 0.0)
        probs = torch.nan_to_num(probs, nan=0.0)
        empty = probs.sum(-1) <= 0
        if empty.any():  # every allowed token was banned: take the best-scored one
            probs[empty, 0] = 1.0
        choice = torch.multinomial(probs, 1, generator=generator)
        return indices.gather(-1, choice).squeeze(-1)


_heads: "weakref.WeakKeyDictionary[object, tuple]" = weakref.WeakKeyDictionary()


def _fast_head(lm: LyricsModel):
    """(decoder, head function, the token ids of its logit columns) for a CPU-optimized model whose
    LM head is cpu_speed's DynamicInt8Head, else (None, None, None).

    The head is computed on the lyric vocabulary only (`TokenTables.lyric_ids`, 89k of Gemma's 262k
    tokens): a third of a step's time went to the head's 156k Latin-script rows, most of them
    tokens a lyric line never uses. The logits have a column per lyric token only (so sampling and
    the softmax work on 89k columns, not 262k), and a line's log-probabilities are the model's,
    renormalized over the tokens it may write. Its int8 rows are multiplied with bf16
    activations (`_weight_int8pack_mm`), not int8 ones (`_int_mm`): on this project's 2-core AVX2
    CPU that is 8x faster for 4 rows (29 ms against 236 ms; 28 ms against 61 ms for one row)."""
    from .cpu_speed import DynamicInt8Head

    head = lm.model.get_output_embeddings() if hasattr(lm.model, "get_output_embeddings") else None
    if not isinstance(head, DynamicInt8Head) or head.bias is not None \
            or getattr(lm.model.config, "final_logit_softcapping", None) is not None:
        return None, None, None
    if head not in _heads:
        wanted = torch.zeros(head.out_features, dtype=torch.bool)
        wanted[tables(lm.tokenizer).lyric_ids] = True
        rows = wanted[head.keep_ids].nonzero().flatten()  # positions in the head's own rows
        _heads[head] = (head.weight_int8[rows].contiguous(), head.scale[rows].to(torch.bfloat16), head.keep_ids[rows])
    weight, scale, ids = _heads[head]

    def apply(hidden: torch.Tensor) -> torch.Tensor:
        return torch._weight_int8pack_mm(hidden.to(torch.bfloat16), weight, scale).float()

    return lm.model.get_decoder(), apply, ids


class _Rows:
    """The rows of one line's batch: free rows being sampled, and forks waiting one step for their end."""

    def __init__(self, rows: int, prefix: str):
        self.start = len(prefix)  # `syl` counts what follows the forced prefix
        self.text = [prefix] * rows
        self.lp = [0.0] * rows
        self.n = [0] * rows
        self.syl = [0] * rows
        self.rhyme: list[str | None] = [None] * rows

    def free_rows(self) -> list[int]:
        return [r for r, word in enumerate(self.rhyme) if word is None]

    def fork_rows(self) -> list[int]:
        return [r for r, word in enumerate(self.rhyme) if word is not None]

    def extend(self, r: int, token: int, text: str, lp: float) -> None:
        self.text[r] += text
        self.lp[r] += lp
        self.n[r] += 1
        self.syl[r] = line_syllables(self.text[r][self.start:])

    def has_word(self, r: int, word: str) -> bool:
        return word in self.text[r].lower().split()

    def fork(self, r: int, token: int, text: str, lp: float, word: str):
        return (self.text[r] + text, self.lp[r] + lp, self.n[r] + 1, word)

    def reorder(self, keep: list[int], children: list[tuple]) -> None:
        rows = [(self.text[r], self.lp[r], self.n[r], self.syl[r], None) for r in keep]
        rows += [(text, lp, n, 0, word) for text, lp, n, word in children]
        self.text = [x[0] for x in rows]
        self.lp = [x[1] for x in rows]
        self.n = [x[2] for x in rows]
        self.syl = [x[3] for x in rows]
        self.rhyme = [x[4] for x in rows]
