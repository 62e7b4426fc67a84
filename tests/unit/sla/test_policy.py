"""Duration parsing, deadlines, SLA states and the shipped policy table."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.sla.calendar import WorkingCalendar
from server.sla.policy import (
    CASE_CREATED,
    LEGAL_POLICIES,
    TASK_CREATED,
    Binding,
    Duration,
    DurationKind,
    SlaState,
    due_at,
    evaluate,
    parse_duration,
)

WIB = ZoneInfo("Asia/Jakarta")
H = 3600
D = 86_400


def wib(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# -- parse_duration -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT72H", Duration(DurationKind.CALENDAR, seconds=72 * H)),
        ("P7D", Duration(DurationKind.CALENDAR, seconds=7 * D)),
        ("PT30M", Duration(DurationKind.CALENDAR, seconds=30 * 60)),
        ("P1DT12H", Duration(DurationKind.CALENDAR, seconds=36 * H)),
        ("P2W", Duration(DurationKind.CALENDAR, seconds=14 * D)),
        ("PT1H30M15S", Duration(DurationKind.CALENDAR, seconds=H + 30 * 60 + 15)),
        ("pt6h", Duration(DurationKind.CALENDAR, seconds=6 * H)),
        (" P30D ", Duration(DurationKind.CALENDAR, seconds=30 * D)),
        ("3 hari kerja", Duration(DurationKind.WORKING_DAYS, days=3)),
        ("1 hari kerja", Duration(DurationKind.WORKING_DAYS, days=1)),
        ("  3   Hari  Kerja ", Duration(DurationKind.WORKING_DAYS, days=3)),
        ("3 working days", Duration(DurationKind.WORKING_DAYS, days=3)),
        ("1 working day", Duration(DurationKind.WORKING_DAYS, days=1)),
        ("3 business days", Duration(DurationKind.WORKING_DAYS, days=3)),
        ("72 jam", Duration(DurationKind.CALENDAR, seconds=72 * H)),
        ("72jam", Duration(DurationKind.CALENDAR, seconds=72 * H)),
        ("3x24 jam", Duration(DurationKind.CALENDAR, seconds=72 * H)),
        ("3 × 24 jam", Duration(DurationKind.CALENDAR, seconds=72 * H)),
        ("1 x 24 hours", Duration(DurationKind.CALENDAR, seconds=24 * H)),
        ("7 hari", Duration(DurationKind.CALENDAR, seconds=7 * D)),
        ("7 hari kalender", Duration(DurationKind.CALENDAR, seconds=7 * D)),
        ("7 days", Duration(DurationKind.CALENDAR, seconds=7 * D)),
        ("30 menit", Duration(DurationKind.CALENDAR, seconds=30 * 60)),
        ("2 minggu", Duration(DurationKind.CALENDAR, seconds=14 * D)),
        ("6 hours", Duration(DurationKind.CALENDAR, seconds=6 * H)),
    ],
)
def test_parse_duration_accepts(text: str, expected: Duration) -> None:
    parsed = parse_duration(text)
    assert parsed == expected
    assert parse_duration(parsed.text) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "P",
        "PT",
        "P1DT",
        "P7",
        "72",
        "jam",
        "P1M",  # months have no fixed length
        "P1Y",
        "PT1.5H",
        "PT0H",
        "P0D",
        "0 hari kerja",
        "0 jam",
        "-3 hari kerja",
        "tiga hari kerja",
        "3 hari kerja kerja",
        "3 bulan",
        "3 hari libur",
        "segera",
        "72 H",
    ],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_duration(text)


def test_parse_error_lists_accepted_forms() -> None:
    with pytest.raises(ValueError, match="hari kerja"):
        parse_duration("sebentar")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "calendar", "seconds": 0},
        {"kind": "calendar", "seconds": 60, "days": 1},
        {"kind": "working_days", "days": 0},
        {"kind": "working_days", "days": 2, "seconds": 60},
        {"kind": "fortnights", "days": 2},
    ],
)
def test_duration_invariants(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Duration(**kwargs)  # type: ignore[arg-type]


def test_duration_kind_accepts_plain_strings() -> None:
    assert Duration("working_days", days=3) == parse_duration("3 hari kerja")  # type: ignore[arg-type]
    assert parse_duration("PT72H").kind == "calendar"


# -- due_at -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "text", "due"),
    [
        # PT72H is exactly 72 hours even straight through Nyepi and Lebaran.
        (wib(2026, 3, 18, 10), "PT72H", wib(2026, 3, 21, 10)),
        (wib(2026, 3, 20, 10), "PT72H", wib(2026, 3, 23, 10)),
        (wib(2025, 12, 31, 20), "PT24H", wib(2026, 1, 1, 20)),
        (wib(2026, 3, 20, 10), "3 hari kerja", wib(2026, 3, 25, 16)),
        (wib(2025, 12, 31, 9), "3 hari kerja", wib(2026, 1, 6, 16)),
    ],
)
def test_due_at(cal: WorkingCalendar, start: datetime, text: str, due: datetime) -> None:
    result = due_at(start, parse_duration(text), cal)
    assert result == due
    assert result.tzinfo is UTC


def test_due_at_calendar_pause_adds_elapsed_seconds(cal: WorkingCalendar) -> None:
    start = wib(2026, 3, 20, 10)
    assert due_at(start, parse_duration("PT72H"), cal, paused_seconds=2 * H) == wib(2026, 3, 23, 12)


def test_due_at_working_day_pause_adds_office_time(cal: WorkingCalendar) -> None:
    # Due Wed 25 March 16:00; paused for one office hour -> Thu 26 March 09:00.
    start = wib(2026, 3, 20, 10)
    paused = cal.working_seconds_between(wib(2026, 3, 23, 15), wib(2026, 3, 24, 9))
    assert paused == 2 * H
    assert due_at(start, parse_duration("3 hari kerja"), cal, paused_seconds=H) == wib(2026, 3, 26, 9)
    assert due_at(start, parse_duration("3 hari kerja"), cal, paused_seconds=paused) == wib(2026, 3, 26, 10)


def test_due_at_refuses_negative_pause(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        due_at(wib(2026, 3, 20, 10), parse_duration("PT1H"), cal, paused_seconds=-1)


# -- evaluate -----------------------------------------------------------------------------------------

START = wib(2026, 3, 20, 10)
DUE = START + timedelta(hours=72)


@pytest.mark.parametrize(
    ("hours_in", "state", "ratio", "remaining", "lateness"),
    [
        (-1, SlaState.ON_TRACK, 0.0, timedelta(hours=73), None),  # clock skew: not negative
        (0, SlaState.ON_TRACK, 0.0, timedelta(hours=72), None),
        (53, SlaState.ON_TRACK, 53 / 72, timedelta(hours=19), None),
        (54, SlaState.AT_RISK, 0.75, timedelta(hours=18), None),
        (72, SlaState.AT_RISK, 1.0, timedelta(0), None),  # "paling lambat": the deadline itself is on time
        (90, SlaState.BREACHED, 1.25, None, timedelta(hours=18)),
    ],
)
def test_open_task_states(
    hours_in: float,
    state: SlaState,
    ratio: float,
    remaining: timedelta | None,
    lateness: timedelta | None,
) -> None:
    result = evaluate(start=START, due=DUE, now=START + timedelta(hours=hours_in))
    assert result.state is state
    assert result.elapsed_ratio == pytest.approx(ratio)
    assert result.remaining == remaining
    assert result.lateness == lateness


def test_one_second_after_due_is_breached() -> None:
    result = evaluate(start=START, due=DUE, now=DUE + timedelta(seconds=1))
    assert result.state is SlaState.BREACHED
    assert result.lateness == timedelta(seconds=1)


def test_warn_ratio_is_configurable() -> None:
    now = START + timedelta(hours=36)
    assert evaluate(start=START, due=DUE, now=now).state is SlaState.ON_TRACK
    assert evaluate(start=START, due=DUE, now=now, warn_ratio=0.5).state is SlaState.AT_RISK


@pytest.mark.parametrize(
    ("done_after", "state", "lateness"),
    [
        (timedelta(hours=10), SlaState.MET, None),
        (timedelta(hours=72), SlaState.MET, None),
        (timedelta(hours=80), SlaState.MISSED, timedelta(hours=8)),
    ],
)
def test_completed_task_states(done_after: timedelta, state: SlaState, lateness: timedelta | None) -> None:
    # `now` long after: a finished task's verdict does not change with time.
    result = evaluate(start=START, due=DUE, now=START + timedelta(days=30), completed_at=START + done_after)
    assert result.state is state
    assert result.lateness == lateness
    assert result.remaining is None
    assert result.elapsed_ratio == pytest.approx(done_after / timedelta(hours=72))


def test_paused_task_freezes_at_pause() -> None:
    result = evaluate(
        start=START,
        due=DUE,
        now=START + timedelta(hours=100),
        paused_since=START + timedelta(hours=10),
    )
    assert result.state is SlaState.PAUSED
    assert result.elapsed_ratio == pytest.approx(10 / 72)
    assert result.remaining == timedelta(hours=62)
    assert result.lateness is None


def test_completion_wins_over_pause() -> None:
    result = evaluate(
        start=START,
        due=DUE,
        now=START + timedelta(hours=100),
        paused_since=START + timedelta(hours=10),
        completed_at=START + timedelta(hours=20),
    )
    assert result.state is SlaState.MET


def test_deadline_before_start_is_fully_elapsed() -> None:
    # Medical 72 h window counted from an incident reported four days later.
    incident = wib(2026, 3, 16, 20)
    reported = incident + timedelta(days=4)
    result = evaluate(start=reported, due=incident + timedelta(hours=72), now=reported)
    assert result.state is SlaState.BREACHED
    assert result.elapsed_ratio == 1.0


@pytest.mark.parametrize("warn_ratio", [0.0, -0.1, 1.5])
def test_bad_warn_ratio_is_refused(warn_ratio: float) -> None:
    with pytest.raises(ValueError, match="warn_ratio"):
        evaluate(start=START, due=DUE, now=START, warn_ratio=warn_ratio)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now"):
        evaluate(start=START, due=DUE, now=datetime(2026, 3, 20, 10))


# -- LEGAL_POLICIES -----------------------------------------------------------------------------------

_START_FIELD = re.compile(r"[a-z][a-z0-9_]*")


@pytest.mark.parametrize("key", sorted(LEGAL_POLICIES))
def test_every_policy_is_well_formed(key: str) -> None:
    policy = LEGAL_POLICIES[key]
    assert policy.key == key
    assert isinstance(policy.parsed, Duration)
    assert isinstance(policy.binding, Binding)
    assert 0 < policy.warn_ratio <= 1
    assert policy.start in (TASK_CREATED, CASE_CREATED) or _START_FIELD.fullmatch(policy.start)
    assert policy.basis_id and policy.basis_en
    assert policy.ref


@pytest.mark.parametrize(
    ("key", "duration", "start", "binding", "basis"),
    [
        ("tpks_police_report", "PT72H", CASE_CREATED, Binding.LAW, "UU 12/2022 Pasal 41"),
        ("medical_72h", "PT72H", "waktu_kejadian", Binding.CLINICAL, "Kemenkes 2022"),
        ("kdrt_protection", "PT24H", "tanggal_laporan_polisi", Binding.LAW, "UU 23/2004 Pasal 16"),
        ("tppo_rehabilitation", "P7D", "tanggal_permohonan", Binding.LAW, "UU 21/2007 Pasal 52"),
        ("tppo_first_aid", "P7D", "tanggal_permohonan", Binding.LAW, "Pasal 53"),
        ("lpsk_decision", "P7D", "tanggal_permohonan_lpsk", Binding.LAW, "UU 13/2006 Pasal 29"),
        ("restitution", "P30D", "tanggal_salinan_putusan", Binding.LAW, "UU 12/2022 Pasal 33"),
        ("follow_up", "3 hari kerja", CASE_CREATED, Binding.SOP, "3 hari kerja"),
        ("risk_medium", "PT6H", CASE_CREATED, Binding.SOP, "SIPPN SK 301/2022"),
        ("assessment", "P3D", TASK_CREATED, Binding.PROPOSED, "Usulan"),
        ("case_plan", "P7D", TASK_CREATED, Binding.PROPOSED, "Usulan"),
        ("case_plan_approval", "P2D", TASK_CREATED, Binding.PROPOSED, "Usulan"),
        ("simfoni_input", "1 hari kerja", TASK_CREATED, Binding.PROPOSED, "SIMFONI"),
    ],
)
def test_pinned_policies(key: str, duration: str, start: str, binding: Binding, basis: str) -> None:
    policy = LEGAL_POLICIES[key]
    assert policy.parsed == parse_duration(duration)
    assert policy.start == start
    assert policy.binding is binding
    assert basis in policy.basis_id


def test_never_suppressed_breaches_are_the_four_of_domain_md() -> None:
    flagged = {key for key, p in LEGAL_POLICIES.items() if p.never_suppress}
    assert flagged == {"tpks_police_report", "tppo_rehabilitation", "tppo_first_aid", "medical_72h"}


def test_policy_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        LEGAL_POLICIES["x"] = LEGAL_POLICIES["follow_up"]  # type: ignore[index]


def test_follow_up_policy_on_the_friday_before_idul_fitri(cal: WorkingCalendar) -> None:
    assert cal.holiday_name(date(2026, 3, 21)) == "Hari Raya Idul Fitri"
    policy = LEGAL_POLICIES["follow_up"]
    assert due_at(wib(2026, 3, 20, 15, 30), policy.parsed, cal) == wib(2026, 3, 25, 16)
