"""The numba kernel behind `training.lyrics_scan.scan_lyrics`: one pass over a string
column's UTF-8 buffer, in parallel over songs, by the definitions in `lyrics_scan`.

A module of its own so that importing numba and compiling the kernel (some 5 s on
a fresh checkout; cached on disk afterwards) is paid only when a big chunk is scanned.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

@njit(inline="always")
def _space_len(data, j, end):
    """Byte length of the whitespace character at j, or 0 when it is not whitespace."""
    b = data[j]
    if b == 32 or (9 <= b <= 13) or (28 <= b <= 31):
        return 1
    if b == 0xC2 and j + 1 < end and (data[j + 1] == 0x85 or data[j + 1] == 0xA0):
        return 2
    if j + 2 < end:
        b1, b2 = data[j + 1], data[j + 2]
        if b == 0xE1 and b1 == 0x9A and b2 == 0x80:
            return 3
        if b == 0xE2 and b1 == 0x80 and (b2 <= 0x8A or b2 == 0xA8 or b2 == 0xA9 or b2 == 0xAF):
            return 3
        if b == 0xE2 and b1 == 0x81 and b2 == 0x9F:
            return 3
        if b == 0xE3 and b1 == 0x80 and b2 == 0x80:
            return 3
    return 0

@njit(inline="always")
def _char_len(b):
    if b < 0x80:
        return 1
    if b >= 0xF0:
        return 4
    if b >= 0xE0:
        return 3
    if b >= 0xC0:
        return 2
    return 1  # a stray continuation byte: step over it alone

# Byte classes for the kernel's fast path.
_OTHER, _SPACE, _BREAK, _ALNUM, _CLOSE, _NON_ASCII = 0, 1, 2, 3, 4, 5
_CLASS = np.zeros(256, np.uint8)
_CLASS[[9, 11, 12, 28, 29, 30, 31, 32]] = _SPACE
_CLASS[[10, 13]] = _BREAK
_CLASS[ord("0"):ord("9") + 1] = _ALNUM
_CLASS[ord("a"):ord("z") + 1] = _ALNUM
_CLASS[ord("A"):ord("Z") + 1] = _ALNUM
_CLASS[ord("]")] = _CLOSE
_CLASS[0x80:] = _NON_ASCII
_LOWER = np.arange(256, dtype=np.uint64)
_LOWER[ord("A"):ord("Z") + 1] += 32


@njit(parallel=True, cache=True, nogil=True)
def _kernel(data, offsets, wanted, prefix_bytes, cls, lower):
    n = len(offsets) - 1
    problem = np.zeros(n, np.uint8)
    words = np.zeros(n, np.int64)
    lines = np.zeros(n, np.int64)
    keys = np.zeros(n, np.uint64)
    prefix = np.zeros((n, prefix_bytes), np.uint8)
    prime = np.uint64(0x100000001B3)
    for i in prange(n):
        if not wanted[i]:
            continue
        end = offsets[i + 1]
        h = np.uint64(0xCBF29CE484222325)
        n_lines = 0
        n_words = 0
        n_prefix = 0
        j = offsets[i]
        while j <= end:
            # One pass over a line. Its words and key bytes count only when it turns out
            # to be sung (not blank, not a header); the first non-space byte starts a word.
            line_h = h
            line_words = 0
            first = 0
            last_end = 0
            last_close = False
            closes = 0
            in_word = False
            k = j
            while k < end:
                b = data[k]
                c = cls[b]
                if c == 3:  # letter or digit
                    line_h = (line_h ^ lower[b]) * prime
                elif c == 1:
                    in_word = False
                    k += 1
                    continue
                elif c == 2:
                    break
                elif c == 5:
                    w = _space_len(data, k, end)
                    if w:
                        in_word = False
                        k += w
                        continue
                    step = min(_char_len(b), end - k)
                    if not (b == 0xE2 and step == 3 and (data[k + 1] == 0x80 or (data[k + 1] == 0x81 and data[k + 2] <= 0xAF))):
                        for m in range(k, k + step):
                            line_h = (line_h ^ np.uint64(data[m])) * prime
                    if not in_word:
                        if line_words == 0:
                            first = k
                        line_words += 1
                        in_word = True
                    last_close = False
                    k += step
                    last_end = k
                    continue
                elif c == 4:
                    closes += 1
                if not in_word:
                    if line_words == 0:
                        first = k
                    line_words += 1
                    in_word = True
                last_close = c == 4
                k += 1
                last_end = k
            line_end = k
            if line_words and not (data[first] == 91 and last_close and closes == 1):
                n_lines += 1
                n_words += line_words
                h = line_h
                if n_lines <= 2 and n_prefix < prefix_bytes:
                    if n_lines == 2:
                        prefix[i, n_prefix] = 32
                        n_prefix += 1
                    m = first
                    while m < last_end and n_prefix < prefix_bytes:
                        prefix[i, n_prefix] = lower[data[m]]
                        n_prefix += 1
                        m += 1
            # step over the line break (\r\n is one break)
            if line_end + 1 < end and data[line_end] == 13 and data[line_end + 1] == 10:
                j = line_end + 2
            else:
                j = line_end + 1
        lines[i] = n_lines
        words[i] = n_words
        keys[i] = h
        if n_lines == 0:
            problem[i] = 1
    return problem, words, lines, keys, prefix
