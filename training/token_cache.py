"""A disk cache of tokenized train/eval sets, so the CSV is read and tokenized once per setting.

Under `torchrun` / `accelerate launch` the main process builds the sets inside
`TrainingArguments.main_process_first()` and writes them here; the other
processes wait, then load them instead of reading the 9 GB CSV again. A rerun
with the same data file, cleaning options, genre, tokenizer and block settings
loads them too.

An entry is a folder `<cache>/tokenized/<key>/` with, per split, the token ids of
every example concatenated (`<split>.ids.npy`, int32) and where each example starts
(`<split>.starts.npy`), plus `meta.json` (sizes and what the key was made of). It is
written to a hidden folder and renamed into place, so a reader never sees half an entry.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from songgen_core.files import building_folder, write_json

from songgen_core.paths import tokenized_cache_dir

from .packing import BlockDataset

CACHE_VERSION = 1


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


def cache_key(parts: dict) -> str:
    text = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load(key: str, root: Path | None = None) -> tuple[dict[str, BlockDataset], dict] | None:
    """The cached sets and their meta, or None when absent or unreadable."""
    folder = Path(root or tokenized_cache_dir()) / key
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        sets = {}
        for split in meta["splits"]:
            ids = np.load(folder / f"{split}.ids.npy", mmap_mode="r")
            starts = np.load(folder / f"{split}.starts.npy")
            sets[split] = BlockDataset(_examples(ids, starts, meta["packed"]))
        return sets, meta
    except (OSError, ValueError, KeyError):
        return None


def save(key: str, sets: dict[str, BlockDataset], meta: dict, root: Path | None = None) -> Path:
    """Write the sets under `key` (aside, then renamed). An existing entry is kept as it is."""
    target = Path(root or tokenized_cache_dir()) / key
    if (target / "meta.json").is_file():
        return target
    with building_folder(target, keep_existing=True) as work:  # another process may write it too
        packed = all(isinstance(s.examples, np.ndarray) and s.examples.ndim == 2 for s in sets.values())
        for split, dataset in sets.items():
            lengths = np.array([len(e) for e in dataset.examples], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
            ids = np.concatenate([np.asarray(e, dtype=np.int32) for e in dataset.examples]) if len(lengths) else np.zeros(0, np.int32)
            np.save(work / f"{split}.ids.npy", ids)
            np.save(work / f"{split}.starts.npy", starts)
        write_json(work / "meta.json", {**meta, "splits": list(sets), "packed": packed})
    return target


def _examples(ids: np.ndarray, starts: np.ndarray, packed: bool):
    if packed and len(starts) > 1:
        width = int(starts[1] - starts[0])
        if np.all(np.diff(starts) == width):
            return np.asarray(ids).reshape(-1, width)
    return [np.asarray(ids[a:b]) for a, b in zip(starts[:-1], starts[1:])]
