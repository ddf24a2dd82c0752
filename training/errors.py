"""The training package's typed errors."""

from songgen_core.errors import SongGenError


class DatasetError(SongGenError):
    """A dataset file is missing, has the wrong columns or types, or leaves a genre without songs."""


class DatasetPathError(DatasetError):
    """A page named a local path outside the datasets folder (`training.source.datasets_dir`).

    Its message names the folder (`root`), never the path, and is the same whether or
    not the path exists."""

    def __init__(self, message: str, root=None):
        super().__init__(message)
        self.root = root
