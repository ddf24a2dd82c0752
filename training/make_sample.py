"""Write the bundled SAMPLE of the Genius lyrics dataset: `training/sample/genius_sample.csv`.

    python -m training.make_sample [--out PATH]

The rows are in the exact schema of `sebastiandizon/genius-song-lyrics`
(title, tag, artist, year, views, features, lyrics, id, language_cld3,
language_ft, language), but every title, artist and lyric line is made up here
from word lists and line templates per genre: no real song text. The output is
deterministic (a fixed seed, no clock), so re-running it reproduces the file
byte for byte.

Composition (300 rows): about pop 95, rap 80, rock 50, misc 30, rb 28, country 17
(imbalanced like the real dataset; the exact figures are in sample/README.md); mostly English, some es/fr/pt/de rows, a few
rows with a missing `language` and a few where language_cld3 and language_ft
disagree. Dirty rows for the cleaning step: empty lyrics, Genius's placeholder
text, header-only lyrics, exact duplicate rows and re-uploads whose lyrics only
differ in section-header credits and spacing.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from songgen_core.paths import SAMPLE_PATH

COLUMNS = ["title", "tag", "artist", "year", "views", "features", "lyrics", "id", "language_cld3", "language_ft", "language"]
SEED = 4

# Rows per tag before the dirty extras below are added; the extras keep the order.
BASE_ROWS = {"pop": 90, "rap": 76, "rock": 48, "misc": 29, "rb": 27, "country": 16}
PLACEHOLDER = "Lyrics for this song have yet to be released. Please check back once the song has been released."

WORDS = {
    "pop": {
        "noun": ["heart", "summer", "light", "kiss", "dance floor", "city", "radio", "mirror", "sky", "secret"],
        "verb": ["shine", "dance", "glow", "fall", "run", "sing", "spin", "wait", "call", "fly"],
        "adj": ["golden", "electric", "sweet", "bright", "silver", "wild", "tender", "neon", "brand new", "easy"],
        "place": ["the kitchen", "the rooftop", "the party", "the backseat", "the beach", "downtown"],
    },
    "rap": {
        "noun": ["hustle", "notebook", "block", "crown", "ledger", "verse", "rent", "grind", "dream", "corner"],
        "verb": ["grind", "climb", "write", "count", "push", "build", "roll", "stack", "spit", "rise"],
        "adj": ["concrete", "late night", "heavy", "cold", "real", "hungry", "loyal", "focused", "sharp", "restless"],
        "place": ["the corner", "the studio", "the east side", "the train", "the block", "the booth"],
    },
    "rock": {
        "noun": ["engine", "static", "thunder", "highway", "fire", "wall", "anthem", "storm", "wire", "machine"],
        "verb": ["burn", "break", "scream", "drive", "roar", "shake", "bleed", "crash", "rise", "fight"],
        "adj": ["broken", "loud", "rusted", "restless", "burning", "iron", "hollow", "reckless", "endless", "savage"],
        "place": ["the highway", "the garage", "the city lights", "the edge", "the underground", "the stage"],
    },
    "rb": {
        "noun": ["touch", "velvet", "candle", "rhythm", "moonlight", "whisper", "body", "slow jam", "promise", "silk"],
        "verb": ["hold", "move", "sway", "feel", "stay", "breathe", "need", "love", "melt", "glide"],
        "adj": ["smooth", "slow", "warm", "soft", "late", "honey", "deep", "quiet", "golden", "sweet"],
        "place": ["the quiet room", "the low light", "your arms", "the night", "the slow lane", "my place"],
    },
    "misc": {
        "noun": ["river", "season", "letter", "stone", "lantern", "garden", "page", "winter", "clock", "harbour"],
        "verb": ["remember", "wander", "listen", "return", "wonder", "gather", "linger", "answer", "drift", "keep"],
        "adj": ["distant", "patient", "faded", "silent", "ancient", "gentle", "grey", "unwritten", "narrow", "open"],
        "place": ["the old house", "the valley", "the shore", "the margins", "the library", "the hills"],
    },
    "country": {
        "noun": ["pickup", "porch", "whiskey", "dirt road", "fiddle", "hometown", "barn", "creek", "boots", "sunset"],
        "verb": ["ride", "pray", "ramble", "holler", "settle", "drive", "dance", "roam", "mend", "stay"],
        "adj": ["dusty", "lonesome", "old", "muddy", "simple", "faithful", "small town", "golden", "worn", "free"],
        "place": ["the county line", "the river bend", "Main Street", "the back forty", "the honky tonk", "home"],
    },
}

TEMPLATES = {
    "pop": [
        "We {verb} all night under the {adj} {noun}",
        "Oh oh, you make my {noun} {verb}",
        "Meet me at {place} when the lights go down",
        "Everything is {adj} when you're around",
        "Baby we can {verb}, we can {verb} again",
        "Your {noun} is the song I never want to end",
    ],
    "rap": [
        "Started at {place} with a {adj} {noun}",
        "Every day I {verb}, every night I {verb}",
        "They said I couldn't {verb}, now they want a {noun}",
        "{adj} minds, yeah, we never take a loss",
        "Pen to the page and I {verb} like the boss",
        "Counting every {noun} from {place} to the top",
    ],
    "rock": [
        "We {verb} like a {adj} {noun} tonight",
        "Turn it up until the {noun} starts to {verb}",
        "Out on {place} where the {adj} sparks fly",
        "I was born to {verb}, I was made to {verb}",
        "Nothing but a {adj} {noun} in my veins",
        "Scream it from {place} till the silence breaks",
    ],
    "rb": [
        "Girl you {verb} so {adj}, won't you {verb} with me",
        "In {place} where your {noun} is all I see",
        "Let the {adj} {noun} carry us away",
        "Baby {verb} a little closer, stay",
        "Ooh, your {noun} feels {adj} like the rain",
        "Every time we {verb} I forget my name",
    ],
    "misc": [
        "The {adj} {noun} waits beside {place}",
        "I {verb} the {noun} that time forgot",
        "What was {adj} once is {adj} again",
        "Between {place} and the {noun} we {verb}",
        "A {noun} of hours, a {adj} refrain",
        "And still we {verb} as the {noun} turns",
    ],
    "country": [
        "Driving my {adj} {noun} down to {place}",
        "Mama said {verb} slow and {verb} true",
        "There's a {adj} {noun} waiting out by {place}",
        "We {verb} on Friday and we {verb} on Sunday",
        "Give me a {noun} and a {adj} guitar",
        "I'll {verb} back home to {place} tonight",
    ],
}

OTHER_LANGUAGES = {
    "es": {
        "noun": ["corazón", "noche", "ciudad", "luna", "camino", "fuego"],
        "verb": ["bailar", "cantar", "volver", "soñar", "correr", "brillar"],
        "lines": ["Quiero {verb} contigo esta {noun}", "Mi {noun} no deja de {verb}", "Bajo la {noun} vamos a {verb}",
                  "Tu {noun} me hace {verb}", "Y otra vez vuelvo a {verb}", "Todo el {noun} es para ti"],
    },
    "fr": {
        "noun": ["cœur", "nuit", "ville", "lune", "chemin", "feu"],
        "verb": ["danser", "chanter", "rêver", "partir", "briller", "rester"],
        "lines": ["Je veux {verb} toute la {noun}", "Mon {noun} ne sait plus {verb}", "Sous la {noun} on va {verb}",
                  "Ton {noun} me fait {verb}", "Encore une fois je vais {verb}", "Toute la {noun} est à nous"],
    },
    "pt": {
        "noun": ["coração", "noite", "cidade", "lua", "caminho", "saudade"],
        "verb": ["dançar", "cantar", "voltar", "sonhar", "correr", "brilhar"],
        "lines": ["Eu quero {verb} nesta {noun}", "Meu {noun} não para de {verb}", "Debaixo da {noun} vamos {verb}",
                  "Teu {noun} me faz {verb}", "E outra vez eu vou {verb}", "Toda a {noun} é pra você"],
    },
    "de": {
        "noun": ["Herz", "Nacht", "Stadt", "Mond", "Weg", "Feuer"],
        "verb": ["tanzen", "singen", "träumen", "laufen", "leuchten", "bleiben"],
        "lines": ["Ich will die ganze {noun} {verb}", "Mein {noun} will nur {verb}", "Unter dem {noun} wir {verb}",
                  "Dein {noun} lässt mich {verb}", "Und wieder will ich {verb}", "Die ganze {noun} gehört uns"],
    },
}

FIRST = ["Lena", "Marco", "June", "Nova", "Dex", "Ray", "Ivy", "Cole", "Mira", "Jax", "Tess", "Omar", "Rosa", "Eli", "Kai"]
LAST = ["Vale", "Sun", "Harlow", "Reyes", "Stone", "Meridian", "Brooks", "Quill", "Ashby", "Fontaine", "Crane", "Okafor"]
BANDS = ["The Rust Engines", "Glass Harbour", "Paper Lanterns", "Iron Tides", "The Evening Post", "Static Bloom",
         "Northern Wires", "The Hollow Pines", "Velvet Circuit", "Copper Saints"]
RAP_PREFIX = ["MC", "Lil", "Young", "Big", "DJ"]
TITLE_ADJ = ["Golden", "Broken", "Late Night", "Electric", "Lonesome", "Paper", "Concrete", "Velvet", "Silent", "Neon"]
TITLE_NOUN = ["Hours", "Static", "Ledger", "Hearts", "Roads", "Dreams", "Harbour", "Letters", "Fire", "Skies"]
# Language mix (weights out of 100) per row; "en*" is English with disagreeing detectors, "?" a missing `language`.
LANG_WEIGHTS = [("en", 78), ("es", 6), ("fr", 4), ("pt", 3), ("de", 3), ("en*", 3), ("?", 3)]


def _fill(rng: random.Random, template: str, words: dict) -> str:
    out = template
    for slot in ("noun", "verb", "adj", "place"):
        while "{" + slot + "}" in out:
            out = out.replace("{" + slot + "}", rng.choice(words[slot]), 1)
    return out[0].upper() + out[1:]


def _stanza(rng: random.Random, genre: str, n: int, lang: str = "en") -> list[str]:
    if lang == "en":
        return [_fill(rng, rng.choice(TEMPLATES[genre]), WORDS[genre]) for _ in range(n)]
    other = OTHER_LANGUAGES[lang]
    return [_fill(rng, rng.choice(other["lines"]), other) for _ in range(n)]


def _header(rng: random.Random, name: str, artist: str, feature: str | None) -> str:
    """A Genius section header; sometimes with the performer credited, as Genius does."""
    roll = rng.random()
    if roll < 0.55:
        return f"[{name}]"
    if roll < 0.85 or not feature:
        return f"[{name}: {artist}]"
    return f"[{name}: {artist} & {feature}]"


def _lyrics(rng: random.Random, genre: str, artist: str, feature: str | None, lang: str, second: str | None) -> str:
    """Sections separated by blank lines; `second` mixes lines of another language in (a bilingual song)."""
    chorus = _stanza(rng, genre, 4, lang)
    parts = []
    if rng.random() < 0.3:
        parts.append([_header(rng, "Intro", artist, feature)] + _stanza(rng, genre, 2, lang))
    for verse in (1, 2):
        lines = _stanza(rng, genre, rng.choice([4, 6, 8]), lang)
        if second:
            lines[1::2] = _stanza(rng, genre, len(lines[1::2]), second)
        verse_artist = feature if (verse == 2 and feature and genre == "rap") else artist
        parts.append([_header(rng, f"Verse {verse}", verse_artist, None)] + lines)
        parts.append([_header(rng, "Chorus" if genre != "rap" else rng.choice(["Chorus", "Hook"]), artist, feature)] + chorus)
    if rng.random() < 0.4:
        parts.append([_header(rng, "Bridge", artist, feature)] + _stanza(rng, genre, 2, lang))
        parts.append(["[Chorus]"] + chorus)
    if rng.random() < 0.3:
        parts.append(["[Outro]"] + chorus[-2:])
    return "\n\n".join("\n".join(p) for p in parts)


def _artist(rng: random.Random, genre: str) -> str:
    if genre == "rap":
        return f"{rng.choice(RAP_PREFIX)} {rng.choice(LAST)}"
    if genre in ("rock",) or (genre == "country" and rng.random() < 0.3):
        return rng.choice(BANDS)
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _languages(rng: random.Random) -> tuple[str, str | None, str, str, str]:
    """(language of the text, second language, language_cld3, language_ft, language)."""
    codes, weights = zip(*LANG_WEIGHTS)
    pick = rng.choices(codes, weights)[0]
    if pick == "en*":  # a bilingual song: the detectors disagree, the combined column still says en
        second = rng.choice(["es", "fr", "pt", "de"])
        return "en", second, "en", second, "en"
    if pick == "?":  # no combined language (Genius leaves it empty when unsure)
        text = rng.choice(["en", "es"])
        return text, None, text, rng.choice([text, "und"]) if text == "en" else text, ""
    return pick, None, pick, pick, pick


def make_rows(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    used_ids: set[int] = set()
    rows: list[dict] = []
    for genre, n in BASE_ROWS.items():
        for _ in range(n):
            song_id = rng.randrange(1, 8_000_000)
            while song_id in used_ids:
                song_id = rng.randrange(1, 8_000_000)
            used_ids.add(song_id)
            artist = _artist(rng, genre)
            feature = f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.25 else None
            lang, second, cld3, ft, combined = _languages(rng)
            title = f"{rng.choice(TITLE_ADJ)} {rng.choice(TITLE_NOUN)}"
            year = min(2023, max(1958, int(rng.gauss(2008, 12))))
            views = 0 if rng.random() < 0.04 else int(10 ** rng.uniform(1.0, 6.8))
            rows.append({
                "title": title, "tag": genre, "artist": artist, "year": year, "views": views,
                "features": "{" + f'"{feature}"' + "}" if feature else "{}",
                "lyrics": _lyrics(rng, genre, artist, feature, lang, second),
                "id": song_id, "language_cld3": cld3, "language_ft": ft, "language": combined,
            })
    english = [i for i, r in enumerate(rows) if r["language"] == "en" and r["language_ft"] == "en"]
    picks = rng.sample(english, 26)
    # Empty lyrics (5), Genius's placeholder (5), header-only lyrics (2): rows to be dropped.
    for i in picks[:5]:
        rows[i]["lyrics"] = ""
    for i in picks[5:10]:
        rows[i]["lyrics"] = PLACEHOLDER
    for i in picks[10:12]:
        rows[i]["lyrics"] = "[Instrumental]"
    # Exact duplicate rows (8) and re-uploads under another id whose lyrics differ only in header
    # credits and spacing (6): the cleaning keeps the first of each.
    extras = []
    for i in picks[12:20]:
        extras.append(dict(rows[i]))
    for i in picks[20:26]:
        copy = dict(rows[i])
        copy["id"] = max(used_ids) + len(extras) + 1
        copy["views"] = rows[i]["views"] // 3
        copy["lyrics"] = "\n".join(
            (line[:-1] + ": " + copy["artist"] + "]" if line.startswith("[") and ":" not in line else line) + "  "
            for line in rows[i]["lyrics"].split("\n")
        ) + "\n"
        extras.append(copy)
    # Each extra goes to a fixed later position, so the file reads like a real export.
    for extra in extras:
        rows.insert(rng.randrange(len(rows) // 2, len(rows) + 1), extra)
    return rows


def write_sample(path: Path = SAMPLE_PATH, seed: int = SEED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(make_rows(seed))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_PATH)
    args = parser.parse_args(argv)
    path = write_sample(args.out)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
