"""The Generate page's song: lyrics streamed under a Stop button, then the song with its
buttons, then the music panel (pages/1_Generate.py draws the form and calls `song_area`).

Each lyrics run is a "take" (`gen_take`, counted up by every start). The song's buttons
carry the take they were drawn for, so a click on a button of an earlier take (a fast
double click, a faded button clicked while the next song streams) changes nothing. The
request stays in `gen_pending` until its lyrics are written or stopped: a stream interrupted
by anything but its "Stop writing" button (a stale click, a visit to another page, or
Streamlit's own Stop in the toolbar followed by any click) starts again on the next run with
the same seed, which writes the same lyrics. The previous song's controls leave the screen as
soon as a stream starts (see `song_area`).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import streamlit as st

from songgen_core.errors import InvalidRequestError, ModelUnavailableError, SongGenError
from songgen_core.lyrics import LyricsResult, stream_lyrics
from songgen_core.registry import Registry
from songgen_core.songs import make_music
from songgen_core.store import FeedbackStore, StoreError

from .forms import check_lyrics_form, lyrics_defaults
from .resources import lyrics_model, warm_musicgen
from .song_view import lyrics_box, lyrics_caption, lyrics_details, song_details, song_media
from .status import music_backends, musicgen_status, vocal_status
from .text import caption, error_box, heading, markdown_literal

state = st.session_state
FORM_KEYS = {"genre": "gen_genre", "title": "gen_title", "artist": "gen_artist", "opening_line": "gen_opening",
             "mode": "gen_mode", "length": "gen_length_words", "max_words": "gen_max_words",
             "temperature": "gen_temperature", "top_k": "gen_top_k", "top_p": "gen_top_p", "seed": "gen_seed"}
# What "Start over" puts back into the form (popping the keys is not enough: the widgets keep
# session-persisted values under their own ids).
FORM_START = {"gen_title": "", "gen_artist": "", "gen_opening": "", "gen_seed": None, "gen_clean": True,
              **{FORM_KEYS[f]: lyrics_defaults()[f] for f in ("mode", "length", "max_words", "temperature", "top_k", "top_p")}}
RESULT_KEYS = ("gen_pending", "gen_live", "gen_lyrics", "gen_music_open", "gen_song_id", "gen_music_error")
WHOLE_SONG, SECONDS = "Whole song", "Seconds"


# --------------------------------------------------------------------------- callbacks

def on_generate():
    values = {field: state.get(key) for field, key in FORM_KEYS.items()}
    values["explicit"] = not state.get("gen_clean", True)
    request, errors = check_lyrics_form(values)
    state.gen_errors = errors
    if request is not None:
        start(request)


def start(request):
    for key in RESULT_KEYS:
        state.pop(key, None)
    state.gen_take = state.get("gen_take", 0) + 1
    # The seed is drawn here, so that a stream started again after an interruption writes the same song.
    state.gen_pending = request if request.seed is not None else request.with_seed(secrets.randbelow(2**32))


def is_current(take: int) -> bool:
    """Whether `take` is the song on screen, written (or stopped) and not streaming."""
    return take == state.get("gen_take") and "gen_lyrics" in state and "gen_pending" not in state


def on_repeat(take: int):
    if is_current(take):
        start(state.gen_lyrics.request.with_seed(None))


def on_start_over(take: int):
    if take == state.get("gen_take"):
        for key, value in FORM_START.items():
            state[key] = value
        for key in [*RESULT_KEYS, "gen_errors", "gen_length", "gen_duration", "gen_backend", "gen_melody", "gen_vocals"]:
            state.pop(key, None)


def on_continue(take: int):
    if is_current(take):
        state.gen_music_open = True


def on_stop(take: int):
    """Keep the lines shown so far. This runs at the start of the next run, which Streamlit may
    begin before the streaming run has finished unwinding, so the stream is reached through
    `gen_live` (what it has shown so far) rather than through anything that run would write."""
    live = state.get("gen_live")
    if take == state.get("gen_take") and "gen_pending" in state and live is not None:
        live.cancel()
        state.gen_lyrics = live.stopped_result()
        state.pop("gen_pending", None)


# --------------------------------------------------------------------------- the song

def song_area(registry: Registry, store: FeedbackStore, data_dir: Path) -> None:
    """The song, drawn in five places: once written, title, lyrics, caption, details and
    buttons, music; while it streams, title, the Stop button (above the lyrics, so that it
    stays put while they grow), lyrics, two empty places. A place whose content changes
    between the two also changes kind (element <-> container), because the browser drops a
    replaced container's contents at once, while a container put over a container keeps the
    old contents on screen until that run ends, and so does a button replaced by any other
    element (Streamlit keeps a replaced widget, faded, until then). So while a song streams
    the previous song's buttons and music are gone, and once it is written its Stop button
    is: never both on screen. Other runs update the places in place, so a playing audio
    player is not restarted by a slider."""
    pending = state.get("gen_pending")  # removed once its lyrics are written or stopped
    with st.container():
        if pending is not None:
            _stream_song(pending, registry)
        elif "gen_lyrics" in state:
            _show_song(state.gen_lyrics, registry, store, data_dir)


def _stream_song(request, registry: Registry) -> None:
    """Stream the lyrics of `request` under a Stop button; then rerun to show the song."""
    take = state.gen_take
    heading(request.title)
    stop_place = st.empty()  # above the lyrics, so that it stays put while they grow
    box = st.empty()  # the lyrics, or until the first line a note that the model is busy
    st.empty()  # in place of the previous song's buttons,
    st.empty()  # and of its music panel, before the Stop button shows: never both on screen at once
    with stop_place.container():
        st.button("Stop writing", key=f"gen_stop_{take}", on_click=on_stop, args=(take,), icon=":material/stop:")
    try:
        model = lyrics_model(registry.lyrics_source(request.genre))
        if model.lock.locked():
            box.info("The model is busy with another song; yours starts as soon as it is done.")
        state.gen_live = stream = stream_lyrics(request, model=model)
        pieces, text = iter(stream), ""
        try:
            for piece in pieces:
                text += piece
                with box.container():
                    lyrics_box(text)
        except Exception:
            raise  # a failure, reported below
        except BaseException:  # Streamlit ended this run early; the request stays pending (on_stop)
            pieces.close()  # cancels the generation at its next token
            raise
        state.gen_lyrics = stream.result
        state.pop("gen_pending", None)
    except SongGenError as error:
        state.pop("gen_pending", None)  # not tried again by the next run
        stop_place.empty()  # nothing is left to stop
        error_box(_lyrics_error(request, error))
    except Exception:
        state.pop("gen_pending", None)
        raise
    else:
        st.rerun()  # draw the finished song with its buttons in place of the Stop button


def _lyrics_error(request, error: SongGenError) -> str:
    if isinstance(error, InvalidRequestError):
        return error.message if error.field == "genre" else str(error)
    if isinstance(error, ModelUnavailableError):
        return (f"The lyrics model for {request.genre} is not available: {error}. Choose another genre, or fix its "
                f"entry in config/models.toml (or train models/{request.genre}/) and try again. "
                f"Your earlier songs are untouched.")
    return f"Writing the lyrics failed: {error}. Nothing was saved; try again."


def _show_song(lyrics: LyricsResult, registry: Registry, store: FeedbackStore, data_dir: Path) -> None:
    take = state.get("gen_take", 0)
    heading(lyrics.request.title)
    lyrics_box(lyrics.text)
    lyrics_caption(lyrics)
    with st.container():
        lyrics_details(lyrics)
        repeat, over, music = st.columns(3)
        repeat.button("Repeat with a new seed", on_click=on_repeat, args=(take,), key="gen_repeat")
        over.button("Start over", on_click=on_start_over, args=(take,), key="gen_start_over")
        music.button("Continue to music", type="primary", on_click=on_continue, args=(take,), key="gen_continue",
                     disabled=bool(state.get("gen_music_open")))
    with st.container():
        if state.get("gen_music_open"):
            _music_panel(lyrics, registry, store, data_dir)


# --------------------------------------------------------------------------- the music

def _music_panel(lyrics: LyricsResult, registry: Registry, store: FeedbackStore, data_dir: Path) -> None:
    st.divider()
    st.subheader("Music")
    length, duration, backend_col = st.columns([1, 1, 2])
    whole = length.radio("Length", [WHOLE_SONG, SECONDS], key="gen_length", horizontal=True,
                         help="The whole song sings every line of every section, with an intro and an outro.") == WHOLE_SONG
    seconds = duration.slider("Seconds", 5, 120, 20, 5, key="gen_duration", disabled=whole)
    backends = music_backends(registry)
    backend = backend_col.radio("Backend", backends, key="gen_backend", horizontal=True,
                                format_func={"arranger": "Arranger (MIDI band, no weights)", "musicgen": "MusicGen"}.get)
    if backend == "musicgen":
        music_model = musicgen_status(registry)
        caption(f"MusicGen model {music_model['model']} ({music_model['note']}).")
        if music_model["melody"]:
            st.file_uploader("Reference melody (optional): its tune guides the music", type=["wav", "mp3", "flac", "ogg"],
                             key="gen_melody")
    sing = False
    if backend == "arranger":
        vocal = vocal_status()
        sing = st.toggle("Sung guide vocal", key="gen_vocals", disabled=not vocal["available"],
                         help="A synthetic voice sings the lyrics on the melody, one note per syllable.")
        caption(f"Voice: {vocal['note']}" if vocal["available"] else f"No guide vocal on this machine: {vocal['note']}")
        sing = sing and vocal["available"]
    song_id = state.get("gen_song_id")
    label = ("Compose music" if song_id is None else
             "Regenerate the music (keeps these lyrics; saved as a new version)")
    if st.button(label, type="primary" if song_id is None else "secondary",
                 key="gen_compose" if song_id is None else "gen_regenerate"):
        _compose(lyrics, registry, store, data_dir, backend, None if whole else float(seconds), song_id,
                 "guide" if sing else "none")
    if "gen_music_error" in state:
        error_box(state.gen_music_error)
    song_id = state.get("gen_song_id")
    if song_id is not None:
        try:
            song = store.get_song(song_id)
        except StoreError as error:
            error_box(f"The saved song could not be read: {error}")
        else:
            song_details(song)
            song_media(song, data_dir, key=f"gen-{song_id}")
            st.page_link("pages/2_Rate.py", label="Rate it", icon="⭐")


def _compose(lyrics: LyricsResult, registry: Registry, store: FeedbackStore, data_dir: Path, backend: str,
             duration_s: float | None, regenerate_from: str | None, vocals: str = "none") -> None:
    """Compose (or regenerate) and keep the song; progress and errors in a status box."""
    with st.status("Composing the music…", expanded=True) as status:
        bar = st.progress(0.0, text="starting")

        def progress(fraction, message):
            bar.progress(min(1.0, max(0.0, float(fraction))), text=markdown_literal(message))

        upload = state.get("gen_melody") if backend == "musicgen" else None
        try:
            if backend == "musicgen":
                progress(0.0, "loading the MusicGen model")
                warm_musicgen(registry.musicgen_model)
            song_id = make_music(lyrics, store, duration_s=duration_s, backend=backend, registry=registry,
                                 melody=None if upload is None else (upload.getvalue(), upload.name),
                                 regenerate_from=regenerate_from, data_dir=data_dir, progress=progress, vocals=vocals)
        except InvalidRequestError as error:
            state.gen_music_error = str(error)
            status.update(label="The music settings need a change", state="error")
        except ModelUnavailableError as error:
            state.gen_music_error = (f"The MusicGen model is not available: {error}. Use the arranger, or point "
                                     f"music.musicgen_model in config/models.toml at a local folder.")
            status.update(label="The music model is not available", state="error")
        except (SongGenError, OSError) as error:
            state.gen_music_error = f"Composing or saving failed: {error}. Nothing was saved; earlier songs are untouched."
            status.update(label="Composing failed", state="error")
        else:
            state.pop("gen_music_error", None)
            state.gen_song_id = song_id
            status.update(label="The music is ready and the song is saved", state="complete", expanded=False)
    if "gen_music_error" not in state:
        st.rerun()  # show the new song with its player and the regenerate button
