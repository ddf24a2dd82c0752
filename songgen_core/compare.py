"""Blind comparison: two systems write a song from one prompt, people vote, a leaderboard.

    systems = load_systems()
    pair = make_pair(PairRequest("rock", "Harbour Lights", "", "Lanterns on the pier"), systems, store)
    cast_vote(store, pair, "lyrics", "a", voter=new_voter_id())      # A (left) was better
    board = leaderboard_for(store, "lyrics", genre="rock", min_votes=systems.min_votes)

A pair is two songs of one genre from one prompt, one by each system, shown in random order
as A (left) and B (right) without their systems' names. Both songs are kept like any song
(History, Rate) with their system in song.json. Two systems are drawn unless chosen: the
pair of the genre's systems with the fewest votes so far (ties drawn at random). Now and
then (`Systems.check_rate`) a pair is one song shown twice: a voter check (store/votes.py).
"""

from __future__ import annotations

import itertools
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .errors import InvalidRequestError
from .files import read_toml
from .loading import load_lyrics_model
from .lyrics import generate_lyrics
from .ranking import Leaderboard, leaderboard
from .registry import Registry, load_registry
from .songs import compose, save_song
from .store import FeedbackStore, VoteRecord
from .systems import System, Systems, UnknownSystemError

PROMPTS_PATH = Path(__file__).resolve().parent / "data" / "compare_prompts.toml"
LYRICS_UNLOCK_S = 5.0  # the lyrics vote opens this long after the pair is shown
# progress(fraction, message) over the whole pair
PairProgress = Callable[[float, str], None]


@dataclass(frozen=True)
class PairRequest:
    """The prompt both systems get. Raises `InvalidRequestError` on bad input (checked by
    `LyricsRequest` when the pair is made)."""

    genre: str
    title: str
    artist: str
    opening_line: str
    system_a: str | None = None  # None: drawn
    system_b: str | None = None
    seed: int | None = None  # None: a new random seed (both systems get the same one)


@dataclass(frozen=True)
class Pair:
    """Two songs shown as A (left) and B (right); `check`: one song shown twice."""

    pair_id: str
    genre: str
    song_a: str
    song_b: str
    system_a: str
    system_b: str
    check: bool
    shown_at: str
    prompt: dict = field(default_factory=dict)


def bundled_prompts(genre: str | None = None) -> list[dict]:
    """The prompt list Compare offers (title, artist, opening_line, genre), optionally of one genre."""
    data = read_toml(PROMPTS_PATH, "Compare prompts")
    return [dict(p) for p in data["prompts"] if genre is None or p["genre"] == genre]


def new_voter_id() -> str:
    """A pseudonymous voter id: random, kept in the browser session only."""
    return secrets.token_hex(8)


def draw_systems(systems: Systems, genre: str, store: FeedbackStore, rng: random.Random | None = None) -> tuple[str, str]:
    """The genre's pair of systems with the fewest votes so far (ties drawn), in random order.
    Raises `InvalidRequestError` (field genre) when the genre has fewer than two systems."""
    rng = rng or random.Random()
    names = [s.name for s in systems.for_genre(genre)]
    if len(names) < 2:
        raise InvalidRequestError("genre", f"Compare needs two systems of {genre!r} in config/systems.toml; "
                                           f"it has {len(names)}")
    counts: dict[frozenset, int] = {}
    for vote in store.votes.list(genre=genre):
        key = frozenset((vote["system_a"], vote["system_b"]))
        counts[key] = counts.get(key, 0) + 1
    pairs = list(itertools.combinations(names, 2))
    fewest = min(counts.get(frozenset(p), 0) for p in pairs)
    chosen = list(rng.choice([p for p in pairs if counts.get(frozenset(p), 0) == fewest]))
    rng.shuffle(chosen)
    return chosen[0], chosen[1]


def make_pair(request: PairRequest, systems: Systems, store: FeedbackStore, *, registry: Registry | None = None,
              data_dir=None, progress: PairProgress | None = None, rng: random.Random | None = None) -> Pair:
    """Make both songs of a pair (lyrics, then music, each kept as a song) and return the pair
    in random order. Raises `UnknownSystemError`, `InvalidRequestError` (bad prompt, two
    systems of other genres or the same one twice, a genre without two systems),
    `ModelUnavailableError`, `StoreError`; a song made before a failure stays kept."""
    rng = rng or random.Random()
    progress = progress or (lambda fraction, message: None)
    registry = registry or load_registry()
    chosen = _chosen_systems(request, systems, store, rng)
    check = request.system_a is None and request.system_b is None and rng.random() < systems.check_rate
    if check:
        chosen = [chosen[0]]
    seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
    songs = []
    for i, system in enumerate(chosen):
        share = 1 / len(chosen)
        songs.append(_make_song(system, request, seed, store, registry, data_dir,
                                lambda f, m, i=i: progress(min(1.0, (i + f) * share), m)))
    if check:
        songs.append(songs[0])
        chosen.append(chosen[0])
    order = [0, 1]
    rng.shuffle(order)
    progress(1.0, "both songs are ready")
    return Pair(pair_id=secrets.token_hex(8), genre=request.genre, song_a=songs[order[0]], song_b=songs[order[1]],
                system_a=chosen[order[0]].name, system_b=chosen[order[1]].name, check=check,
                shown_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                prompt={"title": request.title, "artist": request.artist, "opening_line": request.opening_line,
                        "seed": seed})


def _chosen_systems(request: PairRequest, systems: Systems, store: FeedbackStore, rng: random.Random) -> list[System]:
    names = [request.system_a, request.system_b]
    if names == [None, None]:
        names = list(draw_systems(systems, request.genre, store, rng))
    elif None in names:  # one chosen: the other drawn among the rest of the genre
        given = systems[request.system_a or request.system_b]
        others = [s.name for s in systems.for_genre(request.genre) if s.name != given.name]
        if not others:
            raise InvalidRequestError("genre", f"Compare needs two systems of {request.genre!r} in config/systems.toml")
        names = [given.name, rng.choice(others)]
    chosen = [systems[name] for name in names]  # UnknownSystemError
    for system in chosen:
        if system.genre != request.genre:
            raise InvalidRequestError("system", f"system {system.name!r} writes {system.genre}, not {request.genre}")
    if chosen[0].name == chosen[1].name:
        raise InvalidRequestError("system_b", "choose two different systems")
    return chosen


def _make_song(system: System, request: PairRequest, seed: int, store: FeedbackStore, registry: Registry, data_dir,
               progress: PairProgress) -> str:
    lyrics_request = system.lyrics_request(request.title, request.artist, request.opening_line, seed)
    progress(0.0, "writing the lyrics of one song")
    lyrics = generate_lyrics(lyrics_request, model=load_lyrics_model(system.lyrics))
    progress(0.5, "composing its music")
    take = compose(lyrics, backend=system.music, options=system.music_options(), registry=registry,
                   progress=lambda f, m: progress(0.5 + 0.45 * f, m))
    return save_song(lyrics, take, store, data_dir, system=system.describe())


def cast_vote(store: FeedbackStore, pair: Pair, aspect: str, outcome: str, voter: str, *,
              listened_a_s: float | None = None, listened_b_s: float | None = None, comment: str = "") -> int:
    """Store a vote on `pair` ("a": A, the left song, was better; "b"; "tie"; "both_bad");
    return its id. Raises as `Votes.add` (a deleted song, a repeated vote, bad input)."""
    return store.votes.add(VoteRecord(pair_id=pair.pair_id, aspect=aspect, song_a=pair.song_a, song_b=pair.song_b,
                                      system_a=pair.system_a, system_b=pair.system_b, outcome=outcome, voter=voter,
                                      listened_a_s=listened_a_s, listened_b_s=listened_b_s, comment=comment,
                                      shown_at=pair.shown_at))


@dataclass(frozen=True)
class Standing:
    """A leaderboard with what was left out of it."""

    board: Leaderboard
    votes: int  # votes of this genre and aspect, stored
    checks: int  # voter-check votes (never in the fit)
    flagged_voters: int
    left_out: int  # votes of flagged voters left out (0 unless asked)


def leaderboard_for(store: FeedbackStore, aspect: str, genre: str | None = None, *, exclude_flagged: bool = False,
                    min_votes: int = 10, rounds: int = 200, systems: Systems | None = None) -> Standing:
    """The Bradley-Terry leaderboard of the stored votes on `aspect` (of one genre, or all).
    Voter checks never count; with `exclude_flagged` the votes of flagged voters are left out
    (still stored, counted in `left_out`). Raises `InvalidRequestError`, `StoreError`."""
    if aspect not in ("lyrics", "music"):
        raise InvalidRequestError("aspect", "must be 'lyrics' or 'music'")
    votes = store.votes.list(genre=genre, aspect=aspect)
    flagged = store.votes.flagged_voters()
    real = [v for v in votes if not v["check_pair"]]
    kept = [v for v in real if not (exclude_flagged and v["voter"] in flagged)]
    listed = [s.name for s in (systems.systems.values() if systems else []) if genre is None or s.genre == genre]
    board = leaderboard(kept, systems=listed, rounds=rounds, min_votes=min_votes)
    return Standing(board, len(votes), len(votes) - len(real), len(flagged), len(real) - len(kept))


def unknown_system_names(store: FeedbackStore, systems: Systems) -> list[str]:
    """Systems named in stored votes that the configuration no longer has (shown, not dropped)."""
    return sorted(store.votes.system_names() - set(systems.systems))


__all__ = ["LYRICS_UNLOCK_S", "Pair", "PairRequest", "Standing", "UnknownSystemError", "bundled_prompts", "cast_vote",
           "draw_systems", "leaderboard_for", "make_pair", "new_voter_id", "unknown_system_names"]
