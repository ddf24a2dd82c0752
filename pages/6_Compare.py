"""Compare: two systems write a song from one prompt; vote blind on lyrics and on music.

Flow: genre (and, optionally, two systems; else two are drawn) -> a prompt of one's own or
from the list -> Make the pair (progress) -> A and B side by side -> vote on the lyrics (after
a few seconds) and on the music (after both were played) -> the systems' names. The songs are
kept like any other (History, Rate); the votes in feedback.db. The pair: songgen_app/compare_view.py.
"""

import streamlit as st

from songgen_app import compare_view as view
from songgen_app.resources import feedback_store, plans_or_stop, registry_or_stop, systems_or_stop
from songgen_app.text import caption, error_box, heading
from songgen_core import paths
from songgen_core.compare import PairRequest, bundled_prompts, make_pair, new_voter_id
from songgen_core.errors import InvalidRequestError, ModelUnavailableError, SongGenError

st.set_page_config(page_title="Compare · SongGen Studio", page_icon="⚖️", layout="wide")
st.title("Compare blind")
registry = registry_or_stop()
plans_or_stop()
systems = systems_or_stop(registry)
store = feedback_store()
state = st.session_state
state.setdefault("cmp_voter", new_voter_id())  # pseudonymous: this browser session only
DRAWN = "(drawn)"
FIELDS = {"title": "Title", "artist": "Artist", "opening_line": "Opening line", "system": "System", "system_b": "System 2",
          "genre": "Genre"}
OWN = "(my own prompt)"

genres = systems.genres()
if not genres:
    error_box("Compare needs two systems of one genre in config/systems.toml.")
    st.stop()
st.caption("Two systems write a song from the same prompt. You see them as A and B, in random order, "
           "and vote on the lyrics and on the music; then their names are shown.")
genre = st.selectbox("Genre", genres, key="cmp_genre")  # outside the form: the systems follow it
with st.form("cmp_form"):
    left, right = st.columns(2)
    names = [DRAWN] + [s.name for s in systems.for_genre(genre)]
    first = left.selectbox("System 1", names, key="cmp_system_1", help="Drawn: the pair with the fewest votes.")
    second = right.selectbox("System 2", names, key="cmp_system_2")
    prompts = {f"{p['title']}: {p['opening_line']}": p for p in bundled_prompts(genre)}
    choice = st.selectbox("Prompt", [OWN, *prompts], key="cmp_prompt")
    title = st.text_input("Title", key="cmp_title")
    artist = st.text_input("Artist to take after (optional)", key="cmp_artist")
    opening = st.text_input("Opening line", key="cmp_opening")
    go = st.form_submit_button("Make the pair", type="primary")

if go:
    prompt = prompts.get(choice) or {"title": title, "artist": artist, "opening_line": opening}
    request = PairRequest(genre, prompt["title"], prompt["artist"], prompt["opening_line"],
                          system_a=None if first == DRAWN else first, system_b=None if second == DRAWN else second)
    with st.status("Making the pair…", expanded=True) as status:
        bar = st.progress(0.0, text="starting")
        try:
            state.cmp_pair = make_pair(request, systems, store, registry=registry, data_dir=paths.data_dir(),
                                       progress=lambda f, m: bar.progress(min(1.0, max(0.0, f)), text=m))
        except InvalidRequestError as error:
            status.update(label="The prompt or the systems need a change", state="error")
            error_box(f"{FIELDS.get(error.field, error.field)}: {error.message}")
        except ModelUnavailableError as error:
            status.update(label="A model is not available", state="error")
            error_box(f"A system's model is not available: {error}. Choose other systems.")
        except SongGenError as error:
            status.update(label="Making the pair failed", state="error")
            error_box(f"Making the pair failed: {error}. Songs made before the failure are kept.")
        else:
            status.update(label="Both songs are ready", state="complete", expanded=False)

pair = state.get("cmp_pair")
if pair is not None:
    st.divider()
    heading(pair.prompt["title"])
    caption(f"{pair.genre} · opening line: {pair.prompt['opening_line']}")
    view.pair_area(pair, store, paths.data_dir())
st.page_link("pages/7_Leaderboard.py", label="See the leaderboard", icon="🏆")
