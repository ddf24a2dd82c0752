"""The clean list: profanity, sexual vulgarity and slurs kept out of clean lyrics.

The list is `data/clean_words.txt` (written for this project; its header says
what is in it and what is left out on purpose). Clean lyrics (a request's
`explicit=False`, the default) never keep a line holding one of these words:
the structured writer rejects such a candidate outright (it is not masked
with asterisks) and does not sample the tokens that spell one whole.

Nothing here raises except `OSError` if the data file is missing from the
installation (a broken install).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

LIST_FILE = Path(__file__).resolve().parent / "data" / "clean_words.txt"
_WORD = re.compile(r"[A-Za-z0-9*'\u2019]+")


@functools.lru_cache(maxsize=1)
def clean_list() -> tuple[frozenset[str], tuple[str, ...]]:
    """(whole words, prefixes) of the list; an entry "fuck*" is the prefix "fuck"."""
    words, prefixes = set(), []
    for line in LIST_FILE.read_text(encoding="utf-8").splitlines():
        entry = line.strip().lower()
        if not entry or entry.startswith("#"):
            continue
        if entry.endswith("*"):
            prefixes.append(entry[:-1])
        else:
            words.add(entry)
    return frozenset(words), tuple(prefixes)


def _normal(word: str) -> str:
    return word.lower().replace("'", "").replace("\u2019", "")


def is_blocked(word: str) -> bool:
    """Whether one word is on the clean list (case and apostrophes ignored; "f*ck"-style
    spellings with an asterisk between letters count as blocked too)."""
    word = _normal(word).strip("*")
    if not word:
        return False
    if "*" in word:  # a starred-out swear word is still one
        return True
    words, prefixes = clean_list()
    return word in words or word.startswith(prefixes)


def blocked_words(text: str) -> list[str]:
    """The clean-list words in `text`, in order, lower case (repeats kept)."""
    return [_normal(w).strip("*") for w in _WORD.findall(text) if is_blocked(w)]


def is_clean(text: str) -> bool:
    """True when `text` holds no clean-list word."""
    return not blocked_words(text)
