"""The published steps load only the extract columns they read, and publish the same tables.

``golden.columns_read`` and ``rules.base.columns_read`` name what each step's inputs hold (the
IO manager reads only those parquet columns); a column the engine reads but the list left out
would come back as nulls (``get_table``), so every step is run on the whole tables and on the
projected ones and must give the same frame.
"""

from __future__ import annotations

import polars as pl
import pytest
from demo_fixtures import DEMO_SEEDS
from polars.testing import assert_frame_equal

from pipelines.domain.extracts import EXTRACTS
from pipelines.exchange.cases import illness_cases
from pipelines.golden import columns_read as golden_columns
from pipelines.golden import golden_person
from pipelines.rollup import village_monthly
from pipelines.rules import PERSON_RULES, find_mismatches
from pipelines.rules.base import LINKER_ONLY, rules_read
from pipelines.rules.base import columns_read as rule_columns
from schemas.canonical import table_schema

MONTH = "2026-10"


def project(tables: dict[str, pl.DataFrame], columns) -> dict[str, pl.DataFrame]:
    return {name: frame.select(columns(name)) for name, frame in tables.items()}


@pytest.fixture(scope="module")
def county(demo_county):
    county = demo_county(DEMO_SEEDS[0])
    tables, links = county.ingested.tables, county.true_links
    return tables, links, golden_person(tables, links), county.ingested


def test_lists_name_only_columns_of_the_table():
    for name in EXTRACTS:
        schema = table_schema(name)
        assert set(golden_columns(name)) <= set(schema), name
        assert set(rule_columns(name)) == set(schema) - set(LINKER_ONLY), name
        assert len(golden_columns(name)) < len(rule_columns(name)) < len(schema)
        assert set(rules_read(name)) < set(rule_columns(name)), name
        assert {"record_id", "department", "extract", "village_code"} <= set(rules_read(name))


def test_golden_person_is_the_same_on_its_columns(county):
    tables, links, person, _ = county
    assert person.height > 1000
    assert_frame_equal(golden_person(project(tables, golden_columns), links), person)


def test_rules_and_rollups_are_the_same_without_the_linker_columns(county):
    tables, links, person, ingested = county
    regions = ingested.regions
    projected = project(tables, rule_columns)
    full = find_mismatches(tables, links, person, MONTH)
    assert full.height > 0
    assert_frame_equal(find_mismatches(projected, links, person, MONTH), full)
    village = village_monthly(tables, person, links, regions, MONTH)
    assert village["registered_total"].sum() > 0
    assert_frame_equal(village_monthly(projected, person, links, regions, MONTH), village)
    for name in PERSON_RULES:  # every rule finds something in the demo county
        assert full.filter(pl.col("rule") == name).height > 0, name
    slim = project(tables, rules_read)  # what the mismatch and village_monthly steps load
    assert_frame_equal(find_mismatches(slim, links, person, MONTH), full)
    assert_frame_equal(village_monthly(slim, person, links, regions, MONTH), village)
    cases = illness_cases(tables["illness_ledger"], tables["settlement"], links, person,
                          regions, MONTH)
    assert cases.height > 0
    assert_frame_equal(illness_cases(projected["illness_ledger"], projected["settlement"],
                                     links, person, regions, MONTH), cases)
    # and on the links' and the golden record's columns the step loads
    from pipelines.exchange.cases import PERSON_COLUMNS
    from pipelines.golden import LINK_COLUMNS

    assert set(person.columns) > set(PERSON_COLUMNS)
    assert_frame_equal(illness_cases(projected["illness_ledger"], projected["settlement"],
                                     links.select(LINK_COLUMNS),
                                     person.select(PERSON_COLUMNS), regions, MONTH), cases)


def test_links_in_the_tables_order_or_any_other_give_the_same_frames(county):
    """The published steps take the person ids as they stand when ``links`` lists the
    tables' records in order (as the link step writes it), else join: the same frames."""
    from pipelines.golden import aligned_person_ids, person_source

    tables, links, _, ingested = county
    records = pl.concat([tables[name].select("record_id") for name in EXTRACTS])
    in_order = records.join(links, on="record_id", maintain_order="left")
    assert in_order.height == records.height  # every record is linked: the fast path
    assert aligned_person_ids(records["record_id"], in_order) is not None
    shuffled = in_order.sample(fraction=1.0, shuffle=True, seed=5)
    assert aligned_person_ids(records["record_id"], shuffled) is None
    common = pl.concat([tables[name].select("record_id", "source_file", "sheet", "row_number",
                                            "department", "extract") for name in EXTRACTS])
    frames = []
    for order in (in_order, shuffled):
        person = golden_person(tables, order)
        frames.append([person, person_source(common, order),
                       find_mismatches(tables, order, person, MONTH),
                       village_monthly(tables, person, order, ingested.regions, MONTH)])
    assert frames[0][2].height > 0
    for a, b in zip(*frames, strict=True):
        assert_frame_equal(a, b)


def test_the_steps_are_the_same_on_the_links_person_and_records_columns_they_load(county):
    """``person_links`` loaded as ``LINK_COLUMNS``, ``person`` as ``PERSON_READ`` (and the
    ID for the previews), ``person_records`` as ``SOURCE_COLUMNS``: the same frames."""
    from pipelines.golden import LINK_COLUMNS, SOURCE_COLUMNS, person_source
    from pipelines.ingest import person_records
    from pipelines.rules.base import PERSON_READ

    tables, links, person, ingested = county
    assert set(links.columns) > set(LINK_COLUMNS) and set(person.columns) > set(PERSON_READ)
    slim_links, slim_person = links.select(LINK_COLUMNS), person.select(PERSON_READ)
    assert_frame_equal(golden_person(tables, slim_links), person)
    records = person_records(tables)
    assert set(records.columns) > set(SOURCE_COLUMNS)
    assert_frame_equal(person_source(records.select(SOURCE_COLUMNS), slim_links),
                       person_source(records, links))
    full = find_mismatches(tables, links, person, MONTH)
    assert full.height > 0
    assert_frame_equal(find_mismatches(tables, slim_links, slim_person, MONTH), full)
    regions = ingested.regions
    assert_frame_equal(village_monthly(tables, slim_person, slim_links, regions, MONTH),
                       village_monthly(tables, person, links, regions, MONTH))


def test_work_lists_are_the_same_on_the_columns_their_step_loads(county):
    """``township_worklist`` loads ``WORKLIST_READS`` of the golden record, the sources, the
    links, the roster and assistance: the same household heads and list rows."""
    from pipelines.cases import case_records, household_heads, track_cases
    from pipelines.cases.worklist import WORKLIST_READS, worklist_rows
    from pipelines.golden import person_source
    from pipelines.ingest import person_records

    tables, links, person, ingested = county
    inputs = {**tables, "person": person, "person_links": links,
              "person_source": person_source(person_records(tables), links)}
    slim = {name: inputs[name].select(columns) for name, columns in WORKLIST_READS.items()}
    heads = household_heads(tables, links)
    assert heads.height > 0
    assert_frame_equal(household_heads(slim, slim["person_links"]), heads)
    cases = track_cases(None, find_mismatches(tables, links, person, MONTH),
                        case_records(links, inputs["person_source"]), MONTH)
    rows = worklist_rows(cases, person, inputs["person_source"], ingested.regions, heads)
    assert rows.height > 0 and rows["evidence_text"].is_not_null().all()
    assert_frame_equal(worklist_rows(cases, slim["person"], slim["person_source"],
                                     ingested.regions, heads), rows)
