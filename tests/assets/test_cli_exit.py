"""The ``sanji`` console process ends in ``main`` (no interpreter teardown), losing nothing."""

import subprocess
import sys
from pathlib import Path


def _console(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    """``main()`` as the console script calls it (``argv`` from ``sys.argv``), in a child
    process with an ``atexit`` handler of its own and a line after ``main()``."""
    marker = tmp_path / "atexit-ran"
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n"
            f"sys.argv = ['sanji', *{list(args)!r}]\n"
            "from assets.cli import main\n"
            "main()\n"
            "print('after main')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          encoding="utf-8", cwd=tmp_path, timeout=600, check=False)
    return done, marker


def test_a_command_ends_the_process_with_its_output_and_code(tmp_path):
    done, marker = _console(tmp_path, "demo-data", "--people", "200", "--out", "demo")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("demo county: 200 people")  # flushed though stdout is a pipe
    assert "after main" not in done.stdout  # the process ended in main
    assert marker.read_text() == "ran"  # atexit handlers (the Dagster instance's dispose) ran
    assert (tmp_path / "demo" / "landing").is_dir()


def test_a_user_error_keeps_its_exit_code_and_line(tmp_path):
    done, marker = _console(tmp_path, "run", "--month", "1999-01")
    assert done.returncode == 2
    assert done.stderr.startswith("sanji: error: --month 1999-01")
    assert marker.read_text() == "ran" and not done.stdout


def test_main_given_arguments_returns(tmp_path, monkeypatch):
    from assets.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["run", "--month", "1999-01"]) == 2  # tests and callers get the code back
