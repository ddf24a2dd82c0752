"""The command line: a whole song into a folder, and clear failures that write nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from songgen_core.__main__ import main
from songgen_core.loading import unload_all
from tiny_models import train_tiny_gpt2

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """A registry whose rock genre is served by a tiny fine-tuned GPT-2."""
    base = tmp_path_factory.mktemp("cli")
    train_tiny_gpt2(base / "tiny-rock", steps=60)
    path = base / "models.toml"
    path.write_text(f'[lyrics.genres]\nrock = "path:{base / "tiny-rock"}"\nrap = "path:{base / "no-such-model"}"\n')
    yield path
    unload_all()


def args(config, out, *extra):
    return ["--config", str(config), "--genre", "rock", "--title", "Highway Static", "--artist", "The Rust Engines",
            "--opening", "Headlights cutting", "--out", str(out), "--duration", "6", "--seed", "3", "--quiet", *extra]


def test_writes_a_playable_song(config, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    out = tmp_path / "song"
    assert main(args(config, out)) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert sorted(p.name for p in out.iterdir()) == ["lyrics.txt", "song.json", "song.mid", "song.mp3", "song.wav"]
    lyrics = (out / "lyrics.txt").read_text()
    assert lyrics.startswith("[Verse 1]\nHeadlights cutting")  # structured, the default
    audio, rate = soundfile.read(out / "song.wav")
    assert abs(len(audio) / rate - 6.0) < 0.3 and np.abs(audio).max() > 0.1
    mp3, mp3_rate = soundfile.read(out / "song.mp3")
    assert abs(len(mp3) / mp3_rate - 6.0) < 0.3
    info = json.loads((out / "song.json").read_text())
    assert info["title"] == "Highway Static" and info["genre"] == "rock"
    assert info["lyrics"]["parameters"]["seed"] == 3 and info["lyrics"]["parameters"]["top_k"] == 50
    assert info["lyrics"]["model"].startswith("path:") and info["music"]["parameters"]["backend"] == "arranger"
    assert info["music"]["parameters"]["seed"] == 3 and info["music"]["prompt"]
    assert set(info["timings"]) == {"lyrics_s", "music_s", "files_s", "total_s"}
    assert sorted(info["files"]) == ["lyrics.txt", "song.json", "song.mid", "song.mp3", "song.wav"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_same_seed_same_song(config, tmp_path, monkeypatch):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    assert main(args(config, tmp_path / "a")) == 0
    assert main(args(config, tmp_path / "b")) == 0
    assert (tmp_path / "a" / "lyrics.txt").read_text() == (tmp_path / "b" / "lyrics.txt").read_text()
    assert (tmp_path / "a" / "song.wav").read_bytes() == (tmp_path / "b" / "song.wav").read_bytes()


@pytest.mark.parametrize(
    "change, code, message",
    [
        ({"--title": ""}, 2, "title: must not be empty"),
        ({"--genre": "polka"}, 2, "unknown genre 'polka'"),
        ({"--duration": "0"}, 2, "duration"),
        ({"--seed": "-4"}, 2, "seed"),
        ({"--opening": "x" * 400}, 2, "at most 300"),
        ({"--genre": "rap"}, 3, "no config.json"),
    ],
)
def test_bad_input_exits_non_zero_and_writes_nothing(config, tmp_path, capsys, monkeypatch, change, code, message):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    argv = args(config, tmp_path / "song")
    for flag, value in change.items():
        argv[argv.index(flag) + 1] = value
    assert main(argv) == code
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_song_is_kept_unless_overwrite(config, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    out = tmp_path / "song"
    out.mkdir()
    (out / "lyrics.txt").write_text("my earlier song\n")
    assert main(args(config, out)) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "lyrics.txt").read_text() == "my earlier song\n"
    assert main(args(config, out, "--overwrite")) == 0
    assert (out / "lyrics.txt").read_text().startswith("[Verse 1]\nHeadlights cutting")


def test_runs_as_a_module_with_clear_usage_errors(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    missing = subprocess.run([sys.executable, "-m", "songgen_core", "--genre", "rock"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "required" in missing.stderr
    bad = subprocess.run([sys.executable, "-m", "songgen_core", "--genre", "rock", "--title", "T", "--opening", "bell\x07",
                          "--out", str(tmp_path / "x")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "opening_line: must not contain control characters" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_musicgen_backend_end_to_end(config, tmp_path, capsys, monkeypatch):
    """The CLI with a tiny random MusicGen folder: the same path a real checkpoint takes."""
    from test_musicgen_backend import _build

    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    folder = tmp_path / "tiny-musicgen"
    _build(folder)
    out = tmp_path / "song"
    argv = args(config, out, "--music-backend", "musicgen", "--musicgen-model", str(folder))
    argv[argv.index("--duration") + 1] = "1.5"
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lyrics.txt", "song.json", "song.mp3", "song.wav"]  # no MIDI
    audio, rate = soundfile.read(out / "song.wav")
    info = json.loads((out / "song.json").read_text())
    assert rate == info["music"]["sample_rate"] and abs(len(audio) / rate - 1.5) < 0.1
    assert np.abs(audio).max() > 0.01
    assert info["music"]["parameters"]["backend"] == "musicgen"
    assert info["music"]["parameters"]["options"]["model"] == str(folder)
    assert "rock" in info["music"]["prompt"]


def test_musicgen_option_typos_fail_before_any_work(config, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    argv = args(config, tmp_path / "song", "--music-backend", "musicgen", "--melody", str(tmp_path / "missing.wav"))
    assert main(argv) == 2
    assert "melody" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_guide_vocals_with_musicgen_is_bad_input_and_writes_nothing(config, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    argv = args(config, tmp_path / "song", "--music-backend", "musicgen", "--vocals", "guide")
    assert main(argv) == 2
    assert "vocals" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_stems_are_written_beside_the_song(config, tmp_path, monkeypatch):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    out = tmp_path / "song"
    assert main(args(config, out, "--stems")) == 0
    assert sorted(p.name for p in (out / "stems").iterdir()) == ["bass.wav", "chords.wav", "drums.wav", "lead.wav"]
    mix, _ = soundfile.read(out / "song.wav")
    total = sum(soundfile.read(p)[0] for p in (out / "stems").iterdir())
    assert np.abs(total - mix).max() < 5 * 2 ** -15
    info = json.loads((out / "song.json").read_text())
    assert "stems.zip" in info["files"] and info["music"]["parameters"]["vocals"] == "none"


@pytest.mark.parametrize("plan, field", [
    ('[genres.rock]\nsyllables = [7, 11]\nsections = []\n', "sections"),
    ('[genres.rock]\nsyllables = [7, 11]\nsections = [{ name = "Verse 1", lines = 0, rhyme = "AABB" }]\n', "lines"),
    ('[genres.rock]\nsyllables = [7, 11]\nsections = [{ name = "Verse 1", lines = 4, rhyme = "AQBB" }]\n', "rhyme"),
    ('[genres.rock]\nsyllables = [11, 7]\nsections = [{ name = "Verse 1", lines = 4, rhyme = "AABB" }]\n', "syllables"),
])
def test_a_broken_song_plan_stops_the_cli_at_start_with_nothing_written(config, tmp_path, capsys, monkeypatch, plan, field):
    """Issue 11: a bad plan in config/songs.toml is named (genre and field) before any work; exit 2."""
    songs = tmp_path / "songs.toml"
    songs.write_text('[lengths]\nstandard = { words = [150, 250] }\n' + plan)
    monkeypatch.setenv("SONGGEN_SONGS_CONFIG", str(songs))
    out = tmp_path / "song"
    assert main(args(config, out)) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "'rock'" in error and field in error
    assert not out.exists()


def test_free_mode_and_explicit_are_chosen_on_the_command_line(config, tmp_path, monkeypatch):
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    out = tmp_path / "song"
    assert main(args(config, out, "--lyrics-mode", "free", "--explicit", "--length", "short")) == 0
    info = json.loads((out / "song.json").read_text())
    parameters = info["lyrics"]["parameters"]
    assert (parameters["mode"], parameters["explicit"], parameters["length"]) == ("free", True, "short")
    assert info["lyrics"]["mode"] == "free" and (out / "lyrics.txt").read_text().startswith("Headlights cutting")
