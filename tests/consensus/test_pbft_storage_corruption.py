"""A replica refuses to restart from damaged storage, naming the file and the damage."""

import json
import sqlite3

import pytest

from accord.consensus.config import ProtocolConfig
from accord.consensus.replica import Replica
from accord.consensus.simnet import SimCluster
from accord.consensus.storage import (
    MemoryStorage,
    Recovered,
    SQLiteStorage,
    StorageCorruption,
    check_recovered,
)

FAST = {
    "checkpoint_interval": 8,
    "log_window": 16,
    "batch_size": 4,
    "view_change_timeout": 0.2,
    "client_timeout": 0.05,
}


class _Host:
    def send(self, dest, frame):
        pass

    def set_timer(self, key, delay):
        pass

    def cancel_timer(self, key):
        pass


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """Replica 0's SQLite file after a run past two checkpoints, and the cluster's keys."""
    tmp = tmp_path_factory.mktemp("pbft")
    cfg = ProtocolConfig(n=4, **FAST)
    c = SimCluster(cfg, clients=2, seed=3, storage="sqlite", tmpdir=tmp)
    for cid in c.client_ids:
        c.submit(cid, [{"op": "increment", "key": "k"}] * 14)
    assert c.run(60.0)
    keys = c.keys
    c.close()
    db = sqlite3.connect(tmp / "r0.db")
    (seq,) = db.execute("SELECT seq FROM stable").fetchone()
    (entries,) = db.execute("SELECT COUNT(*) FROM entries").fetchone()
    db.close()
    assert seq >= 8 and entries > 0  # a stable checkpoint and log entries after it
    return tmp / "r0.db", cfg, keys


def _copy(stored, tmp_path):
    path, cfg, keys = stored
    target = tmp_path / "r0.db"
    target.write_bytes(path.read_bytes())
    return target, cfg, keys


def _restart(path, cfg, keys):
    return Replica(0, cfg, keys[0], _Host(), storage=SQLiteStorage(path))


def test_an_intact_file_restarts(stored, tmp_path):
    path, cfg, keys = _copy(stored, tmp_path)
    r = _restart(path, cfg, keys)
    assert r.last_executed >= 8
    r.storage.close()


def _edit(path, sql, *args):
    db = sqlite3.connect(path)
    db.execute(sql, args)
    db.commit()
    db.close()


def test_a_changed_digit_in_the_snapshot_is_refused(stored, tmp_path):
    path, cfg, keys = _copy(stored, tmp_path)
    db = sqlite3.connect(path)
    (snapshot,) = db.execute("SELECT snapshot FROM stable").fetchone()
    db.close()
    i = bytes(snapshot).rindex(b"1")  # a digit of a stored counter
    changed = bytes(snapshot[:i]) + b"2" + bytes(snapshot[i + 1 :])
    _edit(path, "UPDATE stable SET snapshot = ?", changed)
    with pytest.raises(StorageCorruption, match=r"r0\.db.*SHA-256 .* not its recorded digest"):
        _restart(path, cfg, keys)


def test_a_negative_view_is_refused(stored, tmp_path):
    path, cfg, keys = _copy(stored, tmp_path)
    _edit(path, "INSERT OR REPLACE INTO meta VALUES ('view', ?)", json.dumps([-5, False]))
    with pytest.raises(StorageCorruption, match=r"r0\.db.*view -5 is not a non-negative"):
        _restart(path, cfg, keys)


def test_a_record_without_its_fields_is_refused_not_a_key_error(stored, tmp_path):
    path, cfg, keys = _copy(stored, tmp_path)
    db = sqlite3.connect(path)
    seq, text = db.execute("SELECT seq, rec FROM entries LIMIT 1").fetchone()
    db.close()
    record = json.loads(text)
    del record["pp"]
    _edit(path, "UPDATE entries SET rec = ? WHERE seq = ?", json.dumps(record), seq)
    with pytest.raises(StorageCorruption, match=rf"log entry {seq} lacks the field\(s\) \['pp'\]"):
        _restart(path, cfg, keys)


def test_a_damaged_pre_prepare_is_refused(stored, tmp_path):
    path, cfg, keys = _copy(stored, tmp_path)
    db = sqlite3.connect(path)
    seq, text = db.execute("SELECT seq, rec FROM entries LIMIT 1").fetchone()
    other, other_text = db.execute(
        "SELECT seq, rec FROM entries WHERE seq != ? LIMIT 1", (seq,)
    ).fetchone()
    db.close()
    record = json.loads(text)
    record["pp"] = json.loads(other_text)["pp"]  # another sequence number's PRE-PREPARE
    _edit(path, "UPDATE entries SET rec = ? WHERE seq = ?", json.dumps(record), seq)
    with pytest.raises(StorageCorruption, match=rf"PRE-PREPARE of log entry {seq} is damaged"):
        _restart(path, cfg, keys)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "r0.db"
    path.write_bytes(b"this is not an SQLite database, just text" * 100)
    with pytest.raises(StorageCorruption, match=r"r0\.db.*not a usable SQLite database"):
        SQLiteStorage(path)


def test_unparsable_values_are_refused(stored, tmp_path):
    path, cfg, keys = _copy(stored, tmp_path)
    _edit(path, "UPDATE stable SET proof = ?", "[not json")
    with pytest.raises(StorageCorruption, match="does not parse"):
        _restart(path, cfg, keys)


def test_memory_storage_is_checked_too():
    m = MemoryStorage()
    m.put_view(-1, False)
    with pytest.raises(StorageCorruption, match="memory storage: the stored view -1"):
        m.load()
    with pytest.raises(StorageCorruption, match="view-change flag"):
        check_recovered(Recovered(view=1, in_view_change=1), "s")  # type: ignore[arg-type]
    assert isinstance(StorageCorruption("s", "p"), ValueError)
