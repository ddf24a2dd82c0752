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


class PreferenceDataError(SongGenError):
    """A preference record or a preference data folder is malformed or missing."""


class TooFewPreferencesError(PreferenceDataError):
    """Fewer preferences than a tuning method needs: `have` of the `need`ed, in `what` (e.g. "DPO pairs for rock")."""

    def __init__(self, have: int, need: int, what: str, hint: str = ""):
        super().__init__(f"only {have} {what}; at least {need} are needed{hint}")
        self.have, self.need, self.what = have, need, what
