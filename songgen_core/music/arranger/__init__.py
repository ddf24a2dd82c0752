"""The embedded default music backend: a genre-conditioned, lyrics-aware MIDI arranger.

No model weights. From a MusicRequest it writes a song as MIDI (pretty_midi)
and renders it with the GM soundfont pretty_midi ships (see render.py):

- brief (brief.py): style, mode, energy and a tempo hint from genre and lyrics;
  the seed picks the tempo within +-8 bpm of the hint (inside the style's range),
  the key, the chord progressions, the drum pattern variants and the sounds.
- form (form.py): the whole song by default (request.duration_s None): an
  instrumental intro (2-4 bars), every section of the lyrics once, in order,
  so every line is sung, then a 2-bar outro ending on a held tonic chord that
  rings out; the song is as long as that takes (info["duration_s"]). With a
  duration: an intro of 1-2 bars for songs of 12 s or more, the sections,
  then choruses (or the whole form, when there is no chorus) repeat until the
  duration is filled, and the audio is cut there with a short fade-out.
  Sections labelled Bridge (Interlude, Breakdown) play their own progression.
  Empty lyrics get a default verse-chorus-verse-chorus form with an
  instrumental lead.
- drums (GM channel 10), a bass on the chord roots, a comping instrument
  (power chords, triads or seventh chords) and a lead melody with one note
  per syllable: each lyric line is a phrase of whole bars ending in a
  quarter-note rest; pitches walk the scale and land on chord tones on the
  beats. Choruses (and Hooks) are lifted: denser drums, a crash, a melody a
  fifth higher and an added part, a pad of sustained chords. The key, the
  progressions and the sounds are drawn from the seed and a digest of the
  lyrics, within the style's choices (recipes.py).

Same request and seed -> identical MIDI and audio bytes. All randomness comes
from np.random.default_rng([seed, stream]), one stream per purpose.

The package, one idea a file, in the order a song is made: `recipes` (what
each style plays), `plan` (the seed's choices and the harmony), `melody`,
`form`, `track` (notes in steps -> seconds), `drums`, `instruments` (bass,
comping, lead), `mix`, `midi` and `backend` (arrange, compose, generate).
"""

from .backend import MAX_FADE_S, MODEL_NAME, Arrangement, arrange, compose, fade_seconds, generate, whole_song_length
from .drums import DRUM_VELOCITY
from .form import DEFAULT_FORM, Part, plan_form
from .instruments import chord_voicing
from .melody import LINE_REST, line_bars, line_rhythm, section_melody
from .midi import midi_to_bytes
from .mix import MIX_SHARE, PROGRAM_POWER, mix_volumes
from .plan import PITCH_NAMES, SCALES, TEMPO_SPREAD, Plan, chord_pitch_classes, make_plan, roman
from .recipes import CLAP, CRASH, HAT, KICK, OPEN_HAT, RECIPES, RIDE, SNARE, STEPS, STICK, TOMS, Recipe

__all__ = [
    "CLAP", "CRASH", "DEFAULT_FORM", "DRUM_VELOCITY", "HAT", "KICK", "LINE_REST", "MAX_FADE_S", "MIX_SHARE",
    "MODEL_NAME", "OPEN_HAT", "PITCH_NAMES", "PROGRAM_POWER", "RECIPES", "RIDE", "SCALES", "SNARE", "STEPS",
    "STICK", "TEMPO_SPREAD", "TOMS", "Arrangement", "Part", "Plan", "Recipe", "arrange", "chord_pitch_classes",
    "chord_voicing", "compose", "fade_seconds", "generate", "line_bars", "line_rhythm", "make_plan",
    "midi_to_bytes", "mix_volumes", "plan_form", "roman", "section_melody", "whole_song_length",
]
