"""Events recorded at any time while a violence case is open (domain §3): E2 the victim withdraws (message
``korban_mengundurkan_diri``) and E1 a new threat (message ``ancaman_baru``). Each scenario runs straight
through and with save/restore between steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.workflows import data as D
from tests.workflows.runner import T0, CaseRun
from tests.workflows.test_kekerasan import intake, monitor_and_close, plan_and_approve

pytestmark = pytest.mark.db_independent
KEY = "ppa_kasus_kekerasan"
PERSIST = pytest.mark.parametrize("persist", [False, True], ids=["in-memory", "save-restore"])
WATCHING = ["ancaman_baru", "korban_mengundurkan_diri"]


def sexual_violence_case(persist: bool) -> CaseRun:
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan_seksual(T0 - timedelta(hours=20)),
           D.identifikasi(jenis_kasus="KtP", tingkat_risiko="sedang", dasar_hukum=["uu_tpks"]))
    assert run.ready_ids() == {"laporan_polisi_tpks", "rujuk_medis_darurat", "informasi_hak"}
    return run


def assert_closed_by_withdrawal(run: CaseRun) -> None:
    assert run.completed
    assert run.instance.end_events_reached()[-1] == "selesai_korban_mundur"
    assert "terminasi" not in run.instance.end_events_reached()
    assert run.ready_ids() == set()
    assert run.instance.waiting_messages() == []
    assert run.timer_values() == {}


@PERSIST
def test_withdrawal_before_the_tpks_police_report_still_makes_the_report(persist):
    """UU 12/2022 Ps 41: the police report stays mandatory; withdrawing cannot cancel it silently."""
    run = sexual_violence_case(persist)
    assert run.instance.waiting_messages() == WATCHING
    run.complete("rujuk_medis_darurat", D.rujukan_medis(T0 + timedelta(hours=2)), at=T0 + timedelta(hours=3))
    run.message("korban_mengundurkan_diri", {"catatan": "Korban menelepon: tidak mau melanjutkan."},
                at=T0 + timedelta(hours=5))
    # the withdrawal is recorded first; nothing else is cancelled yet
    assert run.ready_ids() == {"catat_pengunduran_diri", "laporan_polisi_tpks", "informasi_hak"}
    assert run.ready()["catat_pengunduran_diri"].lane == "pendamping"
    assert run.task_data("catat_pengunduran_diri")["pesan_pengunduran_diri"]["catatan"].startswith("Korban")
    assert "korban_mengundurkan_diri" not in run.instance.waiting_messages()
    run.complete("catat_pengunduran_diri", D.pengunduran_diri(T0 + timedelta(hours=5), "belum_dikirim"))
    # the mandatory report is asked for again on the closing path; the case's other tasks stay open (and are
    # cancelled only when the closing path ends)
    assert run.ready_ids() == {"laporan_polisi_tpks_mundur", "laporan_polisi_tpks", "informasi_hak"}
    task = run.ready()["laporan_polisi_tpks_mundur"]
    assert task.properties["slaPolicy"] == "tpks_police_report" and task.lane == "pendamping"
    run.complete("laporan_polisi_tpks_mundur", D.laporan_belum("Surat laporan belum ditandatangani Kepala UPTD."))
    assert "laporan_polisi_tpks_mundur" in run.ready_ids()              # not reported: it comes back
    run.complete("laporan_polisi_tpks_mundur", D.laporan_polisi(T0 + timedelta(hours=30)),
                 at=T0 + timedelta(hours=30))
    assert run.ready_ids() == {"persetujuan_korban_mundur", "laporan_polisi_tpks", "informasi_hak"}
    approval = run.ready()["persetujuan_korban_mundur"]
    assert approval.lane == "kepala_uptd" and approval.properties["reviewSubmissions"] == "catat_pengunduran_diri"
    run.complete("persetujuan_korban_mundur", D.SETUJU, lane="kepala_uptd")
    assert run.ready_ids() == {"simfoni_korban_mundur", "laporan_polisi_tpks", "informasi_hak"}
    run.complete("simfoni_korban_mundur", D.simfoni("terminasi"), lane="pengelola_data")
    assert_closed_by_withdrawal(run)
    done = run.instance.completed_bpmn_ids()
    assert {"catat_pengunduran_diri", "laporan_polisi_tpks_mundur", "simfoni_korban_mundur"} <= done
    assert not {"laporan_polisi_tpks", "informasi_hak", "asesmen"} & done
    assert run.data["alasan_pengunduran_diri"] == "tidak_lanjut_proses_hukum"
    assert run.data["no_laporan_polisi"] == "LP/B/31/III/2026 (fiktif)"


@PERSIST
def test_sexual_violence_withdrawal_marked_not_applicable_still_gets_the_report_task(persist):
    run = sexual_violence_case(persist)
    run.message("korban_mengundurkan_diri", {})
    run.complete("catat_pengunduran_diri", D.pengunduran_diri(T0 + timedelta(hours=1), "tidak_berlaku"))
    assert "laporan_polisi_tpks_mundur" in run.ready_ids()
    assert "simfoni_korban_mundur" not in run.ready_ids()


@PERSIST
def test_withdrawal_after_the_report_was_sent_closes_without_a_second_report(persist):
    run = sexual_violence_case(persist)
    run.complete("laporan_polisi_tpks", D.laporan_polisi(T0 + timedelta(hours=10)))
    run.complete("rujuk_medis_darurat", D.rujukan_medis(T0 + timedelta(hours=2)))
    run.complete("informasi_hak", D.informasi_hak())
    assert run.ready_ids() == {"asesmen"}
    run.message("korban_mengundurkan_diri", {}, at=T0 + timedelta(days=2))
    run.complete("catat_pengunduran_diri", D.pengunduran_diri(T0 + timedelta(days=2), "sudah_dikirim"))
    assert run.ready_ids() == {"persetujuan_korban_mundur", "asesmen"}
    run.complete("persetujuan_korban_mundur", {"keputusan": "kembalikan", "catatan": "Lampirkan pernyataan tertulis."})
    assert run.ready_ids() == {"catat_pengunduran_diri", "asesmen"}     # sent back: recorded again
    run.complete("catat_pengunduran_diri", D.pengunduran_diri(T0 + timedelta(days=3), "sudah_dikirim"))
    run.complete("persetujuan_korban_mundur", D.SETUJU)
    run.complete("simfoni_korban_mundur", D.simfoni("terminasi"))
    assert_closed_by_withdrawal(run)
    assert "laporan_polisi_tpks_mundur" not in run.instance.completed_bpmn_ids()


@PERSIST
def test_kdrt_victim_withdraws_during_monitoring_after_a_recorded_escalation(persist):
    """A KDRT case (no TPKS duty): the withdrawal ends the case; the escalation recorded earlier stays in the
    history and the outcome is still the withdrawal."""
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(), D.identifikasi(tingkat_risiko="tinggi"))
    assert run.fire(T0 + timedelta(hours=2))
    run.complete("eskalasi_darurat", D.eskalasi(T0 + timedelta(hours=3)), lane="kepala_uptd")
    run.complete("layanan_darurat", D.kedaruratan(T0 + timedelta(hours=3)))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("fasilitasi_laporan_kdrt", D.laporan_belum("Korban memilih belum melapor (delik aduan)."))
    plan_and_approve(run, D.rencana(D.item("psikologis", "internal_uptd")))
    run.complete("input_simfoni", D.simfoni())
    run.complete("layanan_profesional", D.layanan())
    assert run.ready_ids() == {"pemantauan"}
    run.message("korban_mengundurkan_diri", {"catatan": "Korban rujuk dengan suami."}, at=T0 + timedelta(days=40))
    assert run.ready_ids() == {"pemantauan", "catat_pengunduran_diri"}
    run.complete("catat_pengunduran_diri", D.pengunduran_diri(
        T0 + timedelta(days=40), alasan_pengunduran_diri="berdamai_kembali_ke_pelaku", risiko_saat_mundur="sedang"))
    assert run.ready_ids() == {"persetujuan_korban_mundur", "pemantauan"}  # no TPKS duty: straight to approval
    run.complete("persetujuan_korban_mundur", D.SETUJU)
    run.complete("simfoni_korban_mundur", D.simfoni("terminasi"))
    assert_closed_by_withdrawal(run)
    assert "eskalasi_darurat" in run.instance.completed_bpmn_ids()


@PERSIST
def test_new_threat_reruns_the_emergency_handling_without_stopping_the_case(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(), D.identifikasi(dasar_hukum=["uu_pkdrt"]))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("fasilitasi_laporan_kdrt", D.laporan_belum("Korban memilih belum melapor (delik aduan)."))
    plan_and_approve(run, D.rencana(D.item("psikologis", "internal_uptd")))
    assert run.ready_ids() == {"input_simfoni", "layanan_profesional"}
    # a new threat, high risk: emergency handling beside the running services
    run.message("ancaman_baru", {"catatan": "Korban menelepon SAPA 129."}, at=T0 + timedelta(days=9))
    assert run.ready_ids() == {"input_simfoni", "layanan_profesional", "penilaian_ulang_risiko"}
    assert run.ready()["penilaian_ulang_risiko"].properties["slaDuration"] == "PT6H"
    assert "ancaman_baru" not in run.instance.waiting_messages()
    run.complete("penilaian_ulang_risiko", D.ancaman_baru(T0 + timedelta(days=9)), at=T0 + timedelta(days=9, hours=1))
    task = run.ready()["layanan_darurat_ancaman_baru"]
    assert task.name == "Penanganan kedaruratan (ancaman baru)" and task.lane == "pendamping"
    assert task.properties["slaDuration"] == "PT1H"
    assert run.data["tingkat_risiko"] == "tinggi"
    run.complete("layanan_darurat_ancaman_baru", D.kedaruratan(T0 + timedelta(days=9, hours=1)))
    assert "ancaman_baru" in run.instance.waiting_messages()           # can happen again
    # a second, lower threat: re-assessed, no emergency task
    run.complete("input_simfoni", D.simfoni())
    run.message("ancaman_baru", {}, at=T0 + timedelta(days=20))
    run.complete("penilaian_ulang_risiko", D.ancaman_baru(T0 + timedelta(days=20), "sedang"))
    assert run.ready_ids() == {"layanan_profesional"}
    assert run.instance.waiting_messages() == WATCHING
    run.complete("layanan_profesional", D.layanan())
    monitor_and_close(run)                                              # the watchers end with the case
    assert {"penilaian_ulang_risiko", "layanan_darurat_ancaman_baru"} <= run.instance.completed_bpmn_ids()


@PERSIST
def test_a_case_handed_over_never_waits_for_these_events(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(kota="Kabupaten Lima Puluh Kota"), D.identifikasi(kewenangan="luar_kota", wilayah_kewenangan="UPTD PPA Kab. Lima Puluh Kota"))
    assert run.instance.waiting_messages() == []
    run.complete("pelimpahan", D.pelimpahan())
    assert run.instance.end_events_reached() == ["dilimpahkan"]
