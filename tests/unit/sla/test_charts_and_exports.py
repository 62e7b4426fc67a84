"""Pure pieces of the dashboard and reports: SVG charts, percentiles, month buckets, CSV/XLSX writers."""

from __future__ import annotations

import csv
import io
import re
import statistics
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from server.reports import export, simfoni
from server.sla import charts, stats, trends

SERIES = [("breached", "Late"), ("at_risk", "At risk"), ("on_track", "On track")]


def test_stacked_bars_draw_one_segment_per_nonzero_value_and_escape_labels():
    svg = str(charts.stacked_bars("Open <tasks>", [("<script>alert(1)</script>", {"breached": 2, "on_track": 6}),
                                                   ("Asesmen", {"at_risk": 4})], SERIES))
    assert svg.startswith('<svg class="chart"') and svg.endswith("</svg>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Open &lt;tasks&gt;" in svg
    segments = re.findall(r'<rect class="c-(\w+)" x="[\d.]+" y="\d+" width="([\d.]+)"', svg)
    legend, bars = segments[:3], segments[3:]
    assert [k for k, _ in legend] == ["breached", "at_risk", "on_track"]
    assert [k for k, _ in bars] == ["breached", "on_track", "at_risk"]
    widths = [float(w) for _, w in bars]
    assert widths[0] + widths[1] == max(widths[0] + widths[1], widths[2])  # the longest bar spans the scale
    assert abs(widths[1] / widths[0] - 3) < 0.01 and abs(widths[2] / widths[0] - 2) < 0.01
    assert ">8</text>" in svg and ">4</text>" in svg  # totals printed at the end of each bar


def test_charts_without_data_draw_nothing():
    assert charts.stacked_bars("x", [], SERIES) == ""
    assert charts.columns("x", [], SERIES) == ""
    assert charts.ranges("x", [("a", None, None, None)], ("m", "p", "t")) == ""


def test_columns_and_ranges_scale_to_the_largest_value():
    svg = str(charts.columns("Cases per year", [("2021", {"ktp": 12}), ("2022", {"ktp": 14}), ("2023", {"ktp": 4})],
                             [("ktp", "Violence against women")]))
    heights = [float(h) for h in re.findall(r'<rect class="c-ktp" x="[\d.]+" y="[\d.]+" width="[\d.]+" '
                                            r'height="([\d.]+)"><title>', svg)]
    assert heights == pytest.approx([120, 140, 40])  # 140 units tall for the largest year
    svg = str(charts.ranges("Time", [("Asesmen", 10.0, 30.0, 72.0)], ("Median", "90th", "Deadline")))
    assert 'class="c-target"' in svg and "Deadline: 72" in svg


def test_percentile_is_linear_interpolation_like_percentile_cont():
    values = [1, 2, 10, 30]
    assert trends.percentile(values, 0.5) == statistics.median(values) == 6
    assert trends.percentile(values, 0.9) == pytest.approx(24)  # 10 + 0.7 * (30 - 10)
    assert trends.percentile([5], 0.9) == 5 and trends.percentile([], 0.5) is None


def test_month_edges_follow_the_office_zone_across_the_year_end():
    now = datetime(2026, 12, 31, 18, tzinfo=UTC)  # already 1 January 2027 in Jakarta
    edges = stats.month_edges(now, back=1, ahead=1)
    assert [label for label, _ in edges] == ["2026-12", "2027-01", "2027-02", "later"]
    assert edges[1][1] == datetime(2027, 1, 1, tzinfo=ZoneInfo("Asia/Jakarta")).astimezone(UTC)


def test_csv_has_a_bom_local_times_and_neutralised_formulas():
    table = export.Table("t", "T", ["Name", "When", "N", "List"],
                         [["=1+2", datetime(2026, 11, 23, 2, tzinfo=UTC), -3, ["a", "b"]], ["@SUM(A1)", None, 0, []]])
    text = export.to_csv(table, zone=ZoneInfo("Asia/Jakarta")).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1] == ["'=1+2", "2026-11-23 09:00", "-3", "a, b"]
    assert rows[2][0] == "'@SUM(A1)"


def test_xlsx_keeps_formulas_as_text_and_dates_as_dates():
    table = export.Table("breaches/late", "T", ["Name", "When"], [["=cmd|' /C calc'!A0", datetime(2026, 1, 2, tzinfo=UTC)]])
    book = load_workbook(io.BytesIO(export.to_xlsx([table], zone=ZoneInfo("Asia/Jakarta"))))
    sheet = book["breaches_late"]
    name, when = sheet["A2"], sheet["B2"]
    assert (name.value, name.data_type) == ("=cmd|' /C calc'!A0", "s")
    assert when.value == datetime(2026, 1, 2, 7, 0) and sheet["A1"].font.bold


def test_simfoni_facts_read_nested_and_flat_form_data():
    facts = simfoni.facts({"korban": {"nama": "Rina", "jenis_kelamin": "perempuan", "umur": "7"},
                           "pelaku": [{"hubungan": "guru"}, {"hubungan": "guru"}, {"hubungan": "tetangga"}],
                           "layanan": [{"jenis_layanan": "kesehatan"}, {"jenis_layanan": "psikologis"}]})
    assert facts.identifying == {"nama_korban": "Rina"}
    assert facts.age == 7 and facts.values["kelompok_usia"] == "6-12"
    assert facts.values["jenis_kelamin_korban"] == "perempuan"
    assert facts.values["hubungan_pelaku"] == ["guru", "tetangga"]
    assert facts.values["jenis_layanan"] == ["kesehatan", "psikologis"]
    assert simfoni.age_band(17) == "13-17" and simfoni.age_band("x") is None
