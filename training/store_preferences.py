"""Preference data from the feedback store: what people preferred, as records preferences.py saves.

    python -m training preferences --genre rock --out data/preferences/rock [--db feedback.db]

* **Pairs** (DPO) from the Compare page's lyrics votes of the genre: "A better" or "B better"
  gives (prompt, chosen, rejected); ties, "both bad" and voter checks give none. Votes of voters
  flagged by a voter check are left out.
* **Rated takes** (KTO) from the Rate page's star ratings: a song's current lyrics rating of 4-5
  is a good take, 1-2 a bad one; 3 says neither.
Hidden (deleted) songs and songs without lyrics are left out; every left-out record is counted.

The prompt is the one the song was asked with (`preferences.SongPrompt`: its artist, title,
opening line, genre and the example songs its prompt held). A structured song starts with its
"[Verse 1]" header before the opening line; the header is dropped so every take of a prompt
continues the same text (the later section headers stay in the completion).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from songgen_core.errors import InvalidRequestError
from songgen_core.store import FeedbackStore

from .errors import PreferenceDataError
from .preferences import PreferencePair, RatedTake, SongPrompt

GOOD, BAD = (4, 5), (1, 2)
FIRST_HEADER = "[Verse 1]\n"


@dataclass
class StorePreferences:
    """The records of one genre, and how many of each kind were left out and why."""

    pairs: list[PreferencePair] = field(default_factory=list)
    takes: list[RatedTake] = field(default_factory=list)
    left_out: Counter = field(default_factory=Counter)

    def counts(self) -> dict:
        return {"pairs (compare votes)": len(self.pairs),
                "good takes (4-5 stars)": sum(t.label for t in self.takes),
                "bad takes (1-2 stars)": sum(not t.label for t in self.takes),
                "left out": dict(sorted(self.left_out.items()))}


def preferences_from_store(store: FeedbackStore, genre: str) -> StorePreferences:
    """The genre's pairs and rated takes (see the module notes). Raises `PreferenceDataError`
    when the store holds no song of the genre, `StoreError` when it cannot be read."""
    songs = {s["id"]: s for s in store.list_songs(genre=genre, limit=None, include_deleted=True)}
    if not songs:
        raise PreferenceDataError(f"{store.path} holds no {genre} songs: nothing to learn from yet "
                                  f"(make and rate songs, or vote on the Compare page)")
    found = StorePreferences()
    flagged = store.votes.flagged_voters()
    for vote in store.votes.list(genre=genre, aspect="lyrics"):
        reason = _vote_left_out(vote, flagged, songs)
        if reason:
            found.left_out[reason] += 1
            continue
        chosen, rejected = (vote["song_a"], vote["song_b"]) if vote["outcome"] == "a" else (vote["song_b"], vote["song_a"])
        try:
            found.pairs.append(PreferencePair(_prompt(songs[chosen]), _take(songs[chosen]), _take(songs[rejected])))
        except InvalidRequestError:
            found.left_out["vote: a take that does not start with its opening line"] += 1
    for rating in store.latest_ratings(target="lyrics"):
        song = songs.get(rating["song_id"])
        if song is None:
            continue  # another genre
        if rating["score"] not in GOOD + BAD:
            found.left_out["rating: 3 stars"] += 1
        elif song.get("deleted_at"):
            found.left_out["rating: deleted song"] += 1
        elif not (song.get("lyrics") or "").strip():
            found.left_out["rating: no lyrics"] += 1
        else:
            found.takes.append(RatedTake(_prompt(song), _take(song), rating["score"] in GOOD))
    return found


def _vote_left_out(vote: dict, flagged: set, songs: dict) -> str | None:
    if vote["check_pair"]:
        return "vote: voter check"
    if vote["outcome"] not in ("a", "b"):
        return f"vote: {vote['outcome'].replace('_', ' ')}"
    if vote["voter"] in flagged:
        return "vote: flagged voter"
    pair = [songs.get(vote["song_a"]), songs.get(vote["song_b"])]
    if any(song is None or song.get("deleted_at") for song in pair):
        return "vote: deleted song"
    if any(not (song.get("lyrics") or "").strip() for song in pair):
        return "vote: no lyrics"
    return None


def _prompt(song: dict) -> SongPrompt:
    lyrics_info = (song.get("info") or {}).get("lyrics") or {}
    few_shot = lyrics_info.get("examples") or bool(lyrics_info.get("few_shot"))
    return SongPrompt(genre=song["genre"], title=song.get("title") or "", opening_line=song.get("opening_line") or "",
                      artist=song.get("artist") or "", few_shot=few_shot)


def _take(song: dict) -> str:
    lyrics = song["lyrics"]
    return lyrics[len(FIRST_HEADER):] if lyrics.startswith(FIRST_HEADER) else lyrics
