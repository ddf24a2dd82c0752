"""Streaming reader, validation, cleaning, splitting and formatting of a Genius lyrics CSV.

The dataset (`sebastiandizon/genius-song-lyrics`, 9 GB) is parsed block by block by
pyarrow's streaming CSV reader (`pyarrow.csv.open_csv`), from a local file or a hub
stream (`training.source`); no step holds the whole file. What grows with the data
is the de-duplication set: an 8-byte key per kept song (about 70 bytes each in a
Python set, some 200 MB for the 3 million English songs of rock, pop and rap).

Cleaning, in order (the counts of each drop are in `Cleaner.counts`):
  1. language: `language == "en"` (the original design); with `strict_language`
     `language_cld3` and `language_ft` must say "en" too;
  2. genre: `tag` in the chosen genres;
  3. lyrics: songs without a sung line (empty, or only section headers) and
     Genius's placeholder texts are dropped (`training.lyrics_scan` has the exact rules);
  4. duplicates: the first song with the same lyrics key (headers, case,
     punctuation and spacing ignored) is kept, in file order.
The kept songs' lyrics are cleaned for training: section headers normalised
(`[Chorus: Artist & Guest]` -> `[Chorus]`), trailing spaces trimmed, runs of
blank lines collapsed.
Split: a song is in the test set when a seeded hash of its id (splitmix64) falls in
the lowest `test_fraction` (10%); stable across runs and machines, and independent
of the file's order, so no test song is ever in the train set.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from songgen_core.files import building_folder, write_json
from songgen_core.paths import SAMPLE_PATH
from songgen_core.prompts import format_song

from .errors import DatasetError
from .lyrics_scan import OK, PROBLEM_NAMES, scan_lyrics, scan_one, sung_lines
from .source import COLUMNS, DatasetSource, read_header, resolve_source

TAGS = ("pop", "rap", "rock", "rb", "misc", "country")
DEFAULT_GENRES = ("rock", "pop", "rap")  # the original design's choice
INTEGER_COLUMNS = ("year", "views", "id")
DEFAULT_CHUNKSIZE = 50_000
READ_BLOCK = 4 << 20  # bytes pyarrow parses at a time (measured fastest here among 1-32 MiB)

__all__ = ["COLUMNS", "TAGS", "DEFAULT_GENRES", "SAMPLE_PATH", "DatasetError", "DatasetSource", "resolve_source",
           "CleaningOptions", "Cleaner", "Song", "iter_batches", "iter_songs", "iter_texts", "prepare",
           "clean_lyrics", "normalise_headers", "lyric_lines", "problem_of", "lyrics_key", "split_of"]


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


def iter_batches(source, chunksize: int = DEFAULT_CHUNKSIZE, columns: tuple[str, ...] = COLUMNS) -> Iterator[pa.RecordBatch]:
    """Validated chunks of at most `chunksize` rows: text columns as strings ("" when
    missing), year/views/id as int64 (-1 for a missing year or views). Only `columns`
    are converted and returned (the whole header is still checked).

    `source` is a path, `hub:owner/name[/file.csv]` or a `DatasetSource`. Raises
    `DatasetError` for a missing file, a header outside the Genius schema, a row
    that cannot be parsed, and naming the column, the data row (1-based, header
    excluded) and the value when a year, views or id is not a whole number, an id
    is missing, or a tag is not one of the six Genius tags.
    """
    source = resolve_source(source)
    header = read_header(source)
    columns = [c for c in COLUMNS if c in columns]
    first_row = 1
    try:
        with source.open() as raw:
            reader = pcsv.open_csv(
                raw,
                read_options=pcsv.ReadOptions(column_names=header, skip_rows=1, block_size=READ_BLOCK),
                parse_options=pcsv.ParseOptions(newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in header}, include_columns=columns,
                                                    strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
            for batch in reader:
                for start in range(0, batch.num_rows, chunksize):
                    chunk = _validated(batch.slice(start, chunksize), columns, first_row)
                    first_row += chunk.num_rows
                    yield chunk
    except (pa.ArrowInvalid, UnicodeDecodeError) as e:
        raise DatasetError(f"{source.name} could not be parsed as CSV near data row {first_row}: {_parse_problem(e)}") from None


def _parse_problem(error: Exception) -> str:
    """pyarrow's parse error without the row it quotes ("Expected 11 columns, got 3: <the row>"): a row can
    be a whole song, and the message goes to a page. (The tag and number checks below do name the value:
    by then the file has passed the Genius header check, and the value is the diagnosis.)"""
    if isinstance(error, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return _QUOTED_ROW.sub(r"\1", first)


_QUOTED_ROW = re.compile(r"^(.*?\bgot \d+)\s*:.*$")


def _validated(batch: pa.RecordBatch, names: list[str], first_row: int) -> pa.RecordBatch:
    columns = {name: batch.column(name) for name in names}
    for name in INTEGER_COLUMNS:
        if name in columns:
            columns[name] = _integers(columns[name], name, first_row, required=(name == "id"))
    if "tag" in columns:
        bad_tag = pc.invert(pc.is_in(columns["tag"], value_set=pa.array(TAGS)))
        if pc.any(bad_tag).as_py():
            i = _first_true(bad_tag)
            raise DatasetError(f"column 'tag' holds {columns['tag'][i].as_py()!r} in data row {first_row + i}; "
                               f"the Genius tags are: {', '.join(TAGS)}")
    return pa.RecordBatch.from_arrays(list(columns.values()), names=names)


_WHOLE = r"^[+-]?[0-9]+(\.0*)?$"


def _integers(values: pa.Array, column: str, first_row: int, required: bool) -> pa.Array:
    try:
        return pc.cast(values, pa.int64())  # the common case: every value a plain whole number
    except pa.ArrowInvalid:
        pass  # empty, padded, "2000.0" or wrong: the careful path below
    text = pc.utf8_trim_whitespace(values)
    empty = pc.equal(text, "")
    bad = pc.and_(pc.invert(empty), pc.invert(pc.match_substring_regex(text, _WHOLE)))
    if required:
        bad = pc.or_(bad, empty)
    if pc.any(bad).as_py():
        i = _first_true(bad)
        raise DatasetError(f"column {column!r} must hold whole numbers; data row {first_row + i} has {values[i].as_py()!r}")
    # Missing years/views (allowed, though the real dataset has none) become -1.
    text = pc.if_else(empty, "-1", pc.replace_substring_regex(text, r"\.0*$", ""))
    try:
        return pc.cast(text, pa.int64())
    except pa.ArrowInvalid:  # beyond int64
        raise DatasetError(f"column {column!r} holds a number too large for 64 bits near data row {first_row}") from None


def _first_true(mask: pa.Array) -> int:
    return int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])


# ---------------------------------------------------------------------------------------------- cleaning

_HEADER = re.compile(r"^[ \t]*\[([^\]\[:\n]*?)[ \t]*(?::[^\]\n]*)?\][ \t]*$", re.MULTILINE)
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


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


def lyric_lines(lyrics: str) -> list[str]:
    """The sung lines, stripped: not blank, not a section header."""
    return sung_lines(lyrics)


def problem_of(lyrics: str) -> str | None:
    """"empty" (nothing but headers or space), "placeholder" (Genius's stand-in text) or None."""
    return PROBLEM_NAMES.get(scan_one(lyrics)[0])


def lyrics_key(lyrics: str) -> int:
    """The 64-bit de-duplication key: the same for copies that differ in headers, case, punctuation or spacing."""
    return scan_one(lyrics)[3]


_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def split_of(song_id: int, seed: int = 42, test_fraction: float = 0.1) -> str:
    """"test" or "train", from a seeded hash (splitmix64) of the song id alone."""
    z = (int(song_id) * _GOLDEN + seed) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return "test" if z < _threshold(test_fraction) else "train"


def _threshold(test_fraction: float) -> int:
    return min(int(test_fraction * 2**64), _MASK)


def test_mask(ids: np.ndarray, seed: int = 42, test_fraction: float = 0.1) -> np.ndarray:
    """`split_of(id) == "test"` for a whole array of ids at once."""
    z = ids.astype(np.int64).view(np.uint64) * np.uint64(_GOLDEN) + np.uint64(seed % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z < np.uint64(_threshold(test_fraction))


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

    def language_mask(self, batch: pa.RecordBatch) -> np.ndarray:
        lang = self.options.language
        mask = _equals(batch.column("language"), lang)
        if self.options.strict_language:
            mask &= _equals(batch.column("language_cld3"), lang) & _equals(batch.column("language_ft"), lang)
        return mask

    def screen(self, batch: pa.RecordBatch) -> dict[str, np.ndarray]:
        """The chunk's candidate songs before de-duplication (chosen language and genre, a sung
        line, no placeholder): their row `index`, `key`, `words` and `lines`. Counts the drops."""
        self.counts["rows"] += batch.num_rows
        lang = self.language_mask(batch)
        self.counts["dropped_language"] += int((~lang).sum())
        genre = pc.is_in(batch.column("tag"), value_set=pa.array(self.options.genres)).to_numpy(zero_copy_only=False)
        self.counts["dropped_genre"] += int((lang & ~genre).sum())
        wanted = lang & genre
        scan = scan_lyrics(batch.column("lyrics"), wanted)
        problem = scan["problem"]
        for code, name in PROBLEM_NAMES.items():
            self.counts[f"dropped_{name}"] += int((wanted & (problem == code)).sum())
        index = np.flatnonzero(wanted & (problem == OK))
        return {"index": index, "key": scan["key"][index], "words": scan["words"][index], "lines": scan["lines"][index]}

    def clean(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The chunk's kept songs (lyrics as in the file) with `words`, `lines` (sung) and
        `split` ("train"/"test") columns added; a song whose key was seen before is dropped."""
        found = self.screen(batch)
        unique, first = np.unique(found["key"], return_index=True)  # the first of each key inside the chunk
        fresh = np.fromiter((k not in self._seen for k in unique.tolist()), dtype=bool, count=len(unique))
        self._seen.update(unique[fresh].tolist())
        chosen = np.sort(first[fresh])
        songs = batch.take(pa.array(found["index"][chosen], type=pa.int64()))
        is_test = self.count_kept(songs.column("tag").to_numpy(zero_copy_only=False), songs.column("id").to_numpy(), len(found["key"]))
        return songs.append_column("words", pa.array(found["words"][chosen])) \
                    .append_column("lines", pa.array(found["lines"][chosen])) \
                    .append_column("split", pa.array(np.where(is_test, "test", "train")))

    def count_kept(self, tags: np.ndarray, ids: np.ndarray, candidates: int) -> np.ndarray:
        """Count kept songs per genre and split (and the duplicates among `candidates`); their test mask."""
        o = self.options
        is_test = test_mask(ids, o.seed, o.test_fraction)
        self.counts["dropped_duplicate"] += candidates - len(ids)
        self.counts["kept"] += len(ids)
        for tag in o.genres:
            of_tag = tags == tag
            test = int((of_tag & is_test).sum())
            self.counts[f"test:{tag}"] += test
            self.counts[f"train:{tag}"] += int(of_tag.sum()) - test
        return is_test

    def check(self, name) -> None:
        """Raise `DatasetError` when no song, or no song of a chosen genre, survived the cleaning."""
        c = self.counts
        name = getattr(name, "name", None) or Path(str(name)).name
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


def _equals(column: pa.Array, value: str) -> np.ndarray:
    return pc.equal(column, value).to_numpy(zero_copy_only=False)


def iter_songs(source, options: CleaningOptions | None = None, chunksize: int = DEFAULT_CHUNKSIZE, cleaner: Cleaner | None = None) -> Iterator[Song]:
    """Every kept song in file order, its lyrics cleaned for training. After the last one,
    raises `DatasetError` if a chosen genre got no songs (so a consumer that writes files
    should write them aside first)."""
    source = resolve_source(source)
    cleaner = cleaner or Cleaner(options or CleaningOptions())
    for batch in iter_batches(source, chunksize):
        for row in cleaner.clean(batch).to_pylist():
            yield Song(row["id"], row["title"], row["artist"], row["tag"], row["year"], row["views"], clean_lyrics(row["lyrics"]), row["split"])
    cleaner.check(source)


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
    source = resolve_source(path)
    with building_folder(out_dir) as work:
        files = {}
        for genre in options.genres:
            (work / genre).mkdir()
            for split in ("train", "test"):
                files[genre, split] = open(work / genre / f"{split}.jsonl", "w", encoding="utf-8")
        cleaner = Cleaner(options)
        try:
            for song in iter_songs(source, options, chunksize, cleaner):
                files[song.tag, song.split].write(json.dumps({"id": song.id, "text": song.text}, ensure_ascii=False) + "\n")
        finally:
            for f in files.values():
                f.close()
        manifest = {"dataset": source.label, "options": options.as_dict(), "sizes": cleaner.sizes(), "counts": dict(cleaner.counts)}
        write_json(work / "manifest.json", manifest)
    return manifest
