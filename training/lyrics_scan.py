"""What the cleaning and the statistics need to know about each song's lyrics, in one pass over its bytes.

Two implementations of the same definitions:
* `scan_one(text)` in plain Python: the reference, readable, used on single songs and in tests;
* `scan_lyrics(array)` over a pyarrow string column: a numba kernel
  (`training.lyrics_kernel`) that walks the column's UTF-8 buffer once, in parallel
  over songs, about 4 ns a byte on one core here (regex passes over the same text
  with pandas, pyarrow or polars cost 4-10 s per GB). Chunks of fewer than
  `KERNEL_MIN_SONGS` songs (the bundled sample) go through `scan_one` instead, so
  small datasets never wait for numba to compile.
The tests check that both agree on every song of the sample and on edge cases.

Definitions (on the raw lyrics; `\\r\\n` and `\\r` count as line breaks):
* whitespace is what `str.isspace()` calls whitespace;
* a *header* is a line that, stripped, starts with `[`, ends with `]` and holds no other `]`
  (`[Chorus]`, `[Verse 2: Artist & Guest]`); a *blank* line is whitespace only;
* the *sung lines* are the other lines; `lines` counts them, `words` counts their
  whitespace-separated tokens;
* `problem`: EMPTY when there is no sung line; PLACEHOLDER when the first two sung
  lines (stripped, joined by one space, ASCII letters lowercased) start with one of
  Genius's stand-in texts; else OK;
* `key`: 64-bit FNV-1a of the sung lines' characters with whitespace, ASCII
  punctuation and General Punctuation (U+2000-U+206F: curly quotes, dashes,
  ellipses) left out and ASCII letters lowercased, so copies that differ in
  headers, credits, case, punctuation or spacing share a key.
"""

from __future__ import annotations

import numpy as np

OK, EMPTY, PLACEHOLDER = 0, 1, 2
PROBLEM_NAMES = {EMPTY: "empty", PLACEHOLDER: "placeholder"}
PLACEHOLDERS = (
    "lyrics for this song have yet to be released",
    "lyrics for this song have yet to be transcribed",
    "lyrics will be available",
    "this song is an instrumental",
    "we don't have the lyrics",
)
PREFIX_BYTES = 64  # enough for the longest placeholder
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1


# ------------------------------------------------------------------------------------------- reference


def sung_lines(lyrics: str) -> list[str]:
    """The sung lines, stripped: not blank, not a section header."""
    text = lyrics.replace("\r\n", "\n").replace("\r", "\n")
    return [s for s in (line.strip() for line in text.split("\n")) if s and not is_header(s)]


def is_header(stripped: str) -> bool:
    return len(stripped) >= 2 and stripped[0] == "[" and stripped[-1] == "]" and "]" not in stripped[1:-1]


def _key_bytes(lines: list[str]) -> bytes:
    out = bytearray()
    for line in lines:
        for c in line:
            if c.isspace() or "\u2000" <= c <= "\u206f":
                continue
            if c.isascii():
                if c.isalnum():
                    out += c.lower().encode()
            else:
                out += c.encode()
    return bytes(out)


def fnv1a64(data: bytes) -> int:
    h = _FNV_OFFSET
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & _MASK
    return h


def scan_one(lyrics: str) -> tuple[int, int, int, int]:
    """(problem, words, lines, key) of one song, by the definitions above."""
    lines = sung_lines(lyrics or "")
    words = sum(len(line.split()) for line in lines)
    if not lines:
        problem = EMPTY
    else:
        start = " ".join(lines[:2]).encode().lower()
        problem = PLACEHOLDER if any(start.startswith(p.encode()) for p in PLACEHOLDERS) else OK
    return problem, words, len(lines), fnv1a64(_key_bytes(lines))


KERNEL_MIN_SONGS = 1_000  # below this, scan_one is quicker than importing (or compiling) the kernel
_PLACEHOLDER_ROWS = [np.frombuffer(p.encode(), np.uint8) for p in PLACEHOLDERS]


def scan_lyrics(array, wanted: np.ndarray | None = None, method: str = "auto") -> dict[str, np.ndarray]:
    """`problem`, `words`, `lines`, `key` for every song of a pyarrow string array
    (rows where `wanted` is False are skipped and left at zero). Nulls count as empty lyrics.
    `method`: "kernel" (numba), "python" (`scan_one`, song by song) or "auto" (the kernel
    from `KERNEL_MIN_SONGS` wanted songs on); all three give the same values."""
    import pyarrow as pa

    if method not in ("auto", "kernel", "python"):
        raise ValueError(f"method must be 'auto', 'kernel' or 'python', not {method!r}")
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string()).fill_null("")
    n = len(array)
    wanted = np.ones(n, dtype=np.bool_) if wanted is None else np.ascontiguousarray(wanted, dtype=np.bool_)
    if method == "python" or n == 0 or (method == "auto" and int(wanted.sum()) < KERNEL_MIN_SONGS):
        return _scan_python(array, wanted)
    from .lyrics_kernel import _CLASS, _LOWER, _kernel

    _, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64, count=n + 1, offset=array.offset * 8)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    problem, words, lines, keys, prefix = _kernel(data, offsets, wanted, PREFIX_BYTES, _CLASS, _LOWER)
    for p in _PLACEHOLDER_ROWS:
        hit = (prefix[:, : len(p)] == p).all(axis=1) & (problem == OK) & wanted
        problem[hit] = PLACEHOLDER
    return {"problem": problem, "words": words, "lines": lines, "key": keys}


def _scan_python(array, wanted: np.ndarray) -> dict[str, np.ndarray]:
    n = len(array)
    out = {"problem": np.zeros(n, np.uint8), "words": np.zeros(n, np.int64), "lines": np.zeros(n, np.int64), "key": np.zeros(n, np.uint64)}
    texts = array.to_pylist()
    for i in np.flatnonzero(wanted):
        out["problem"][i], out["words"][i], out["lines"][i], out["key"][i] = scan_one(texts[i])
    return out
