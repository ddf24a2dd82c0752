"""Lyric metrics: pure functions on the lyrics text (and the song plan where one is needed).

    lyric_metrics(text, title="Highway Static", plan=plan)   # every figure below, as a dict

- rhyme rate over the scheme's pairs (`rhyme_rate`): the plan's pairs of lines
  (ABAB: 1-3 and 2-4) in each written section (a repeated chorus counts once);
  strict CMU rhymes, and slant rhymes (same last stressed vowel) reported beside.
  Without a plan (free lyrics), each stanza is read in groups of four lines as
  AABB or ABAB, whichever rhymes more ("adjacent or alternate line ends").
- repeated lines outside the chorus (`repeated_lines`): exact, and near
  duplicates (`near_duplicate`: word-set overlap, intersection over union, >= 0.6).
- distinct-2 (`distinct_2`): distinct word pairs over all word pairs, within
  the lines outside the chorus.
- syllables per line (mean, spread), words, title present and title in the
  chorus, the sections present and whether the song has Verse/Chorus/Verse/Chorus
  with every chorus word for word the same (`structure_ok`).
- markup or stop-marker text (`markup_found`, also per line: `line_markup`) and
  clean-list words (`clean_words.blocked_words`).

A chorus is a section whose header says Chorus, Hook or Refrain (or that the
plan marks as one), or, in lyrics without headers, a stanza of two or more
lines that appears more than once. Nothing here raises on any text.
"""

from __future__ import annotations

import re
import statistics

from .clean_words import blocked_words
from .prompts import STOP_MARKERS
from .rhyme import is_rhyme, is_slant_rhyme, last_word, line_syllables
from .song_plan import CHORUS_NAMES, SongPlan, rhyme_pairs

NEAR_DUPLICATE = 0.6
_HEADER = re.compile(r"^\[([A-Za-z][A-Za-z0-9 '\-]{0,38})\]$")
_SECTION_WORDS = ("verse", "chorus", "pre-chorus", "prechorus", "hook", "bridge", "refrain", "intro", "outro",
                  "interlude", "breakdown", "post-chorus", "tag")
_MARKUP = re.compile(
    r"<|>|\||\[|\]|\{|\}|\\|https?:|www\.|\.com\b|\.org\b|\.net\b|@\w|#\w|\b(?:i\.e|e\.g|etc)\.",
    re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def words(text: str) -> list[str]:
    """Lower-case words, apostrophes inside words kept ("don't")."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def is_header(line: str) -> bool:
    """A section header line such as "[Verse 1]", "[Chorus]" or "[Pre-Chorus]"."""
    found = _HEADER.match(line.strip())
    return bool(found) and found.group(1).strip().lower().split()[0] in _SECTION_WORDS


def sections(text: str) -> list[tuple[str | None, list[str]]]:
    """(header name or None, sung lines) per section: a header starts one, and so does a
    blank line (a stanza without a header of its own gets None)."""
    out: list[tuple[str | None, list[str]]] = []
    current: tuple[str | None, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if is_header(line):
            current = (line[1:-1].strip(), [])
            out.append(current)
        elif not line:
            if current is not None and current[1]:
                current = None
        else:
            if current is None:
                current = (None, [])
                out.append(current)
            current[1].append(line)
    return [s for s in out if s[1] or s[0]]


def sung_lines(text: str) -> list[str]:
    """Every line that is sung: not blank, not a section header."""
    return [line for _, lines in sections(text) for line in lines]


def _is_chorus_name(name: str | None, plan: SongPlan | None) -> bool:
    if name is None:
        return False
    if plan is not None:
        for s in plan.sections:
            if s.name.lower() == name.lower():
                return s.chorus
    return name.lower().split()[0] in CHORUS_NAMES


def chorus_flags(text: str, plan: SongPlan | None = None) -> list[bool]:
    """Per section of `sections(text)`: whether it is a chorus."""
    found = sections(text)
    counts: dict[tuple[str, ...], int] = {}
    for _, lines in found:
        counts[tuple(_norm(x) for x in lines)] = counts.get(tuple(_norm(x) for x in lines), 0) + 1
    return [_is_chorus_name(name, plan) or (name is None and len(lines) >= 2 and counts[tuple(_norm(x) for x in lines)] > 1)
            for name, lines in found]


def lines_outside_chorus(text: str, plan: SongPlan | None = None) -> list[str]:
    return [line for (_, lines), chorus in zip(sections(text), chorus_flags(text, plan)) if not chorus for line in lines]


def _norm(line: str) -> str:
    return " ".join(words(line))


def near_duplicate(a: str, b: str, threshold: float = NEAR_DUPLICATE) -> bool:
    """Two lines whose word sets overlap by `threshold` or more (intersection over union)."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold


def repeated_lines(text: str, plan: SongPlan | None = None) -> dict:
    """Lines outside the chorus that repeat an earlier line, or any chorus line:
    {"exact": n, "near": n (near duplicates that are not exact), "lines": [...]}."""
    found, flags = sections(text), chorus_flags(text, plan)
    chorus = [line for (_, lines), c in zip(found, flags) if c for line in lines]
    seen: list[str] = []
    exact = near = 0
    repeated = []
    for (_, lines), is_chorus in zip(found, flags):
        if is_chorus:
            continue
        for line in lines:
            others = seen + chorus
            if any(_norm(line) == _norm(o) for o in others):
                exact += 1
                repeated.append(line)
            elif any(near_duplicate(line, o) for o in others):
                near += 1
                repeated.append(line)
            seen.append(line)
    return {"exact": exact, "near": near, "lines": repeated}


def distinct_2(lines: list[str]) -> float:
    """Distinct word pairs (within lines) over all word pairs; 1.0 when there are none."""
    pairs = [tuple(ws[i : i + 2]) for ws in (words(x) for x in lines) for i in range(len(ws) - 1)]
    return len(set(pairs)) / len(pairs) if pairs else 1.0


def rhyme_rate(text: str, plan: SongPlan | None = None) -> dict:
    """{"pairs", "strict", "slant", "rate", "slant_rate"} over the scheme's pairs (see the module docstring)."""
    pairs = _plan_pairs(text, plan) if plan is not None else _free_pairs(text)
    strict = sum(is_rhyme(a, b) for a, b in pairs)
    slant = sum(is_slant_rhyme(a, b) for a, b in pairs)
    n = len(pairs)
    return {"pairs": n, "strict": strict, "slant": slant,
            "rate": strict / n if n else 0.0, "slant_rate": slant / n if n else 0.0}


def _plan_pairs(text: str, plan: SongPlan) -> list[tuple[str, str]]:
    by_name = {s.name.lower(): s for s in plan.sections if s.repeat_of is None}
    done: set[str] = set()
    out = []
    for name, lines in sections(text):
        section = by_name.get((name or "").lower())
        if section is None or section.name.lower() in done:
            continue
        done.add(section.name.lower())
        for i, j in rhyme_pairs(section.groups()):
            if j < len(lines):
                out.append((last_word(lines[i]), last_word(lines[j])))
    return out


def _free_pairs(text: str) -> list[tuple[str, str]]:
    out = []
    seen_chorus: set[tuple[str, ...]] = set()
    for (_, lines), chorus in zip(sections(text), chorus_flags(text)):
        key = tuple(_norm(x) for x in lines)
        if chorus and key in seen_chorus:
            continue
        seen_chorus.add(key)
        ends = [last_word(x) for x in lines]
        for start in range(0, len(ends), 4):
            group = ends[start : start + 4]
            options = [[(0, 1), (2, 3)], [(0, 2), (1, 3)]] if len(group) == 4 else [[(0, 1)], [(0, 2), (1, 2)]]
            best = max(([(group[i], group[j]) for i, j in o if j < len(group)] for o in options),
                       key=lambda ps: (sum(is_rhyme(a, b) for a, b in ps), len(ps)))
            out.extend(best)
    return out


def line_markup(line: str) -> list[str]:
    """Markup or stop-marker text in one line: tags, brackets, pipes, URLs, "(i.e.)" and the like."""
    found = [m for m in STOP_MARKERS if m in line]
    found += [m.group() for m in _MARKUP.finditer(line)]
    return found


def markup_found(text: str) -> list[str]:
    """Markup in the sung lines (section headers are not markup), and any stop marker anywhere."""
    found = [m for m in STOP_MARKERS if m in text]
    for line in sung_lines(text):
        found += [m for m in line_markup(line) if m not in found]
    return found


def title_in(lines: list[str], title: str) -> bool:
    """Whether the title's words appear, in order and together, in one of `lines`."""
    key = _norm(title)
    return bool(key) and any(f" {key} " in f" {_norm(line)} " for line in lines)


def structure_ok(text: str, plan: SongPlan | None = None) -> bool:
    """At least Verse, Chorus, Verse, Chorus in that order, with every chorus the same lines word for word."""
    found, flags = sections(text), chorus_flags(text, plan)
    choruses = {tuple(lines) for (_, lines), c in zip(found, flags) if c}
    kinds = ["C" if c else "V" if name and name.lower().startswith("verse") else "O" for (name, _), c in zip(found, flags)]
    return len(choruses) == 1 and bool(re.search("V.*C.*V.*C", "".join(kinds)))


def lyric_metrics(text: str, title: str | None = None, plan: SongPlan | None = None) -> dict:
    """Every metric of the module docstring for one song."""
    lines = sung_lines(text)
    outside = lines_outside_chorus(text, plan)
    found, flags = sections(text), chorus_flags(text, plan)
    chorus = [line for (_, ls), c in zip(found, flags) if c for line in ls]
    syl = [line_syllables(x) for x in lines]
    return {
        "rhyme": rhyme_rate(text, plan),
        "repeated": repeated_lines(text, plan),
        "distinct_2": distinct_2(outside),
        "syllables_mean": statistics.mean(syl) if syl else 0.0,
        "syllables_spread": statistics.pstdev(syl) if syl else 0.0,
        "lines": len(lines),
        "words": sum(len(words(x)) for x in lines),
        "title_present": title_in(lines, title) if title else None,
        "title_in_chorus": title_in(chorus, title) if title else None,
        "sections": [name for name, _ in found if name],
        "structure_ok": structure_ok(text, plan),
        "markup": markup_found(text),
        "clean_list_words": blocked_words(text),
    }


# The figures a page lists and correlates with ratings, by the name a person reads.
SCORES = {
    "rhyme rate": lambda m: m["rhyme"]["rate"],
    "slant rhyme rate": lambda m: m["rhyme"]["slant_rate"],
    "repeated lines": lambda m: m["repeated"]["exact"] + m["repeated"]["near"],
    "distinct-2": lambda m: m["distinct_2"],
    "words": lambda m: m["words"],
    "syllables per line": lambda m: m["syllables_mean"],
    "title in chorus": lambda m: float(bool(m["title_in_chorus"])),
    "verse/chorus form": lambda m: float(bool(m["structure_ok"])),
}


def metric_scores(metrics: dict) -> dict[str, float]:
    """`SCORES` of one song's metrics (as `lyric_metrics` returns them); {} for none or an older
    layout."""
    try:
        return {name: float(get(metrics)) for name, get in SCORES.items()}
    except (KeyError, TypeError, ValueError):
        return {}


def summary(metrics: dict) -> str:
    """One line for a person: rhyme rate, words, repeats, the form."""
    scores = metric_scores(metrics)
    if not scores:
        return ""
    form = "verses and a repeated chorus" if scores["verse/chorus form"] else "no verse/chorus form"
    title = ", title in the chorus" if scores["title in chorus"] else ""
    return (f"rhyme rate {scores['rhyme rate']:.2f} (slant {scores['slant rhyme rate']:.2f}) · {int(scores['words'])} words"
            f" · {int(scores['repeated lines'])} repeated lines · distinct-2 {scores['distinct-2']:.2f} · {form}{title}")
