"""The embedded default music backend: a genre-conditioned, lyrics-aware MIDI arranger.

No model weights. From a MusicRequest it writes a song as MIDI (pretty_midi)
and renders it with the GM soundfont pretty_midi ships (see render.py):

- brief (brief.py): style, mode, energy and a tempo hint from genre and lyrics;
  the seed picks the tempo within +-8 bpm of the hint (inside the style's range),
  the key, the chord progressions, the drum pattern variants and the sounds.
- form: one section per stanza (verse or chorus, see brief.song_sections), an
  instrumental intro of 1-2 bars for songs of 12 s or more, then choruses
  (or the whole form, when there is no chorus) repeat until the requested
  duration is filled. The audio is cut at exactly the requested duration,
  with a short fade-out. Empty lyrics get a default verse-chorus-verse-chorus
  form with an instrumental lead.
- drums (GM channel 10), a bass on the chord roots, a comping instrument
  (power chords, triads or seventh chords) and a lead melody with one note
  per syllable: each lyric line is a phrase of whole bars ending in a
  quarter-note rest; pitches walk the scale and land on chord tones on the
  beats. Choruses get denser drums, a crash and a melody a fifth higher.

Same request and seed -> identical MIDI and audio bytes. All randomness comes
from np.random.default_rng([seed, stream]), one stream per purpose.

The package, one idea a file, in the order a song is made: `recipes` (what
each style plays), `plan` (the seed's choices and the harmony), `melody`,
`form`, `track` (notes in steps -> seconds), `drums`, `instruments` (bass,
comping, lead), `mix`, `midi` and `backend` (arrange, compose, generate).
"""

from .backend import MAX_FADE_S, MODEL_NAME, Arrangement, arrange, compose, fade_seconds, generate
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
    "midi_to_bytes", "mix_volumes", "plan_form", "roman", "section_melody",
]
