"""The feedback store (`feedback.db`): songs and the ratings people give them.

    store = FeedbackStore()                 # SONGGEN_DB, else feedback.db in the project root
    store.add_song(record)                  # a SongRecord, see songgen_core.song_record
    store.add_ratings(song_id, {"lyrics": 4, "music": 5}, "catchy")
    store.aggregates("genre", "lyrics")     # means with 95% intervals

feedback.py: the store (songs, ratings, aggregates, export); connection.py: one connection
per operation, writes in BEGIN IMMEDIATE transactions; schema.py: the migrations;
statistics.py: Student-t intervals; votes.py: blind A/B votes (`store.votes`).
"""

from ..errors import StoreError, UnknownSongError
from .feedback import (AGGREGATE_BY, EXPORT_COLUMNS, MAX_COMMENT_CHARS, MIN_INTERVAL_COUNT, SCORE_RANGE, TARGETS,
                       FeedbackStore)
from .schema import MIGRATIONS, migrate
from .statistics import MIN_CORRELATION_COUNT, correlation, summarize, t_quantile_975
from .votes import ASPECTS, OUTCOMES, DuplicateVoteError, VoteRecord, Votes

__all__ = ["ASPECTS", "OUTCOMES", "DuplicateVoteError", "VoteRecord", "Votes", "AGGREGATE_BY", "EXPORT_COLUMNS", "MAX_COMMENT_CHARS", "MIGRATIONS", "MIN_INTERVAL_COUNT", "SCORE_RANGE",
           "MIN_CORRELATION_COUNT", "TARGETS", "FeedbackStore", "StoreError", "UnknownSongError", "correlation", "migrate",
           "summarize", "t_quantile_975"]
