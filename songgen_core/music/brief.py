"""What the lyrics and the genre ask of the music: shared by both music backends.

Lyrics are read into stanzas (blank lines separate them; a header line such as
`[Chorus]`, `(Verse 2)`, `Hook:` or `**Bridge**` starts one too), each stanza
is a verse or a chorus, and each word has a syllable count (`count_syllables`).

The music prompt rule (`build_music_prompt`), deterministic, no randomness:

1. Style and its defaults come from the genre. rock: 110-150 bpm, minor by
   default, "distorted electric guitars, driving drums, bass". pop: 95-125 bpm,
   major, "piano, bright synths, punchy drums, bass". rap (also hip-hop):
   boom-bap 80-100 bpm, or trap 130-150 bpm with a half-time feel when the
   energy (step 3) is 0.65 or more; minor. Any other genre gets a generic
   default: 90-120 bpm, major, "acoustic guitar, piano, bass, light drums".
2. Every word of the lyrics is looked up (after a crude suffix strip: -s, -ing,
   -ed, -in') in a small mood lexicon of seven moods, each with a valence and an
   arousal: melancholic (-1, -1), dark (-1, 0), joyful (+1, 0), festive (+1, +1),
   defiant (0, +1), restless (0, +1), tender (0, -1).
3. Mode: minor if the summed valence is negative, major if positive, else the
   genre default. Energy: the genre's base energy (rock 0.7, pop 0.6, rap 0.6,
   other 0.5) plus 0.05 per unit of summed arousal, the sum capped at +-4.
4. Tempo: the genre's range, interpolated by energy (0.2 -> slowest,
   1.0 -> fastest), rounded to a whole bpm.
5. Mood words: the two moods with the most hits (ties: lexicon order), or the
   genre's default mood when no word hits. Theme words: the three most frequent
   content words (stopwords, fillers like "yeah" and words under three letters
   removed; ties: first occurrence).
6. Prompt: "<energy word> <genre> song in a <mode> key, <bpm> bpm, <instruments>;
   sections: <sections>; mood: <moods>; about: <themes>". The energy word is
   mellow (< 0.45), groovy (< 0.65), energetic (< 0.8) or high-energy. The
   sections are named in order ("verse, chorus, verse, chorus, bridge, chorus",
   from headers such as `[Bridge]` or `[Hook]`, else verse/chorus), only for
   lyrics of two or more sections, and cut to about 110 characters. The genre
   is cleaned and cut to 40 characters; the prompt is always under 300 characters.

Example: rock with the lyrics "Fire on the night road / We fight through the
night / Road of fire, road of night, cold and alone" (one line each) gives
"high-energy rock song in a minor key, 145 bpm, distorted electric guitars,
driving drums, bass; mood: defiant, restless; about: night, road, fire".
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

# ---------------------------------------------------------------------------
# Stanzas and sections

_SECTION_WORDS = r"(?:verse|chorus|hook|refrain|pre-?chorus|bridge|intro|outro|interlude|breakdown|post-?chorus)"
# "[anything]" is always a header; "(Chorus 2)", "Chorus:" and "**Chorus**" only
# with a known section word, because "(oh oh)" in brackets is a sung ad-lib.
_HEADER = re.compile(
    r"^\s*(?:\[([^\]]{1,40})\]"
    rf"|\(\s*({_SECTION_WORDS}(?:\s*\d+)?)\s*\)"
    rf"|\*\*\s*({_SECTION_WORDS}(?:\s*\d+)?)\s*:?\s*\*\*"
    rf"|({_SECTION_WORDS}(?:\s*\d+)?)\s*:)\s*$",
    re.IGNORECASE,
)
_CHORUS_LABEL = re.compile(r"^\s*(?:chorus|hook|refrain)\b", re.IGNORECASE)


def section_header(line: str) -> str | None:
    """The label of a header line ("[Chorus]" -> "Chorus"), or None for a sung line."""
    match = _HEADER.match(line)
    if not match:
        return None
    return next(group for group in match.groups() if group is not None).strip()


def split_stanzas(lyrics: str) -> list[list[str]]:
    """Split lyrics into stanzas, each a list of stripped, non-empty lines.

    Blank lines separate stanzas, and a header line starts a new stanza even
    without one. A header stays the first line of its stanza so callers can
    read the label (`section_header`); a stanza that is only a header is
    dropped. Never raises; empty lyrics give [].
    """
    stanzas: list[list[str]] = []
    current: list[str] = []
    for raw in lyrics.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line or (section_header(line) is not None and current):
            if current:
                stanzas.append(current)
            current = []
        if line:
            current.append(line)
    if current:
        stanzas.append(current)
    return [s for s in stanzas if not (len(s) == 1 and section_header(s[0]) is not None)]


def sung_lines(stanza: list[str]) -> list[str]:
    """The stanza's lines without its header."""
    return [line for line in stanza if section_header(line) is None]


def _norm_line(line: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", line.lower()))


def chorus_flags(stanzas: list[list[str]]) -> list[bool]:
    """For each stanza, whether it is a chorus.

    A chorus is a stanza labelled Chorus, Hook or Refrain, or an unlabelled
    stanza of which at least half the lines (and at least one) also occur in
    another stanza. Any other label (Verse, Bridge, ...) is not a chorus.
    """
    line_sets = [{_norm_line(line) for line in sung_lines(s)} - {""} for s in stanzas]
    flags = []
    for i, stanza in enumerate(stanzas):
        label = section_header(stanza[0])
        if label is not None:
            flags.append(bool(_CHORUS_LABEL.match(label)))
            continue
        mine = line_sets[i]
        others = set().union(*(s for j, s in enumerate(line_sets) if j != i)) if len(line_sets) > 1 else set()
        flags.append(bool(mine) and 2 * len(mine & others) >= len(mine))
    return flags


@dataclass(frozen=True)
class Section:
    """One stanza as a song section: kind is "verse" or "chorus"."""

    kind: str
    label: str
    lines: tuple[str, ...]


def song_sections(lyrics: str) -> list[Section]:
    """The lyrics as verse and chorus sections, in order; [] for empty lyrics.

    Stanzas without sung lines are skipped. Unlabelled stanzas are named
    "Verse 1", "Verse 2", ... and "Chorus".
    """
    stanzas = split_stanzas(lyrics)
    sections, verses = [], 0
    for stanza, is_chorus in zip(stanzas, chorus_flags(stanzas)):
        lines = tuple(sung_lines(stanza))
        if not lines:
            continue
        kind = "chorus" if is_chorus else "verse"
        verses += kind == "verse"
        label = section_header(stanza[0]) or ("Chorus" if is_chorus else f"Verse {verses}")
        sections.append(Section(kind, label, lines))
    return sections


_SECTION_WORD = re.compile(rf"^\s*({_SECTION_WORDS})", re.IGNORECASE)


def section_word(section: Section) -> str:
    """The section as one plain word: its label's section word ("[Verse 2]" -> "verse",
    "[Pre-Chorus]" -> "pre-chorus", "[Hook]" -> "hook"), else its kind."""
    match = _SECTION_WORD.match(section.label)
    return match.group(1).lower().replace("prechorus", "pre-chorus").replace("postchorus", "post-chorus") if match else section.kind


# ---------------------------------------------------------------------------
# Words and syllables

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def words(text: str) -> list[str]:
    """Lower-case words of `text`, apostrophes inside words removed ("don't" -> "dont")."""
    return [w.replace("'", "") for w in _WORD.findall(text.lower())]


_VOWEL_GROUP = re.compile(r"[aeiouy]+")


def count_syllables(word: str) -> int:
    """Roughly how many syllables an English word has when sung (0 for no letters or digits).

    Heuristic: count groups of vowels (y counts as a vowel except as the first
    letter), then drop a silent final "e" ("fire", but not "table"), a silent
    "-es" ("makes", but not "boxes", "pages") and a silent "-ed" ("jumped", but
    not "wanted"), add one for a vowel before "-ing" ("going"). Never below 1
    for a word with letters. A number gets one syllable per digit. Wrong for
    some words ("maybe" -> 1, "rhythm" -> 1); close enough to set a rhythm.
    """
    word = re.sub(r"[^a-z0-9]", "", word.lower())
    if not word:
        return 0
    letters = re.sub(r"[^a-z]", "", word)
    if not letters:
        return len(word)
    groups = len(_VOWEL_GROUP.findall(letters[0].replace("y", "") + letters[1:]))
    if groups > 1:
        if letters.endswith("e") and not re.search(r"[^aeiouy]le$|[aeiouy]e$", letters):
            groups -= 1
        elif letters.endswith("es") and not re.search(r"(?:[sxzcg]|ch|sh)es$|[aeiouy]es$", letters):
            groups -= 1
        elif letters.endswith("ed") and not re.search(r"[td]ed$|[aeiouy]ed$", letters):
            groups -= 1
    if re.search(r"[aeiouy]ing$", letters) and len(letters) > 4:
        groups += 1
    return max(1, groups)


def line_syllables(line: str) -> int:
    """Syllables in a lyric line (sum over its words)."""
    return sum(count_syllables(w) for w in words(line))


# ---------------------------------------------------------------------------
# Mood and theme

# mood -> (valence, arousal, words); order breaks ties.
MOOD_LEXICON: dict[str, tuple[int, int, frozenset[str]]] = {
    "melancholic": (-1, -1, frozenset(
        "sad cry tear alone lonely goodbye gone lost miss broken break hurt pain sorrow empty cold rain "
        "blue grey gray regret fade faded ache weep lonesome".split())),
    "dark": (-1, 0, frozenset(
        "dark darkness shadow ghost death dead die dying grave blood fear demon devil hell black bleed "
        "scar poison knife sin haunt haunted".split())),
    "joyful": (1, 0, frozenset(
        "happy smile laugh joy sun sunshine bright shine golden love sweet beautiful bloom sunny "
        "glow heaven lucky".split())),
    "festive": (1, 1, frozenset(
        "party dance club celebrate drink weekend fun groove dj floor bounce jump lit crowd".split())),
    "defiant": (0, 1, frozenset(
        "fight fire rage burn rebel scream war power rise stand wild storm thunder loud riot "
        "brave battle strong fury".split())),
    "restless": (0, 1, frozenset(
        "run road drive fast chase escape speed highway race restless wander move rush hustle "
        "grind".split())),
    "tender": (0, -1, frozenset(
        "hold kiss touch gentle soft whisper dream heart slow calm quiet sleep tender warm "
        "lullaby".split())),
}

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can cant could couldnt did didnt do does doesnt doing dont down during each few
    for from further had has have having he her here hers herself him himself his how i if im in into is
    isnt it its itself ive just let lets me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that thats the their theirs
    them themselves then there these they theyre this those through to too under until up very was we
    were weve what when where which while who whom why will with wont would you youre youll your yours
    yourself yourselves ill id youd hed shed well wed gonna wanna gotta got get gets getting give go
    goes going gone come comes like know cause cuz cos aint yeah yea oh ooh ohh whoa hey la na da uh
    huh mmm hmm baby one every ever never still back way make made see say said tell take thing things
    want need feel keep yes also even much many really""".split()
)


def _stems(word: str) -> list[str]:
    """The word and crude stems of it, for lexicon look-up ("burning" -> "burn")."""
    stems = [word]
    for suffix in ("s", "ing", "ed", "in", "d"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            stems.append(stem)
            if len(stem) > 3 and stem[-1] == stem[-2]:  # "running" -> "runn" -> "run"
                stems.append(stem[:-1])
            stems.append(stem + "e")  # "raging" -> "rage"
    return stems


def mood_hits(text: str) -> Counter:
    """How many words of `text` fall in each mood of `MOOD_LEXICON`."""
    hits: Counter = Counter()
    for word in words(text):
        for mood, (_, _, lexicon) in MOOD_LEXICON.items():
            if any(stem in lexicon for stem in _stems(word)):
                hits[mood] += 1
                break
    return hits


def theme_words(text: str, k: int = 3) -> list[str]:
    """The k most frequent content words (stopwords and short words removed; ties: first seen)."""
    content = [w for w in words(text) if len(w) >= 3 and w not in STOPWORDS and not w.isdigit()]
    counts = Counter(content)
    first = {}
    for i, w in enumerate(content):
        first.setdefault(w, i)
    return sorted(counts, key=lambda w: (-counts[w], first[w]))[:k]


# ---------------------------------------------------------------------------
# Genre styles and the brief


@dataclass(frozen=True)
class Style:
    """What a genre sounds like by default."""

    name: str
    tempo_range: tuple[int, int]
    instruments: str
    default_mode: str
    base_energy: float
    default_mood: str


STYLES: dict[str, Style] = {
    "rock": Style("rock", (110, 150), "distorted electric guitars, driving drums, bass", "minor", 0.7, "driving"),
    "pop": Style("pop", (95, 125), "piano, bright synths, punchy drums, bass", "major", 0.6, "uplifting"),
    "boom-bap": Style("boom-bap", (80, 100), "dusty boom-bap drums, electric piano, deep bass", "minor", 0.6, "confident"),
    "trap": Style("trap", (130, 150), "rolling trap hi-hats, booming 808 bass, dark synths", "minor", 0.6, "confident"),
    "generic": Style("generic", (90, 120), "acoustic guitar, piano, bass, light drums", "major", 0.5, "warm"),
}
GENRE_ALIASES = {"hip-hop": "rap", "hip hop": "rap", "hiphop": "rap"}
TRAP_ENERGY = 0.65  # rap at or above this energy is trap, below it boom-bap


def normalise_genre(genre: str) -> str:
    """Lower-case, trimmed, aliases resolved ("Hip-Hop" -> "rap")."""
    genre = " ".join(genre.lower().split())
    return GENRE_ALIASES.get(genre, genre)


def _base_style(genre: str) -> Style:
    if genre == "rap":
        return STYLES["boom-bap"]
    return STYLES.get(genre, STYLES["generic"])


@dataclass(frozen=True)
class MusicBrief:
    """What the music should be, derived from genre and lyrics by the rule in the module docstring."""

    genre: str
    style: str
    mood_words: tuple[str, ...]
    theme_words: tuple[str, ...]
    tempo_bpm: int
    tempo_range: tuple[int, int]
    mode: str  # "major" or "minor"
    energy: float  # 0.1 (calm) .. 1.0 (intense)
    instruments: str
    # The song's sections in order, as plain words ("verse", "chorus", "bridge", ...).
    sections: tuple[str, ...] = ()
    # CRC-32 of the sung words: lets the arranger draw key, chords and sounds
    # from the lyrics as well as the seed (two songs with one seed still differ).
    lyrics_digest: int = 0

    @property
    def energy_word(self) -> str:
        if self.energy < 0.45:
            return "mellow"
        if self.energy < 0.65:
            return "groovy"
        if self.energy < 0.8:
            return "energetic"
        return "high-energy"


def make_brief(genre: str, lyrics: str) -> MusicBrief:
    """The music brief for a genre and lyrics. Never raises for unknown genres: they get the generic style."""
    genre = normalise_genre(genre)
    sung = "\n".join(line for stanza in split_stanzas(lyrics) for line in sung_lines(stanza))
    hits = mood_hits(sung)
    valence = sum(MOOD_LEXICON[m][0] * n for m, n in hits.items())
    arousal = sum(MOOD_LEXICON[m][1] * n for m, n in hits.items())

    base = _base_style(genre)
    energy = round(min(1.0, max(0.1, base.base_energy + 0.05 * max(-4, min(4, arousal)))), 2)
    style = STYLES["trap"] if genre == "rap" and energy >= TRAP_ENERGY else base
    mode = "minor" if valence < 0 else "major" if valence > 0 else style.default_mode

    lo, hi = style.tempo_range
    position = min(1.0, max(0.0, (energy - 0.2) / 0.8))
    tempo = int(round(lo + position * (hi - lo)))

    order = list(MOOD_LEXICON)
    moods = sorted(hits, key=lambda m: (-hits[m], order.index(m)))[:2] or [style.default_mood]
    return MusicBrief(
        sections=tuple(section_word(s) for s in song_sections(lyrics)),
        lyrics_digest=zlib.crc32(" ".join(words(sung)).encode("utf-8")),
        genre=genre,
        style=style.name,
        mood_words=tuple(moods),
        theme_words=tuple(theme_words(sung)),
        tempo_bpm=tempo,
        tempo_range=style.tempo_range,
        mode=mode,
        energy=energy,
        instruments=style.instruments,
    )


_MAX_PROMPT = 299


def _genre_phrase(brief: MusicBrief) -> str:
    genre = re.sub(r"[^a-z0-9&' -]+", " ", brief.genre)
    genre = " ".join(genre.split())[:40].strip() or "instrumental"
    if brief.style in ("boom-bap", "trap"):
        return f"{brief.style} {genre}"
    return genre


_MAX_SECTIONS_TEXT = 110  # the section list never crowds out mood and themes


def _sections_phrase(brief: MusicBrief) -> str:
    """"; sections: verse, chorus, ..." for songs of two or more sections, else ""."""
    if len(brief.sections) < 2:
        return ""
    named = []
    for word in brief.sections:
        if len(", ".join(named + [word])) > _MAX_SECTIONS_TEXT:
            break
        named.append(word)
    return "; sections: " + ", ".join(named)


def prompt_from_brief(brief: MusicBrief) -> str:
    """The MusicGen text prompt for a brief (see the module docstring); under 300 characters."""
    prompt = (
        f"{brief.energy_word} {_genre_phrase(brief)} song in a {brief.mode} key, {brief.tempo_bpm} bpm, "
        f"{brief.instruments}{_sections_phrase(brief)}; mood: {', '.join(brief.mood_words)}"
    )
    themes = [w[:20] for w in brief.theme_words]
    while themes and len(prompt) + len("; about: ") + len(", ".join(themes)) > _MAX_PROMPT:
        themes.pop()
    if themes:
        prompt += "; about: " + ", ".join(themes)
    return prompt[:_MAX_PROMPT]


def build_music_prompt(genre: str, lyrics: str) -> str:
    """A short, deterministic text prompt for MusicGen from a genre and lyrics.

    The rule is in the module docstring. Never raises for unknown genres or empty lyrics.
    """
    return prompt_from_brief(make_brief(genre, lyrics))
