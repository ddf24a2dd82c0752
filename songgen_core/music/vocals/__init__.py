"""The sung guide vocal: phonemes and syllables (phonemes.py), voices and their
licences (voices.py), Festival as a separate program (festival.py), timing and
pitch of each syllable on its note (sing.py), the whole track (track.py)."""

from .festival import Segment, VocalRenderError
from .phonemes import Syllable, line_syllables_sung, word_phones, word_syllables
from .sing import VocalAlignmentError, octave_shift
from .track import VocalTrack, sing_song
from .voices import DEFAULT_VOICE, VOICES, Voice, VoiceUnavailableError, check_voice_name, require_voice

__all__ = [
    "DEFAULT_VOICE", "VOICES", "Segment", "Syllable", "Voice", "VocalAlignmentError", "VocalRenderError",
    "VocalTrack", "VoiceUnavailableError", "check_voice_name", "line_syllables_sung", "octave_shift",
    "require_voice", "sing_song", "word_phones", "word_syllables",
]
