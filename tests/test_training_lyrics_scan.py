"""The numba lyrics scan against its plain-Python reference, song by song; small chunks skip the kernel."""

import random

import numpy as np
import pandas as pd
import pyarrow as pa

from training.data import SAMPLE_PATH
from training.lyrics_scan import EMPTY, OK, PLACEHOLDER, scan_lyrics, scan_one, sung_lines

PIECES = ["a", "B", "z", "1", " ", "\t", "\n", "\r", "\r\n", "[", "]", ":", "'", "’", "é", "É", "\u00a0", "\u2005",
          "\u205f", "\u3000", "\x1c", "\x85", "—", "…", "漢", "😀", "\u2028", "[Chorus: X]", "Lyrics will be available"]


def _both(texts, wanted=None, method="kernel"):
    got = scan_lyrics(pa.array(texts), wanted, method)
    return [(int(got["problem"][i]), int(got["words"][i]), int(got["lines"][i]), int(got["key"][i])) for i in range(len(texts))]


def test_kernel_equals_reference_on_the_sample_and_random_text():
    rng = random.Random(0)
    texts = list(pd.read_csv(SAMPLE_PATH, keep_default_na=False).lyrics)
    texts += ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25))) for _ in range(3000)]
    texts += ["", "[]", "[", "]", " [a] ", "[a]b]", "[[a]", "x\r\ny", "  LYRICS WILL BE\nAVAILABLE later"]
    assert _both(texts) == [scan_one(t) for t in texts]


def test_definitions():
    text = "[Verse 1: A & B]\n  Hello,  World \r\n\n[Chorus]\nla la la\n"
    assert sung_lines(text) == ["Hello,  World", "la la la"]
    problem, words, lines, key = scan_one(text)
    assert (problem, words, lines) == (OK, 5, 2)
    # headers, credits, case, punctuation, curly quotes and spacing do not change the key
    assert scan_one("[Intro]\nhello world!\nLA LA la")[3] == scan_one("HELLO, WORLD\n\n[Hook: Guest]\nla-la’la")[3] == key
    assert scan_one("hello world\nla la lo")[3] != key
    assert scan_one("[Instrumental]\n \n")[0] == scan_one("")[0] == EMPTY
    assert scan_one("Lyrics for this song have yet to be released\nPlease check back")[0] == PLACEHOLDER
    assert scan_one("Lyrics for this\nsong have yet to be released")[0] == PLACEHOLDER  # the first two lines count
    assert scan_one("line one\nLyrics will be available")[0] == OK


def test_rows_not_wanted_are_skipped_and_nulls_are_empty():
    texts = ["a b", "c d e", None]
    for method in ("kernel", "python"):
        got = scan_lyrics(pa.array(texts), np.array([True, False, True]), method)
        assert got["words"].tolist() == [2, 0, 0] and got["problem"].tolist() == [OK, OK, EMPTY]
        sliced = scan_lyrics(pa.array(["x", "one two three", "y"]).slice(1, 1), method=method)
        assert sliced["words"].tolist() == [3]


def test_small_chunks_go_through_the_reference_and_big_ones_through_the_kernel(monkeypatch):
    import training.lyrics_scan as scan

    calls = []
    monkeypatch.setattr(scan, "_scan_python", lambda array, wanted: calls.append(len(array)) or {})
    scan_lyrics(pa.array(["la"] * 10))
    assert calls == [10]
    texts = ["la la"] * (scan.KERNEL_MIN_SONGS + 5)
    wanted = np.ones(len(texts), bool)
    assert scan_lyrics(pa.array(texts), wanted)["words"].sum() == 2 * len(texts) and calls == [10]
    wanted[5:] = False  # what counts is the songs wanted, not the rows
    scan_lyrics(pa.array(texts), wanted)
    assert calls == [10, len(texts)]
