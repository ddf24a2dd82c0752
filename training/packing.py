"""How tokenized songs become causal-LM training examples, as in transformers' `run_clm.py`.

Songs (`Song.text`: the prompt format, ending with the end-of-lyrics token) are tokenized in
batches by `training.lyrics_datasets`, then either

* packing (the default, `group_texts` as in `run_clm.py`, a batched `Dataset.map` function): the
  token ids of a batch of songs are concatenated and cut into blocks of exactly `block_size`; the
  remainder that does not fill a block is dropped. No pad token is ever needed, and
  `labels == input_ids` (the model shifts the labels by one itself);
* padding (`packing=False`): one example per song, cut to `block_size`, padded by `PadCollator`
  to the longest example of the batch (or to `block_size` with `pad_to="block"`); padded
  positions get `attention_mask` 0 and label -100, so they count neither as input nor in the loss.

The end-of-lyrics token is added to the tokenizer as a special token by `add_end_token`; the
caller resizes the model's embeddings to `len(tokenizer)`.
"""

from __future__ import annotations

from itertools import chain

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


def group_texts(examples: dict, block_size: int) -> dict:
    """A batch's `input_ids` concatenated and cut into blocks of exactly `block_size` ids, with
    `labels` the same ids (a batched `Dataset.map` function); the remainder is dropped."""
    if block_size < 2:
        raise ValueError(f"block_size must be at least 2, not {block_size}")
    ids = np.fromiter(chain.from_iterable(examples["input_ids"]), dtype=np.int32)
    blocks = ids[: len(ids) // block_size * block_size].reshape(-1, block_size)
    return {"input_ids": blocks, "labels": blocks.copy()}


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
