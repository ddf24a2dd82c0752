"""Statistics of a Genius lyrics CSV in one streaming pass, cached in a small JSON file.

    python -m training.stats PATH [--out FILE] [--strict-language] [--seed N] [--refresh]

Memory is bounded by the chunk size plus fixed-size counters, except the
small columns kept for the de-duplication at the end (key, tag, words, lines and
id: about 30 bytes per English song, some 100 MB for the full dataset). The source is a local CSV or a hub file (`hub:owner/name`,
streamed, see `training.source`). Counts, means, minima and maxima are exact; the lyrics-length
medians are read off a bounded histogram (bins of `WORD_BIN` words and
`LINE_BIN` lines, longer songs in the last bin), so they are approximate to
within one bin.

What is counted:
- `songs_per_tag`: `all` rows, and `english` rows (the language filter, strict if asked);
- `languages`: the `language` column over all rows ("(missing)" when empty);
- `years`: rows per decade ("1990" = 1990-1999);
- `views`: rows per log10 bucket ("0" for no views, "1e3" = 1,000-9,999);
- `lengths` and `splits`: the cleaned, de-duplicated English songs of every tag
  (words and lines exclude section headers and blank lines), and their 90/10 split.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from songgen_core import paths
from songgen_core.files import write_json

from .cli import DataArguments, parse, run_command
from .data import DEFAULT_CHUNKSIZE, TAGS, Cleaner, CleaningOptions, DatasetError, iter_batches
from .source import resolve_source

STATS_VERSION = 2
# Title, artist and features are not counted, so the reader does not convert them.
STATS_COLUMNS = ("tag", "year", "views", "lyrics", "id", "language_cld3", "language_ft", "language")
WORD_BIN = 10
LINE_BIN = 2
MAX_BINS = 500  # words above 5,000 / lines above 1,000 share the last bin


def dataset_identity(source) -> dict:
    """Path (or hub file), size and mtime (or blob id): the cache key of a dataset."""
    return resolve_source(source).identity()


class _Lengths:
    """Exact count/sum/min/max and a bounded histogram of one quantity."""

    def __init__(self, bin_width: int):
        self.bin = bin_width
        self.hist = np.zeros(MAX_BINS, dtype=np.int64)
        self.n = self.total = 0
        self.lo, self.hi = math.inf, -math.inf

    def add(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        self.n += len(values)
        self.total += int(values.sum())
        self.lo, self.hi = min(self.lo, int(values.min())), max(self.hi, int(values.max()))
        np.add.at(self.hist, np.minimum(values // self.bin, MAX_BINS - 1), 1)

    def median(self) -> float | None:
        """Linear interpolation inside the bin holding the middle value, clipped to [min, max]."""
        if not self.n:
            return None
        half = self.n / 2
        cumulative = np.cumsum(self.hist)
        i = int(np.searchsorted(cumulative, half))
        before = cumulative[i - 1] if i else 0
        estimate = (i + (half - before) / self.hist[i]) * self.bin
        return float(min(max(estimate, self.lo), self.hi))

    def summary(self) -> dict:
        return {
            "count": self.n,
            "mean": self.total / self.n if self.n else None,
            "median": self.median(),
            "median_approximate_within": self.bin,
            "min": self.lo if self.n else None,
            "max": self.hi if self.n else None,
        }


def tag_codes(tags: pa.Array) -> np.ndarray:
    """Each tag's position in `TAGS` (uint8); the tags were validated by the reader."""
    return pc.index_in(tags, value_set=pa.array(TAGS)).to_numpy(zero_copy_only=False).astype(np.uint8)


def _value_counts(column: pa.Array) -> dict[str, int]:
    """Rows per value; an empty string counts as "(missing)"."""
    counts = pc.value_counts(column)
    return {(v or "(missing)"): int(n) for v, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())}


def compute_stats(path, options: CleaningOptions | None = None, chunksize: int = DEFAULT_CHUNKSIZE) -> dict:
    """One pass over the CSV (a path, `hub:owner/name[/file]` or a `DatasetSource`);
    `options.genres` only marks the chosen genres, every tag is counted."""
    options = options or CleaningOptions()
    source = resolve_source(path)
    identity = source.identity()
    cleaner = Cleaner(CleaningOptions(genres=TAGS, strict_language=options.strict_language, language=options.language,
                                      seed=options.seed, test_fraction=options.test_fraction))
    tags_all, tags_lang, languages, years, views = Counter(), Counter(), Counter(), Counter(), Counter()
    words = {t: _Lengths(WORD_BIN) for t in TAGS}
    lines = {t: _Lengths(LINE_BIN) for t in TAGS}
    candidates = []
    for batch in iter_batches(source, chunksize, STATS_COLUMNS):
        tag = batch.column("tag")
        tags_all.update(_value_counts(tag))
        tags_lang.update(_value_counts(tag.filter(pa.array(cleaner.language_mask(batch)))))
        languages.update(_value_counts(batch.column("language")))
        year = batch.column("year").to_numpy()
        decades, counts = np.unique(year[year >= 0] // 10 * 10, return_counts=True)
        years.update({str(d): int(n) for d, n in zip(decades, counts)})
        years["(missing)"] += int((year < 0).sum())
        v = batch.column("views").to_numpy()
        buckets = np.where(v > 0, np.floor(np.log10(np.maximum(v, 1))).astype(int), -1)
        for b, n in zip(*np.unique(buckets[v >= 0], return_counts=True)):
            views["0" if b < 0 else f"1e{b}"] += int(n)
        views["(missing)"] += int((v < 0).sum())
        found = cleaner.screen(batch)
        index = pa.array(found["index"], type=pa.int64())
        candidates.append((found["key"], tag_codes(batch.column("tag").take(index)), found["words"].astype(np.int32),
                           found["lines"].astype(np.int32), batch.column("id").take(index).to_numpy()))
    # De-duplication at the end over the candidates' small columns (about 30 bytes a song,
    # less than a set of keys): the first song of each key, in file order, is kept.
    key, tag_code, n_words, n_lines, ids = (np.concatenate(parts) for parts in zip(*candidates)) if candidates else [np.zeros(0)] * 5
    _, first = np.unique(key, return_index=True)
    first.sort()
    tag_code, n_words, n_lines, ids = tag_code[first], n_words[first], n_lines[first], ids[first]
    cleaner.count_kept(np.asarray(TAGS)[tag_code.astype(np.int64)], ids.astype(np.int64), len(key))
    for code, t in enumerate(TAGS):
        of_tag = tag_code == code
        words[t].add(n_words[of_tag].astype(np.int64))
        lines[t].add(n_lines[of_tag].astype(np.int64))
    if cleaner.counts["rows"] == 0:
        raise DatasetError(f"{source.name} has a header but no rows")
    for counter in (years, views):
        if not counter["(missing)"]:
            del counter["(missing)"]
    c = cleaner.counts
    return {
        "version": STATS_VERSION,
        "sample": "sample" in source.name.lower(),
        "dataset": {**identity, "rows": c["rows"]},
        "options": options.as_dict(),
        "songs_per_tag": {"all": {t: int(tags_all[t]) for t in TAGS}, "english": {t: int(tags_lang[t]) for t in TAGS}},
        "languages": dict(languages.most_common()),
        "years": {k: years[k] for k in sorted(years)},
        "views": {k: views[k] for k in sorted(views, key=lambda k: (k != "0", k == "(missing)", len(k), k))},
        "lengths": {t: {"words": words[t].summary(), "lines": lines[t].summary()} for t in TAGS},
        "splits": {t: {"train": c[f"train:{t}"], "test": c[f"test:{t}"]} for t in TAGS},
        "cleaning": {k: c[k] for k in ("rows", "dropped_language", "dropped_empty", "dropped_placeholder", "dropped_duplicate", "kept")},
        "notes": f"lyrics-length medians come from a histogram with bins of {WORD_BIN} words and {LINE_BIN} lines "
                 "(approximate to within one bin); every other figure is exact",
    }


def cache_path(path, options: CleaningOptions, cache_dir=None) -> Path:
    """The cache file for this dataset file (path, size, mtime or blob id) and these options."""
    key = json.dumps([STATS_VERSION, dataset_identity(path), options.as_dict()], sort_keys=True)
    return Path(cache_dir or paths.cache_dir() / "dataset_stats") / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def dataset_stats(path, options: CleaningOptions | None = None, cache_dir=None, refresh: bool = False,
                  chunksize: int = DEFAULT_CHUNKSIZE) -> dict:
    """`compute_stats`, cached; a changed file (size or mtime) or other options compute afresh."""
    options = options or CleaningOptions()
    source = resolve_source(path)
    identity = source.identity()
    cached = cache_path(source, options, cache_dir)
    if not refresh and cached.is_file():
        try:
            stats = json.loads(cached.read_text(encoding="utf-8"))
            if stats.get("version") == STATS_VERSION and stats.get("dataset", {}).get("size") == identity["size"]:
                return stats
        except (OSError, ValueError):
            pass  # a broken cache file is recomputed
    stats = compute_stats(source, options, chunksize)
    _write_json(cached, stats)
    return stats


def _write_json(target: Path, data: dict) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    write_json(target, data)


@dataclass
class StatsArguments:
    """Where the statistics go besides the screen, and their cache."""

    out: str | None = field(default=None, metadata={"help": "also write the statistics to this JSON file"})
    cache_dir: str | None = field(default=None, metadata={"help": "the cache folder (default: dataset_stats/ in SONGGEN_CACHE)"})
    refresh: bool = field(default=False, metadata={"help": "ignore a cached result"})


def _stats(data: DataArguments, args: StatsArguments, path: str) -> dict:
    stats = dataset_stats(path, data.cleaning(), args.cache_dir, args.refresh, data.chunksize)
    if args.out:
        _write_json(Path(args.out), stats)
    return stats


def _report(data: DataArguments, args: StatsArguments, path: str, stats: dict) -> None:
    options = data.cleaning()
    label = "SAMPLE dataset" if stats["sample"] else "dataset"
    print(f"{label}: {stats['dataset']['path']} ({stats['dataset']['rows']:,} rows)")
    print(f"{'tag':<8}{'all':>10}{'english':>10}{'train':>9}{'test':>7}{'median words':>14}")
    for t in TAGS:
        s = stats["splits"][t]
        med = stats["lengths"][t]["words"]["median"]
        chosen = "*" if t in options.genres else " "
        print(f"{chosen}{t:<7}{stats['songs_per_tag']['all'][t]:>10,}{stats['songs_per_tag']['english'][t]:>10,}"
              f"{s['train']:>9,}{s['test']:>7,}{'' if med is None else f'~{med:.0f}':>14}")
    print("languages: " + ", ".join(f"{k} {v:,}" for k, v in list(stats["languages"].items())[:8]))
    print("(* chosen genres; medians approximate, see 'notes')" + (f"; written to {args.out}" if args.out else ""))


def main(argv: list[str] | None = None) -> int:
    parsed = parse((DataArguments, StatsArguments), argv, "python -m training stats",
                   "Statistics of a Genius lyrics CSV (one streaming pass, cached).", path=True)
    return run_command(_stats, parsed, _report)


if __name__ == "__main__":
    raise SystemExit(main())
