"""A run that starts a DuckDB warehouse which does not exist says so (a typo is never silent)."""

import pytest

from assets.publication import _note_a_new_warehouse


@pytest.mark.parametrize(("exists", "target", "configured", "said"), [
    (False, "w.duckbd", "w.duckdb", ["w.duckbd does not exist", "county's warehouse is"]),
    (False, "w.duckdb", "w.duckdb", ["w.duckdb does not exist", "every case starts as new"]),
    (False, "./w.duckdb", "w.duckdb", ["does not exist"]),  # the same file, written otherwise
    (True, "w.duckdb", "w.duckdb", []),
    (False, "postgresql://postgres@127.0.0.1:5432/test", "w.duckdb", []),
])
def test_a_new_warehouse_is_announced(tmp_path, monkeypatch, capsys, exists, target,
                                      configured, said):
    monkeypatch.chdir(tmp_path)
    if exists:
        (tmp_path / target).write_bytes(b"")
    _note_a_new_warehouse(target, configured)
    err = capsys.readouterr().err
    assert all(s in err for s in said) and bool(err) == bool(said)
    if said and target.removeprefix("./") == configured:
        assert "county's warehouse is" not in err
