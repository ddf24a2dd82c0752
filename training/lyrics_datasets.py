"""Fine-tuning data as `datasets.Dataset`s, prepared as transformers' `run_clm.py` prepares it.

1. `song_dataset`: one streaming pass over the CSV (or hub stream) keeps the cleaned songs of the
   chosen genres (`training.data.iter_songs`) as a Dataset with the columns `text` (the prompt
   format, ending with the end-of-lyrics token) and `split` ("train" or "test"), built with
   `Dataset.from_generator` and kept in datasets' cache;
2. `tokenize_and_pack`: a batched `map` tokenizes the texts, a second batched `map` either packs
   them into blocks of exactly `block_size` (`training.packing.group_texts`) or keeps one song per
   example, cut to `block_size` (padding, `packing=False`).

Each step's result is written by datasets as Arrow files under a fingerprint (in
`SONGGEN_TOKENIZED_CACHE`, else tokenized/ in the studio's cache folder) and read back memory-mapped
by a later run with the same inputs: the songs are keyed by the data file (path + size + mtime, the
hub file's blob or an upload's digest) and the cleaning options (which hold the genre); the tokenized
sets by the songs' fingerprint, the tokenizer and the block settings. So a rerun with other blocks
re-tokenizes without reading the CSV, and a rerun with the same settings reads neither. Under
`torchrun` the main process prepares the sets first (`TrainingArguments.main_process_first`) and
the others find them in the cache. The fingerprints are given explicitly: by default datasets
hashes the mapped function with everything it refers to, a tokenizer of 262k tokens included,
which is slow and not stable across processes for every tokenizer.

With `cache=False` nothing is read from or left in the cache: the sets are built in memory.
The statistics pass (`training.stats`) streams the CSV on its own and does not use this module.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from songgen_core.paths import tokenized_cache_dir

from .data import CleaningOptions, DatasetError, iter_songs
from .packing import group_texts
from .source import resolve_source

# Change when what a cached step computes changes (the cleaning, the prompt format, the packing).
CACHE_VERSION = 2
TOKENIZE_BATCH = 1000  # songs tokenized (and packed: the remainder of each batch is dropped) at a time


def tokenizer_fingerprint(tokenizer) -> str:
    """Changes when the vocabulary, the added tokens or the pre/post-processing change."""
    h = hashlib.sha256()
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        h.update(backend.to_str().encode())
    else:
        h.update(json.dumps(sorted(tokenizer.get_vocab().items())).encode())
    h.update(json.dumps([type(tokenizer).__name__, len(tokenizer), tokenizer.all_special_tokens]).encode())
    return h.hexdigest()[:32]


def fingerprint(parts: dict) -> str:
    """A datasets fingerprint (hex) of `parts` and CACHE_VERSION; the same for the same parts in any order."""
    text = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _songs(data, options: CleaningOptions):
    for song in iter_songs(data, options):
        yield {"text": song.text, "split": song.split}


def song_dataset(data, options: CleaningOptions, cache: bool = True, cache_root: Path | None = None):
    """The cleaned songs of `data` (a path, `hub:...` or a `DatasetSource`) as a Dataset with the
    columns text and split, in file order. Raises `DatasetError` (bad file, no song of a genre)."""
    from datasets import Dataset, Features, Value
    from datasets.exceptions import DatasetGenerationError

    data = resolve_source(data)
    key = fingerprint({"step": "songs", "data": data.identity(), "cleaning": options.as_dict()})
    features = Features({"text": Value("string"), "split": Value("string")})
    with tempfile.TemporaryDirectory(prefix="songgen-songs-") as scratch:
        where = Path(cache_root or tokenized_cache_dir()) / "songs" if cache else Path(scratch)
        try:
            return Dataset.from_generator(_songs, features=features, cache_dir=str(where), keep_in_memory=not cache,
                                          gen_kwargs={"data": data, "options": options}, fingerprint=key)
        except DatasetGenerationError as error:  # datasets wraps what the generator raised: raise that
            if error.__cause__ is not None:
                raise error.__cause__ from None
            raise DatasetError(f"{data.name}: the songs could not be read: {error}") from None


def _step(dataset, method: str, parts: dict, cache: bool, **kwargs):
    """(`dataset.<method>(...)`, whether its result was read from the cache). The result's file is
    named by its fingerprint next to its input's, so whether it is there is known beforehand."""
    new = fingerprint({"of": dataset._fingerprint, **parts})
    file = Path(dataset.cache_files[0]["filename"]).parent / f"songgen-{new}.arrow" if cache and dataset.cache_files else None
    hit = file is not None and file.is_file()
    result = getattr(dataset, method)(cache_file_name=str(file) if file else None, new_fingerprint=new,
                                      keep_in_memory=not cache, load_from_cache_file=cache, **kwargs)
    return result, hit


def split_of(songs, split: str, cache: bool = True):
    """The songs of one split ("train" or "test")."""
    return _step(songs, "filter", {"split": split}, cache, function=lambda s: s == split, input_columns="split",
                 desc=f"Keeping the {split} songs")[0]


def tokenize_and_pack(texts, tokenizer, block_size: int, packing: bool = True, keep_remainder: bool = False,
                      cache: bool = True):
    """(examples, whether they came from the cache) of `texts` (a Dataset with a text column):
    packed blocks of exactly `block_size` ids with `labels` equal to `input_ids` (the model shifts
    them), or with `packing=False` one song per example, cut to `block_size` (a `PadCollator` pads
    and labels).

    With `keep_remainder`, packing that gives no full block keeps all the ids as one shorter
    example (for a small evaluation split; still no pad tokens)."""
    from datasets import Dataset, Features, Sequence, Value

    ids = Sequence(Value("int32"))
    common = dict(batched=True, batch_size=TOKENIZE_BATCH)
    cut = dict(truncation=True, max_length=block_size) if not packing else {}

    def tokenize(batch):
        return {"input_ids": tokenizer(batch["text"], return_attention_mask=False, **cut)["input_ids"]}

    tokenized, hit = _step(texts, "map", {"tokenizer": tokenizer_fingerprint(tokenizer), "cut": block_size if cut else None},
                           cache, function=tokenize, remove_columns=texts.column_names,
                           features=Features({"input_ids": ids}), desc="Tokenizing", **common)
    if not packing:
        return tokenized, hit
    packed, hit = _step(tokenized, "map", {"group_texts": block_size}, cache, function=group_texts,
                        fn_kwargs={"block_size": block_size}, features=Features({"input_ids": ids, "labels": ids}),
                        desc=f"Packing into blocks of {block_size}", **common)
    if len(packed) == 0 and keep_remainder:
        every = [i for row in tokenized["input_ids"] for i in row]
        rows = [every] if len(every) >= 2 else []
        return Dataset.from_dict({"input_ids": rows, "labels": rows}, features=packed.features), hit
    return packed, hit


def build_dataset(texts: list[str], tokenizer, block_size: int, packing: bool = True, keep_remainder: bool = False):
    """`tokenize_and_pack` of a list of texts, in memory (benchmarks and tests)."""
    from datasets import Dataset

    return tokenize_and_pack(Dataset.from_dict({"text": list(texts)}), tokenizer, block_size, packing, keep_remainder,
                             cache=False)[0]


def count_tokens(dataset) -> int:
    """Token ids in all the examples (read from the Arrow lengths, not the ids)."""
    import pyarrow.compute as pc

    if len(dataset) == 0:
        return 0
    column = dataset.with_format("arrow")[:]["input_ids"]
    return int(pc.sum(pc.list_value_length(column)).as_py())


def genre_sets(data, options: CleaningOptions, tokenizer, block_size: int, packing: bool = True, cache: bool = True,
               cache_root: Path | None = None):
    """(train set, test set, meta) of the training texts of `options.genres`, prepared and cached
    as the module docstring says. `meta`: the songs per split and whether both sets came whole from
    the cache. Raises `DatasetError` when a split has no song."""
    data = resolve_source(data)
    songs = song_dataset(data, options, cache, cache_root)
    parts = {split: split_of(songs, split, cache) for split in ("train", "test")}
    for split, wanted in (("train", "in the train split"), ("test", "in the test split to evaluate on")):
        if len(parts[split]) == 0:
            raise DatasetError(f"{data.name}: genre {', '.join(options.genres)} has no songs {wanted}")
    sets, hits = {}, []
    for split, part in parts.items():
        sets[split], hit = tokenize_and_pack(part, tokenizer, block_size, packing, keep_remainder=split == "test", cache=cache)
        hits.append(hit)
    meta = {"train_songs": len(parts["train"]), "test_songs": len(parts["test"]), "cleaning": options.as_dict(),
            "fingerprints": {split: s._fingerprint for split, s in sets.items()}, "from_cache": all(hits)}
    return sets["train"], sets["test"], meta
