"""Systems: what makes a song in Compare and on the leaderboard (config/systems.toml).

A system is a genre, a lyrics model source, a lyrics mode and sampling, and a music backend.
`load_systems()` reads the file and adds the trained folders (models/<genre>/ as
<genre>-trained, models/<genre>-pref/ as <genre>-pref), so a model preference tuning writes
enters Compare by itself. Every song Compare makes records its system (song.json `system`).

    systems = load_systems()
    systems.for_genre("rock")           # [System(name="rock-gemma", ...), ...]
    systems["rock-free"].lyrics_request(title, artist, opening_line, seed=3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .errors import ConfigError, InvalidRequestError
from .files import read_toml
from .lyrics import LENGTHS, MODES, LyricsRequest
from .registry import GENRE_NAME, ModelSource, Registry, load_registry

BACKENDS = ("arranger", "musicgen")
SAMPLING = {"temperature": (0.0, 5.0), "top_k": (0, 1000), "top_p": (0.01, 1.0)}
FIELDS = {"genre", "lyrics", "mode", "length", "music", "musicgen_model", *SAMPLING}
DEFAULT_CHECK_RATE = 0.05
DEFAULT_MIN_VOTES = 10


class UnknownSystemError(InvalidRequestError):
    """A system name that is not configured."""

    def __init__(self, name: str, known: list[str]):
        super().__init__("system", f"unknown system {name!r}; known: {', '.join(known) or 'none'}")
        self.name = name


@dataclass(frozen=True)
class System:
    """One named way of making a song."""

    name: str
    genre: str
    lyrics: ModelSource
    mode: str = "structured"
    length: str = "standard"
    sampling: dict = field(default_factory=dict)  # temperature, top_k, top_p: only those set
    music: str = "arranger"
    musicgen_model: str | None = None

    def lyrics_request(self, title: str, artist: str, opening_line: str, seed: int | None = None) -> LyricsRequest:
        """The request this system makes of its lyrics model. Raises `InvalidRequestError` on bad input."""
        return LyricsRequest(genre=self.genre, title=title, artist=artist, opening_line=opening_line, seed=seed,
                             mode=self.mode, length=self.length, **self.sampling)

    def music_options(self) -> dict:
        return {"model": self.musicgen_model} if self.music == "musicgen" and self.musicgen_model else {}

    def describe(self) -> dict:
        """What song.json records as the song's system."""
        return {"name": self.name, "genre": self.genre, "lyrics": str(self.lyrics), "mode": self.mode,
                "length": self.length, "sampling": dict(self.sampling), "music": self.music,
                "musicgen_model": self.musicgen_model}


@dataclass(frozen=True)
class Systems:
    """The configured systems (by name) and the Compare settings."""

    systems: dict[str, System]
    check_rate: float = DEFAULT_CHECK_RATE
    min_votes: int = DEFAULT_MIN_VOTES

    def __getitem__(self, name: str) -> System:
        """Raises `UnknownSystemError`."""
        if name not in self.systems:
            raise UnknownSystemError(name, sorted(self.systems))
        return self.systems[name]

    def names(self) -> list[str]:
        return sorted(self.systems)

    def for_genre(self, genre: str) -> list[System]:
        return [self.systems[name] for name in self.names() if self.systems[name].genre == genre]

    def genres(self) -> list[str]:
        """Genres with at least two systems: those Compare can pit against each other."""
        counts: dict[str, int] = {}
        for system in self.systems.values():
            counts[system.genre] = counts.get(system.genre, 0) + 1
        return sorted(genre for genre, count in counts.items() if count >= 2)


def load_systems(path: str | Path | None = None, registry: Registry | None = None) -> Systems:
    """Read the systems file (`paths.systems_config_path()`) and add the trained folders the
    registry found (its models folder).

    Raises `ConfigError` naming the system and the field: a missing or malformed file, an
    unknown field or genre, a bad model source, mode, length, backend or sampling value.
    """
    path = Path(path) if path else paths.systems_config_path()
    registry = registry or load_registry()
    data = read_toml(path, "systems")
    compare = data.get("compare", {})
    check_rate = _setting(compare, "check_rate", DEFAULT_CHECK_RATE, float, 0.0, 0.5, path)
    min_votes = _setting(compare, "min_votes", DEFAULT_MIN_VOTES, int, 1, 10_000, path)
    systems = {}
    for name, entry in (data.get("systems") or {}).items():
        systems[name] = _system(name, entry, registry, path)
    systems.update({s.name: s for s in _trained_systems(registry) if s.name not in systems})
    return Systems(systems, check_rate, min_votes)


def _system(name: str, entry, registry: Registry, path: Path) -> System:
    where = f"{path}: system {name!r}"
    if not GENRE_NAME.match(str(name)):
        raise ConfigError(f"{where}: a name is lowercase letters, digits, '-' or '_'")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table with at least a genre")
    unknown = set(entry) - FIELDS
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(FIELDS))}")
    genre = entry.get("genre")
    if genre not in registry.genres():
        raise ConfigError(f"{where}: genre {genre!r} is not in the model registry ({', '.join(registry.genres())})")
    try:
        lyrics = ModelSource.parse(entry["lyrics"]) if "lyrics" in entry else registry.lyrics_source(genre)
    except (ConfigError, InvalidRequestError, ValueError) as error:
        raise ConfigError(f"{where}: lyrics: {error}") from None
    mode, length = entry.get("mode", "structured"), entry.get("length", "standard")
    if mode not in MODES:
        raise ConfigError(f"{where}: mode must be one of {', '.join(MODES)}, not {mode!r}")
    if length not in LENGTHS:
        raise ConfigError(f"{where}: length must be one of {', '.join(LENGTHS)}, not {length!r}")
    music = entry.get("music", registry.music_backend)
    if music not in BACKENDS:
        raise ConfigError(f"{where}: music must be one of {', '.join(BACKENDS)}, not {music!r}")
    sampling = {}
    for key, (low, high) in SAMPLING.items():
        if key in entry:
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ConfigError(f"{where}: {key} must be a number from {low} to {high}, not {value!r}")
            sampling[key] = int(value) if key == "top_k" else float(value)
    model = entry.get("musicgen_model", registry.musicgen_model if music == "musicgen" else None)
    return System(str(name), genre, lyrics, mode, length, sampling, music, model)


def _trained_systems(registry: Registry) -> list[System]:
    """The trained folders the registry found (`Registry.taken_over`): models/<genre>/ as
    <genre>-trained and models/<genre>-pref/ as <genre>-pref, for the registry's genres."""
    found = []
    for name in sorted(registry.taken_over):
        genre = name[:-len("-pref")] if name.endswith("-pref") else name
        if genre not in registry.lyrics:
            continue
        found.append(System(name if name != genre else f"{genre}-trained", genre, registry.lyrics[name],
                            music=registry.music_backend))
    return found


def _setting(table: dict, key: str, default, kind, low, high, path: Path):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and int(value) != value) \
            or not low <= value <= high:
        raise ConfigError(f"{path}: compare.{key} must be a number from {low} to {high}, not {value!r}")
    return kind(value)
