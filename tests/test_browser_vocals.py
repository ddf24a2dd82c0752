"""A song with the sung guide vocal, in a real browser (issue 13): switched on in the music
panel, the song plays, its song details name the voice and its licence, the vocal stem and
the stems ZIP download, and the stems in the ZIP add up to the song's WAV.

Skipped where /usr/bin/chromium, the playwright package or Debian's festival voice is
missing (.ci/run installs chromium; scripts/install.sh installs festival when it can).
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import soundfile as sf

from browser_studio import chromium_page, compose_music, fill_lyrics_form, generate_timed, missing, no_exception, open_generate, streamlit_server, studio_env
from songgen_core.music.vocals.voices import VoiceUnavailableError, require_voice
from songgen_core.store import FeedbackStore


def _voice_missing() -> str | None:
    try:
        require_voice()
    except VoiceUnavailableError as error:
        return str(error)
    return None


pytestmark = [pytest.mark.skipif(missing() is not None, reason=f"browser test skipped: {missing()}"),
              pytest.mark.skipif(_voice_missing() is not None, reason=f"no guide vocal here: {_voice_missing()}")]
OPENING = "Gulls above the quay tonight"


def test_a_sung_song_plays_and_its_stems_download_and_sum_to_the_mix(tmp_path, tiny_lyrics_dir):
    env = studio_env(tmp_path, {"rock": tiny_lyrics_dir})
    with streamlit_server(env, log_on_exit=True) as url, chromium_page() as page:
        open_generate(page, url)
        fill_lyrics_form(page, "Quay Song", "", OPENING)
        generate_timed(page, OPENING)
        audio = compose_music(page, vocals=True)

        # It plays (muted: a headless page may start muted audio without a click).
        page.wait_for_function("() => document.querySelector('audio').readyState >= 1")
        audio.evaluate("a => { a.muted = true; return a.play(); }")
        page.wait_for_function("() => document.querySelector('audio').currentTime > 0.3", polling=100)
        page.get_by_text("guide vocal: Festival kal diphone voice").wait_for()

        with page.expect_download() as zip_download:
            page.get_by_role("button", name="Stems (ZIP)").click()
        assert zip_download.value.suggested_filename == "quay-song-stems.zip"
        archive = zipfile.ZipFile(io.BytesIO(open(zip_download.value.path(), "rb").read()))
        page.get_by_text("Stems: vocal, drums, bass, chords, lead").click()
        with page.expect_download() as vocal_download:
            page.get_by_role("button", name="Vocal", exact=True).click()
        vocal, vocal_rate = sf.read(vocal_download.value.path(), dtype="float32")
        with page.expect_download() as wav_download:
            page.get_by_role("button", name="WAV", exact=True).click()
        mix, rate = sf.read(wav_download.value.path(), dtype="float32")
        no_exception(page)

    assert sorted(archive.namelist()) == ["bass.wav", "chords.wav", "drums.wav", "lead.wav", "vocal.wav"]
    stems = {name: sf.read(io.BytesIO(archive.read(name)), dtype="float32") for name in archive.namelist()}
    assert {stem_rate for _audio, stem_rate in stems.values()} == {rate} == {vocal_rate}
    assert np.array_equal(stems["vocal.wav"][0], vocal)
    # Five 16-bit stems against one 16-bit mix, each rounded: within half a step per file.
    total = sum(audio for audio, _rate in stems.values())
    assert total.shape == mix.shape and np.max(np.abs(total - mix)) * 32768 <= 3, np.max(np.abs(total - mix)) * 32768
    assert np.mean(np.abs(total - mix)) * 32768 < 1.5
    sung = np.abs(vocal[:, 0]) > 1e-3
    assert sung.mean() > 0.1  # the voice sings through a good part of the 5 s

    [song] = FeedbackStore(env["SONGGEN_DB"]).list_songs()
    vocals = song["info"]["music"]["info"]["vocals"]
    assert song["music_params"]["vocals"] == "guide" and vocals["sung"] is True
    assert vocals["voice"]["name"] == "kal" and "Festival" in vocals["voice"]["licence"]
