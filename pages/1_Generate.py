"""Generate: lyrics streamed as they are written, then music, a player and downloads.

Flow: the form -> Generate (the lyrics stream in) -> repeat with a new seed,
start over, or continue to music -> Compose (progress) -> player, downloads,
regenerate the music. Every song with music is saved (songgen_core.songs).
"""

import streamlit as st

from songgen_app import ui
from songgen_core.errors import InvalidRequestError, ModelUnavailableError, SongGenError
from songgen_core.lyrics import stream_lyrics
from songgen_core.songs import compose, default_data_dir, regenerate_music, save_melody, save_song
from songgen_core.store import StoreError
from songgen_core.studio import check_lyrics_form, lyrics_defaults, music_backends, musicgen_status
from songgen_core.text import markdown_literal

st.set_page_config(page_title="Write a song · SongGen Studio", page_icon="✍️", layout="wide")

registry = ui.registry_or_stop()
store = ui.feedback_store()
data_dir = default_data_dir()
defaults = lyrics_defaults()
genres = registry.genres()
if not genres:
    ui.error_box("The model registry lists no genres: add one to config/models.toml, e.g. rock = \"embedded:gemma3-270m\".")
    st.stop()
state = st.session_state
FORM_KEYS = {"genre": "gen_genre", "title": "gen_title", "artist": "gen_artist", "opening_line": "gen_opening",
             "max_words": "gen_max_words", "temperature": "gen_temperature", "top_k": "gen_top_k",
             "top_p": "gen_top_p", "seed": "gen_seed"}
RESULT_KEYS = ("gen_pending", "gen_lyrics", "gen_music_open", "gen_song_id", "gen_music_error")


# --------------------------------------------------------------------------- callbacks

def on_generate():
    request, errors = check_lyrics_form({field: state.get(key) for field, key in FORM_KEYS.items()})
    state.gen_errors = errors
    if request is not None:
        start(request)


def start(request):
    for key in RESULT_KEYS:
        state.pop(key, None)
    state.gen_pending = request


def on_repeat():
    start(state.gen_lyrics.request.with_seed(None))


def on_start_over():
    for key in [*FORM_KEYS.values(), *RESULT_KEYS, "gen_errors", "gen_duration", "gen_backend", "gen_melody"]:
        state.pop(key, None)


def on_continue():
    state.gen_music_open = True


# --------------------------------------------------------------------------- the form

st.title("Write a song")
errors = state.get("gen_errors", {})
with st.form("lyrics_form"):
    st.selectbox("Genre", genres, index=genres.index("rock") if "rock" in genres else 0, key="gen_genre",
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

pending = state.pop("gen_pending", None)
if pending is not None:
    ui.heading(pending.title)
    slot = st.empty()
    try:
        model = ui.lyrics_model(registry.lyrics_source(pending.genre))
        stream = stream_lyrics(pending, model=model)
        with slot.container():
            st.write_stream(markdown_literal(piece) for piece in stream)
        state.gen_lyrics = stream.result
        with slot.container():
            ui.lyrics_box(stream.result.text)
    except InvalidRequestError as error:
        slot.empty()
        ui.error_box(error.message if error.field == "genre" else str(error))
    except ModelUnavailableError as error:
        slot.empty()
        ui.error_box(f"The lyrics model for {pending.genre} is not available: {error}. Choose another genre, or fix "
                     f"its entry in config/models.toml (or train models/{pending.genre}/) and try again. "
                     f"Your earlier songs are untouched.")
    except SongGenError as error:
        slot.empty()
        ui.error_box(f"Writing the lyrics failed: {error}. Nothing was saved; try again.")
elif "gen_lyrics" in state:
    ui.heading(state.gen_lyrics.request.title)
    ui.lyrics_box(state.gen_lyrics.text)

lyrics = state.get("gen_lyrics")
if lyrics is not None:
    ui.caption(f"{lyrics.model_description} ({lyrics.model_source}) · seed {lyrics.seed} · "
               f"{lyrics.new_tokens} tokens in {lyrics.timings.get('generate_s')} s · ended by {lyrics.ended_by}")
    repeat, over, music = st.columns(3)
    repeat.button("Repeat with a new seed", on_click=on_repeat, key="gen_repeat")
    over.button("Start over", on_click=on_start_over, key="gen_start_over")
    music.button("Continue to music", type="primary", on_click=on_continue, key="gen_continue",
                 disabled=bool(state.get("gen_music_open")))


# --------------------------------------------------------------------------- the music

def make_music(lyrics, backend: str, regenerate_from: str | None) -> None:
    """Compose (or regenerate) and save; progress in a status box; errors in it too."""
    with st.status("Composing the music…", expanded=True) as status:
        bar = st.progress(0.0, text="starting")

        def progress(fraction, message):
            bar.progress(min(1.0, max(0.0, float(fraction))), text=markdown_literal(message))

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


if lyrics is not None and state.get("gen_music_open"):
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
