"""Test settings: never the network, and few torch threads.

On two shared cores torch's default threading can make tiny models 100x
slower, so threads are pinned before any test imports a model.
"""

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
# Tokenized training sets are cached per test session, not across sessions.
os.environ["SONGGEN_TOKENIZED_CACHE"] = tempfile.mkdtemp(prefix="songgen-test-tokenized-")
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The studio loads its default model in the background when a page opens; a test that wants it says so.
os.environ["SONGGEN_PRELOAD"] = "0"

import torch  # noqa: E402

torch.set_num_threads(1)


# --------------------------------------------------------------------------- the Streamlit app tests

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_lyrics_dir(tmp_path_factory):
    """A tiny GPT-2 fine-tuned in our prompt format, trained once per test session."""
    from tiny_models import train_tiny_gpt2

    return train_tiny_gpt2(tmp_path_factory.mktemp("tiny-lyrics") / "model", steps=60)
