"""Sensors, running by default (``SANJI_AUTOMATION=off`` stops them).

- ``landing_sensor``: a ``nightly`` run when the landing folder's extracts or steward files
  change (the folder as :func:`pipelines.landing.list_landing` lists it).
- ``inbox_sensor``: an ``illness_exchange_import`` run for each new or changed returned file.
"""


import hashlib
import json
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.jobs import illness_exchange_import, nightly
from assets.resources import ExchangeFolders, LandingFolder
from assets.settings import SENSOR_STATUS
from pipelines.domain.months import Month
from pipelines.exchange.inbox import file_month, inbox_files, unplaced_hint

TAG_LIMIT = 60
# A file whose stat matches on all of these keeps its cached hash.
STAT_KEYS = ("size", "mtime_ns", "ino", "ctime_ns")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (extracts may be GBs)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


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


@sensor(job=nightly, minimum_interval_seconds=60, default_status=SENSOR_STATUS,
        description="A run when a new or changed extract lands (same content: no new run).")
def landing_sensor(context: SensorEvaluationContext, landing: LandingFolder) -> SensorResult:
    """Request the whole graph for the current month when the landing folder's content changes.

    The extracts, ``sanji_mapping.yaml`` and ``decisions.csv`` are watched. Hashes are cached
    in the cursor by (name, size, mtime_ns, inode, ctime_ns): only new or touched files are
    read. The run key is a hash of every watched file's name and content, so the same content
    never runs twice.
    """
    seen = read_cursor(context.cursor)
    listing = landing.listing()
    states = file_states(list(listing.watched), seen)
    digests = {name: state["sha"] for name, state in states.items()}
    if not listing.data:
        unread = "; ".join(map(str, listing.skipped[:5]))
        return SensorResult(skip_reason=SkipReason(
            f"no extracts in {landing.folder}" + (f" (not read: {unread})" if unread else "")))
    cursor = json.dumps({"files": states})
    changed = sorted(n for n, sha in digests.items() if seen.get(n, {}).get("sha") != sha)
    removed = sorted(set(seen) - set(digests))
    if not changed and not removed:
        return SensorResult(skip_reason=SkipReason("no new or changed extract"), cursor=cursor)
    key = content_key(digests)
    request = RunRequest(
        run_key=f"landing-{key}", partition_key=str(Month.current()),
        tags={"sanji/trigger": "landing", "sanji/files": short_list(changed or removed),
              "sanji/landing_hash": key},
    )
    return SensorResult(run_requests=[request], cursor=cursor)


@sensor(job=illness_exchange_import, minimum_interval_seconds=300, default_status=SENSOR_STATUS,
        description="A run when the illness office's returned file arrives in the inbox.")
def inbox_sensor(context: SensorEvaluationContext,
                 exchange_folders: ExchangeFolders) -> SensorResult:
    """Request the import and diff for the month of each new or changed inbox file.

    The month comes from the file's name, else its content
    (:func:`pipelines.exchange.inbox.file_month`);
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
    note = (f"month unknown for {short_list(unplaced, 200)} "
            f"({unplaced_hint(Month.current())})") if unplaced else ""
    if not requests:
        return SensorResult(skip_reason=SkipReason(note or "no new returned file"), cursor=cursor)
    if note:
        context.log.warning(note)
    return SensorResult(run_requests=requests, cursor=cursor)
