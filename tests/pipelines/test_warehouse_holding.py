"""``Warehouse.holding()``: a few reads in a row share one connection, and read the same."""

from __future__ import annotations

from contextlib import nullcontext

import polars as pl
import pytest

from assets.runs import summary
from pipelines.warehouse import Warehouse


def _opened(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the connections ``wh`` opens from now on."""
    opened: list[int] = []
    backend = type(wh._db)
    real = backend._open

    def counting(self: object) -> object:
        opened.append(1)
        return real(self)

    monkeypatch.setattr(backend, "_open", counting)
    return opened


def _reads(wh: Warehouse) -> tuple:
    return (wh.tables(), wh.count("person", "2026-10"), wh.read("person", "2026-10",
                                                                  columns=["person_id"]),
            wh.has_table("mismatch"))


def test_reads_inside_holding_share_one_connection(wh: Warehouse,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    wh.publish("person", pl.DataFrame({"person_id": ["P1", "P2"]}), run_id="r1",
               month="2026-10")
    opened = _opened(wh, monkeypatch)
    alone = _reads(wh)
    assert len(opened) >= 4
    opened.clear()
    with wh.holding():
        with wh.holding():  # nested: the same connection
            held = _reads(wh)
        assert wh.count("person") == 2
    assert len(opened) == 1
    assert held[:2] == alone[:2] and held[2].equals(alone[2]) and held[3] == alone[3]
    wh.count("person")  # after: a connection of its own again
    assert len(opened) == 2


def test_summary_opens_the_warehouse_once(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "w.duckdb")
    wh = Warehouse.from_url(path)
    month = "2026-10"
    wh.publish_run("r1", month, {
        "person_source": pl.DataFrame({"record_id": ["a", "b", "c"]}),
        "person": pl.DataFrame({"person_id": ["P1", "P2"]}),
        "quarantine": pl.DataFrame({"check": ["blank_row"]}),
        "mismatch": pl.DataFrame({"rule": ["not_insured", "not_insured"]}),
    }, month_sliced=["person_source", "person", "quarantine", "mismatch"])
    opened = _opened(wh, monkeypatch)
    text = summary(path, month)
    assert len(opened) == 1
    assert "rows read 4, accepted 3, quarantined 1" in text
    assert "people 2, uncertain pairs 0" in text and "mismatches 2 by rule:" in text


def _memory_limit(con) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


@pytest.mark.parametrize("fails", [False, True])
def test_a_files_transaction_is_bounded_in_memory_then_reset(tmp_path, fails: bool) -> None:
    wh = Warehouse.from_url(str(tmp_path / "w.duckdb"))
    with wh.holding(), wh._db.connect() as con:  # one connection: the setting as it sees it
        before = _memory_limit(con)
        with pytest.raises(RuntimeError) if fails else nullcontext(), \
                wh._db.transaction() as tx:
            inside = _memory_limit(tx)
            tx.execute("CREATE TABLE t AS SELECT 1 AS x")
            if fails:
                raise RuntimeError("a load failed")
        after = _memory_limit(con)
        assert con.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 't'").fetchone()[0] == (0 if fails else 1)
    assert inside != before and after == before
    number, unit = inside.split()
    assert unit == "MiB" and float(number) == pytest.approx(512e6 / 2**20, abs=0.1)


def test_an_in_memory_warehouse_is_not_bounded() -> None:
    wh = Warehouse.from_url(":memory:")
    with wh._db.connect() as con:
        before = _memory_limit(con)
    with wh._db.transaction() as tx:
        assert _memory_limit(tx) == before  # its blocks have nowhere else to go
