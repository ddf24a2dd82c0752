"""Tokenizing formatted songs for causal-LM fine-tuning, as transformers' `run_clm.py` does.

Songs (`Song.text`: the prompt format, ending with the end-of-lyrics token) are
tokenized in batches. Then either

* packing (the default, `group_texts` in `run_clm.py`): all token ids are
  concatenated and cut into blocks of exactly `block_size`; the remainder that
  does not fill a block is dropped. No pad token is ever needed, and
  `labels == input_ids` (the model shifts the labels by one itself);
* padding (`packing=False`): one example per song, cut to `block_size`, padded in
  the collator to the longest example of the batch (or to `block_size` with
  `pad_to="block"`); padded positions get `attention_mask` 0 and label -100, so
  they count neither as input nor in the loss.

Token ids are kept in numpy int32 arrays (4 bytes a token), not Python lists.
The end-of-lyrics token is added to the tokenizer as a special token by
`add_end_token`; the caller resizes the model's embeddings to `len(tokenizer)`.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import numpy as np
import torch

from songgen_core.prompts import END_OF_LYRICS

IGNORE_INDEX = -100  # labels with this value are left out of the loss
PAD_TO = ("longest", "block")


def add_end_token(tokenizer) -> int:
    """Add the end-of-lyrics token as a special token (if missing) and a pad token
    (the eos token) when the tokenizer has none. Returns how many tokens were added
    to the vocabulary: if not 0, resize the model's embeddings to `len(tokenizer)`."""
    added = 0
    if END_OF_LYRICS not in tokenizer.get_vocab():
        added = tokenizer.add_special_tokens({"additional_special_tokens": [END_OF_LYRICS]},
                                             replace_extra_special_tokens=False) \
            if _accepts_replace(tokenizer) else tokenizer.add_special_tokens({"additional_special_tokens": [END_OF_LYRICS]})
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
        else:
            added += tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
    return added


def _accepts_replace(tokenizer) -> bool:
    import inspect

    try:
        return "replace_extra_special_tokens" in inspect.signature(tokenizer.add_special_tokens).parameters
    except (TypeError, ValueError):
        return False


def tokenize_texts(texts: Iterable[str], tokenizer, batch_size: int = 1000) -> Iterator[np.ndarray]:
    """Token ids of each text (an int32 array per text), tokenizing `batch_size` texts at a time."""
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= batch_size:
            yield from _tokenize_batch(batch, tokenizer)
            batch = []
    if batch:
        yield from _tokenize_batch(batch, tokenizer)


def _tokenize_batch(batch: list[str], tokenizer) -> Iterator[np.ndarray]:
    for ids in tokenizer(batch, return_attention_mask=False)["input_ids"]:
        yield np.asarray(ids, dtype=np.int32)


def group_texts(sequences: Iterable[Sequence[int]], block_size: int) -> np.ndarray:
    """Concatenate the sequences and cut them into blocks of exactly `block_size` ids
    (shape `(n_blocks, block_size)`); the remainder shorter than a block is dropped."""
    if block_size < 2:
        raise ValueError(f"block_size must be at least 2, not {block_size}")
    blocks: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.int32)
    pending: list[np.ndarray] = []
    pending_len = 0
    for seq in sequences:
        arr = np.asarray(seq, dtype=np.int32)
        pending.append(arr)
        pending_len += len(arr)
        if pending_len >= 64 * block_size:  # cut in slabs, so memory stays ~ the blocks themselves
            carry = _cut(np.concatenate([carry, *pending]), block_size, blocks)
            pending, pending_len = [], 0
    carry = _cut(np.concatenate([carry, *pending]), block_size, blocks)
    if not blocks:
        return np.zeros((0, block_size), dtype=np.int32)
    return np.concatenate(blocks)


def _cut(ids: np.ndarray, block_size: int, blocks: list) -> np.ndarray:
    n = len(ids) // block_size
    if n:
        blocks.append(ids[: n * block_size].reshape(n, block_size))
    return ids[n * block_size:]


def truncate(sequences: Iterable[Sequence[int]], block_size: int) -> list[np.ndarray]:
    """One example per sequence, cut to at most `block_size` ids (padding mode)."""
    return [np.asarray(seq, dtype=np.int32)[:block_size] for seq in sequences if len(seq)]


class BlockDataset(torch.utils.data.Dataset):
    """Examples for the Trainer: packed blocks (a 2-D array) or variable-length songs (a list)."""

    def __init__(self, examples):
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i) -> dict:
        ids = torch.as_tensor(np.asarray(self.examples[i], dtype=np.int64))
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}

    def num_tokens(self) -> int:
        return int(sum(len(e) for e in self.examples))


class PadCollator:
    """Stack examples into a batch, padding to the longest (or to `block_size`):
    pads get `pad_token_id` as input, 0 in `attention_mask` and -100 as label."""

    def __init__(self, pad_token_id: int, pad_to: str = "longest", block_size: int | None = None):
        if pad_to not in PAD_TO:
            raise ValueError(f"pad_to must be one of {PAD_TO}, not {pad_to!r}")
        if pad_to == "block" and not block_size:
            raise ValueError("pad_to='block' needs a block_size")
        self.pad_token_id = pad_token_id
        self.pad_to = pad_to
        self.block_size = block_size

    def __call__(self, features: list[dict]) -> dict:
        width = self.block_size if self.pad_to == "block" else max(len(f["input_ids"]) for f in features)
        n = len(features)
        input_ids = torch.full((n, width), self.pad_token_id, dtype=torch.long)
        attention = torch.zeros((n, width), dtype=torch.long)
        labels = torch.full((n, width), IGNORE_INDEX, dtype=torch.long)
        for row, f in enumerate(features):
            ids = torch.as_tensor(f["input_ids"], dtype=torch.long)[:width]
            input_ids[row, : len(ids)] = ids
            attention[row, : len(ids)] = 1
            labels[row, : len(ids)] = ids
        return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def build_dataset(texts: Iterable[str], tokenizer, block_size: int, packing: bool = True,
                  batch_size: int = 1000, keep_remainder: bool = False) -> BlockDataset:
    """Tokenize `texts` and pack them (or truncate them, with `packing=False`) into a dataset.

    With `keep_remainder`, packing that gives no full block keeps the ids as one shorter
    block (used for a small evaluation split; still no pad tokens)."""
    sequences = tokenize_texts(texts, tokenizer, batch_size)
    if not packing:
        return BlockDataset(truncate(sequences, block_size))
    if keep_remainder:
        sequences = list(sequences)
    blocks = group_texts(sequences, block_size)
    if len(blocks) == 0 and keep_remainder:
        ids = np.concatenate(sequences) if sequences else np.zeros(0, dtype=np.int32)
        return BlockDataset([ids] if len(ids) >= 2 else [])
    return BlockDataset(blocks)
