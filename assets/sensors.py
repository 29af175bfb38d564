"""Sensors: new or changed extracts in the landing folder; the office's file in the inbox."""


import hashlib
import json
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.exchange import RETURN_SUFFIXES, month_in_name
from assets.jobs import everything_job, exchange_import_job
from assets.resources import ExchangeFolders, LandingFolder, current_month

TAG_LIMIT = 60


def file_digests(folder: Path, suffixes: tuple[str, ...] = (".csv", ".xlsx")) -> dict[str, str]:
    """File name -> sha256 of its bytes, for the data files at the top of a folder."""
    if not folder.is_dir():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith((".", "~$"))
    }


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
    """Request the whole graph for the current month when the landing folder's content changes."""
    digests = file_digests(landing.folder)
    if not digests:
        return SensorResult(skip_reason=SkipReason(f"no extracts in {landing.folder}"))
    seen = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(n for n, sha in digests.items() if seen.get(n) != sha)
    if not changed:
        return SensorResult(skip_reason=SkipReason("no new or changed extract"))
    key = content_key(digests)
    request = RunRequest(
        run_key=f"landing-{key}", partition_key=current_month(),
        tags={"sanji/trigger": "landing", "sanji/files": short_list(changed),
              "sanji/landing_hash": key},
    )
    return SensorResult(run_requests=[request], cursor=json.dumps(digests))


@sensor(job=exchange_import_job, minimum_interval_seconds=300,
        description="A run when the illness office's returned file arrives in the inbox.")
def inbox_sensor(context: SensorEvaluationContext,
                 exchange_folders: ExchangeFolders) -> SensorResult:
    """Request the import and diff for the month named in each new or changed inbox file."""
    digests = file_digests(Path(exchange_folders.inbox), RETURN_SUFFIXES)
    seen = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for name, sha in sorted(digests.items()):
        month = month_in_name(name)
        if seen.get(name) == sha or month is None:
            continue
        requests.append(RunRequest(
            run_key=f"inbox-{month}-{sha[:16]}", partition_key=month,
            tags={"sanji/trigger": "inbox", "sanji/files": short_list([name])},
        ))
    if not requests:
        return SensorResult(skip_reason=SkipReason("no new returned file"), cursor=context.cursor)
    return SensorResult(run_requests=requests, cursor=json.dumps(digests))
