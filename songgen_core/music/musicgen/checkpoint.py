"""Finding a checkpoint (local folder or hub id, hub cache first, offline-aware)
and the device to run it on, with errors that say what to do."""

from __future__ import annotations

import os

import torch

from ...errors import InvalidRequestError, ModelUnavailableError
from .options import DEFAULT_MODEL


def _resolve_source(source) -> tuple[str, bool]:
    """(source to load, whether it is a local folder).

    An existing folder is local. Anything else shaped like a hub id ("owner/name"
    or "name") is a hub id; other paths are missing folders. Raises
    `InvalidRequestError` on an empty or non-text source, `ModelUnavailableError`
    on a path that is not a folder.
    """
    if not isinstance(source, (str, os.PathLike)) or not os.fspath(source).strip():
        raise InvalidRequestError("model", "must name a hub model (e.g. facebook/musicgen-small) or a local folder")
    text = os.fspath(source).strip()
    expanded = os.path.expanduser(text)
    if os.path.isdir(expanded):
        return expanded, True
    looks_like_path = os.path.isabs(expanded) or text.startswith((".", "~")) or "\\" in text or text.count("/") > 1 or os.path.exists(expanded)
    if looks_like_path:
        raise ModelUnavailableError(
            f"model folder {text!r} does not exist or is not a folder; point the musicgen model option to a folder "
            "holding a MusicGen checkpoint saved with save_pretrained (model and processor), or use a hub id such as "
            f"{DEFAULT_MODEL}"
        )
    return text, False


def _hub_offline() -> bool:
    import huggingface_hub

    flags = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return huggingface_hub.is_offline_mode() or any(flag.strip().upper() in ("1", "ON", "YES", "TRUE") for flag in flags)


def _load(loader, source: str, is_local: bool, display: str, what: str, **kwargs):
    """Run a transformers `from_pretrained`-style loader; the hub cache first, the
    hub itself only when not offline. Raises `ModelUnavailableError` with what to do."""
    try:
        if is_local:
            return loader(source, local_files_only=True, **kwargs)
        try:
            return loader(source, local_files_only=True, **kwargs)
        except OSError as cache_miss:
            if _hub_offline():
                raise ModelUnavailableError(
                    f"model {display!r} is not in the local cache and the hub is unreachable (offline mode); download it "
                    f"on a machine with internet (huggingface-cli download {display}) and copy the cache, or point the "
                    "musicgen model option to a local folder"
                ) from cache_miss
        return loader(source, **kwargs)
    except ModelUnavailableError:
        raise
    except Exception as exc:  # any failure here means the model cannot be used; keep the cause chained
        if is_local:
            message = (f"cannot load the {what} from model folder {display!r} ({type(exc).__name__}: {exc}); the folder must "
                       "hold a MusicGen checkpoint saved with save_pretrained (config, weights, tokenizer/processor files)")
        else:
            message = (f"cannot load the {what} of model {display!r}: it is not in the local cache and downloading it failed "
                       f"({type(exc).__name__}: {exc}); download it on a machine with internet (huggingface-cli download "
                       f"{display}) or point the musicgen model option to a local folder")
        raise ModelUnavailableError(message) from exc


def _pick_device(device) -> torch.device:
    """The torch device to run on: CUDA when available unless told otherwise.

    Raises `InvalidRequestError` on an unknown device name, `ModelUnavailableError`
    when CUDA is asked for and torch sees no GPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InvalidRequestError("device", f"unknown torch device {device!r}") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError("a CUDA device was asked for but torch sees no GPU; use device='cpu'")
    return chosen
