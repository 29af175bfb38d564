"""The counties a deployment runs, from one YAML file (``counties.yaml``, ``SANJI_COUNTIES``).

A province's data office runs every county of the province with one deployment; each county is
one value of the ``county`` partition dimension. The file names, per county, its code (the
6-digit 行政区划 code, the partition key), its name, its landing folder, its warehouse (a DuckDB
path or a ``postgresql://`` URL) and/or schema, and its exchange outbox and inbox; the
``province`` entry names where the province-level tables go; ``first_month`` is the first month
partition (a county reports from the first month it has data for).

Values may read the environment, shell style: ``${SANJI_LANDING}`` or, with a default,
``${SANJI_LANDING:-demo/landing}``. Relative folders and DuckDB paths are relative to the file's
own folder. Two counties may share a warehouse but never a schema in it: a month's publication
replaces that month's rows in the county's own tables.

Examples:
    >>> text = '''
    ... first_month: "2024-01"
    ... counties:
    ...   - {code: "411421", name: 清河县, landing: landing/411421, warehouse: w.duckdb}
    ... '''
    >>> deployment = parse_counties(text, base=Path("/srv/sanji"))
    >>> deployment.codes, str(deployment.county("411421").landing)
    (('411421',), '/srv/sanji/landing/411421')
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.domain.months import Month

CODE = re.compile(r"^\d{6}$")
PROVINCE_CODE = re.compile(r"^\d{2}$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
COUNTY_KEYS = {"code", "name", "landing", "warehouse", "schema", "outbox", "inbox",
               "worklist_full_ids"}
PROVINCE_SCHEMA = "province"


class CountiesError(ValueError):
    """The counties file is wrong: the message names the file, the entry and the fix."""


def expand(value: str, where: str) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}`` with the environment's values.

    Raises:
        CountiesError: for a ``${VAR}`` without default that is not set.
    """

    def one(found: re.Match) -> str:
        name, default = found[1], found[2]
        if os.environ.get(name):
            return os.environ[name]
        if default is None:
            msg = f"{where}: ${{{name}}} is not set (set it, or write ${{{name}:-default}})"
            raise CountiesError(msg)
        return default

    return _VARIABLE.sub(one, value)


def _is_url(value: str) -> bool:
    return "://" in value and not value.startswith("duckdb://")


def _path(value: str, base: Path) -> str:
    """A folder or DuckDB path made absolute against ``base``; URLs are kept."""
    if not value or _is_url(value) or value == ":memory:":
        return value
    path = Path(value.removeprefix("duckdb://")).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


@dataclass(frozen=True)
class County:
    """One county of the deployment.

    Attributes:
        code: the 6-digit county code (the ``county`` partition key).
        name: the county's name (清河县).
        landing: the folder where its departments' extracts land.
        warehouse: its warehouse: a DuckDB path or a ``postgresql://`` URL.
        schema: the schema of its tables in the warehouse ("" for the default schema).
        outbox: where its illness-office workbook goes.
        inbox: where the office's returned file arrives.
        worklist_full_ids: its township work lists (问题清单) show full identity numbers
            (``worklist_full_ids: true``, only when the county decides so; default masked).
    """

    code: str
    name: str
    landing: Path
    warehouse: str
    schema: str = ""
    outbox: Path | None = None
    inbox: Path | None = None
    worklist_full_ids: bool = False

    @property
    def label(self) -> str:
        """``411421 清河县``."""
        return f"{self.code} {self.name}".strip()


@dataclass(frozen=True)
class Province:
    """Where the province-level tables go (cross-county people, the province roll-up).

    Attributes:
        code: the 2-digit province code ("" when not given).
        name: the province's name.
        warehouse: a DuckDB path or ``postgresql://`` URL.
        schema: the schema of the province tables.
    """

    code: str
    name: str
    warehouse: str
    schema: str = PROVINCE_SCHEMA


@dataclass(frozen=True)
class Deployment:
    """The counties file, read.

    Attributes:
        first_month: the first month partition.
        counties: the counties, in the file's order.
        province: where the province tables go.
        source: the file it was read from.
    """

    first_month: Month
    counties: tuple[County, ...]
    province: Province
    source: Path | None = None
    _by_code: dict[str, County] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the counties by code."""
        object.__setattr__(self, "_by_code", {c.code: c for c in self.counties})

    @property
    def codes(self) -> tuple[str, ...]:
        """The county codes, in the file's order."""
        return tuple(c.code for c in self.counties)

    def county(self, code: str | None = None) -> County:
        """The county with ``code``; without one, the only county of a one-county deployment.

        Raises:
            CountiesError: for an unknown code, or no code when there are several counties.
        """
        if code is None or code == "":
            if len(self.counties) == 1:
                return self.counties[0]
            msg = (f"{len(self.counties)} counties are configured ({self.source}): name one "
                   f"with --county ({', '.join(self.codes[:10])}"
                   f"{' …' if len(self.codes) > 10 else ''})")
            raise CountiesError(msg)
        if code not in self._by_code:
            msg = (f"county {code!r} is not in {self.source or 'the counties file'} "
                   f"(configured: {', '.join(self.codes[:10])})")
            raise CountiesError(msg)
        return self._by_code[code]


def _text(entry: dict, key: str, where: str, base: Path, *, path: bool = False,
          required: bool = True) -> str:
    raw = entry.get(key)
    if raw is None or str(raw).strip() == "":
        if required:
            msg = f"{where}: missing {key!r}"
            raise CountiesError(msg)
        return ""
    value = expand(str(raw).strip(), f"{where}, {key}")
    return _path(value, base) if path else value


def _county(entry: object, where: str, base: Path) -> County:
    if not isinstance(entry, dict):
        msg = f"{where}: a county is a mapping (code, name, landing, warehouse …)"
        raise CountiesError(msg)
    unknown = sorted(set(entry) - COUNTY_KEYS)
    if unknown:
        msg = (f"{where}: unknown key(s) {', '.join(unknown)} "
               f"(known: {', '.join(sorted(COUNTY_KEYS))})")
        raise CountiesError(msg)
    code = str(entry.get("code", "")).strip()
    if not CODE.match(code):
        msg = f"{where}: code {code!r} must be the 6-digit county code (e.g. 411421)"
        raise CountiesError(msg)
    where = f"{where} ({code})"
    outbox = _text(entry, "outbox", where, base, path=True, required=False)
    inbox = _text(entry, "inbox", where, base, path=True, required=False)
    return County(
        code=code, name=_text(entry, "name", where, base),
        landing=Path(_text(entry, "landing", where, base, path=True)),
        warehouse=_text(entry, "warehouse", where, base, path=True),
        schema=_text(entry, "schema", where, base, required=False),
        outbox=Path(outbox) if outbox else None, inbox=Path(inbox) if inbox else None,
        worklist_full_ids=_flag(entry, "worklist_full_ids", where),
    )


def _flag(entry: dict, key: str, where: str) -> bool:
    """A yes/no key (``true`` / ``false``; absent: false)."""
    raw = entry.get(key, False)
    if raw is None:
        return False
    if not isinstance(raw, bool):
        msg = f"{where}: {key} must be true or false, not {raw!r}"
        raise CountiesError(msg)
    return raw


def _province(raw: object, counties: tuple[County, ...], where: str, base: Path) -> Province:
    raw = raw if isinstance(raw, dict) else {}
    code = str(raw.get("code", "") or "").strip()
    if code and not PROVINCE_CODE.match(code):
        msg = f"{where}, province: code {code!r} must be the 2-digit province code (e.g. 41)"
        raise CountiesError(msg)
    warehouse = _text(raw, "warehouse", f"{where}, province", base, path=True, required=False)
    schema = _text(raw, "schema", f"{where}, province", base, required=False)
    return Province(code=code, name=str(raw.get("name", "") or ""),
                    warehouse=warehouse or counties[0].warehouse,
                    schema=schema or PROVINCE_SCHEMA)


def _check_distinct(counties: tuple[County, ...], province: Province, where: str) -> None:
    """Refuse two counties with one code, or two sets of tables in one warehouse schema."""
    seen: dict[tuple[str, str], str] = {(province.warehouse, province.schema): "province"}
    codes: set[str] = set()
    for county in counties:
        if county.code in codes:
            msg = f"{where}: county {county.code} is listed twice"
            raise CountiesError(msg)
        codes.add(county.code)
        place = (county.warehouse, county.schema)
        if place in seen:
            msg = (f"{where}: county {county.code} and {seen[place]} publish into the same "
                   f"warehouse schema {county.schema or '(default)'!r}: give each county its "
                   "own schema (or warehouse)")
            raise CountiesError(msg)
        seen[place] = f"county {county.code}"


def parse_counties(text: str, base: Path, source: Path | None = None) -> Deployment:
    """Read a counties file's text.

    Args:
        text: the YAML.
        base: the folder relative paths start from (the file's folder).
        source: the file, for messages.

    Returns:
        The deployment.

    Raises:
        CountiesError: naming the entry and what to write instead.
    """
    where = str(source or "counties file")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        msg = f"{where}: not YAML: {' '.join(str(exc).split())[:200]}"
        raise CountiesError(msg) from exc
    entries = raw.get("counties") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        msg = f"{where}: no counties (write `counties:` with one entry per county)"
        raise CountiesError(msg)
    counties = tuple(_county(e, f"{where}, county {i + 1}", base) for i, e in enumerate(entries))
    first = os.environ.get("SANJI_FIRST_MONTH") or str(raw.get("first_month") or "2024-01")
    try:
        first_month = Month.parse(first)
    except ValueError as exc:
        msg = f"{where}: first_month {first!r}: {exc}"
        raise CountiesError(msg) from exc
    province = _province(raw.get("province"), counties, where, base)
    _check_distinct(counties, province, where)
    return Deployment(first_month, counties, province, source)


def load_counties(path: Path) -> Deployment:
    """Read the counties file at ``path`` (``SANJI_FIRST_MONTH`` overrides its first month).

    Raises:
        CountiesError: when the file is missing or wrong, naming it.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"no counties file at {path} (set SANJI_COUNTIES to the deployment's counties.yaml)"
        raise CountiesError(msg)
    return parse_counties(path.read_text(encoding="utf-8"), path.parent.resolve(), path)
