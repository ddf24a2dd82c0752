"""What the pages share: cached model loading and the studio's status.

Streamlit-free: pages wrap these in `st.cache_resource`.
"""

from __future__ import annotations

from .device import default_device, describe_device
from .loading import _cache as _loaded_models
from .registry import Registry, load_registry


def model_status(registry: Registry | None = None) -> list[dict]:
    """One row per genre: its model source and whether it is loaded in this process."""
    registry = registry or load_registry()
    device = default_device()
    loaded = {source for source, dev in _loaded_models if dev == device}
    return [
        {
            "genre": genre,
            "model": str(source),
            "trained here": genre in registry.taken_over,
            "loaded": str(source) in loaded,
        }
        for genre, source in sorted(registry.lyrics.items())
    ]


def device_status() -> dict:
    return describe_device()
