"""Dataset sources: local files, hub files read as a stream (through a stand-in fsspec filesystem) and binary
file objects; what the pages may read (the datasets folder) and errors that never quote the file."""

import hashlib
import io
import shutil

import fsspec
import pytest
from fsspec.implementations.dirfs import DirFileSystem

from songgen_core.paths import PROJECT_ROOT, datasets_dir
from training.data import COLUMNS, SAMPLE_PATH, CleaningOptions, DatasetError, iter_batches, iter_songs
from training.errors import DatasetPathError
from training.source import resolve_source, studio_source
from training.stats import compute_stats, dataset_stats


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


# --------------------------------------------------------------------------- what the pages may read


@pytest.fixture
def datasets(tmp_path, monkeypatch):
    """A data folder with one Genius CSV, and a private file, a symlink to it and a missing path around it."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SAMPLE_PATH, data / "songs.csv")
    secret = tmp_path / "private.txt"
    secret.write_text("password=hunter2\nsecond line\n", encoding="utf-8")
    (data / "link.csv").symlink_to(secret)
    monkeypatch.setenv("SONGGEN_DATA", str(data))
    monkeypatch.delenv("SONGGEN_DATASETS", raising=False)
    return data, secret


def test_datasets_folder_follows_the_data_folder_rule(datasets, tmp_path, monkeypatch):
    data, _ = datasets
    assert datasets_dir() == data
    monkeypatch.setenv("SONGGEN_DATASETS", str(tmp_path / "sets"))
    assert datasets_dir() == tmp_path / "sets"
    monkeypatch.delenv("SONGGEN_DATASETS")
    monkeypatch.delenv("SONGGEN_DATA")
    assert datasets_dir() == PROJECT_ROOT / "data"


def test_studio_source_reads_inside_the_folder_and_unquotes(datasets):
    data, _ = datasets
    inside = (data / "songs.csv").resolve()
    for text in ("songs.csv", str(data / "songs.csv"), f'"{data / "songs.csv"}"', "'songs.csv'", "  ' songs.csv'  ",
                 str(data / "sub" / ".." / "songs.csv")):
        assert studio_source(text).path == inside, text
    with pytest.raises(DatasetError, match="no dataset file missing.csv in the datasets folder") as missing:
        studio_source("missing.csv")
    assert not isinstance(missing.value, DatasetPathError)
    assert resolve_source(f"'{SAMPLE_PATH}'").path == SAMPLE_PATH  # the command line unquotes too


def test_studio_source_refuses_outside_paths_with_one_message(datasets, tmp_path):
    data, secret = datasets
    outside = ["/etc/passwd", str(secret), str(tmp_path / "missing.csv"), "../private.txt", "link.csv",
               str(data / ".." / "private.txt"), "~/songs.csv", "/", "bad\x00path"]
    messages = set()
    for text in outside:
        with pytest.raises(DatasetPathError) as refused:
            studio_source(text)
        assert refused.value.root == data.resolve()
        messages.add(str(refused.value))
    [message] = messages
    assert str(data.resolve()) in message and "upload" in message.lower()
    for leak in ("passwd", "private", "missing", "hunter2", "link"):
        assert leak not in message


def test_schema_errors_never_quote_the_file(tmp_path):
    private = tmp_path / "private.txt"
    private.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1\n", encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        list(iter_batches(private))
    message = str(error.value)
    assert "root:x" not in message and "/bin/bash" not in message
    assert "1 unexpected column(s)" in message and "missing column(s): title, tag, artist" in message

    header = tmp_path / "header.csv"
    header.write_text("password,hunter2,password,title,title\nx,y,z,a,b\n", encoding="utf-8")
    message = str(pytest.raises(DatasetError, iter_batches(header).__next__).value)
    assert "hunter2" not in message and "password" not in message
    assert "3 unexpected column(s)" in message and "repeated column(s): title" in message

    latin = tmp_path / "latin.csv"
    latin.write_bytes("caf\xe9 s\xe9cret\n".encode("latin-1"))
    message = str(pytest.raises(DatasetError, iter_batches(latin).__next__).value)
    assert "not UTF-8" in message and "caf" not in message and "0xe9" not in message

    rows = tmp_path / "rows.csv"
    rows.write_text(",".join(COLUMNS) + "\n" + ",".join(["SECRET-ROW"] * (len(COLUMNS) + 1)) + "\n", encoding="utf-8")
    message = str(pytest.raises(DatasetError, iter_batches(rows).__next__).value)
    assert "could not be parsed" in message and f"got {len(COLUMNS) + 1}" in message and "SECRET-ROW" not in message


def test_stats_of_a_binary_file_object_are_those_of_the_path(tmp_path, monkeypatch):
    content = SAMPLE_PATH.read_bytes()
    upload = io.BytesIO(content)
    upload.name = "my songs.csv"
    import training.stats as stats_module

    calls = []
    real = stats_module.compute_stats
    monkeypatch.setattr(stats_module, "compute_stats", lambda *a, **k: calls.append(1) or real(*a, **k))
    from_upload = dataset_stats(upload, cache_dir=tmp_path)
    from_path = real(SAMPLE_PATH)
    for key in ("songs_per_tag", "languages", "years", "views", "lengths", "splits", "cleaning"):
        assert from_upload[key] == from_path[key]
    assert from_upload["dataset"] == {"path": "upload:my songs.csv", "size": len(content),
                                      "sha256": hashlib.sha256(content).hexdigest(), "rows": from_path["dataset"]["rows"]}
    assert not upload.closed  # the caller's file stays open, for the next read
    again = io.BytesIO(content)  # the same content uploaded again: the disk cache, keyed by the content hash
    again.name = "my songs.csv"
    assert dataset_stats(again, cache_dir=tmp_path) == from_upload and len(calls) == 1

    class Unseekable(io.RawIOBase):
        def readable(self):
            return True

    with pytest.raises(DatasetError, match="seekable"):
        resolve_source(Unseekable())
