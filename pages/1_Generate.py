"""Generate: lyrics streamed as they are written, then music, a player and downloads."""

import streamlit as st

from songgen_core.audio import mp3_bytes, safe_filename, wav_bytes
from songgen_core.errors import InvalidRequestError, ModelUnavailableError, SongGenError
from songgen_core.loading import load_lyrics_model
from songgen_core.lyrics import LyricsRequest, stream_lyrics
from songgen_core.music.generate import generate_music
from songgen_core.pipeline import music_request_for
from songgen_core.registry import load_registry

st.set_page_config(page_title="Write a song · SongGen Studio", page_icon="✍️", layout="wide")


@st.cache_resource(show_spinner="Loading the lyrics model (the first time converts it; later loads take seconds)…")
def cached_model(source_text: str, _source):
    return load_lyrics_model(_source)


registry = load_registry()
st.title("Write a song")
with st.form("lyrics"):
    genre = st.selectbox("Genre", registry.genres(), index=registry.genres().index("rock") if "rock" in registry.genres() else 0)
    title = st.text_input("Title", max_chars=120)
    artist = st.text_input("Artist to take after", max_chars=120)
    opening = st.text_input("Opening line", max_chars=300)
    with st.expander("Sampling"):
        max_words = st.slider("Length (words)", 20, 400, 150)
        temperature = st.slider("Temperature", 0.0, 2.0, 1.0, 0.05)
        top_k = st.number_input("Top-k (0 = off)", 0, 1000, 50)
        top_p = st.slider("Top-p", 0.05, 1.0, 0.95, 0.01)
        seed_text = st.text_input("Seed (empty = random)")
    submitted = st.form_submit_button("Generate lyrics", type="primary")

if submitted:
    try:
        seed = int(seed_text) if seed_text.strip() else None
        request = LyricsRequest(genre=genre, title=title, artist=artist, opening_line=opening, max_words=max_words,
                                temperature=temperature, top_k=int(top_k), top_p=top_p, seed=seed)
        source = registry.lyrics_source(genre)
        model = cached_model(str(source), source)
        stream = stream_lyrics(request, model=model)
        st.subheader(title)
        st.write_stream(stream)
        st.session_state["lyrics"] = stream.result
        st.session_state.pop("music", None)
    except ValueError as error:
        st.error(str(error) if isinstance(error, InvalidRequestError) else "The seed must be a whole number.")
    except ModelUnavailableError as error:
        st.error(f"The lyrics model is not available: {error}")
    except SongGenError as error:
        st.error(f"Generation failed: {error}")
elif "lyrics" in st.session_state:
    result = st.session_state["lyrics"]
    st.subheader(result.request.title)
    st.text(result.text)

if "lyrics" in st.session_state:
    result = st.session_state["lyrics"]
    st.caption(f"{result.model_description} · seed {result.seed} · {result.timings.get('tokens_per_s')} tokens/s")
    duration = st.slider("Music length (seconds)", 5, 60, 20)
    if st.button("Compose music"):
        with st.status("Composing…", expanded=False) as status:
            bar = st.progress(0.0)
            request = music_request_for(result, float(duration), registry.music_backend, None, {})
            music = generate_music(request, lambda fraction, message: bar.progress(min(1.0, fraction), text=message))
            status.update(label="Music ready", state="complete")
        st.session_state["music"] = music
    if "music" in st.session_state:
        music = st.session_state["music"]
        st.audio(wav_bytes(music.audio, music.sample_rate), format="audio/wav")
        name = safe_filename(result.request.title)
        cols = st.columns(4)
        cols[0].download_button("MP3", mp3_bytes(music.audio, music.sample_rate), f"{name}.mp3", "audio/mpeg")
        cols[1].download_button("WAV", wav_bytes(music.audio, music.sample_rate), f"{name}.wav", "audio/wav")
        if music.midi_bytes:
            cols[2].download_button("MIDI", music.midi_bytes, f"{name}.mid", "audio/midi")
        cols[3].download_button("Lyrics", result.text + "\n", f"{name}.txt", "text/plain")
