"""``paywatch dashboards snapshot``: panels drawn from a real Prometheus to PNGs, and a well-formed HTML page."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import pytest_asyncio
from PIL import Image
from typer.testing import CliRunner

from dashboards import dashboard_json, snapshot_dashboards
from dashboards.snapshot import Panel, PanelData, QueryResult, Series, TimeWindow, panels_of, render_panel, resolve
from dashboards.snapshot.prometheus import Exemplar
from dashboards.snapshot.render import display_value, format_value, legend_order, table_columns, threshold_colour
from paywatch.cli import build_app
from tests.dashboards.feed import fed_prometheus

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _PageChecker(HTMLParser):
    """Collects structural problems (unclosed or mismatched tags) and every ``img src``."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.images: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with fed_prometheus(tmp_path_factory.mktemp("prometheus")) as url:
        yield url


@pytest.mark.asyncio(loop_scope="module")
async def test_snapshot_writes_decodable_pictures_and_a_well_formed_page(prometheus_url: str, tmp_path: Path) -> None:
    uids = ["paywatch-overview", "paywatch-channels"]
    snapshots = await snapshot_dashboards(prometheus_url, tmp_path, uids, range_s=60, scrape_interval_s=1)

    assert [s.uid for s in snapshots] == uids
    for snap in snapshots:
        assert snap.empty_panels == [], f"{snap.uid}: panels without data {snap.empty_panels}"
        assert len(snap.images) == len(snap.panels) >= 8
        for image in snap.images:
            assert image.stat().st_size > 0
            with Image.open(image) as picture:
                picture.load()
                assert picture.format == "PNG"
                assert picture.width >= 300 and picture.height >= 150
                lowest, highest = picture.convert("L").getextrema()
                assert lowest < highest, f"{image.name} is a blank picture"
        page = _PageChecker()
        page.feed(snap.index.read_text(encoding="utf-8"))
        page.close()
        assert page.doctype and page.problems == [] and page.stack == []
        assert sorted(page.images) == sorted(p.name for p in snap.images)
        assert all((snap.directory / src).is_file() for src in page.images)
        text = snap.index.read_text(encoding="utf-8")
        assert all(d.panel.title.replace("/", "&#x2F;") in text or d.panel.title in text for d in snap.panels)
        # panels appear under their dashboard row, as in Grafana
        assert all(d.panel.row and f'<h2 class="row">{d.panel.row}</h2>' in text for d in snap.panels)
    heatmaps = [d for d in snapshots[1].panels if d.panel.type == "heatmap"]
    assert heatmaps and all(r.exemplars for d in heatmaps for r in d.results), "heatmaps should carry exemplars"
    assert "Exemplar trace ids" in snapshots[1].index.read_text(encoding="utf-8")
    listing = _PageChecker()
    listing_text = (tmp_path / "index.html").read_text(encoding="utf-8")
    listing.feed(listing_text)
    assert listing.problems == [] and listing.stack == []
    # the listing says what each dashboard is for, so a reader picks the right one
    assert all(s.description and s.description in listing_text for s in snapshots)


@pytest.mark.asyncio(loop_scope="module")
async def test_snapshot_cli_renders_the_chosen_dashboard(prometheus_url: str, tmp_path: Path) -> None:
    import asyncio

    args = ["dashboards", "snapshot", "--prometheus", prometheus_url, "--out", str(tmp_path),
            "--dashboard", "paywatch-probes", "--range", "1m", "--scrape-interval", "1s"]  # fmt: skip
    result = await asyncio.to_thread(CliRunner().invoke, build_app(), args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "paywatch-probes" / "index.html").is_file()
    assert not (tmp_path / "paywatch-overview").exists()
    assert len(list((tmp_path / "paywatch-probes").glob("*.png"))) >= 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--dashboard", "nope"], "unknown dashboard nope", id="unknown-uid"),
        pytest.param(["--range", "fortnight"], "expected a number and a unit", id="bad-range"),
        pytest.param([], "127.0.0.1:9", id="prometheus-unreachable"),
    ],
)
def test_snapshot_cli_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    base = ["dashboards", "snapshot", "--prometheus", "http://127.0.0.1:9", "--out", str(tmp_path)]
    result = CliRunner().invoke(build_app(), [*base, *args])
    assert result.exit_code != 0
    assert message in result.output


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param('x{channel=~"$channel"}', 'x{channel=~".*"}', id="dollar-var"),
        pytest.param('x{region=~"${region}"}', 'x{region=~".*"}', id="braced-var"),
        pytest.param("rate(x[$__rate_interval])", "rate(x[60s])", id="rate-interval-four-scrapes"),
        pytest.param("increase(x[$__range])", "increase(x[900s])", id="range"),
    ],
)
def test_template_variables_resolve_to_all(expr: str, expected: str) -> None:
    end = time.time()
    assert resolve(expr, TimeWindow(end - 900, end, scrape_interval_s=15)) == expected


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        pytest.param(0.9995, "percentunit", "99.95%", id="percent"),
        pytest.param(0.25, "s", "250 ms", id="milliseconds"),
        pytest.param(2.5, "s", "2.5 s", id="seconds"),
        pytest.param(12.0, "reqps", "12 req/s", id="rate"),
        pytest.param(None, "s", "No data", id="no-data"),
        pytest.param(14.4, "suffix:x", "14.4x", id="custom-suffix"),
        pytest.param(2.5, "suffix: runs/s", "2.5 runs/s", id="custom-suffix-with-space"),
    ],
)
def test_values_are_formatted_by_unit(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "text"),
    [
        pytest.param(148.5, "short", 0, "148", id="count-without-fraction"),
        pytest.param(0.96875, "percentunit", 1, "96.9%", id="percent-one-decimal"),
    ],
)
def test_panel_decimals_are_honoured(value: float, unit: str, decimals: int, text: str) -> None:
    assert format_value(value, unit, decimals) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [pytest.param(1.0, "up", id="mapped-up"), pytest.param(0.0, "DOWN", id="mapped-down"),
     pytest.param(2.0, "2", id="unmapped-number")],
)  # fmt: skip
def test_stat_shows_the_mapped_word(value: float, text: str) -> None:
    panel = _panel("stat", unit="none", value_text=(("1", "up"), ("0", "DOWN")))
    assert display_value(value, panel) == text


def test_snapshot_reads_units_mappings_and_table_layout_from_the_dashboard_json() -> None:
    overview = {p.title: p for p in panels_of(dashboard_json("paywatch-overview"))}
    reasons = overview["Top technical failure reasons"]
    assert table_columns(reasons, {"source", "channel", "reason", "instance"}) == (
        ["reason", "channel", "source", "instance"],
        ["reason", "channel", "source", "instance", "failures in range"],
    )
    alerts_table = overview["Active alerts"]
    keys, header = table_columns(alerts_table, {"alertname", "severity", "alertstate"})
    assert header == keys == ["alertname", "severity", "alertstate"]
    assert display_value(0.0, overview["Telemetry up"]) == "DOWN"
    assert overview["Journey success by region"].legend_sort == ("Last *", False)
    assert overview["Journey success by region"].minimum == 0


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        pytest.param(("Last *", False), "failing now", id="success-lowest-now-first"),
        pytest.param(("Max", True), "spiked", id="latency-highest-peak-first"),
        pytest.param(None, "healthy", id="no-sort-keeps-order"),
    ],
)
def test_legend_order_puts_the_series_that_matter_first(sort: tuple[str, bool] | None, first: str) -> None:
    frame = pd.DataFrame({"healthy": [1.0, 1.0, 1.0], "spiked": [1.0, 9.0, 1.0], "failing now": [1.0, 1.0, 0.2]})
    assert legend_order(frame, sort).columns[0] == first


@pytest.mark.parametrize(
    ("value", "colour"),
    [
        pytest.param(0.5, "#e02f44", id="below-first-step"),
        pytest.param(0.995, "#ff9830", id="middle-step"),
        pytest.param(1.0, "#56a64b", id="top-step"),
    ],
)
def test_stat_colour_follows_thresholds(value: float, colour: str) -> None:
    assert threshold_colour(value, ((None, "red"), (0.99, "orange"), (0.999, "green"))) == colour


def _panel(kind: str, **overrides: Any) -> Panel:
    fields: dict[str, Any] = {
        "id": 1, "type": kind, "title": f"a {kind}", "description": "", "unit": "s", "targets": (),
        "thresholds": ((None, "green"), (1.0, "red")), "stacked": False, "width": 12, "height": 8, "links": (),
    }  # fmt: skip
    return Panel(**{**fields, **overrides})


_NOW = 1_800_000_000.0
_LINE = Series({"channel": "online"}, tuple((_NOW + i, 0.1 * i) for i in range(30)))
_BUCKETS = tuple(
    Series({"le": le}, tuple((_NOW + i, float(i * n)) for i in range(30)))
    for n, le in enumerate(("0.1", "1", "+Inf"), 1)
)
_EXEMPLARS = (Exemplar({"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}, _NOW + 10, 0.4),)


@pytest.mark.parametrize(
    ("kind", "result"),
    [
        pytest.param("timeseries", QueryResult("A", "x", "{{channel}}", False, (_LINE,)), id="timeseries"),
        pytest.param("stat", QueryResult("A", "x", "{{channel}}", False, (_LINE,)), id="stat"),
        pytest.param("table", QueryResult("A", "x", "", True, (_LINE,)), id="table"),
        pytest.param("heatmap", QueryResult("A", "x", "{{le}}", False, _BUCKETS, _EXEMPLARS), id="heatmap-exemplars"),
        pytest.param("timeseries", QueryResult("A", "x(", "", False, error="400: parse error"), id="query-error"),
        pytest.param("stat", QueryResult("A", "x", "", False), id="no-data"),
        pytest.param("text", QueryResult("A", "x", "", False, (_LINE,)), id="unsupported-type"),
    ],
)
def test_every_panel_kind_renders_a_picture(tmp_path: Path, kind: str, result: QueryResult) -> None:
    path = tmp_path / "panel.png"
    render_panel(PanelData(_panel(kind), (result,)), path)
    with Image.open(path) as picture:
        picture.load()
        lowest, highest = picture.convert("L").getextrema()
    assert picture.format == "PNG" and lowest < highest
