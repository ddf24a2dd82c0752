"""Song records for the store tests: real `SongRecord`s made the way the studio makes them
(`SongRecord.made` from a LyricsResult and a MusicResult), without running any model."""

from __future__ import annotations

import numpy as np

from songgen_core.lyrics import LyricsRequest, LyricsResult
from songgen_core.music.request import MusicRequest, MusicResult
from songgen_core.song_record import SongRecord


def song_record(genre="rock", *, title="Night Drive", artist="", opening_line="Driving down the highway",
                lyrics_model="models/lyrics-rock", backend="arranger", music_model="arranger-v1",
                created_at=None, timings=True, lyrics="la la", folder=None) -> SongRecord:
    request = LyricsRequest(genre=genre, title=title, opening_line=opening_line, artist=artist, seed=7)
    made = LyricsResult(text=lyrics, request=request, seed=7, model_source=lyrics_model,
                        model_description="tiny", few_shot=False, ended_by="eos", prompt_tokens=12,
                        new_tokens=40, timings={"generate_s": 0.5})
    music_request = MusicRequest(genre=genre, lyrics=lyrics, duration_s=5.0, seed=7, backend=backend,
                                 options={"guidance_scale": 3.0} if backend == "musicgen" else {})
    music = MusicResult(audio=np.zeros((32000, 2), dtype=np.float32), sample_rate=32000, backend=backend,
                        model=music_model, prompt="a rock song", info={"bpm": 120})
    record = SongRecord.made(made, music_request, music, folder=folder,
                             timings={"lyrics_s": 0.5, "music_s": 1.25, "files_s": 0.1, "total_s": 1.85} if timings else None)
    if created_at is not None:
        record = SongRecord.from_info({**record.info, "created_at": created_at}, record.lyrics, record.folder)
    return record
