"""SLA durations, deadlines and states, and the legal deadlines shipped as policies.

Pure code, like ``calendar``: ``now`` is always an argument (style H10).

Durations come in two kinds, because the law and the office count differently:

* calendar time ("3×24 jam", ``PT72H``): elapsed time, holidays included. UU TPKS does not stop
  its 72 hours for Lebaran.
* working days ("3 hari kerja"): whole office days, see ``WorkingCalendar.add_working_days``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from server.sla.calendar import WorkingCalendar, require_aware


class DurationKind(StrEnum):
    """How a duration is counted."""

    CALENDAR = "calendar"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True, slots=True)
class Duration:
    """An SLA length: ``seconds`` of calendar time, or ``days`` working days (the other field is 0)."""

    kind: DurationKind
    seconds: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        # Normalise a plain "calendar" string to the enum so equality and hashing stay consistent.
        object.__setattr__(self, "kind", DurationKind(self.kind))
        if self.kind is DurationKind.CALENDAR and not (self.seconds > 0 and self.days == 0):
            raise ValueError(f"a calendar duration needs seconds > 0 and days == 0, got {self!r}")
        if self.kind is DurationKind.WORKING_DAYS and not (self.days > 0 and self.seconds == 0):
            raise ValueError(f"a working-day duration needs days > 0 and seconds == 0, got {self!r}")

    @property
    def text(self) -> str:
        """Canonical text that ``parse_duration`` reads back to an equal value (for storage)."""
        if self.kind is DurationKind.WORKING_DAYS:
            return f"{self.days} hari kerja"
        days, rest = divmod(self.seconds, 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes, seconds = divmod(rest, 60)
        time_part = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if v)
        return "P" + (f"{days}D" if days else "") + (f"T{time_part}" if time_part else "")


# ISO 8601 durations without years and months: a "month" has no fixed length, and no deadline in
# domain.md needs one. Fractions (PT1.5H) are refused too; PT90M says the same thing exactly.
_ISO = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
    re.IGNORECASE,
)
# "3x24 jam" / "3 × 24 jam" is how the statutes themselves write it (UU 12/2022 Ps 41: "3 x 24 jam").
_TIMES_HOURS = re.compile(r"(?P<n>\d+)\s*[x×*]\s*(?P<h>\d+)\s*(?:jam|hours?)", re.IGNORECASE)
_WORDS = re.compile(r"(?P<n>\d+)\s*(?P<unit>[^\d].*)", re.IGNORECASE)

# Plain words that Indonesian and English staff type in the admin. Everything not listed is refused
# rather than guessed: a deadline that silently means something else is worse than an error.
_WORKING_DAY_UNITS = frozenset({"hari kerja", "working day", "working days", "business day", "business days"})
_CALENDAR_UNITS: Mapping[str, int] = MappingProxyType(
    {
        "menit": 60,
        "minute": 60,
        "minutes": 60,
        "jam": 3_600,
        "hour": 3_600,
        "hours": 3_600,
        "hari": 86_400,
        "hari kalender": 86_400,
        "day": 86_400,
        "days": 86_400,
        "calendar day": 86_400,
        "calendar days": 86_400,
        "minggu": 604_800,
        "pekan": 604_800,
        "week": 604_800,
        "weeks": 604_800,
    }
)

_ACCEPTED_FORMS = (
    "ISO 8601 such as PT72H, P7D, PT30M, P1DT12H, P2W; "
    "'3 hari kerja' / '3 working days' / '3 business days'; "
    "'72 jam', '3x24 jam', '7 hari', '30 menit', '2 minggu' (and the English words)"
)


def parse_duration(text: str) -> Duration:
    """Read an SLA duration typed by an admin or found in BPMN.

    Accepted: ISO 8601 (``PT72H``, ``P7D``, ``PT30M``, ``P1DT12H``, ``P2W``; no years, months or
    fractions) as calendar time; "N hari kerja" / "N working days" / "N business days" as working
    days; and, because Indonesian staff type them, "N jam", "NxM jam", "N hari", "N hari kalender",
    "N menit", "N minggu" and their English words as calendar time. Note that "7 hari" is 7 calendar
    days, not working days. Zero-length durations are refused: "segera" (immediately) needs a real
    target such as PT1H. Raises ``ValueError`` naming the accepted forms otherwise.
    """
    cleaned = " ".join(str(text).split())
    seconds: int | None = None
    if (m := _ISO.fullmatch(cleaned)) and any(m.groupdict().values()):
        parts = {k: int(v) for k, v in m.groupdict().items() if v}
        seconds = (
            parts.get("weeks", 0) * 604_800
            + parts.get("days", 0) * 86_400
            + parts.get("hours", 0) * 3_600
            + parts.get("minutes", 0) * 60
            + parts.get("seconds", 0)
        )
    elif m := _TIMES_HOURS.fullmatch(cleaned):
        seconds = int(m["n"]) * int(m["h"]) * 3_600
    elif m := _WORDS.fullmatch(cleaned):
        n, unit = int(m["n"]), m["unit"].lower()
        if unit in _WORKING_DAY_UNITS:
            if n <= 0:
                raise ValueError(f"duration {text!r} must be longer than zero")
            return Duration(DurationKind.WORKING_DAYS, days=n)
        if unit in _CALENDAR_UNITS:
            seconds = n * _CALENDAR_UNITS[unit]
    if seconds is None:
        raise ValueError(f"not a duration: {text!r}; expected {_ACCEPTED_FORMS}")
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be longer than zero")
    return Duration(DurationKind.CALENDAR, seconds=seconds)


def due_at(
    start: datetime, duration: Duration, calendar: WorkingCalendar, paused_seconds: int = 0
) -> datetime:
    """The deadline (UTC) of ``duration`` counted from ``start``, extended by time spent paused.

    ``paused_seconds`` is measured on the duration's own clock: elapsed seconds for a calendar
    duration, office-hours seconds (``WorkingCalendar.working_seconds_between``) for a working-day
    one, which then moves the deadline through office hours only.
    """
    if paused_seconds < 0:
        raise ValueError(f"paused_seconds must not be negative, got {paused_seconds}")
    if duration.kind is DurationKind.CALENDAR:
        # Whole seconds rather than calendar.add_calendar_hours(float): no rounding on odd lengths.
        return require_aware(start, "start").astimezone(UTC) + timedelta(
            seconds=duration.seconds + paused_seconds
        )
    due = calendar.add_working_days(start, duration.days)
    return calendar.add_working_seconds(due, paused_seconds)


class SlaState(StrEnum):
    """Where an SLA stands: the first four for open work, the last two once it is done."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class SlaResult:
    """Outcome of ``evaluate``.

    ``elapsed_ratio`` is elapsed / window (0 at start, 1 at the deadline, above 1 once late);
    ``lateness`` is set only when the deadline has passed; ``remaining`` only for open work that
    is not yet late.
    """

    state: SlaState
    elapsed_ratio: float
    lateness: timedelta | None
    remaining: timedelta | None


def evaluate(
    *,
    start: datetime,
    due: datetime,
    now: datetime,
    warn_ratio: float = 0.75,
    completed_at: datetime | None = None,
    paused_since: datetime | None = None,
) -> SlaResult:
    """The SLA state of work that started at ``start`` and is due at ``due``, as seen at ``now``.

    Completed work is ``met`` when finished at or before ``due`` (the limits say "paling lambat",
    so the deadline itself is on time) and ``missed`` after it. Open work is ``paused`` while
    ``paused_since`` is set, with its figures frozen at that instant; otherwise ``breached`` after
    ``due``, ``at_risk`` once ``warn_ratio`` of the window has elapsed, else ``on_track``.
    """
    if not 0 < warn_ratio <= 1:
        raise ValueError(f"warn_ratio must be in (0, 1], got {warn_ratio}")
    for name, value in (("start", start), ("due", due), ("now", now)):
        require_aware(value, name)
    if completed_at is not None:
        at = require_aware(completed_at, "completed_at")
    elif paused_since is not None:
        at = min(require_aware(paused_since, "paused_since"), now)
    else:
        at = now

    window = due - start
    if window > timedelta(0):
        ratio = max(0.0, (at - start) / window)
    else:
        # A deadline at or before its start (e.g. an incident reported after its 72 h had run out)
        # has nothing left to spend.
        ratio = 1.0 if at >= due else 0.0
    late = at - due if at > due else None
    remaining = due - at if late is None and completed_at is None else None

    if completed_at is not None:
        state = SlaState.MISSED if late else SlaState.MET
    elif paused_since is not None:
        state = SlaState.PAUSED
    elif late:
        state = SlaState.BREACHED
    elif ratio >= warn_ratio:
        state = SlaState.AT_RISK
    else:
        state = SlaState.ON_TRACK
    return SlaResult(state=state, elapsed_ratio=ratio, lateness=late, remaining=remaining)


# -- the policies shipped with the product -----------------------------------------------------------


class Binding(StrEnum):
    """Who made the deadline binding, as in domain.md's timer tables."""

    LAW = "L"  # statute or regulation
    SOP = "S"  # a local service standard (standar pelayanan / SOP)
    CLINICAL = "C"  # a clinical protocol
    PROPOSED = "A"  # a design proposal: a sensible default, not an obligation


# Start points the SLA service resolves; any other value names a field of the case data.
TASK_CREATED = "task_created"
CASE_CREATED = "case_created"


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """One deadline: its length, where its clock starts, and why it exists."""

    key: str
    duration: str
    start: str
    binding: Binding
    basis_id: str
    basis_en: str
    warn_ratio: float = 0.75
    # Breaches of these are shown red on the manager dashboard and can never be hidden (domain.md §5).
    never_suppress: bool = False
    recurring: bool = False
    # Reference into domain.md: §5 row ("5.1") and/or timer id ("TM04").
    ref: str = ""

    @property
    def parsed(self) -> Duration:
        """The duration as a value."""
        return parse_duration(self.duration)


def _policies(*items: SlaPolicy) -> Mapping[str, SlaPolicy]:
    table = {p.key: p for p in items}
    if len(table) != len(items):
        raise ValueError("duplicate SLA policy key")
    return MappingProxyType(table)


# The legal and local deadlines of domain.md §0, §3 and §5, as data. Start points that are data
# fields name the form field the SLA service reads. The two 72-hour windows warn at half time:
# a TPKS report or PEP that misses its window cannot be made up afterwards.
# fmt: off
LEGAL_POLICIES: Mapping[str, SlaPolicy] = _policies(
    SlaPolicy("tpks_police_report", "PT72H", CASE_CREATED, Binding.LAW,
              "UU 12/2022 Pasal 41 ayat (3): laporan ke kepolisian paling lambat 3×24 jam",
              "Law 12/2022 Art. 41(3): report to the police within 3×24 hours",
              warn_ratio=0.5, never_suppress=True, ref="5.1 TM04"),
    SlaPolicy("tpks_police_protection", "PT24H", "tanggal_laporan_polisi", Binding.LAW,
              "UU 12/2022 Pasal 42: perlindungan sementara oleh kepolisian dalam 1×24 jam",
              "Law 12/2022 Art. 42: temporary police protection within 1×24 hours", ref="5.2 TM05"),
    SlaPolicy("tpks_lpsk_request", "PT24H", "tanggal_perlindungan_sementara", Binding.LAW,
              "UU 12/2022 Pasal 43: permohonan kepolisian ke LPSK dalam 1×24 jam",
              "Law 12/2022 Art. 43: police request to LPSK within 1×24 hours", ref="5.3 TM06"),
    SlaPolicy("kdrt_protection", "PT24H", "tanggal_laporan_polisi", Binding.LAW,
              "UU 23/2004 Pasal 16 ayat (1)-(2): perlindungan sementara wajib dalam 1×24 jam",
              "Law 23/2004 Art. 16(1)-(2): mandatory temporary protection within 1×24 hours", ref="5.4 TM08"),
    SlaPolicy("kdrt_protection_order_request", "PT24H", "tanggal_perlindungan_sementara", Binding.LAW,
              "UU 23/2004 Pasal 16 ayat (3): permohonan perintah perlindungan ke pengadilan dalam 1×24 jam",
              "Law 23/2004 Art. 16(3): ask the court for a protection order within 1×24 hours", ref="5.5 TM09"),
    SlaPolicy("kdrt_court_order", "P7D", "tanggal_permohonan_perintah_perlindungan", Binding.LAW,
              "UU 23/2004 Pasal 28: penetapan perintah perlindungan dalam 7 hari (belum diverifikasi)",
              "Law 23/2004 Art. 28: protection order within 7 days (not verified)", ref="5.6 TM09"),
    SlaPolicy("lpsk_decision", "P7D", "tanggal_permohonan_lpsk", Binding.LAW,
              "UU 13/2006 Pasal 29 jo. UU 31/2014: keputusan LPSK paling lambat 7 hari",
              "Law 13/2006 Art. 29 as amended by Law 31/2014: LPSK decides within 7 days", ref="5.7 TM20"),
    SlaPolicy("tppo_rehabilitation", "P7D", "tanggal_permohonan", Binding.LAW,
              "UU 21/2007 Pasal 52 ayat (1): rehabilitasi, pemulangan, reintegrasi paling lambat 7 hari",
              "Law 21/2007 Art. 52(1): rehabilitation, repatriation, reintegration within 7 days",
              never_suppress=True, ref="5.8 TN02"),
    SlaPolicy("tppo_first_aid", "P7D", "tanggal_permohonan", Binding.LAW,
              "UU 21/2007 Pasal 53: pertolongan pertama (trauma/penyakit membahayakan) paling lambat 7 hari",
              "Law 21/2007 Art. 53: first aid for trauma or dangerous illness within 7 days",
              never_suppress=True, ref="5.9 TN01"),
    SlaPolicy("medical_72h", "PT72H", "waktu_kejadian", Binding.CLINICAL,
              "Kemenkes 2022, Algoritma Tatalaksana: kontrasepsi darurat dan PPP HIV < 72 jam sejak kejadian",
              "Ministry of Health 2022 algorithm: emergency contraception and HIV PEP within 72 h of the incident",
              warn_ratio=0.5, never_suppress=True, ref="5.10 TM07"),
    SlaPolicy("verdict_copy", "P7D", "tanggal_terima_salinan_putusan_jaksa", Binding.LAW,
              "UU 12/2022 Pasal 33 ayat (2): salinan putusan ke korban/LPSK dalam 7 hari",
              "Law 12/2022 Art. 33(2): verdict copy to the victim/LPSK within 7 days", ref="5.11 TM18"),
    SlaPolicy("restitution", "P30D", "tanggal_salinan_putusan", Binding.LAW,
              "UU 12/2022 Pasal 33 ayat (1); PP 43/2017: restitusi dibayar paling lambat 30 hari",
              "Law 12/2022 Art. 33(1); GR 43/2017: restitution paid within 30 days", ref="5.12 TM17"),
    SlaPolicy("risk_high", "PT1H", CASE_CREATED, Binding.SOP,
              "SIPPN SK 301/2022: risiko tinggi langsung dilayani (target 1 jam untuk tindakan pertama)",
              "SIPPN SK 301/2022: high risk served at once (target: first action within 1 hour)",
              ref="5.13 TM01"),
    SlaPolicy("risk_medium", "PT6H", CASE_CREATED, Binding.SOP,
              "SIPPN SK 301/2022: risiko sedang dilayani ± 6 jam",
              "SIPPN SK 301/2022: medium risk served within about 6 hours", ref="5.14 TM02"),
    SlaPolicy("follow_up", "3 hari kerja", CASE_CREATED, Binding.SOP,
              "Standar pelayanan (SOP lokal): tindak lanjut pengaduan paling lambat 3 hari kerja",
              "Local service standard: complaint follow-up within 3 working days", ref="5.15 TM03"),
    SlaPolicy("shelter_review", "P7D", "tanggal_masuk_rumah_aman", Binding.SOP,
              "SOP rumah aman: tinjauan setiap 7 hari (dapat diperpanjang)",
              "Safe-house SOP: review every 7 days (extendable)", recurring=True, ref="5.16 TM15"),
    SlaPolicy("shelter_max_stay", "P14D", "tanggal_masuk_rumah_aman", Binding.SOP,
              "Praktik UPTD PPA: maksimal ± 14 hari, lalu rujuk ke Dinas Sosial atau perpanjangan",
              "UPTD PPA practice: at most about 14 days, then refer to Social Affairs or extend",
              ref="5.17 TM16"),
    SlaPolicy("case_unassigned", "PT3H", TASK_CREATED, Binding.PROPOSED,
              "Usulan (bawaan Primero): kasus belum ditugaskan 3 jam",
              "Proposed (Primero default): case unassigned for 3 hours", ref="5.18"),
    SlaPolicy("assessment", "P3D", TASK_CREATED, Binding.PROPOSED,
              "Usulan: asesmen biopsikososial selesai dalam 3 hari",
              "Proposed: biopsychosocial assessment done within 3 days", ref="5.19 TM10"),
    SlaPolicy("case_plan", "P7D", TASK_CREATED, Binding.PROPOSED,
              "Usulan: rencana intervensi disusun dalam 7 hari",
              "Proposed: case plan drafted within 7 days", ref="5.20 TM11"),
    SlaPolicy("case_plan_approval", "P2D", TASK_CREATED, Binding.PROPOSED,
              "Usulan: persetujuan rencana intervensi dalam 2 hari",
              "Proposed: case plan approved within 2 days", ref="5.20 TM12"),
    SlaPolicy("simfoni_input", "1 hari kerja", TASK_CREATED, Binding.PROPOSED,
              "Usulan: input SIMFONI-PPA dalam 1 hari kerja (Permen PPPA 2/2022 mewajibkan input, tanpa batas waktu)",
              "Proposed: SIMFONI-PPA input within 1 working day (Reg. 2/2022 requires input, sets no deadline)",
              ref="5.21 TM13"),
    SlaPolicy("monitoring_contact", "P30D", "tanggal_persetujuan_rencana", Binding.PROPOSED,
              "Usulan: kontak pemantauan setiap 30 hari selama kasus terbuka",
              "Proposed: monitoring contact every 30 days while the case is open",
              recurring=True, ref="5.23 TM19"),
)
# fmt: on
