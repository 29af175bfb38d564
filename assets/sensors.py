"""Sensors, running by default (``SANJI_AUTOMATION=off`` stops them).

- ``landing_sensor``: a ``nightly`` run for a county when its landing folder's extracts or
  steward files change, for the month the files name (their names, else their first rows),
  never the month of the wall clock alone: October's files arriving on 1 November publish as
  October.
- ``inbox_sensor``: an ``illness_exchange_import`` run for each new or changed returned file of
  a county, for the month the file names.
- ``province_sensor``: a ``province`` run for a month once counties have published it (the
  ``publication`` asset materialised) and no county run of that month is still queued or running.
"""

import hashlib
import json
from pathlib import Path

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.io_managers import PUBLICATION_ASSET
from assets.jobs import PUBLISHING_JOBS, illness_exchange_import, nightly, province
from assets.resources import ExchangeFolders, LandingFolder
from assets.settings import SENSOR_STATUS, month_range, partition, split_key
from pipelines.domain.months import Month
from pipelines.exchange.inbox import file_month, inbox_files, unplaced_hint
from pipelines.snapshot import landing_month, named_month, sha256_file

TAG_LIMIT = 60
# A file whose stat matches on all of these keeps its cached hash (and month).
STAT_KEYS = ("size", "mtime_ns", "ino", "ctime_ns")
BUSY = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED]


def file_states(files: list[Path], cache: dict[str, dict]) -> dict[str, dict]:
    """File name -> ``{"size", "mtime_ns", "ino", "ctime_ns", "sha"}``, hashing changed files.

    ``ino`` and ``ctime_ns`` catch a corrected file of the same size copied in with its old
    mtime kept (``cp -p``, ``rsync -a``): the copy gets a new inode or change time.

    Args:
        files: the files to describe.
        cache: the previous states (from the sensor's cursor); a file with the same name, size,
            ``mtime_ns``, inode and ``ctime_ns`` keeps its cached state without being read.

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


def read_cursor(cursor: str | None, county: str | None = None) -> dict[str, dict]:
    """The cached file states of a cursor, for one county (or a one-folder cursor)."""
    raw = json.loads(cursor) if cursor else {}
    if county is not None:
        raw = (raw.get("counties") or {}).get(county) or {}
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


def _with_months(states: dict[str, dict], seen: dict[str, dict], folder: Path,
                 data: set[str]) -> dict[str, dict]:
    """Add the month each data file names (cached while its hash holds)."""
    for name, state in states.items():
        old = seen.get(name, {})
        if name not in data:
            continue
        if old.get("sha") == state["sha"] and "month" in old:
            state["month"] = old["month"]
        else:
            state["month"] = named_month(folder / name)
    return states


def county_landing(landing: LandingFolder, county: str, seen: dict[str, dict],
                   ) -> tuple[RunRequest | None, str, dict]:
    """One county's landing: a run request (or None), why not, and its new cursor entry."""
    listing = landing.listing(county)
    data = {p.name for p in listing.data}
    states = _with_months(file_states(list(listing.watched), seen), seen,
                          landing.folder(county), data)
    entry = {"files": states}
    if not data:
        unread = "; ".join(map(str, listing.skipped[:5]))
        return None, (f"{county}: no extracts in {landing.folder(county)}"
                      + (f" (not read: {unread})" if unread else "")), entry
    digests = {name: state["sha"] for name, state in states.items()}
    changed = sorted(n for n, sha in digests.items() if seen.get(n, {}).get("sha") != sha)
    removed = sorted(set(seen) - set(digests))
    if not changed and not removed:
        return None, f"{county}: no new or changed extract", entry
    month, how = landing_month({n: states[n].get("month") for n in data},
                               {n: states[n]["mtime_ns"] / 1e9 for n in data})
    first, last = month_range()
    if not first <= Month.parse(month) <= last:
        return None, (f"{county}: the files are for {month}, outside the months "
                      f"{first}..{last} (first_month in the counties file)"), entry
    key = content_key(digests)
    return RunRequest(
        run_key=f"landing-{county}-{month}-{key}", partition_key=partition(county, month),
        tags={"sanji/trigger": "landing", "sanji/files": short_list(changed or removed),
              "sanji/landing_hash": key, "sanji/month_from": how},
    ), "", entry


@sensor(job=nightly, minimum_interval_seconds=60, default_status=SENSOR_STATUS,
        description="A county's run when a new or changed extract lands, for the month the "
                    "files name (same content: no new run).")
def landing_sensor(context: SensorEvaluationContext, landing: LandingFolder) -> SensorResult:
    """Request a county's whole graph when its landing folder's content changes.

    The extracts, ``sanji_mapping.yaml`` and ``decisions.csv`` are watched. Hashes and the
    month each file names are cached in the cursor by (name, size, mtime_ns, inode, ctime_ns):
    only new or touched files are read. The month is the latest the data files name (their
    names, else their first rows), else the month the newest one was modified
    (``sanji/month_from`` says which). The run key is the county, the month and a hash of every
    watched file's name and content, so the same content never runs twice.
    """
    counties = landing.deployment().codes
    requests, reasons, cursor = [], [], {"counties": {}}
    for county in counties:
        seen = read_cursor(context.cursor, county)
        request, reason, entry = county_landing(landing, county, seen)
        cursor["counties"][county] = entry
        if request is not None:
            requests.append(request)
        else:
            reasons.append(reason)
    if not requests:
        return SensorResult(skip_reason=SkipReason("; ".join(reasons)[:1000]),
                            cursor=json.dumps(cursor))
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor))


def county_inbox(inbox: Path, county: str, seen: dict[str, dict],
                 ) -> tuple[list[RunRequest], list[str], dict]:
    """One county's inbox: requests for new files, files without a month, cursor entry."""
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
                run_key=f"inbox-{county}-{month}-{state['sha'][:16]}",
                partition_key=partition(county, month),
                tags={"sanji/trigger": "inbox", "sanji/files": short_list([name])},
            ))
    return requests, unplaced, {"files": states}


@sensor(job=illness_exchange_import, minimum_interval_seconds=300, default_status=SENSOR_STATUS,
        description="A run when the illness office's returned file arrives in a county's inbox.")
def inbox_sensor(context: SensorEvaluationContext,
                 exchange_folders: ExchangeFolders) -> SensorResult:
    """Request the import and diff for the county and month of each new or changed inbox file.

    The month comes from the file's name, else its content
    (:func:`pipelines.exchange.inbox.file_month`); a file whose month cannot be told is named in
    the skip reason (or a warning) on every tick until it is renamed or replaced. Hashes and
    months are cached in the cursor.
    """
    requests, unplaced, cursor = [], [], {"counties": {}}
    for county in exchange_folders.deployment().codes:
        found, lost, entry = county_inbox(exchange_folders.inbox_for(county), county,
                                          read_cursor(context.cursor, county))
        requests += found
        unplaced += [f"{county}/{name}" for name in lost]
        cursor["counties"][county] = entry
    note = (f"month unknown for {short_list(unplaced, 200)} "
            f"({unplaced_hint(Month.current())})") if unplaced else ""
    if not requests:
        return SensorResult(skip_reason=SkipReason(note or "no new returned file"),
                            cursor=json.dumps(cursor))
    if note:
        context.log.warning(note)
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor))


def _published_months(context: SensorEvaluationContext, after: int) -> tuple[set[str], int]:
    """Months a county published after storage id ``after``, and the newest id.

    Published means the ``publication`` asset materialised (the run's tables are in the
    warehouse): ``county_monthly`` and the other tables materialise when a run stages them,
    before the guard may still refuse the night.
    """
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(PUBLICATION_ASSET), after_storage_id=after),
        limit=1000, ascending=True).records
    months = {split_key(r.partition_key)[1] for r in records if r.partition_key}
    return {m for m in months if m}, max((r.storage_id for r in records), default=after)


@sensor(job=province, minimum_interval_seconds=120, default_status=SENSOR_STATUS,
        description="The province's run for a month once its counties have published it.")
def province_sensor(context: SensorEvaluationContext) -> SensorResult:
    """Request ``province`` for each month a county published, once the month's runs are done.

    A month stays pending (in the cursor) while any county run of that month is queued or
    running, so a night of 100 counties gives one province run, not a hundred.
    """
    raw = json.loads(context.cursor) if context.cursor else {}
    fresh, newest = _published_months(context, int(raw.get("after", 0)))
    pending = sorted(set(raw.get("pending", [])) | fresh)
    requests, waiting = [], []
    for month in pending:
        busy = context.instance.get_runs(RunsFilter(
            statuses=BUSY, job_name=None, tags={"dagster/partition/month": month}), limit=50)
        if any(run.job_name in PUBLISHING_JOBS for run in busy):
            waiting.append(month)
            continue
        requests.append(RunRequest(run_key=f"province-{month}-{newest}", partition_key=month,
                                   tags={"sanji/trigger": "counties-published"}))
    cursor = json.dumps({"after": newest, "pending": waiting})
    if not requests:
        reason = f"waiting for county runs of {', '.join(waiting)}" if waiting else \
            "no county has published since the last province run"
        return SensorResult(skip_reason=SkipReason(reason), cursor=cursor)
    return SensorResult(run_requests=requests, cursor=cursor)
