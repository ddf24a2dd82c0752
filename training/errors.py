"""The training package's typed errors."""

from songgen_core.errors import SongGenError


class DatasetError(SongGenError):
    """A dataset file is missing, has the wrong columns or types, or leaves a genre without songs."""
