"""Every legal deadline timer fires at its deadline on the injected clock (no sleeping): not a minute
before, yes a minute after, and it creates the escalation task for the Kepala UPTD while the task it
watches stays open (non-interrupting). Each is run straight through and with save/restore."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from tests.workflows import data as D
from tests.workflows.runner import T0, CaseRun

pytestmark = pytest.mark.db_independent
MINUTE = timedelta(minutes=1)


@dataclass
class Deadline:
    workflow: str
    host: str                    # the task the timer is attached to
    timer: str                   # boundary event id
    escalation: str              # kepala_uptd task it creates
    due: datetime                # the legal deadline
    basis: str                   # a fragment of the legal basis in the documentation
    setup: Callable[[CaseRun], None]


def _violence_intake(run: CaseRun, registration: dict, identification: dict) -> None:
    run.complete("registrasi", registration)
    run.complete("identifikasi", identification, at=T0 + timedelta(minutes=20))


def _emergency(run):
    _violence_intake(run, D.pengaduan(), D.identifikasi(tingkat_risiko="tinggi"))


def _police(run):
    _violence_intake(run, D.pengaduan_seksual(T0 - timedelta(days=10), penetrasi="tidak"),
                     D.identifikasi(dasar_hukum=["uu_tpks"]))


def _medical(run):
    _violence_intake(run, D.pengaduan_seksual(T0 - timedelta(hours=30)), D.identifikasi(dasar_hukum=["uu_tpks"]))


def _kdrt(run):
    _violence_intake(run, D.pengaduan(), D.identifikasi())
    run.complete("fasilitasi_laporan_kdrt", D.laporan_polisi(T0 + timedelta(hours=4)), at=T0 + timedelta(hours=5))


def _legal(run, **hukum):
    _violence_intake(run, D.pengaduan(ranah_kdrt=False), D.identifikasi(dasar_hukum=[]))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("asesmen", D.asesmen())
    run.complete("rencana_intervensi", D.rencana(D.item("penegakan_hukum", "internal_uptd")))
    run.complete("persetujuan_rencana", D.SETUJU)
    run.complete("input_simfoni", D.simfoni())
    run.complete("pendampingan_hukum", D.pendampingan_hukum(**hukum), at=T0 + timedelta(days=3))


def _lpsk(run):
    _legal(run, permohonan_lpsk=True, tanggal_permohonan_lpsk=D.wib(T0 + timedelta(days=2, hours=1)))


def _restitution(run):
    _legal(run, tahap_proses="inkracht", restitusi_diajukan=True, jumlah_restitusi=20_000_000,
           salinan_putusan_diterima=True, tanggal_salinan_putusan=D.wib(T0 + timedelta(days=2)))


def _tppo_request(run, request: dict | None = None):
    run.complete("registrasi", D.pengaduan_tppo())
    run.complete("identifikasi_tppo", D.identifikasi_tppo())
    run.complete("permohonan_layanan", request or D.permohonan(T0 + timedelta(hours=2)), at=T0 + timedelta(hours=3))


def _tppo_first_aid(run):
    _tppo_request(run)


def _tppo_lpsk(run):
    _tppo_request(run)
    run.complete("laporan_polisi", D.laporan_polisi(T0 + timedelta(hours=5), permohonan_lpsk=True,
                                                    tanggal_permohonan_lpsk=D.wib(T0 + timedelta(hours=6))))


def _tppo_services(run):
    _tppo_request(run, D.permohonan(T0 + timedelta(hours=2), ["rehabilitasi_sosial", "pemulangan"]))
    run.complete("laporan_polisi", D.laporan_polisi(T0 + timedelta(hours=5)))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("asesmen", D.asesmen())
    run.complete("rencana_intervensi", D.rencana(D.item("rehabilitasi_sosial", "dinsos")))
    run.complete("persetujuan_rencana", D.SETUJU, at=T0 + timedelta(days=2))


DEADLINES = [
    Deadline("ppa_kasus_kekerasan", "layanan_darurat", "timer_darurat_1jam", "eskalasi_darurat",
             T0 + timedelta(minutes=20, hours=1), "SIPPN SK 301/2022", _emergency),
    Deadline("ppa_kasus_kekerasan", "laporan_polisi_tpks", "timer_laporan_polisi_72jam", "eskalasi_laporan_polisi",
             T0 + timedelta(hours=72), "UU 12/2022 Ps 41", _police),
    Deadline("ppa_kasus_kekerasan", "rujuk_medis_darurat", "timer_medis_72jam", "eskalasi_medis_72jam",
             T0 + timedelta(hours=42), "Kemenkes 2022", _medical),
    Deadline("ppa_kasus_kekerasan", "pantau_perlindungan_kdrt", "timer_perlindungan_kdrt_24jam",
             "eskalasi_perlindungan_kdrt", T0 + timedelta(hours=28), "UU 23/2004 Ps 16", _kdrt),
    Deadline("ppa_kasus_kekerasan", "pantau_perlindungan_kdrt", "timer_perlindungan_kdrt_7hari",
             "eskalasi_perlindungan_kdrt_7hari", T0 + timedelta(days=7, hours=4), "UU 23/2004 Ps 16", _kdrt),
    Deadline("ppa_kasus_kekerasan", "pantau_keputusan_lpsk", "timer_lpsk_7hari", "eskalasi_lpsk",
             T0 + timedelta(days=9, hours=1), "UU 13/2006 Ps 29", _lpsk),
    Deadline("ppa_kasus_kekerasan", "pantau_restitusi", "timer_restitusi_30hari", "eskalasi_restitusi",
             T0 + timedelta(days=32), "UU 12/2022 Ps 33", _restitution),
    Deadline("ppa_kasus_tppo", "pertolongan_pertama", "timer_pertolongan_7hari", "eskalasi_pertolongan_pertama",
             T0 + timedelta(days=7, hours=2), "UU 21/2007 Ps 53", _tppo_first_aid),
    Deadline("ppa_kasus_tppo", "pantau_keputusan_lpsk", "timer_lpsk_7hari", "eskalasi_lpsk",
             T0 + timedelta(days=7, hours=6), "UU 13/2006 Ps 29", _tppo_lpsk),
    Deadline("ppa_kasus_tppo", "rujukan_rehabilitasi", "timer_layanan_tppo_7hari", "eskalasi_layanan_tppo",
             T0 + timedelta(days=7, hours=2), "UU 21/2007 Ps 52", _tppo_services),
]
IDS = [f"{d.workflow.removeprefix('ppa_kasus_')}-{d.timer}" for d in DEADLINES]


@pytest.mark.parametrize("persist", [False, True], ids=["in-memory", "save-restore"])
@pytest.mark.parametrize("deadline", DEADLINES, ids=IDS)
def test_legal_timer_fires_at_its_deadline_and_escalates(deadline, persist):
    run = CaseRun(deadline.workflow, persist=persist)
    deadline.setup(run)
    assert deadline.host in run.ready_ids()
    armed = run.timer_values()
    assert armed, "no timer is armed"
    assert deadline.due in armed.values(), (deadline.timer, armed)
    assert deadline.escalation not in run.ready_ids()

    run.fire(deadline.due - MINUTE)
    assert deadline.escalation not in run.ready_ids(), "fired before the deadline"
    assert deadline.host in run.ready_ids()

    run.fire(deadline.due + MINUTE)
    tasks = run.ready()
    assert deadline.escalation in tasks, "did not fire after the deadline"
    escalation = tasks[deadline.escalation]
    assert escalation.lane == "kepala_uptd"
    assert escalation.form_file == "eskalasi.schema.json"
    assert deadline.basis in (escalation.documentation or "")
    assert deadline.host in tasks, "the timer must not interrupt the task it watches"
    assert deadline.due not in run.timer_values().values(), "a deadline timer fires once"

    run.complete(deadline.escalation, D.eskalasi(deadline.due + timedelta(hours=2)))
    assert deadline.escalation not in run.ready_ids()
    assert deadline.host in run.ready_ids()
    # firing again later changes nothing for this deadline
    run.fire(deadline.due + timedelta(days=60))
    assert deadline.escalation not in run.ready_ids()


@pytest.mark.parametrize("persist", [False, True], ids=["in-memory", "save-restore"])
def test_timer_is_cancelled_when_the_duty_is_done_in_time(persist):
    run = CaseRun("ppa_kasus_kekerasan", persist=persist)
    _police(run)
    run.complete("laporan_polisi_tpks", D.laporan_polisi(T0 + timedelta(hours=50)), at=T0 + timedelta(hours=50))
    run.fire(T0 + timedelta(days=30))
    assert "eskalasi_laporan_polisi" not in run.ready_ids()
    assert T0 + timedelta(hours=72) not in run.timer_values().values()


def test_times_without_zone_are_office_time_wib():
    run = CaseRun("ppa_kasus_kekerasan", persist=False)
    run.complete("registrasi", D.pengaduan_seksual(T0 - timedelta(hours=5), tgl_pengaduan="2026-03-02T09:30:00",
                                                   waktu_kejadian="2026-03-02T04:30"))
    run.complete("identifikasi", D.identifikasi(dasar_hukum=["uu_tpks"]))
    assert run.data["batas_laporan_polisi"] == "2026-03-05T09:30:00+07:00"
    assert run.data["batas_medis_72jam"] == "2026-03-05T04:30:00+07:00"
    assert T0 + timedelta(hours=72) in run.timer_values().values()


def test_legal_deadlines_reach_the_worker_schedule():
    run = CaseRun("ppa_kasus_kekerasan", persist=False)
    _police(run)
    assert T0 + timedelta(hours=72) in run.instance.timer_due_times()
