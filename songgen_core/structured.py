"""Structured lyrics: a song written line by line to its genre's plan.

The plan (song_plan.py, config/songs.toml) gives the sections, their line
counts and rhyme schemes, and the syllables per line. The song:

- `[Verse 1]` and the user's opening line, as typed, show at once;
- every other line is chosen among candidates (line_writer.py) by `score_line`:
  fluency first (the model's mean token log-probability; candidates more than
  `FLUENCY_MARGIN` below the most fluent are not considered), then the rhyme
  with the line its scheme pairs it with (strict CMU rhyme, else slant), the
  syllables against the target, and penalties for an end word used before
  and for word pairs already used. A candidate is never kept when it holds
  markup or a stop marker, a clean-list word (clean lyrics), repeats or nearly
  repeats (lyric_metrics.near_duplicate) a line of the song or of the prompt's
  example songs, loops on a word, or ends on a word no line ends on ("the", "and");
- the chorus is written once, its first line opening with the title, and
  repeated word for word; each line is streamed as soon as it is chosen.

The result records the mode, the plan (with the schemes drawn) and each
line's score. Same seed, same song. Raises what `LineWriter` raises.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from .clean_words import blocked_words
from .line_writer import Candidate, LineWriter
from .loading import LyricsModel
from .lyric_metrics import line_markup, near_duplicate, words
from .prompts import few_shot_header, genre_examples, song_header
from .lyrics import Job
from .registry import Registry
from .rhyme import is_rhyme, is_slant_rhyme, last_word, line_syllables, rhymes_in
from .song_plan import SongPlan, rhyme_pairs, song_plan
from .token_tables import tables

FLUENCY_MARGIN = 0.7  # nats per token below the best candidate's fluency: not considered
STRICT_RHYME_BONUS = 1.2
SLANT_RHYME_BONUS = 0.35
END_EXPECTED, END_WEIGHT = -1.0, 0.25  # a break less likely than e^-1 after the last word costs 0.25 a nat
OPEN_BONUS = 0.08  # per doubling of the rhymes a group's first end word offers its partner
WRITER_NEAR_DUPLICATE = 0.5  # stricter than the metric's 0.6: a line sharing half its words with another is not kept
FIRST_LINE_ENOUGH = 2  # keepable candidates that end the first line's round (the person is waiting for it)
EXPLORE_ABOVE_TARGET = 2  # candidates longer than the target by more syllables are not written out (time)
RETRIES = 2  # more rounds of candidates when none can be kept (a line without a rhyme gets none: in
# 10 songs per genre a second round found a strict rhyme for 2 of 53 such lines, at a round's cost each)
# A line does not end on these: it would break off mid-phrase.
DANGLING = frozenset("""a an the and or but nor of to in on at by for from with into onto upon as than that
    which who whose whom if my your our their his its her i we they he she is are was were be been am
    very so just this these those some any every no not then""".split())


@dataclass
class SongState:
    plan: SongPlan
    title: str
    clean: bool
    target: int  # ideal syllables per line
    lines: list[str] = field(default_factory=list)  # every line written so far (repeats not doubled)
    outside_pairs: set[tuple[str, str]] = field(default_factory=set)  # word pairs of lines outside the chorus
    end_words: set[str] = field(default_factory=set)
    example_lines: list[str] = field(default_factory=list)
    example_grams: set[tuple[str, ...]] = field(default_factory=set)  # the example songs' 4-word runs
    rhyme_counts: object = None  # word -> how many words the writer could steer a rhyme to


def syllable_target(plan: SongPlan) -> int:
    """The ideal syllables per line: the middle of the plan's range, or fewer when the length's
    word range calls for shorter lines (1.3 syllables a word)."""
    lo, hi = plan.syllables
    total_lines = sum(s.lines for s in plan.sections)
    from_words = round(sum(plan.words) / 2 / max(1, total_lines) * 1.3)
    return max(lo, min(hi, (lo + hi) // 2, from_words))


def rejection(text: str, state: SongState) -> str | None:
    """Why a candidate line can never be kept, or None."""
    if not any(ch.isalpha() for ch in text):
        return "empty"
    if line_markup(text):
        return "markup"
    if state.clean and blocked_words(text):
        return "clean-list word"
    ws = words(text)
    if len(ws) < 3 and not (state.title and text.strip() == state.title):
        return "too short"
    if ws[-1] in DANGLING:
        return "dangling end"
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 6 and sum(ch.isupper() for ch in letters) > 0.6 * len(letters):
        return "shouting"
    counts = {w: ws.count(w) for w in ws if len(w) > 2}
    pairs = list(zip(ws, ws[1:]))
    if any(c >= 3 for c in counts.values()) or len(set(pairs)) < len(pairs):
        return "loop"
    for other in state.lines:
        if words(other) == ws or near_duplicate(text, other, WRITER_NEAR_DUPLICATE):
            return "repeats a line"
    grams = {tuple(ws[k : k + 4]) for k in range(len(ws) - 3)}
    if grams & state.example_grams:
        return "copies an example"
    for other in state.example_lines:
        if near_duplicate(text, other, WRITER_NEAR_DUPLICATE):
            return "copies an example"
    return None


def score_line(candidate: Candidate, state: SongState, partner: str | None, opens_group: bool) -> dict:
    """The parts of a candidate's score (see the module docstring); `total` is what is compared."""
    text = candidate.text
    end = last_word(text)
    syl = line_syllables(text)
    lo, hi = state.plan.syllables
    parts = {"fluency": candidate.fluency, "syllables": syl}
    outside = max(0, lo - syl, syl - hi)
    parts["syllable_penalty"] = -(0.08 * abs(syl - state.target) + 0.5 * outside)
    rhyme = None
    if partner:
        rhyme = "strict" if is_rhyme(partner, end) else "slant" if is_slant_rhyme(partner, end) else "none"
        parts["rhyme_bonus"] = {"strict": STRICT_RHYME_BONUS, "slant": SLANT_RHYME_BONUS, "none": 0.0}[rhyme]
    parts["rhyme"] = rhyme
    parts["end_reuse"] = -0.6 if end in state.end_words else 0.0
    # A line should sound finished: the model's own probability of a line break right there.
    parts["ending_penalty"] = END_WEIGHT * min(0.0, candidate.end_logprob - END_EXPECTED)
    ws = words(text)
    pairs = list(zip(ws, ws[1:]))
    used = sum(p in state.outside_pairs for p in pairs)
    parts["pair_reuse"] = -0.5 * used / max(1, len(pairs))
    parts["open_bonus"] = 0.0
    if opens_group and state.rhyme_counts is not None:  # a line whose end word a later line must rhyme with
        parts["open_bonus"] = OPEN_BONUS * min(6.0, math.log2(1 + state.rhyme_counts(end)))
    parts["total"] = candidate.fluency + sum(v for k, v in parts.items() if k.endswith(("_bonus", "_penalty", "_reuse")))
    return parts


def choose(candidates: list[Candidate], state: SongState, partner: str | None, opens_group: bool,
           rejected: dict | None = None):
    """The best keepable candidate and its score parts, or (None, None); counts the rejections by reason."""
    kept = []
    for c in candidates:
        reason = rejection(c.text, state)
        if reason is None:
            kept.append((c, score_line(c, state, partner, opens_group)))
        elif rejected is not None:
            rejected[reason] = rejected.get(reason, 0) + 1
    if not kept:
        return None, None
    best_fluency = max(c.fluency for c, _ in kept)
    fluent = [(c, s) for c, s in kept if c.fluency >= best_fluency - FLUENCY_MARGIN]
    return max(fluent, key=lambda cs: cs[1]["total"])


def prepare(lm: LyricsModel, genre: str) -> None:
    """Make the first structured song of `genre` on `lm` start at once: the tokenizer's tables,
    the pronouncing dictionary, and the genre's example songs read into the model's prefix cache."""
    from .rhyme import dictionary

    dictionary()
    tables(lm.tokenizer)
    if lm.few_shot:
        with lm.using():
            LineWriter(lm, 0).read_prefix(few_shot_header(genre, lm.prompt_examples(genre)))


class StructuredJob(Job):
    """One structured song (lyrics.Job's interface). It hands out whole lines only (WHOLE_LINES),
    so the lines shown before a stop are all kept."""

    WHOLE_LINES = True

    def __init__(self, request, registry: Registry | None, model: LyricsModel | None):
        super().__init__(request, registry, model)
        self.plan = song_plan(request.genre, request.length)
        self.resolved_plan = None  # the plan with its rhyme schemes drawn, once run
        self.line_scores: list[dict] = []

    def run(self, sink) -> None:
        request, lm = self.request, self.lm
        plan = self.resolved_plan = self.plan.resolve(random.Random(self.seed))
        state = SongState(plan, request.title, not request.explicit, syllable_target(plan))
        table = tables(lm.tokenizer)
        state.rhyme_counts = lambda word: len(rhymes_in(table.rhymes, word))
        shown = lm.prompt_examples(request.genre)  # the example songs that fit the model's context
        examples = genre_examples(request.genre)[:shown]
        state.example_lines = [line for _, _, lyrics in examples for line in lyrics.splitlines()
                               if line.strip() and not line.startswith("[")]
        state.example_grams = {tuple(ws[k : k + 4]) for ws in map(words, state.example_lines) for k in range(len(ws) - 3)}
        prefix = few_shot_header(request.genre, shown) if shown else ""
        first = plan.sections[0]
        prompt = prefix + song_header(request.artist or "Unknown Artist", request.title) + f"[{first.name}]\n"
        pieces: list[str] = []
        scores = self.line_scores
        started = time.perf_counter()
        timings = {"first_line_s": None, "first_token_s": None}

        def emit(piece: str) -> None:
            pieces.append(piece)
            if sink is not None:
                sink(piece)

        with lm.using():
            if self.cancelled.is_set():
                return
            self.started = time.perf_counter()
            writer = LineWriter(lm, self.seed, clean=state.clean, temperature=request.temperature,
                                top_k=request.top_k, top_p=request.top_p,
                                repetition_penalty=request.repetition_penalty, cancelled=self.cancelled)
            emit(f"[{first.name}]\n{request.opening_line}")
            writer.start(prompt, prefix)
            prompt_tokens = self.prompt_tokens = writer.context_tokens
            seen = len(f"[{first.name}]\n")  # how much of the lyrics the writer has read (the header is in the prompt)
            state.lines.append(request.opening_line)
            state.end_words.add(last_word(request.opening_line))
            state.outside_pairs.update(zip(words(request.opening_line), words(request.opening_line)[1:]))
            written: dict[int, list[str | None]] = {}
            ended_by = "plan"
            for i, section in enumerate(plan.sections):
                if i > 0:
                    header = f"\n\n[{section.name}]\n"
                    if section.repeat_of is not None:
                        emit(header + "\n".join(line for line in written[section.repeat_of] if line is not None))
                        continue
                    emit(header)
                lines = written.setdefault(i, [request.opening_line] if i == 0 else [])
                groups = section.groups()
                partner_of = {j: k for k, j in rhyme_pairs(groups)}
                opens = {k for k, _ in rhyme_pairs(groups)}
                for j in range(len(lines), section.lines):
                    so_far = "".join(pieces)
                    so_far += "" if so_far.endswith("\n") else "\n"
                    writer.commit(so_far[seen:])
                    seen = len(so_far)
                    partner = lines[partner_of[j]] if j in partner_of else None
                    partner = last_word(partner) if partner else None
                    title_line = section.chorus and j == 0 and i == plan.chorus_index()
                    hurry = timings["first_line_s"] is None  # the first line the person waits for
                    line, parts, chosen = self._line(writer, state, partner, j in opens, title_line, hurry)
                    if self.cancelled.is_set():
                        ended_by = "cancelled"
                        break
                    lines.append(line)
                    if line is None:  # nothing keepable after the retries: the section is a line short
                        scores.append({"section": section.name, "line": j, "text": None, "skipped": True, **(parts or {})})
                        continue
                    if timings["first_line_s"] is None:  # also first_token_s: the first text the model wrote
                        timings["first_line_s"] = timings["first_token_s"] = round(time.perf_counter() - started, 3)
                    state.lines.append(line)
                    state.end_words.add(last_word(line))
                    if not section.chorus:
                        state.outside_pairs.update(zip(words(line), words(line)[1:]))
                    scores.append({"section": section.name, "line": j, "text": line, **parts})
                    emit(line if "".join(pieces).endswith("\n") else "\n" + line)
                    if chosen is not None and writer.commit_line(chosen):
                        seen = len("".join(pieces))  # the writer holds the line; its break comes with the next commit
                if ended_by == "cancelled":
                    break
        elapsed = time.perf_counter() - started
        text = "".join(pieces)
        self.result = self._result(text, ended_by, plan, scores, prompt_tokens, writer,
                                   {**timings, "generate_s": round(elapsed, 3), "model_load_s": round(lm.load_seconds, 3),
                                    "forward_calls": writer.forward_calls})

    def _line(self, writer: LineWriter, state: SongState, partner: str | None, opens_group: bool, title_line: bool,
              hurry: bool = False):
        """Choose one line: (text, score parts, the candidate chosen or None). Candidates, then the best
        keepable one (a few more rounds if none). In a `hurry` (the song's first written line), a round
        ends once FIRST_LINE_ENOUGH are keepable."""
        lo, hi = state.plan.syllables
        hi = min(hi, state.target + EXPLORE_ABOVE_TARGET)
        prefix = state.title if title_line else ""  # the chorus opens with the title; the model goes on from it
        if prefix and line_syllables(prefix) >= hi:  # a long title is the whole line
            return state.title, {"fluency": None, "syllables": line_syllables(prefix), "rhyme": None, "title": True}, None
        if prefix:  # the title may stand nearly alone: a short first chorus line is fine
            lo = min(lo, line_syllables(prefix) + 2)
        rhymes = self._rhyme_targets(writer, state, partner)
        rejected: dict[str, int] = {}
        count = 0
        pool: list = []
        enough = (lambda found: sum(rejection(c.text, state) is None for c in found) >= FIRST_LINE_ENOUGH) \
            if hurry else None
        for attempt in range(1 + RETRIES):
            found = writer.candidates(lo, hi, rhymes=rhymes, prefix=prefix, enough=enough)
            count += len(found)
            if self.cancelled.is_set():
                return None, None, None
            pool += found
            found = pool
            rejected = {}  # counted over the whole pool of this line's candidates
            best, parts = choose(found, state, partner, opens_group, rejected)
            if best is not None:
                parts = {**parts, "steered": best.rhyme_word is not None, "candidates": count,
                         "forks": sum(c.rhyme_word is not None for c in found), "rejected": rejected, "round": attempt + 1}
                if partner and parts["rhyme"] != "strict":  # why no rhyme: the best rhyming candidate, if any
                    rhymed = [c for c in found if is_rhyme(partner, last_word(c.text))]
                    if rhymed:
                        top = max(rhymed, key=lambda c: c.fluency)
                        parts["best_rhyme"] = {"text": top.text, "fluency": round(top.fluency, 3),
                                               "ending": round(top.end_logprob, 3), "rejected": rejection(top.text, state)}
                return best.text.strip(), parts, best
        if prefix:  # the title stays in the chorus, alone on its line if need be
            return state.title, {"fluency": None, "syllables": line_syllables(prefix), "rhyme": None, "title": True,
                                 "rejected": rejected, "candidates": count}, None
        return None, {"rejected": rejected, "candidates": count}, None

    @staticmethod
    def _rhyme_targets(writer: LineWriter, state: SongState, partner: str | None) -> dict[str, int] | None:
        if not partner:
            return None
        table = writer.tables
        found = {w for w in rhymes_in(table.rhymes, partner) if w not in DANGLING and w not in state.end_words
                 and not (state.clean and blocked_words(w))}
        return {w: table.words[w] for w in sorted(found)} or None

    def _result(self, text, ended_by, plan, scores, prompt_tokens, writer, timings):
        from .lyrics import LyricsResult

        lm = self.lm
        new_tokens = len(lm.tokenizer(text, add_special_tokens=False)["input_ids"])
        return LyricsResult(
            text=text, request=self.request, seed=self.seed, model_source=str(lm.source),
            model_description=lm.description, few_shot=lm.few_shot, ended_by=ended_by,
            prompt_tokens=prompt_tokens, new_tokens=new_tokens, timings=timings,
            mode="structured", plan=plan.to_dict(), line_scores=scores, examples=lm.prompt_examples(self.request.genre),
        )
