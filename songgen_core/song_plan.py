"""Song plans: the sections, line counts and rhyme schemes of a structured song, per genre.

Read from `config/songs.toml` (or the file named by `SONGGEN_SONGS_CONFIG`); the
file's own comments describe the format. A genre without a plan gets `_default`.

    plan = song_plan("rock", "standard")          # a SongPlan, every scheme option kept
    chosen = plan.resolve(random.Random(seed))    # one rhyme scheme per section
    for section in chosen.sections: section.name, section.lines, section.groups()

A section whose name was used before repeats that section word for word
(`repeat_of` is its index). `rhyme_pairs` gives the pairs of lines a scheme
makes rhyme: each line with the next line of its letter (ABAB: 1-3, 2-4).

Errors: a malformed file raises `SongPlanError` (a `ConfigError`) whose message
names the file, the genre and the field (`.genre`, `.field`).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import paths
from .errors import ConfigError
from .files import read_toml

LENGTHS = ("short", "standard", "long")
RHYME_LETTERS = "ABCDEFGH"  # rhyme groups; "X" is a line that rhymes with nothing
FREE_LETTER = "X"
CHORUS_NAMES = ("chorus", "hook", "refrain")
_SECTION_KEYS = {"name", "lines", "rhyme", "chorus", "lengths"}
_MAX_LINES, _MAX_SYLLABLES = 32, 40


class SongPlanError(ConfigError):
    """The song plan file is malformed; `genre` and `field` say where."""

    def __init__(self, path: Path | str, genre: str, field: str, message: str):
        super().__init__(f"{path}: genre {genre!r}: {field}: {message}")
        self.genre, self.field, self.message = genre, field, message


@dataclass(frozen=True)
class Section:
    name: str
    lines: int
    rhyme: tuple[str, ...]  # the scheme options; one after `SongPlan.resolve`
    chorus: bool = False
    repeat_of: int | None = None  # index of the section this one repeats word for word

    def groups(self) -> tuple[int | None, ...]:
        """The first scheme over every line: a rhyme group number per line, None for a free line.

        A scheme shorter than the section repeats with fresh groups ("AABB" over 8 lines: 0 0 1 1 2 2 3 3)."""
        scheme = self.rhyme[0] if self.rhyme else FREE_LETTER * self.lines
        groups: list[int | None] = []
        for start in range(0, self.lines, len(scheme)):
            offset = start // len(scheme) * len(RHYME_LETTERS)
            groups.extend(None if ch == FREE_LETTER else offset + RHYME_LETTERS.index(ch) for ch in scheme)
        return tuple(groups[: self.lines])


@dataclass(frozen=True)
class SongPlan:
    genre: str
    length: str
    sections: tuple[Section, ...]
    syllables: tuple[int, int]  # target syllables per line, min and max
    words: tuple[int, int]  # the length's word range

    def resolve(self, rng: random.Random) -> "SongPlan":
        """The same plan with one rhyme scheme drawn (by `rng`) for each section that offers several."""
        return replace(self, sections=tuple(
            replace(s, rhyme=(rng.choice(s.rhyme),)) if len(s.rhyme) > 1 else s for s in self.sections))

    def chorus_index(self) -> int | None:
        """The index of the first chorus section (the one that carries the title), if any."""
        return next((i for i, s in enumerate(self.sections) if s.chorus and s.repeat_of is None), None)

    def written_lines(self) -> int:
        """How many lines are written (repeats are copied, not written)."""
        return sum(s.lines for s in self.sections if s.repeat_of is None)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["sections"] = [{**asdict(s), "rhyme": list(s.rhyme)} for s in self.sections]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "SongPlan":
        """The plan `to_dict` wrote. Raises `KeyError`/`TypeError` on other data."""
        sections = tuple(Section(s["name"], int(s["lines"]), tuple(s["rhyme"]), bool(s["chorus"]), s["repeat_of"])
                         for s in data["sections"])
        return cls(data["genre"], data["length"], sections, tuple(data["syllables"]), tuple(data["words"]))


def rhyme_pairs(groups: tuple[int | None, ...]) -> list[tuple[int, int]]:
    """(i, j) for each line j that must rhyme with the line i before it of its group (i the group's previous line)."""
    last: dict[int, int] = {}
    pairs = []
    for j, group in enumerate(groups):
        if group is None:
            continue
        if group in last:
            pairs.append((last[group], j))
        last[group] = j
    return pairs


_cache: dict[str, tuple[float, dict]] = {}
_cache_lock = threading.Lock()


def song_plan(genre: str, length: str = "standard", path: str | Path | None = None) -> SongPlan:
    """The plan of `genre` (or `_default`) at `length`. Raises `SongPlanError`, or
    `ConfigError` for an unknown length or a missing file."""
    if length not in LENGTHS:
        raise ConfigError(f"unknown song length {length!r}; choose one of: {', '.join(LENGTHS)}")
    plans = load_song_plans(path)
    key = genre if genre in plans else "_default"
    if key not in plans:
        raise ConfigError(f"{_path(path)}: no plan for genre {genre!r} and no [genres._default]")
    return plans[key][length]


def load_song_plans(path: str | Path | None = None) -> dict[str, dict[str, SongPlan]]:
    """genre -> length -> plan, for every genre of the file (read again when it changes).

    Raises `ConfigError` when the file is missing or not TOML, `SongPlanError` when a plan is malformed."""
    file = _path(path)
    try:
        mtime = file.stat().st_mtime_ns
    except OSError:
        raise ConfigError(f"song plan file not found: {file}") from None
    with _cache_lock:
        cached = _cache.get(str(file))
        if cached is not None and cached[0] == mtime:
            return cached[1]
    data = read_toml(file, "song plan")
    plans = parse_song_plans(data, file)
    with _cache_lock:
        _cache[str(file)] = (mtime, plans)
    return plans


def parse_song_plans(data: dict, path: str | Path = "songs.toml") -> dict[str, dict[str, SongPlan]]:
    """Check and build the plans from the file's parsed TOML. Raises `SongPlanError`."""
    lengths = _lengths(data.get("lengths", {}), path)
    genres = data.get("genres")
    if not isinstance(genres, dict) or not genres:
        raise ConfigError(f"{path}: the file needs at least one [genres.NAME] table")
    return {str(g).lower(): _genre_plans(str(g).lower(), spec, lengths, path) for g, spec in genres.items()}


def _lengths(spec, path) -> dict[str, tuple[int, int]]:
    defaults = {"short": (80, 150), "standard": (150, 250), "long": (250, 380)}
    if not isinstance(spec, dict) or set(spec) - set(LENGTHS):
        raise SongPlanError(path, "*", "lengths", f"must be a table of {', '.join(LENGTHS)}")
    out = dict(defaults)
    for name, entry in spec.items():
        words = entry.get("words") if isinstance(entry, dict) else None
        out[name] = _range(words, path, "*", f"lengths.{name}.words", 1, 5000)
    return out


def _genre_plans(genre: str, spec, lengths: dict, path) -> dict[str, SongPlan]:
    if not isinstance(spec, dict):
        raise SongPlanError(path, genre, "genre", "must be a table with syllables and sections")
    unknown = set(spec) - {"syllables", "sections"}
    if unknown:
        raise SongPlanError(path, genre, sorted(unknown)[0], "is not a plan field (syllables, sections)")
    syllables = _range(spec.get("syllables"), path, genre, "syllables", 1, _MAX_SYLLABLES)
    sections = spec.get("sections")
    if not isinstance(sections, list) or not sections:
        raise SongPlanError(path, genre, "sections", "a plan needs at least one section")
    parsed = [_section(genre, i, s, path) for i, s in enumerate(sections)]
    plans = {}
    for length in LENGTHS:
        kept = [(s, only) for s, only in parsed if length in only]
        if not kept:
            raise SongPlanError(path, genre, "sections", f"no section is kept for the {length} length")
        plans[length] = SongPlan(genre, length, _link_repeats(genre, [s for s, _ in kept], length, path),
                                 syllables, lengths[length])
    return plans


def _section(genre: str, i: int, spec, path) -> tuple[Section, tuple[str, ...]]:
    if not isinstance(spec, dict):
        raise SongPlanError(path, genre, f"sections[{i}]", "must be a table such as { name = \"Verse 1\", lines = 4 }")
    name = spec.get("name")
    where = f"sections[{i}]" + (f" ({name})" if isinstance(name, str) else "")
    unknown = set(spec) - _SECTION_KEYS
    if unknown:
        raise SongPlanError(path, genre, f"{where}.{sorted(unknown)[0]}", f"is not a section field ({', '.join(sorted(_SECTION_KEYS))})")
    if not isinstance(name, str) or not name.strip() or len(name) > 40 or any(c in name for c in "[]\n"):
        raise SongPlanError(path, genre, f"{where}.name", "must be a short name without brackets, such as \"Verse 1\"")
    lines = spec.get("lines")
    if lines is not None and (isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= _MAX_LINES):
        raise SongPlanError(path, genre, f"{where}.lines", f"must be a whole number from 1 to {_MAX_LINES}, not {lines!r}")
    rhyme = spec.get("rhyme")
    schemes = (rhyme,) if isinstance(rhyme, str) else tuple(rhyme) if isinstance(rhyme, list) else None
    if rhyme is not None:
        if not schemes or not all(isinstance(s, str) and s for s in schemes):
            raise SongPlanError(path, genre, f"{where}.rhyme", "must be a scheme such as \"ABAB\" or a list of schemes")
        for scheme in schemes:
            bad = [ch for ch in scheme if ch not in RHYME_LETTERS + FREE_LETTER]
            if bad:
                raise SongPlanError(path, genre, f"{where}.rhyme",
                                    f"unknown rhyme scheme letter {bad[0]!r} in {scheme!r}; use {RHYME_LETTERS[0]}-{RHYME_LETTERS[-1]} "
                                    f"for rhyme groups and {FREE_LETTER} for a free line")
            if lines is not None and lines % len(scheme):
                raise SongPlanError(path, genre, f"{where}.rhyme",
                                    f"scheme {scheme!r} ({len(scheme)} letters) does not divide the section's {lines} lines")
    chorus = spec.get("chorus", name.strip().lower().split()[0] in CHORUS_NAMES)
    if not isinstance(chorus, bool):
        raise SongPlanError(path, genre, f"{where}.chorus", "must be true or false")
    only = spec.get("lengths", list(LENGTHS))
    if not isinstance(only, list) or not only or any(x not in LENGTHS for x in only):
        raise SongPlanError(path, genre, f"{where}.lengths", f"must be a list drawn from {', '.join(LENGTHS)}")
    section = Section(name.strip(), lines or 0, schemes or (), chorus)
    return section, tuple(only)


def _link_repeats(genre: str, sections: list[Section], length: str, path) -> tuple[Section, ...]:
    first: dict[str, int] = {}
    out = []
    for i, s in enumerate(sections):
        key = s.name.lower()
        if key in first:
            if s.lines or s.rhyme:
                raise SongPlanError(path, genre, f"sections ({s.name})",
                                    "repeats an earlier section of that name, so it takes no lines or rhyme of its own")
            original = out[first[key]]
            out.append(replace(original, repeat_of=first[key]))
            continue
        if not s.lines:
            raise SongPlanError(path, genre, f"sections ({s.name}).lines",
                                f"missing: the first {s.name} of the {length} song needs a line count of at least 1")
        first[key] = i
        out.append(s)
    return tuple(out)


def _range(value, path, genre: str, field: str, low: int, high: int) -> tuple[int, int]:
    if (not isinstance(value, list) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in value)):
        raise SongPlanError(path, genre, field, f"must be [min, max], two whole numbers, not {value!r}")
    lo, hi = value
    if lo > hi:
        raise SongPlanError(path, genre, field, f"min {lo} is greater than max {hi}")
    if lo < low or hi > high:
        raise SongPlanError(path, genre, field, f"must lie from {low} to {high}, not [{lo}, {hi}]")
    return lo, hi


def _path(path) -> Path:
    return Path(path) if path else paths.songs_config_path()
