"""The pages' helpers that need no browser (songgen_app): the Generate form's checks, which music
backends are offered, and literal Markdown text."""

from __future__ import annotations

import json
import re

import pytest

from songgen_app.forms import check_lyrics_form, lyrics_defaults
from songgen_app.status import music_backends, musicgen_status
from songgen_app.text import markdown_literal
from songgen_core.registry import load_registry
from studio_app import make_studio


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    return make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)


def test_check_lyrics_form_names_every_bad_field():
    good = {"genre": "rock", "title": "T", "artist": "", "opening_line": "Line", **{k: v for k, v in lyrics_defaults().items()
                                                                                  if k not in ("genre",)}}
    request, errors = check_lyrics_form(good)
    assert errors == {} and request.title == "T" and request.top_k == 50
    request, errors = check_lyrics_form(good | {"title": " ", "opening_line": "x" * 301, "seed": -1, "top_p": 0.0})
    assert request is None and set(errors) == {"title", "opening_line", "seed", "top_p"}
    assert errors["title"] == "must not be empty"


def test_musicgen_is_offered_only_when_usable(studio, tmp_path):
    registry = load_registry()
    assert music_backends(registry) == ["arranger"]
    assert musicgen_status(registry)["available"] is False
    folder = tmp_path / "musicgen-melody"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "musicgen_melody"}))
    registry.musicgen_model = str(folder)
    assert musicgen_status(registry) == {"model": str(folder), "available": True, "melody": True, "note": "local folder"}
    assert music_backends(registry) == ["arranger", "musicgen"]
    registry.music_backend = "musicgen"
    assert music_backends(registry) == ["musicgen", "arranger"]


def test_markdown_literal_escapes_everything_markdown_would_interpret():
    text = "<script>alert(1)</script> **b** _i_ [l](u) # h $x$ :red[r] :fire:\nline two\n\nstanza"
    escaped = markdown_literal(text)
    assert "<script>" not in escaped and "**" not in escaped and "](" not in escaped and ":fire:" not in escaped
    assert escaped.count("  \n") == 3
    assert re.sub(r"\\(.)", r"\1", escaped.replace("  \n", "\n")) == text


def test_markdown_literal_adds_no_invisible_characters():
    """A model id copied from a caption must be the id itself (issue 9, item 12)."""
    escaped = markdown_literal("embedded:gemma3-270m · path:models/rock · 12:30")
    assert escaped == "embedded\\:gemma3\\-270m · path\\:models\\/rock · 12\\:30"
    assert not any(ch in escaped for ch in "\u200b\u200c\u200d\u2060\ufeff")
