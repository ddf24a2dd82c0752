"""Streaming reader, validation, cleaning, splitting and formatting of a Genius lyrics CSV.

The dataset (`sebastiandizon/genius-song-lyrics`, 9 GB) is read in chunks of
`chunksize` rows with `pandas.read_csv(..., chunksize=...)`; no step holds the
whole file. The one thing that grows with the data is the de-duplication set:
an 8-byte hash per kept song (about 60 bytes each in a Python set, some 200 MB
for the 3 million English songs of rock, pop and rap).

Cleaning, in order (the counts of each drop are in `Cleaner.counts`):
  1. language: `language == "en"` (the original design); with `strict_language`
     `language_cld3` and `language_ft` must say "en" too;
  2. genre: `tag` in the chosen genres;
  3. lyrics: section headers normalised (`[Chorus: Artist & Guest]` -> `[Chorus]`),
     spaces trimmed, runs of blank lines collapsed; songs left empty (or only
     headers) and Genius's placeholder texts are dropped;
  4. duplicates: the first song with the same normalised lyrics (headers, case,
     punctuation and spacing ignored) is kept, in file order.
Split: a song is in the test set when a seeded hash of its id falls in the
lowest `test_fraction` (10%); stable across runs and machines, and independent
of the file's order, so no test song is ever in the train set.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from songgen_core.errors import SongGenError
from songgen_core.files import replace_folder
from songgen_core.prompts import format_song

COLUMNS = ("title", "tag", "artist", "year", "views", "features", "lyrics", "id", "language_cld3", "language_ft", "language")
TAGS = ("pop", "rap", "rock", "rb", "misc", "country")
DEFAULT_GENRES = ("rock", "pop", "rap")  # the original design's choice
INTEGER_COLUMNS = ("year", "views", "id")
SAMPLE_PATH = Path(__file__).resolve().parent / "sample" / "genius_sample.csv"
DEFAULT_CHUNKSIZE = 20_000


class DatasetError(SongGenError):
    """A dataset file is missing, has the wrong columns or types, or leaves a genre without songs."""


@dataclass(frozen=True)
class CleaningOptions:
    genres: tuple[str, ...] = DEFAULT_GENRES
    strict_language: bool = False
    language: str = "en"
    seed: int = 42
    test_fraction: float = 0.1

    def __post_init__(self):
        genres = (self.genres,) if isinstance(self.genres, str) else tuple(self.genres)
        object.__setattr__(self, "genres", genres)
        unknown = [g for g in genres if g not in TAGS]
        if unknown or not genres:
            raise DatasetError(f"unknown genre(s) {', '.join(map(repr, unknown)) or '(none chosen)'}; the Genius tags are: {', '.join(TAGS)}")
        if not 0.0 < self.test_fraction < 1.0:
            raise DatasetError(f"test_fraction must be between 0 and 1, not {self.test_fraction}")

    def as_dict(self) -> dict:
        return {**asdict(self), "genres": list(self.genres)}


# ---------------------------------------------------------------------------------------------- reading


def read_header(path) -> list[str]:
    """The CSV's column names, checked against the Genius schema (missing, extra, repeated)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"no dataset file at {path}")
    with open(path, newline="", encoding="utf-8") as f:
        try:
            header = next(csv.reader(f))
        except StopIteration:
            raise DatasetError(f"{path.name} is empty: expected a header with the columns {', '.join(COLUMNS)}") from None
        except (csv.Error, UnicodeDecodeError) as e:
            raise DatasetError(f"{path.name} is not a readable CSV file: {e}") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    problems = []
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s): {', '.join(extra)}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise DatasetError(f"{path.name} is not in the Genius schema: {'; '.join(problems)} (expected exactly: {', '.join(COLUMNS)})")
    return header


def iter_chunks(path, chunksize: int = DEFAULT_CHUNKSIZE) -> Iterator[pd.DataFrame]:
    """Validated chunks of the CSV: text columns as str ("" when missing), year/views/id as int64.

    Raises `DatasetError` naming the column, the data row (1-based, header excluded)
    and the value when a year, views or id is not a whole number, an id is missing,
    or a tag is not one of the six Genius tags.
    """
    read_header(path)
    first_row = 1
    try:
        reader = pd.read_csv(path, chunksize=chunksize, dtype=str, keep_default_na=False, encoding="utf-8")
        for chunk in reader:
            chunk = chunk[list(COLUMNS)]
            chunk.index = range(first_row, first_row + len(chunk))
            for column in INTEGER_COLUMNS:
                chunk[column] = _integers(chunk[column], column, required=(column == "id"))
            bad_tag = ~chunk["tag"].isin(TAGS)
            if bad_tag.any():
                row = bad_tag.idxmax()
                raise DatasetError(f"column 'tag' holds {chunk.at[row, 'tag']!r} in data row {row}; the Genius tags are: {', '.join(TAGS)}")
            first_row += len(chunk)
            yield chunk
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DatasetError(f"{Path(path).name} could not be parsed as CSV near data row {first_row}: {e}") from None


def _integers(values: pd.Series, column: str, required: bool) -> pd.Series:
    text = values.str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    empty = text == ""
    bad = (numbers.isna() & ~empty) | (numbers.notna() & (numbers != numbers.round()))
    if required:
        bad |= empty
    if bad.any():
        row = bad.idxmax()
        raise DatasetError(f"column {column!r} must hold whole numbers; data row {row} has {values.at[row]!r}")
    # Missing years/views (allowed, though the real dataset has none) become -1.
    return numbers.fillna(-1).astype("int64")


# ---------------------------------------------------------------------------------------------- cleaning

_HEADER = re.compile(r"^[ \t]*\[([^\]\[:\n]*?)[ \t]*(?::[^\]\n]*)?\][ \t]*$", re.MULTILINE)
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
_HEADER_LINE = re.compile(r"^\[[^\]\n]*\]$")
_PLACEHOLDERS = (
    "lyrics for this song have yet to be released",
    "lyrics for this song have yet to be transcribed",
    "lyrics will be available",
    "this song is an instrumental",
    "we don't have the lyrics",
)
_WORDLESS = re.compile(r"[\W_]+")


def normalise_headers(lyrics: str) -> str:
    """`[Chorus: Artist & Guest]` -> `[Chorus]`, `[ verse  2 ]` -> `[Verse 2]`; other lines unchanged.

    Only whole lines in brackets are headers. It also means no lyric line can start
    with the prompt format's own `[Artist: ` / `[Song: ` tags.
    """

    def header(m: re.Match) -> str:
        name = " ".join(m.group(1).split())
        return f"[{name[:1].upper()}{name[1:]}]" if name else ""

    return _HEADER.sub(header, lyrics)


def clean_lyrics(lyrics: str) -> str:
    """Lyrics with normalised headers, no trailing spaces, at most one blank line in a row."""
    text = lyrics.replace("\r\n", "\n").replace("\r", "\n")
    text = normalise_headers(text)
    text = _TRAILING_SPACE.sub("", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def lyric_lines(cleaned: str) -> list[str]:
    """The sung lines: not blank, not a section header."""
    return [line for line in cleaned.split("\n") if line.strip() and not _HEADER_LINE.match(line.strip())]


def problem_of(cleaned: str) -> str | None:
    """"empty" (nothing but headers or space), "placeholder" (Genius's stand-in text) or None."""
    lines = lyric_lines(cleaned)
    if not lines:
        return "empty"
    start = " ".join(lines[:2]).lower()
    if any(start.startswith(p) for p in _PLACEHOLDERS):
        return "placeholder"
    return None


def lyrics_key(cleaned: str) -> int:
    """An 8-byte hash of the lyrics with headers, case, punctuation and spacing ignored."""
    words = _WORDLESS.sub(" ", " ".join(lyric_lines(cleaned)).lower()).split()
    return int.from_bytes(hashlib.blake2b(" ".join(words).encode(), digest_size=8).digest(), "big")


def split_of(song_id: int, seed: int = 42, test_fraction: float = 0.1) -> str:
    """"test" or "train", from a seeded hash of the song id alone."""
    digest = hashlib.blake2b(f"{seed}:{int(song_id)}".encode(), digest_size=8).digest()
    return "test" if int.from_bytes(digest, "big") / 2**64 < test_fraction else "train"


@dataclass
class Song:
    id: int
    title: str
    artist: str
    tag: str
    year: int
    views: int
    lyrics: str  # cleaned
    split: str

    @property
    def text(self) -> str:
        """The song in the prompt format the models are trained and prompted with."""
        return format_song(self.artist.strip(), self.title.strip(), self.lyrics)


@dataclass
class Cleaner:
    """Cleans validated chunks one after another; remembers the songs seen for de-duplication."""

    options: CleaningOptions = field(default_factory=CleaningOptions)
    counts: Counter = field(default_factory=Counter)
    _seen: set = field(default_factory=set, repr=False)

    def language_mask(self, chunk: pd.DataFrame) -> pd.Series:
        lang = self.options.language
        mask = chunk["language"] == lang
        if self.options.strict_language:
            mask &= (chunk["language_cld3"] == lang) & (chunk["language_ft"] == lang)
        return mask

    def clean(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """The chunk's kept songs: cleaned `lyrics`, plus a `split` column ("train"/"test")."""
        self.counts["rows"] += len(chunk)
        lang = self.language_mask(chunk)
        self.counts["dropped_language"] += int((~lang).sum())
        genre = chunk["tag"].isin(self.options.genres)
        self.counts["dropped_genre"] += int((lang & ~genre).sum())
        songs = chunk[lang & genre].copy()
        songs["lyrics"] = songs["lyrics"].map(clean_lyrics)
        keep = []
        for text in songs["lyrics"]:
            problem = problem_of(text)
            if problem is None:
                key = lyrics_key(text)
                if key in self._seen:
                    problem = "duplicate"
                else:
                    self._seen.add(key)
            if problem:
                self.counts[f"dropped_{problem}"] += 1
            keep.append(problem is None)
        songs = songs.loc[pd.Series(keep, index=songs.index, dtype=bool)]  # a plain empty list would select columns
        o = self.options
        songs["split"] = [split_of(i, o.seed, o.test_fraction) for i in songs["id"]]
        self.counts["kept"] += len(songs)
        for (tag, split), n in songs.groupby(["tag", "split"]).size().items():
            self.counts[f"{split}:{tag}"] += int(n)
        return songs

    def check(self, path) -> None:
        """Raise `DatasetError` when no song, or no song of a chosen genre, survived the cleaning."""
        c = self.counts
        name = Path(path).name
        if c["rows"] == 0:
            raise DatasetError(f"{name} has a header but no rows")
        if c["kept"] == 0:
            raise DatasetError(
                f"{name}: no usable songs of genre(s) {', '.join(self.options.genres)} among {c['rows']} rows "
                f"({c['dropped_language']} not in language {self.options.language!r}"
                f"{' with agreeing detectors' if self.options.strict_language else ''}, "
                f"{c['dropped_genre']} of other genres, {c['dropped_empty']} with empty lyrics, "
                f"{c['dropped_placeholder']} with placeholder lyrics, {c['dropped_duplicate']} duplicates)"
            )
        empty = [g for g in self.options.genres if c[f"train:{g}"] + c[f"test:{g}"] == 0]
        if empty:
            raise DatasetError(f"{name}: genre(s) {', '.join(empty)} have no songs after cleaning; choose other genres")

    def sizes(self) -> dict[str, dict[str, int]]:
        return {g: {s: self.counts[f"{s}:{g}"] for s in ("train", "test")} for g in self.options.genres}


def iter_songs(path, options: CleaningOptions | None = None, chunksize: int = DEFAULT_CHUNKSIZE, cleaner: Cleaner | None = None) -> Iterator[Song]:
    """Every kept song in file order. After the last one, raises `DatasetError` if a chosen
    genre got no songs (so a consumer that writes files should write them aside first)."""
    cleaner = cleaner or Cleaner(options or CleaningOptions())
    for chunk in iter_chunks(path, chunksize):
        for row in cleaner.clean(chunk).itertuples(index=False):
            yield Song(int(row.id), row.title, row.artist, row.tag, int(row.year), int(row.views), row.lyrics, row.split)
    cleaner.check(path)


def iter_texts(path, genre: str, split: str, options: CleaningOptions | None = None, chunksize: int = DEFAULT_CHUNKSIZE) -> Iterator[str]:
    """The training texts (prompt format, ending with the end-of-lyrics token) of one genre and split."""
    options = options or CleaningOptions(genres=(genre,))
    for song in iter_songs(path, options, chunksize):
        if song.tag == genre and song.split == split:
            yield song.text


def prepare(path, out_dir, options: CleaningOptions | None = None, chunksize: int = DEFAULT_CHUNKSIZE) -> dict:
    """Write `<out_dir>/<genre>/{train,test}.jsonl` (one `{"id", "text"}` per line) and
    `<out_dir>/manifest.json`, in one pass. Written to a folder beside `out_dir` and moved
    into place only when complete, so a failure leaves an earlier `out_dir` intact."""
    options = options or CleaningOptions()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        files = {}
        for genre in options.genres:
            (work / genre).mkdir()
            for split in ("train", "test"):
                files[genre, split] = open(work / genre / f"{split}.jsonl", "w", encoding="utf-8")
        cleaner = Cleaner(options)
        try:
            for song in iter_songs(path, options, chunksize, cleaner):
                files[song.tag, song.split].write(json.dumps({"id": song.id, "text": song.text}, ensure_ascii=False) + "\n")
        finally:
            for f in files.values():
                f.close()
        manifest = {"dataset": str(Path(path).resolve()), "options": options.as_dict(), "sizes": cleaner.sizes(), "counts": dict(cleaner.counts)}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        replace_folder(work, out_dir)
        return manifest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
