"""The data read as the server starts (serve.py) is the one the first reader gets, and it is never held twice."""

from __future__ import annotations

import os
import threading

import pytest

from readiness.source import DATA_ENV
from readiness.ui import data


class Reads:
    """Stands in for load_dataset: counts the reads and can hold one until released."""

    def __init__(self):
        self.calls: list[str] = []
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def __call__(self, location, today):
        self.calls.append(location)
        self.release.wait(timeout=30)
        if self.fail:
            raise RuntimeError("disk gone")
        return object()


@pytest.fixture
def reads(tmp_path, monkeypatch):
    (tmp_path / "programs.parquet").write_bytes(b"x")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    monkeypatch.setattr(data, "_START", data._StartRead())
    fake = Reads()
    monkeypatch.setattr(data, "load_dataset", fake)
    data._load.clear()
    yield fake
    data._load.clear()


def first_reader():
    return data._load(*data._data_key(data.data_location()))


def test_the_first_reader_gets_the_start_read_and_the_data_is_read_once(reads):
    data.read_at_start()
    got = first_reader()
    assert reads.calls == [os.environ[DATA_ENV]]
    assert first_reader() is got


def test_a_reader_arriving_during_the_start_read_waits_for_it(reads):
    reads.release.clear()
    start = threading.Thread(target=data.read_at_start)
    start.start()
    for _ in range(3000):  # until the start read is under way (30 s at most)
        if reads.calls:
            break
        threading.Event().wait(0.01)
    assert reads.calls
    got = []
    reader = threading.Thread(target=lambda: got.append(first_reader()))
    reader.start()
    reader.join(timeout=0.3)
    assert reader.is_alive()  # waiting on the start read, not reading again
    reads.release.set()
    reader.join(timeout=30)
    start.join(timeout=30)
    assert len(reads.calls) == 1 and len(got) == 1


def test_no_read_starts_once_a_reader_has_asked(reads):
    got = first_reader()
    data.read_at_start()
    assert len(reads.calls) == 1
    assert first_reader() is got


def test_a_start_read_of_files_changed_since_is_dropped_and_the_reader_reads_the_new_ones(reads, tmp_path):
    data.read_at_start()
    (tmp_path / "batches.parquet").write_bytes(b"y")  # a new file: another fingerprint
    first_reader()
    assert len(reads.calls) == 2
    assert data._START.take(data._data_key(str(tmp_path))) is None  # nothing left held


def test_a_failed_start_read_reaches_its_reader_and_the_next_one_reads_again(reads):
    reads.fail = True
    data.read_at_start()
    with pytest.raises(RuntimeError, match="disk gone"):
        first_reader()
    reads.fail = False
    assert first_reader() is not None
    assert len(reads.calls) == 2
