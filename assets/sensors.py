"""Sensors: new or changed extracts in the landing folder; the office's file in the inbox."""


import hashlib
import json
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.exchange import file_month, inbox_files
from assets.jobs import everything_job, exchange_import_job
from assets.resources import ExchangeFolders, LandingFolder, current_month

TAG_LIMIT = 60
LANDING_SUFFIXES = (".csv", ".xlsx")
# Besides the extracts, a changed steward file starts a run.
STEWARD_FILES = ("sanji_mapping.yaml", "decisions.csv")
# A file whose stat matches on all of these keeps its cached hash.
STAT_KEYS = ("size", "mtime_ns", "ino", "ctime_ns")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (extracts may be GBs)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def watched(folder: Path, suffixes: tuple[str, ...], names: tuple[str, ...] = ()) -> list[Path]:
    """The files at the top of a folder with one of ``suffixes`` or named in ``names``."""
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith((".", "~$"))
            and (p.suffix.lower() in suffixes or p.name in names)]


def file_states(files: list[Path], cache: dict[str, dict]) -> dict[str, dict]:
    """File name -> ``{"size", "mtime_ns", "ino", "ctime_ns", "sha"}``, hashing changed files.

    ``ino`` and ``ctime_ns`` catch a corrected file of the same size copied in with its old
    mtime kept (``cp -p``, ``rsync -a``): the copy gets a new inode or change time.

    Args:
        files: the files to describe.
        cache: the previous states (from the sensor's cursor); a file with the same name, size,
            ``mtime_ns``, inode and ``ctime_ns`` keeps its cached hash without being read.

    Returns:
        The states of ``files``.
    """
    out = {}
    for path in files:
        stat = path.stat()
        now = dict(zip(STAT_KEYS, (stat.st_size, stat.st_mtime_ns, stat.st_ino,
                                   stat.st_ctime_ns), strict=True))
        old = cache.get(path.name)
        if isinstance(old, dict) and all(old.get(k) == v for k, v in now.items()):
            out[path.name] = old
        else:
            out[path.name] = {**now, "sha": sha256_file(path)}
    return out


def read_cursor(cursor: str | None) -> dict[str, dict]:
    """The cached file states of a cursor (an older ``name -> sha`` cursor counts as empty)."""
    raw = json.loads(cursor) if cursor else {}
    files = raw.get("files") if isinstance(raw.get("files"), dict) else {}
    return {n: e for n, e in files.items() if isinstance(e, dict) and "sha" in e}


def file_digests(folder: Path, suffixes: tuple[str, ...] = LANDING_SUFFIXES,
                 names: tuple[str, ...] = (), cache: dict[str, dict] | None = None
                 ) -> dict[str, str]:
    """File name -> sha256 of its bytes, for the watched files at the top of a folder."""
    states = file_states(watched(folder, suffixes, names), cache or {})
    return {name: state["sha"] for name, state in states.items()}


def content_key(digests: dict[str, str]) -> str:
    """One short hash of a set of files' names and contents."""
    joined = "\n".join(f"{name}:{sha}" for name, sha in sorted(digests.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def short_list(names: list[str], limit: int = TAG_LIMIT) -> str:
    """Names joined with commas, cut to ``limit`` characters with a count of the rest."""
    text = ""
    for i, name in enumerate(names):
        candidate = f"{text},{name}" if text else name
        if len(candidate) > limit:
            return f"{text or name[:limit]} +{len(names) - i}"
        text = candidate
    return text


@sensor(job=everything_job, minimum_interval_seconds=60,
        description="A run when a new or changed extract lands (same content: no new run).")
def landing_sensor(context: SensorEvaluationContext, landing: LandingFolder) -> SensorResult:
    """Request the whole graph for the current month when the landing folder's content changes.

    The extracts, ``sanji_mapping.yaml`` and ``decisions.csv`` are watched. Hashes are cached
    in the cursor by (name, size, mtime_ns, inode, ctime_ns): only new or touched files are
    read. The run key is a hash of every watched file's name and content, so the same content
    never runs twice.
    """
    seen = read_cursor(context.cursor)
    states = file_states(watched(landing.folder, LANDING_SUFFIXES, STEWARD_FILES), seen)
    digests = {name: state["sha"] for name, state in states.items()}
    if not set(digests) - set(STEWARD_FILES):
        return SensorResult(skip_reason=SkipReason(f"no extracts in {landing.folder}"))
    cursor = json.dumps({"files": states})
    changed = sorted(n for n, sha in digests.items() if seen.get(n, {}).get("sha") != sha)
    removed = sorted(set(seen) - set(digests))
    if not changed and not removed:
        return SensorResult(skip_reason=SkipReason("no new or changed extract"), cursor=cursor)
    key = content_key(digests)
    request = RunRequest(
        run_key=f"landing-{key}", partition_key=current_month(),
        tags={"sanji/trigger": "landing", "sanji/files": short_list(changed or removed),
              "sanji/landing_hash": key},
    )
    return SensorResult(run_requests=[request], cursor=cursor)


@sensor(job=exchange_import_job, minimum_interval_seconds=300,
        description="A run when the illness office's returned file arrives in the inbox.")
def inbox_sensor(context: SensorEvaluationContext,
                 exchange_folders: ExchangeFolders) -> SensorResult:
    """Request the import and diff for the month of each new or changed inbox file.

    The month comes from the file's name, else its content (:func:`assets.exchange.file_month`);
    a file whose month cannot be told is named in the skip reason (or a warning) on every tick
    until it is renamed or replaced. Hashes and months are cached in the cursor.
    """
    inbox = Path(exchange_folders.inbox)
    seen = read_cursor(context.cursor)
    states = file_states(inbox_files(inbox), seen)
    requests, unplaced = [], []
    for name, state in states.items():
        old = seen.get(name, {})
        known = old.get("sha") == state["sha"] and "month" in old
        month = old["month"] if known else file_month(inbox / name)
        states[name] = {**state, "month": month}
        if month is None:
            unplaced.append(name)
        elif not known:
            requests.append(RunRequest(
                run_key=f"inbox-{month}-{state['sha'][:16]}", partition_key=month,
                tags={"sanji/trigger": "inbox", "sanji/files": short_list([name])},
            ))
    cursor = json.dumps({"files": states})
    note = (f"month unknown for {short_list(unplaced, 200)} (name it like 回传_2026-10.xlsx or add "
            f"a 统计月份 cell)") if unplaced else ""
    if not requests:
        return SensorResult(skip_reason=SkipReason(note or "no new returned file"), cursor=cursor)
    if note:
        context.log.warning(note)
    return SensorResult(run_requests=requests, cursor=cursor)
