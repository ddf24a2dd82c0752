"""A transformers KV cache that appends in place, for the line writer's many one-token steps.

transformers' `DynamicCache` grows each layer with `torch.cat`, copying the
whole song so far, for every row, at every step; a sliding-window layer
copies its window the same way. For the line writer (4-16 rows, about a
thousand cached tokens, one new token a step) that copy cost as much as the
attention itself (about 14 ms of a 110 ms step with a float32 cache on 2
cores). Here each layer keeps its keys and values in a buffer with spare
room at the end: a step writes one position and returns views. The buffer is
rebuilt (one copy) only when it is full, or when the layer's tensors were
replaced by transformers' own methods (`reorder_cache`,
`batch_repeat_interleave`, `crop`, a deep copy), so those keep working.

    cache = appending_cache(model.config)   # a DynamicCache whose layers append in place
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer

SPARE = 64  # positions of room kept after the cached ones


class _InPlace:
    """Buffer bookkeeping shared by both layer kinds: `_kbuf`/`_vbuf` hold `keys`/`values` as views."""

    _kbuf = _vbuf = None

    def _begin(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        """transformers' lazy initialization, with empty keys and values of the states' shape (its own are 1-D)."""
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        if self.keys.numel() == 0:
            self.keys = key_states.new_empty(key_states.shape[:-2] + (0, key_states.shape[-1]))
            self.values = value_states.new_empty(value_states.shape[:-2] + (0, value_states.shape[-1]))

    def _room(self, keep_from: int, new: int) -> None:
        """Make sure `keys[..., keep_from:, :]` plus `new` positions fit in the buffer, as views of it."""
        if self._owned() and self._end + new <= self._kbuf.shape[-2]:
            return
        keys, values = self.keys[..., keep_from:, :], self.values[..., keep_from:, :]
        n = keys.shape[-2]
        shape = (keys.shape[0], keys.shape[1], n + new + SPARE, keys.shape[-1])
        self._kbuf = keys.new_empty(shape)
        self._vbuf = values.new_empty(shape[:-1] + (values.shape[-1],))
        self._kbuf[..., :n, :] = keys
        self._vbuf[..., :n, :] = values
        self._start, self._end = 0, n
        self._set_views()

    def _write(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        new = key_states.shape[-2]
        self._kbuf[..., self._end : self._end + new, :] = key_states
        self._vbuf[..., self._end : self._end + new, :] = value_states
        self._end += new

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Rows dropped, kept or repeated (transformers' beam reorder), in one copy that keeps the spare room."""
        if not self._owned() or self.get_seq_length() == 0:
            return super().reorder_cache(beam_idx)
        beam_idx = beam_idx.to(self._kbuf.device)
        self._kbuf = self._kbuf[..., self._start :, :].index_select(0, beam_idx)
        self._vbuf = self._vbuf[..., self._start :, :].index_select(0, beam_idx)
        self._start, self._end = 0, self._end - self._start
        self._set_views()

    def _owned(self) -> bool:
        """Whether `keys`/`values` are still this layer's views (not replaced by another method, or copied)."""
        keys, values = self.keys, self.values
        return (self._kbuf is not None and keys is self._kview and values is self._vview
                and keys.untyped_storage().data_ptr() == self._kbuf.untyped_storage().data_ptr()
                and values.untyped_storage().data_ptr() == self._vbuf.untyped_storage().data_ptr())

    def _set_views(self) -> None:
        self._kview = self.keys = self._kbuf[..., self._start : self._end, :]
        self._vview = self.values = self._vbuf[..., self._start : self._end, :]


class AppendingLayer(_InPlace, DynamicLayer):
    """`DynamicLayer` that appends in place."""

    def update(self, key_states, value_states, *args, **kwargs):
        self._begin(key_states, value_states)
        self._room(0, key_states.shape[-2])
        self._write(key_states, value_states)
        self._set_views()
        return self.keys, self.values


class AppendingSlidingWindowLayer(_InPlace, DynamicSlidingWindowLayer):
    """`DynamicSlidingWindowLayer` that appends in place: returns the window and the new positions,
    and keeps the last `sliding_window - 1` of them, as transformers' layer does."""

    def update(self, key_states, value_states, *args, **kwargs):
        if self.record_past:  # transformers' own path (assisted decoding); the line writer never asks for it
            return super().update(key_states, value_states, *args, **kwargs)
        self._begin(key_states, value_states)
        self.cumulative_length += key_states.shape[-2]
        keep = self.sliding_window - 1
        self._room(max(0, self.keys.shape[-2] - keep), key_states.shape[-2])
        start = self._start
        self._write(key_states, value_states)
        full_keys = self._kbuf[..., start : self._end, :]
        full_values = self._vbuf[..., start : self._end, :]
        self._start = max(start, self._end - keep)
        self._set_views()
        return full_keys, full_values


def appending_cache(config) -> DynamicCache:
    """A `DynamicCache` for `config` whose full and sliding-window layers append in place."""
    cache = DynamicCache(config=config)
    layers = []
    for layer in cache.layers:
        if type(layer) is DynamicSlidingWindowLayer:
            layers.append(AppendingSlidingWindowLayer(sliding_window=layer.sliding_window))
        elif type(layer) is DynamicLayer:
            layers.append(AppendingLayer())
        else:  # another kind (KV sharing, indexed): transformers' own
            layers.append(layer)
    cache.layers = layers
    return cache
