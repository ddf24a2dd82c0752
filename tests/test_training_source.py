"""Dataset sources: local files and hub files read as a stream (through a stand-in fsspec filesystem)."""

import io
import shutil

import fsspec
import pytest
from fsspec.implementations.dirfs import DirFileSystem

from training.data import SAMPLE_PATH, CleaningOptions, DatasetError, iter_songs
from training.source import resolve_source
from training.stats import compute_stats


class StreamOnlyFileSystem(DirFileSystem):
    """A local folder that hands out read-only, non-seekable streams, like a download."""

    opened = 0

    def open(self, path, mode="rb", **kwargs):
        assert mode == "rb"
        StreamOnlyFileSystem.opened += 1
        inner = super().open(path, mode)

        class Stream(io.RawIOBase):
            def readable(self):
                return True

            def readinto(self, buffer):
                data = inner.read(min(len(buffer), 4096))
                buffer[: len(data)] = data
                return len(data)

            def close(self):
                inner.close()
                super().close()

        return io.BufferedReader(Stream())


@pytest.fixture
def hub(tmp_path):
    folder = tmp_path / "hub" / "datasets" / "someone" / "genius"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE_PATH, folder / "song_lyrics sample.csv")
    return folder, StreamOnlyFileSystem(path=str(tmp_path / "hub"), fs=fsspec.filesystem("file"))


def test_hub_file_is_streamed_and_reads_like_the_local_file(hub):
    folder, fs = hub
    source = resolve_source("hub:someone/genius", filesystem=fs)
    assert source.file == "song_lyrics sample.csv" and source.label == "hub:someone/genius/song_lyrics sample.csv"
    options = CleaningOptions(genres=("rock", "pop"))
    assert [(s.id, s.split, s.lyrics) for s in iter_songs(source, options, chunksize=40)] == \
           [(s.id, s.split, s.lyrics) for s in iter_songs(SAMPLE_PATH, options)]
    hub_stats, local_stats = compute_stats(source), compute_stats(SAMPLE_PATH)
    assert hub_stats["dataset"]["path"] == source.label and hub_stats["dataset"]["size"] == SAMPLE_PATH.stat().st_size
    for key in ("songs_per_tag", "languages", "years", "views", "lengths", "splits", "cleaning"):
        assert hub_stats[key] == local_stats[key]
    assert hub_stats["sample"]


def test_hub_errors(hub, monkeypatch):
    folder, fs = hub
    with pytest.raises(DatasetError, match="no file 'missing.csv'"):
        resolve_source("hub:someone/genius/missing.csv", filesystem=fs)
    shutil.copy(SAMPLE_PATH, folder / "other.csv")
    with pytest.raises(DatasetError, match="2 CSV files .*name one"):
        resolve_source("hub:someone/genius", filesystem=fs)
    with pytest.raises(DatasetError, match="not a hub dataset"):
        resolve_source("hub:genius")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DatasetError, match="HF_HUB_OFFLINE"):
        resolve_source("hub:sebastiandizon/genius-song-lyrics")
    with pytest.raises(DatasetError, match="no dataset file"):
        resolve_source(folder / "nope.csv")
