"""Typed errors of the library.

Every error a person can cause (bad input, a missing model) is a subclass of
`SongGenError`, so the CLI and the pages can catch one type and show its message.
"""


class SongGenError(Exception):
    """Base class of every error this library raises on purpose."""


class InvalidRequestError(SongGenError, ValueError):
    """A request field is missing, too long, of the wrong type or out of range.

    `field` names the offending field so a form can show the message next to it.
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownGenreError(InvalidRequestError):
    """The genre is not in the model registry."""

    def __init__(self, genre: str, known: list[str]):
        super().__init__("genre", f"unknown genre {genre!r}; choose one of: {', '.join(sorted(known))}")
        self.genre = genre
        self.known = sorted(known)


class ModelUnavailableError(SongGenError):
    """A configured model cannot be loaded (missing folder, no hub access, broken files)."""


class ConfigError(SongGenError):
    """The model registry file is malformed."""


class StoreError(SongGenError):
    """The feedback store cannot do what was asked: an unknown or deleted song,
    a file that is not a SongGen feedback database (or is from a newer SongGen),
    or SQLite failing (disk full, locked past the busy timeout, ...)."""


class UnknownSongError(StoreError):
    """No song has this id."""

    def __init__(self, song_id):
        super().__init__(f"no song with id {song_id!r}")
        self.song_id = song_id
