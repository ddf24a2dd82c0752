"""Preference data for tuning a genre's model on what people preferred (issue 12), in TRL's formats.

The feedback store fills plain records; this module turns them into `datasets.Dataset`s:

* `PreferencePair` (a blind comparison: the take people chose and the one they did not) -> TRL's
  *preference* format with an explicit prompt: columns `prompt`, `chosen`, `rejected` (for DPO);
* `RatedTake` (one take judged good or bad, e.g. from a rating) -> TRL's *unpaired preference*
  format: `prompt`, `completion`, `label` (for KTO). `build_kto_dataset` can also unpair the
  pairs (the chosen take as desirable, the rejected as undesirable), as TRL's
  `unpair_preference_dataset` does.

Both carry `genre` and `source` columns too (where the record came from: "compare", "rating", ...),
so one folder can hold every genre and `training prefer` keeps its genre's rows.

The prompt is the text the model was asked to continue: `songgen_core.prompts.lyrics_prompt` with
the song's artist ("Unknown Artist" when empty, as `songgen_core.lyrics` writes it), title, opening
line and genre, few-shot or not. The completion is what the model wrote after the opening line: a
take's lyrics (`LyricsResult.text`, which starts with the opening line) less that line, so prompt +
completion is the take exactly. TRL's trainers add the tokenizer's end-of-text token to each
completion before tokenizing.

`save_preferences(out_dir, pairs, takes)` writes `out_dir/dpo/` and `out_dir/kto/`
(`Dataset.save_to_disk`), the same as `dpo.parquet` and `kto.parquet`, and `manifest.json` with the
counts per genre and source; `load_preferences(out_dir, method, genre)` reads one back.
Malformed records raise `InvalidRequestError` (naming the record and field); a missing or
malformed folder raises `PreferenceDataError`.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from songgen_core.errors import InvalidRequestError
from songgen_core.files import replace_folder, write_json
from songgen_core.prompts import lyrics_prompt
from songgen_core.registry import GENRE_NAME

from .errors import PreferenceDataError

METHODS = ("dpo", "kto")
UNKNOWN_ARTIST = "Unknown Artist"  # what songgen_core.lyrics prompts with when the artist is empty
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class SongPrompt:
    """What a take was asked for: the fields of its `LyricsRequest` and whether the model was prompted
    few-shot (`LyricsResult.few_shot`). `text()` is the prompt the model continued."""

    genre: str
    title: str
    opening_line: str
    artist: str = ""
    few_shot: bool | int = False  # the example songs the prompt started with: a count (LyricsResult.examples), or all/none

    def text(self) -> str:
        """The prompt, exactly as songgen_core.lyrics built it."""
        return lyrics_prompt(self.artist or UNKNOWN_ARTIST, self.title, self.opening_line, self.genre, self.few_shot)

    def completion(self, lyrics: str, field: str = "lyrics") -> str:
        """What the model wrote after the prompt: `lyrics` less the opening line it starts with.
        Raises `InvalidRequestError` (naming `field`) when it does not start with the opening line."""
        if not isinstance(lyrics, str) or not lyrics.startswith(self.opening_line):
            raise InvalidRequestError(field, f"must be a take's lyrics, starting with the opening line {self.opening_line!r}")
        completion = lyrics[len(self.opening_line):]
        if not completion.strip():
            raise InvalidRequestError(field, "holds only the opening line: the model wrote nothing to learn from")
        return completion

    def check(self, field: str = "song") -> None:
        """Raises `InvalidRequestError` naming `field`.NAME for a missing or malformed field."""
        if not isinstance(self.genre, str) or not GENRE_NAME.match(self.genre):
            raise InvalidRequestError(f"{field}.genre", f"must be a lowercase genre name such as rock, not {self.genre!r}")
        for name in ("title", "opening_line"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidRequestError(f"{field}.{name}", "must be non-empty text")
        if not isinstance(self.artist, str):
            raise InvalidRequestError(f"{field}.artist", "must be text (empty for an unknown artist)")
        if not isinstance(self.few_shot, (bool, int)) or self.few_shot < 0:
            raise InvalidRequestError(f"{field}.few_shot", f"must be true, false or a number of example songs, not {self.few_shot!r}")


@dataclass(frozen=True)
class PreferencePair:
    """Two takes of one song, the `chosen` one preferred over the `rejected` one (whole lyrics, each
    starting with the opening line). When the two were written by models prompted differently
    (one few-shot, one not), `song` gives the prompt of the model that is to be tuned."""

    song: SongPrompt
    chosen: str
    rejected: str
    source: str = "compare"


@dataclass(frozen=True)
class RatedTake:
    """One take judged on its own: `label` True for a good take (desirable), False for a bad one."""

    song: SongPrompt
    lyrics: str
    label: bool
    source: str = "rating"


def _source(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(field, f"must name where the record came from (e.g. compare, rating), not {value!r}")
    return value.strip()


def _song(record, kind: type, field: str) -> SongPrompt:
    if not isinstance(record, kind):
        raise InvalidRequestError(field, f"must be a {kind.__name__}, not {type(record).__name__}")
    if not isinstance(record.song, SongPrompt):
        raise InvalidRequestError(f"{field}.song", f"must be a SongPrompt, not {type(record.song).__name__}")
    record.song.check(f"{field}.song")
    return record.song


def pair_rows(pairs: Iterable[PreferencePair]) -> list[dict]:
    """The rows of the DPO dataset: prompt, chosen, rejected (completions), genre, source.
    Raises `InvalidRequestError` naming `pairs[i]` and the field."""
    rows = []
    for i, pair in enumerate(pairs):
        song = _song(pair, PreferencePair, f"pairs[{i}]")
        chosen = song.completion(pair.chosen, f"pairs[{i}].chosen")
        rejected = song.completion(pair.rejected, f"pairs[{i}].rejected")
        if chosen == rejected:
            raise InvalidRequestError(f"pairs[{i}]", "chosen and rejected are the same text: there is no preference to learn")
        rows.append({"prompt": song.text(), "chosen": chosen, "rejected": rejected, "genre": song.genre,
                     "source": _source(pair.source, f"pairs[{i}].source")})
    return rows


def unpaired_rows(takes: Iterable[RatedTake] = (), pairs: Iterable[PreferencePair] = ()) -> list[dict]:
    """The rows of the KTO dataset: prompt, completion, label, genre, source; the rated takes first,
    then each pair as its chosen take (label True) and its rejected take (label False).
    Raises `InvalidRequestError` naming `takes[i]` or `pairs[i]` and the field."""
    rows = []
    for i, take in enumerate(takes):
        song = _song(take, RatedTake, f"takes[{i}]")
        if not isinstance(take.label, bool):
            raise InvalidRequestError(f"takes[{i}].label", f"must be true (a good take) or false (a bad one), not {take.label!r}")
        rows.append({"prompt": song.text(), "completion": song.completion(take.lyrics, f"takes[{i}].lyrics"),
                     "label": take.label, "genre": song.genre, "source": _source(take.source, f"takes[{i}].source")})
    for row in pair_rows(pairs):
        for text, label in ((row["chosen"], True), (row["rejected"], False)):
            rows.append({"prompt": row["prompt"], "completion": text, "label": label, "genre": row["genre"], "source": row["source"]})
    return rows


def _features(method: str):
    from datasets import Features, Value

    text = Value("string")
    if method == "dpo":
        return Features({"prompt": text, "chosen": text, "rejected": text, "genre": text, "source": text})
    return Features({"prompt": text, "completion": text, "label": Value("bool"), "genre": text, "source": text})


def _dataset(rows: list[dict], method: str):
    from datasets import Dataset

    features = _features(method)
    return Dataset.from_dict({name: [row[name] for row in rows] for name in features}, features=features)


def build_dpo_dataset(pairs: Iterable[PreferencePair]):
    """A `datasets.Dataset` in TRL's preference format (see `pair_rows`). Raises `InvalidRequestError`."""
    return _dataset(pair_rows(pairs), "dpo")


def build_kto_dataset(takes: Iterable[RatedTake] = (), pairs: Iterable[PreferencePair] = ()):
    """A `datasets.Dataset` in TRL's unpaired preference format (see `unpaired_rows`). Raises `InvalidRequestError`."""
    return _dataset(unpaired_rows(takes, pairs), "kto")


def preference_counts(dataset) -> dict:
    """Counts of a DPO or KTO dataset: {"rows", "by_genre", "by_source"}, and for KTO "desirable",
    "undesirable" and "by_source_label" ({"compare": {"desirable": n, "undesirable": m}})."""
    counts = {"rows": len(dataset), "by_genre": dict(sorted(Counter(dataset["genre"]).items())),
              "by_source": dict(sorted(Counter(dataset["source"]).items()))}
    if "label" in dataset.column_names:
        labels = dataset["label"]
        counts["desirable"] = sum(1 for label in labels if label)
        counts["undesirable"] = len(labels) - counts["desirable"]
        by_source: dict[str, dict[str, int]] = {}
        for source, label in zip(dataset["source"], labels):
            entry = by_source.setdefault(source, {"desirable": 0, "undesirable": 0})
            entry["desirable" if label else "undesirable"] += 1
        counts["by_source_label"] = dict(sorted(by_source.items()))
    return counts


def save_preferences(out_dir, pairs: Iterable[PreferencePair] = (), takes: Iterable[RatedTake] = (),
                     unpair_pairs: bool = True) -> dict:
    """Write the DPO and KTO datasets of the records to `out_dir` (replacing what was there, whole, only
    once everything is written) and return the manifest (also in `out_dir/manifest.json`).

    The KTO dataset holds the rated takes and, with `unpair_pairs`, both takes of every pair.
    Raises `InvalidRequestError` for a malformed record (nothing is written) and `OSError`."""
    pairs, takes = list(pairs), list(takes)
    dpo = build_dpo_dataset(pairs)
    kto = build_kto_dataset(takes, pairs if unpair_pairs else ())
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        manifest = {"format": "songgen-preferences-1", "unpair_pairs": unpair_pairs, "datasets": {}}
        for method, dataset in (("dpo", dpo), ("kto", kto)):
            dataset.save_to_disk(str(work / method))
            dataset.to_parquet(str(work / f"{method}.parquet"))
            manifest["datasets"][method] = preference_counts(dataset)
        write_json(work / MANIFEST, manifest)
        replace_folder(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def load_preferences(data_dir, method: str, genre: str | None = None):
    """The DPO or KTO dataset saved in `data_dir` (by `save_preferences`: the `save_to_disk` folder,
    else the parquet file), only `genre`'s rows when given. Raises `PreferenceDataError` when the
    folder or the method's dataset is missing or lacks the format's columns."""
    if method not in METHODS:
        raise PreferenceDataError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise PreferenceDataError(f"no preference data folder at {folder}")
    from datasets import Dataset, load_from_disk

    saved = read_manifest(folder).get("datasets", {}).get(method, {})
    if isinstance(saved, dict) and saved.get("rows") == 0:  # datasets cannot load a dataset saved with no rows
        return Dataset.from_dict({name: [] for name in _features(method)}, features=_features(method))
    try:
        if (folder / method).is_dir():
            dataset = load_from_disk(str(folder / method))
        elif (folder / f"{method}.parquet").is_file():
            dataset = Dataset.from_parquet(str(folder / f"{method}.parquet"))
        else:
            raise PreferenceDataError(f"{folder} holds no {method.upper()} data ({method}/ or {method}.parquet); "
                                      "write it with training.preferences.save_preferences")
    except (OSError, ValueError, FileNotFoundError) as error:
        raise PreferenceDataError(f"the {method.upper()} data in {folder} could not be read: {error}") from None
    if not isinstance(dataset, Dataset):
        raise PreferenceDataError(f"the {method.upper()} data in {folder} is not one dataset (a DatasetDict?)")
    missing = [name for name in _features(method) if name not in dataset.column_names]
    if missing:
        raise PreferenceDataError(f"the {method.upper()} data in {folder} lacks the column(s) {', '.join(missing)}")
    if genre is not None:
        dataset = dataset.filter(lambda g: g == genre, input_columns="genre", keep_in_memory=True)  # no cache files in data_dir
    return dataset


def read_manifest(data_dir) -> dict:
    """The manifest of a preference data folder ({} when it has none or it cannot be read)."""
    try:
        data = json.loads((Path(data_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
