"""``ppa_kasus_tppo``: the restitution monitor (UU 21/2007 Ps 48, 14 days, not verified) and the events recorded at
any time while the case is open (E1 new threat, E2 victim withdraws). Straight through and with save/restore."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.workflows import data as D
from tests.workflows.runner import T0, CaseRun

pytestmark = pytest.mark.db_independent
KEY = "ppa_kasus_tppo"
PERSIST = pytest.mark.parametrize("persist", [False, True], ids=["in-memory", "save-restore"])
VERDICT = T0 + timedelta(days=120)


def to_services(run: CaseRun) -> None:
    """A victim in Indonesia asking for shelter and reintegration, up to the approved plan."""
    run.complete("registrasi", D.pengaduan_tppo())
    run.complete("identifikasi_tppo", D.identifikasi_tppo())
    run.complete("permohonan_layanan", D.permohonan(T0 + timedelta(hours=2), ["penampungan", "reintegrasi_sosial"]))
    assert run.ready_ids() == {"laporan_polisi", "penampungan", "informasi_hak"}
    run.complete("penampungan", D.penampungan(T0 + timedelta(hours=4)))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("laporan_polisi", D.laporan_polisi(T0 + timedelta(days=1)))
    run.complete("asesmen", D.asesmen(rekomendasi_layanan=["reintegrasi_sosial"]))
    run.complete("rencana_intervensi", D.rencana(D.item("reintegrasi_sosial", "disnaker", days=7)))
    run.complete("persetujuan_rencana", D.SETUJU)
    assert {"pendampingan_hukum", "input_simfoni"} <= run.ready_ids()


def verdict_with_restitution() -> dict:
    return D.pendampingan_hukum(tahap_proses="putusan", restitusi_diajukan=True, jumlah_restitusi=25_000_000,
                                salinan_putusan_diterima=True, tanggal_salinan_putusan=D.wib(VERDICT))


@PERSIST
def test_unpaid_restitution_is_escalated_14_days_after_the_verdict(persist):
    run = CaseRun(KEY, persist=persist)
    to_services(run)
    assert run.ready()["pendampingan_hukum"].lane == "profesional"
    run.complete("pendampingan_hukum", verdict_with_restitution(), at=VERDICT + timedelta(hours=2))
    assert run.data["batas_restitusi"] == "2026-07-14T09:30:00+07:00"      # 14 days after the verdict copy
    task = run.ready()["pantau_restitusi"]
    assert task.lane == "profesional" and task.form_file == "restitusi.schema.json"
    assert (task.properties["slaDuration"], task.properties["slaStart"]) == ("P14D", "tanggal_salinan_putusan")
    assert run.timer_values()["14 hari sejak putusan diberitahukan"] == VERDICT + timedelta(days=14)
    assert not run.fire(VERDICT + timedelta(days=13))
    assert "eskalasi_restitusi" not in run.ready_ids()
    assert run.fire(VERDICT + timedelta(days=14, minutes=1))
    assert {"pantau_restitusi", "eskalasi_restitusi"} <= run.ready_ids()  # the monitor keeps running
    run.complete("eskalasi_restitusi", D.eskalasi(VERDICT + timedelta(days=15)), lane="kepala_uptd")
    run.complete("pantau_restitusi", {"status_restitusi": "tidak_dibayar", "pemberitahuan_ke_pengadilan": True})
    assert "pantau_restitusi" not in run.ready_ids()
    assert {"eskalasi_restitusi", "pantau_restitusi"} <= run.instance.completed_bpmn_ids()


@PERSIST
def test_restitution_paid_in_time_has_no_escalation(persist):
    run = CaseRun(KEY, persist=persist)
    to_services(run)
    run.complete("pendampingan_hukum", verdict_with_restitution())
    run.complete("pantau_restitusi", D.restitusi(), at=VERDICT + timedelta(days=10))
    assert "14 hari sejak putusan diberitahukan" not in run.timer_values()
    assert not run.fire(VERDICT + timedelta(days=30))
    assert "eskalasi_restitusi" not in run.ready_ids() | run.instance.completed_bpmn_ids()


@PERSIST
def test_tppo_victim_withdraws_and_the_case_closes(persist):
    run = CaseRun(KEY, persist=persist)
    to_services(run)
    assert run.instance.waiting_messages() == ["ancaman_baru", "korban_mengundurkan_diri"]
    run.message("korban_mengundurkan_diri", {"catatan": "Korban pulang ke keluarga di Medan."},
                at=T0 + timedelta(days=8))
    run.complete("catat_pengunduran_diri", D.pengunduran_diri(T0 + timedelta(days=8), alasan_pengunduran_diri="lainnya",
                                                              keterangan_pengunduran_diri="Pulang atas kemauan sendiri."))
    assert "laporan_polisi_tpks_mundur" not in run.ready_ids()            # trafficking without sexual violence
    run.complete("persetujuan_korban_mundur", D.SETUJU, lane="kepala_uptd")
    run.complete("simfoni_korban_mundur", D.simfoni("terminasi", "tppo"), lane="pengelola_data")
    assert run.completed
    assert run.instance.end_events_reached()[-1] == "selesai_korban_mundur"
    assert run.ready_ids() == set() and run.instance.waiting_messages() == []


@PERSIST
def test_tppo_sexual_exploitation_withdrawal_keeps_the_police_report(persist):
    run = CaseRun(KEY, persist=persist)
    run.complete("registrasi", D.pengaduan_tppo(jenis_kekerasan=["trafficking", "seksual"], bentuk_tpks=["eksploitasi_seksual"],
                                                penetrasi="ya"))
    run.complete("identifikasi_tppo", D.identifikasi_tppo())
    run.message("korban_mengundurkan_diri", {})
    run.complete("catat_pengunduran_diri", D.pengunduran_diri(T0 + timedelta(hours=3), "belum_dikirim"))
    assert "laporan_polisi_tpks_mundur" in run.ready_ids()


@PERSIST
def test_tppo_new_threat_gets_emergency_handling(persist):
    run = CaseRun(KEY, persist=persist)
    to_services(run)
    run.message("ancaman_baru", {"catatan": "Agen perekrut menghubungi keluarga."}, at=T0 + timedelta(days=8))
    run.complete("penilaian_ulang_risiko", D.ancaman_baru(T0 + timedelta(days=8)))
    task = run.ready()["layanan_darurat_ancaman_baru"]
    assert task.lane == "pendamping" and task.form_file == "kedaruratan.schema.json"
    run.complete("layanan_darurat_ancaman_baru", D.kedaruratan(T0 + timedelta(days=8, hours=1)))
    assert "ancaman_baru" in run.instance.waiting_messages()
