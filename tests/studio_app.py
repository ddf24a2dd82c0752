"""Helpers for the AppTest tests of the pages: a studio on temporary paths, served
by a tiny trained GPT-2 through a real registry file, and songs made by the library."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from streamlit.testing.v1 import AppTest

from songgen_core.lyrics import LyricsRequest, generate_lyrics
from songgen_core.registry import load_registry
from songgen_core.songs import compose, save_song
from songgen_core.store import FeedbackStore

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # first model loads and music take longer than AppTest's default 3 s


@dataclass
class Studio:
    config: Path
    db: Path
    data: Path

    @property
    def store(self) -> FeedbackStore:
        return FeedbackStore(self.db)


def make_studio(tmp_path: Path, monkeypatch, model_dir: Path, music: str = "") -> Studio:
    """Point the app at temporary paths: rock and pop use `model_dir`, rap a missing folder."""
    config = tmp_path / "models.toml"
    config.write_text(
        "[lyrics.genres]\n"
        f'rock = "path:{model_dir}"\npop = "path:{model_dir}"\nrap = "path:{tmp_path / "no-such-model"}"\n' + music,
        encoding="utf-8")
    (tmp_path / "no-models").mkdir()
    studio = Studio(config, tmp_path / "feedback.db", tmp_path / "data")
    monkeypatch.setenv("SONGGEN_CONFIG", str(config))
    monkeypatch.setenv("SONGGEN_DB", str(studio.db))
    monkeypatch.setenv("SONGGEN_DATA", str(studio.data))
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    return studio


def open_page(page: str | None = None) -> AppTest:
    """Start at Home.py (the real multipage app), then switch to `page` ("pages/2_Rate.py")."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=TIMEOUT).run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def make_song(studio: Studio, title: str, genre: str = "rock", seed: int = 1, artist: str = "") -> str:
    """A real song made by the library (lyrics, arranger music, files, row), as the page saves them."""
    registry = load_registry()
    lyrics = generate_lyrics(LyricsRequest(genre=genre, title=title, artist=artist, opening_line="Neon rain on the avenue",
                                           seed=seed, max_words=30), registry)
    take = compose(lyrics, duration_s=2.0, backend="arranger", registry=registry)
    return save_song(lyrics, take, studio.store, studio.data)


def button(at: AppTest, label: str):
    """The button (form submit buttons included) with this label."""
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in at.button]}"
    return found[0]


def markdown_texts(at: AppTest) -> list[str]:
    """The source of every element Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success")
    return [str(element.value) for kind in kinds for element in getattr(at, kind)]


def shown(markdown: str) -> str:
    """What a Markdown element made by `markdown_literal` displays (its escapes undone)."""
    return re.sub(r"\\(.)", r"\1", str(markdown).replace("  \n", "\n"))


def errors_shown(at: AppTest) -> list[str]:
    return [shown(error.value) for error in at.error]
