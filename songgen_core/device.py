"""Pick the device and precision models run on."""

from __future__ import annotations

import os


def default_device() -> str:
    """"cuda" when a GPU is usable, else "cpu". `SONGGEN_DEVICE` overrides."""
    forced = os.environ.get("SONGGEN_DEVICE")
    if forced:
        return forced
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def describe_device(device: str | None = None) -> dict:
    """A small description for status pages: kind, name, memory, threads."""
    import torch

    device = device or default_device()
    if device.startswith("cuda") and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(torch.device(device))
        return {"device": device, "name": props.name, "memory_gib": round(props.total_memory / 2**30, 1)}
    return {"device": "cpu", "name": "CPU", "threads": torch.get_num_threads(), "cores": os.cpu_count()}
