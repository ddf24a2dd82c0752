"""Generate: lyrics streamed as they are written, then music, a player and downloads.

Flow: the form -> Generate (the lyrics stream in; "Stop writing" keeps the lines so far) -> repeat
with a new seed, start over, or continue to music -> Compose (progress) -> player,
downloads, regenerate the music. Every song with music is saved (songgen_core.songs).

Each lyrics run is a "take" (`gen_take`, counted up by every start). The song's buttons
carry the take they were drawn for, so a click on a button of an earlier take (a fast
double click, a faded button clicked while the next song streams) changes nothing. The
request stays in `gen_pending` until its lyrics are written or stopped.
The previous song's controls leave the screen as soon as a stream starts (see SONG_SLOTS). A stream interrupted by
anything but its "Stop writing" button (such a stale click, a visit to another page, or
Streamlit's own Stop in the toolbar followed by any click) starts again on the next run with
the same seed, which writes the same lyrics.
"""

import secrets

import streamlit as st

from songgen_app import ui
from songgen_core import paths
from songgen_core.errors import InvalidRequestError, ModelUnavailableError, SongGenError
from songgen_core.lyrics import stream_lyrics
from songgen_core.songs import compose, regenerate_music, save_melody, save_song
from songgen_core.store import StoreError
from songgen_core.studio import check_lyrics_form, lyrics_defaults, music_backends, musicgen_status

st.set_page_config(page_title="Write a song · SongGen Studio", page_icon="✍️", layout="wide")

registry = ui.registry_or_stop()
store = ui.feedback_store()
data_dir = paths.data_dir()
defaults = lyrics_defaults()
genres = registry.genres()
if not genres:
    ui.error_box("The model registry lists no genres: add one to config/models.toml, e.g. rock = \"embedded:gemma3-270m\".")
    st.stop()
state = st.session_state
FORM_KEYS = {"genre": "gen_genre", "title": "gen_title", "artist": "gen_artist", "opening_line": "gen_opening",
             "max_words": "gen_max_words", "temperature": "gen_temperature", "top_k": "gen_top_k",
             "top_p": "gen_top_p", "seed": "gen_seed"}
# What "Start over" puts back into the form (popping the keys is not enough: the widgets keep
# session-persisted values under their own ids).
FORM_START = {"gen_title": "", "gen_artist": "", "gen_opening": "", "gen_seed": None,
              **{FORM_KEYS[f]: defaults[f] for f in ("max_words", "temperature", "top_k", "top_p")}}
RESULT_KEYS = ("gen_pending", "gen_live", "gen_lyrics", "gen_music_open", "gen_song_id", "gen_music_error")


# --------------------------------------------------------------------------- callbacks

def on_generate():
    request, errors = check_lyrics_form({field: state.get(key) for field, key in FORM_KEYS.items()})
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
        for key in [*RESULT_KEYS, "gen_errors", "gen_duration", "gen_backend", "gen_melody"]:
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


# --------------------------------------------------------------------------- the form

st.title("Write a song")
ui.warm_lyrics_model(registry)
errors = state.get("gen_errors", {})
with st.form("lyrics_form"):
    st.selectbox("Genre", genres, index=genres.index(ui.default_genre(registry)), key="gen_genre",
                 persist_state="session")
    ui.field_error(errors, "genre")
    st.text_input("Title", key="gen_title", persist_state="session", help="Up to 120 characters.")
    ui.field_error(errors, "title")
    st.text_input("Artist to take after (optional)", key="gen_artist", persist_state="session",
                  help="Up to 120 characters.")
    ui.field_error(errors, "artist")
    st.text_input("Opening line", key="gen_opening", persist_state="session", help="Up to 300 characters.")
    ui.field_error(errors, "opening_line")
    with st.expander("Advanced sampling", expanded=any(f in errors for f in ("max_words", "temperature", "top_k", "top_p", "seed"))):
        st.slider("Length (words)", 10, 400, defaults["max_words"], 10, key="gen_max_words", persist_state="session")
        ui.field_error(errors, "max_words")
        st.slider("Temperature (0 = always the likeliest word)", 0.0, 2.0, defaults["temperature"], 0.05,
                  key="gen_temperature", persist_state="session")
        ui.field_error(errors, "temperature")
        st.number_input("Top-k (0 = off)", 0, 1000, defaults["top_k"], 1, key="gen_top_k", persist_state="session")
        ui.field_error(errors, "top_k")
        st.slider("Top-p", 0.01, 1.0, defaults["top_p"], 0.01, key="gen_top_p", persist_state="session")
        ui.field_error(errors, "top_p")
        st.number_input("Seed (empty = a new random seed each time)", 0, 2**32 - 1, None, 1, key="gen_seed",
                        persist_state="session")
        ui.field_error(errors, "seed")
    st.form_submit_button("Generate lyrics", type="primary", on_click=on_generate)


# --------------------------------------------------------------------------- the lyrics

def stream_song(request) -> None:
    """Stream the lyrics of `request` under a Stop button; then rerun to show the song."""
    take = state.gen_take
    ui.heading(request.title)
    box = st.empty()
    with st.container():
        note = st.empty()
        st.button("Stop writing", key=f"gen_stop_{take}", on_click=on_stop, args=(take,), icon=":material/stop:")
    st.empty()  # in place of the previous song's buttons,
    st.empty()  # and of its music section: see SONG_SLOTS
    try:
        model = ui.lyrics_model(registry.lyrics_source(request.genre))
        if model.lock.locked():
            note.info("The model is busy with another song; yours starts as soon as it is done.")
        state.gen_live = stream = stream_lyrics(request, model=model)
        pieces, text = iter(stream), ""
        try:
            for piece in pieces:
                if not text:
                    note.empty()
                text += piece
                with box.container():
                    ui.lyrics_box(text)
        except Exception:
            raise  # a failure, reported below
        except BaseException:  # Streamlit ended this run early; the request stays pending (on_stop)
            pieces.close()  # cancels the generation at its next token
            raise
        state.gen_lyrics = stream.result
        state.pop("gen_pending", None)
    except SongGenError as error:
        state.pop("gen_pending", None)  # not tried again by the next run
        ui.error_box(lyrics_error(request, error))
    except Exception:
        state.pop("gen_pending", None)
        raise
    else:
        st.rerun()  # draw the finished song with its buttons in place of the Stop button


def lyrics_error(request, error: SongGenError) -> str:
    if isinstance(error, InvalidRequestError):
        return error.message if error.field == "genre" else str(error)
    if isinstance(error, ModelUnavailableError):
        return (f"The lyrics model for {request.genre} is not available: {error}. Choose another genre, or fix its "
                f"entry in config/models.toml (or train models/{request.genre}/) and try again. "
                f"Your earlier songs are untouched.")
    return f"Writing the lyrics failed: {error}. Nothing was saved; try again."


def show_song(lyrics) -> None:
    take = state.get("gen_take", 0)
    ui.heading(lyrics.request.title)
    ui.lyrics_box(lyrics.text)
    with st.container():
        ui.lyrics_caption(lyrics)
    with st.container():
        repeat, over, music = st.columns(3)
        repeat.button("Repeat with a new seed", on_click=on_repeat, args=(take,), key="gen_repeat")
        over.button("Start over", on_click=on_start_over, args=(take,), key="gen_start_over")
        music.button("Continue to music", type="primary", on_click=on_continue, args=(take,), key="gen_continue",
                     disabled=bool(state.get("gen_music_open")))
    with st.container():
        if state.get("gen_music_open"):
            music_section(lyrics)


# --------------------------------------------------------------------------- the music

def make_music(lyrics, backend: str, regenerate_from: str | None) -> None:
    """Compose (or regenerate) and save; progress in a status box; errors in it too."""
    with st.status("Composing the music…", expanded=True) as status:
        bar = st.progress(0.0, text="starting")

        def progress(fraction, message):
            bar.progress(min(1.0, max(0.0, float(fraction))), text=ui.markdown_literal(message))

        try:
            options = {}
            if backend == "musicgen":
                options["model"] = registry.musicgen_model
                upload = state.get("gen_melody")
                if upload is not None:
                    options["melody_path"] = str(save_melody(upload.getvalue(), upload.name, data_dir))
                progress(0.0, "loading the MusicGen model")
                ui.warm_musicgen(registry.musicgen_model)
            if regenerate_from is None:
                take = compose(lyrics, duration_s=float(state.gen_duration), backend=backend, options=options,
                               registry=registry, progress=progress)
                progress(1.0, "saving the song")
                song_id = save_song(lyrics, take.result, take.request, store, data_dir,
                                    timings={"music_s": take.seconds})
            else:
                song_id = regenerate_music(regenerate_from, store, duration_s=float(state.gen_duration),
                                           backend=backend, options=options, registry=registry,
                                           data_dir=data_dir, progress=progress)
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


def music_section(lyrics) -> None:
    st.divider()
    st.subheader("Music")
    backends = music_backends(registry)
    left, right = st.columns(2)
    left.slider("Duration (seconds)", 5, 120, 20, 5, key="gen_duration")
    backend = right.radio("Backend", backends, key="gen_backend", horizontal=True,
                          format_func={"arranger": "Arranger (MIDI band, no weights)", "musicgen": "MusicGen"}.get)
    if backend == "musicgen":
        music_model = musicgen_status(registry)
        ui.caption(f"MusicGen model {music_model['model']} ({music_model['note']}).")
        if music_model["melody"]:
            st.file_uploader("Reference melody (optional): its tune guides the music", type=["wav", "mp3", "flac", "ogg"],
                             key="gen_melody")
    song_id = state.get("gen_song_id")
    if song_id is None:
        if st.button("Compose music", type="primary", key="gen_compose"):
            make_music(lyrics, backend, None)
    elif st.button("Regenerate the music (keeps these lyrics; saved as a new version)", key="gen_regenerate"):
        make_music(lyrics, backend, song_id)
    if "gen_music_error" in state:
        ui.error_box(state.gen_music_error)

    song_id = state.get("gen_song_id")
    if song_id is not None:
        try:
            song = store.get_song(song_id)
        except StoreError as error:
            ui.error_box(f"The saved song could not be read: {error}")
        else:
            ui.song_details(song)
            ui.song_media(song, data_dir, key=f"gen-{song_id}")
            st.page_link("pages/2_Rate.py", label="Rate it", icon="⭐")


# SONG_SLOTS: the song is drawn in five places, the same in both modes: title, lyrics,
# caption (or, while streaming, the Stop button), buttons, music. While a song streams the last
# two are empty placeholders: an element put where the previous song's buttons and music were
# replaces them at once (a container there would keep them on screen until the run ends), so
# only "Stop writing" acts on a streaming song. Other runs update the places in place, so a
# playing audio player is not restarted by a click on a slider.
pending = state.get("gen_pending")  # removed once its lyrics are written or stopped
with st.container():
    if pending is not None:
        stream_song(pending)
    elif "gen_lyrics" in state:
        show_song(state.gen_lyrics)
