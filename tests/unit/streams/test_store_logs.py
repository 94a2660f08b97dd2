"""The table stores' RocksDB info logs are bounded (``streams.faust_internals.bound_store_logs``):
RocksDB rolls a database's log at each open and kept 1,000, so every restart and rebalance
left more ``LOG.old.*`` files in every store."""

from __future__ import annotations

from pathlib import Path

from plumbing.settings import WorkerSettings
from streams.app import create_app
from streams.faust_internals import STORE_LOGS_KEPT


def test_each_store_keeps_a_bounded_number_of_old_info_logs_however_often_it_opens(
    tmp_path: Path,
) -> None:
    settings = WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT"
    )
    app = create_app(settings)  # no broker is contacted: nothing to catch up
    tables = list(app.tables.values())
    assert len(tables) >= 2  # intake's and linkage's, each a RocksDB store
    for table in tables:
        store = table.data
        path = Path(store.partition_path(0))
        path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(STORE_LOGS_KEPT + 3):  # a worker's starts and rebalances
            store.rocksdb_options.open(path).close()
        old = [f.name for f in path.iterdir() if f.name.startswith("LOG.old")]
        assert len(old) == STORE_LOGS_KEPT - 1, table.name  # and the one in use
        assert (path / "LOG").exists()
