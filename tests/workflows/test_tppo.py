"""Scenarios of ``ppa_kasus_tppo``, each run straight through and with save/restore between steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.workflows import data as D
from tests.workflows.runner import T0, CaseRun, form_errors

pytestmark = pytest.mark.db_independent
KEY = "ppa_kasus_tppo"
PERSIST = pytest.mark.parametrize("persist", [False, True], ids=["in-memory", "save-restore"])
SUBPROCESS_TASKS = {"rujukan_rehabilitasi", "catat_rehabilitasi", "pemulangan", "reintegrasi"}


def register_and_identify(run: CaseRun, identification: dict) -> None:
    assert run.ready_ids() == {"registrasi"}
    run.complete("registrasi", D.pengaduan_tppo(), lane="penerima_pengaduan")
    run.complete("identifikasi_tppo", identification, lane="pendamping")


@PERSIST
def test_victim_abroad_is_repatriated_and_reintegrated(persist):
    run = CaseRun(KEY, persist=persist)
    register_and_identify(run, D.identifikasi_tppo(lokasi_korban="luar_negeri"))
    assert run.data["jenis_kasus"] == "TPPO"
    assert run.ready_ids() == {"koordinasi_luar_negeri"}
    run.complete("koordinasi_luar_negeri", D.koordinasi(T0 + timedelta(hours=3)))
    run.complete("permohonan_layanan", D.permohonan(T0 + timedelta(hours=4)))
    assert run.data["batas_layanan_tppo"] == "2026-03-09T13:30:00+07:00"   # 7 days after the request
    assert run.ready_ids() == {"laporan_polisi", "pertolongan_pertama", "penampungan", "informasi_hak"}
    run.complete("pertolongan_pertama", D.pertolongan(T0 + timedelta(hours=6)))
    run.complete("penampungan", D.penampungan(T0 + timedelta(hours=8)))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("laporan_polisi", D.laporan_polisi(
        T0 + timedelta(days=1), permohonan_lpsk=True, tanggal_permohonan_lpsk=D.wib(T0 + timedelta(days=1)),
        korban_diperlukan_sebagai_saksi=True))
    assert run.ready_ids() == {"pantau_keputusan_lpsk"}
    assert run.ready()["pantau_keputusan_lpsk"].lane == "profesional"
    run.complete("pantau_keputusan_lpsk", D.keputusan_lpsk(), at=T0 + timedelta(days=3))
    run.complete("asesmen", D.asesmen(rekomendasi_layanan=["rehabilitasi_sosial", "pemulangan", "reintegrasi_sosial"]))
    run.complete("rencana_intervensi", D.rencana(D.item("rehabilitasi_sosial", "dinsos", days=5),
                                                 D.item("pemulangan", "dinsos", days=6),
                                                 D.item("reintegrasi_sosial", "disnaker", days=7)))
    run.complete("persetujuan_rencana", D.SETUJU, lane="kepala_uptd")
    assert run.ready_ids() == {"input_simfoni", "rujukan_rehabilitasi", "pendampingan_hukum"}
    tasks = run.ready()
    assert tasks["rujukan_rehabilitasi"].lane == "pendamping"
    assert tasks["rujukan_rehabilitasi"].properties["referral"] == "true"
    assert tasks["rujukan_rehabilitasi"].properties["slaPolicy"] == "tppo_rehabilitation"
    # legal accompaniment runs beside the services; no verdict yet, so no restitution monitor
    run.complete("pendampingan_hukum", D.pendampingan_hukum(), lane="profesional")
    assert "pantau_restitusi" not in run.ready_ids()
    run.complete("input_simfoni", D.simfoni(modul="tppo"), lane="pengelola_data")
    assert run.ready_ids() == {"laporan_gugus_tugas", "rujukan_rehabilitasi"}
    run.complete("laporan_gugus_tugas", D.laporan_gt(), lane="gugus_tugas")
    # referral inside the 7-day subprocess: rejected once, then accepted
    run.complete("rujukan_rehabilitasi", D.rujukan("rsud", "rehabilitasi_sosial"))
    run.message("jawaban_rujukan", D.jawaban("ditolak", "RPTC penuh."))
    run.complete("rujukan_rehabilitasi", D.rujukan("dinsos", "rehabilitasi_sosial"))
    run.message("jawaban_rujukan", D.jawaban("diterima"))
    run.complete("catat_rehabilitasi", D.layanan(pemberi_layanan="RPTC Dinsos (fiktif)"))
    # the investigator still needs her as a witness: repatriation waits for the investigator's word
    assert run.ready_ids() == set()
    assert run.instance.waiting_messages() == ["ancaman_baru", "izin_penyidik", "korban_mengundurkan_diri"]
    run.message("izin_penyidik", {"keterangan_cukup": True, "penyidik": "Bripka R (fiktif)"},
                at=T0 + timedelta(days=4))
    assert run.ready_ids() == {"pemulangan"}
    run.complete("pemulangan", D.pemulangan(), at=T0 + timedelta(days=5))
    run.complete("reintegrasi", D.reintegrasi(), at=T0 + timedelta(days=6))
    assert run.ready_ids() == {"pemantauan"}
    assert run.task_data("pemantauan")["sudah_reintegrasi"] is True
    assert "eskalasi_layanan_tppo" not in run.instance.completed_bpmn_ids()
    assert run.timer_values() == {}
    # a plan revision after reintegration leads to a follow-up referral, not a second repatriation
    run.complete("pemantauan", D.pemantauan("revisi_rencana"))
    run.complete("rencana_intervensi", D.rencana(D.item("pemberdayaan_ekonomi", "disnaker")))
    run.complete("persetujuan_rencana", D.SETUJU)
    assert run.ready_ids() == {"rujukan_lanjutan"}
    run.complete("rujukan_lanjutan", D.rujukan("disnaker", "pemberdayaan_ekonomi"))
    run.message("jawaban_rujukan", D.jawaban("selesai", "Pelatihan kerja selesai."))
    run.complete("catat_layanan_lanjutan", D.layanan(pemberi_layanan="BLK Disnaker (fiktif)"))
    run.complete("pemantauan", D.pemantauan("usulkan_terminasi"))
    run.complete("usulan_terminasi", D.terminasi())
    run.complete("persetujuan_terminasi", D.SETUJU)
    run.complete("ringkasan_serah_terima", D.ringkasan())
    run.complete("simfoni_terminasi", D.simfoni("terminasi", "tppo"))
    assert run.completed
    assert run.instance.end_events_reached()[-1] == "terminasi"
    assert set(run.done) >= SUBPROCESS_TASKS
    assert run.done.count("pemulangan") == 1 and run.done.count("rujukan_rehabilitasi") == 2


@PERSIST
def test_foreign_victim_goes_through_immigration(persist):
    run = CaseRun(KEY, persist=persist)
    register_and_identify(run, D.identifikasi_tppo(lokasi_korban="wna_di_indonesia", butuh_penerjemah=True))
    assert run.ready_ids() == {"koordinasi_imigrasi"}
    run.complete("koordinasi_imigrasi", {**D.koordinasi(T0 + timedelta(hours=2)),
                                         "instansi": ["imigrasi", "kedutaan_negara_asal"]})
    run.complete("permohonan_layanan", D.permohonan(T0 + timedelta(hours=3), ["rehabilitasi_kesehatan", "pemulangan"]))
    assert run.ready_ids() == {"laporan_polisi", "informasi_hak"}       # no first aid, no shelter requested


@PERSIST
def test_case_that_is_not_tppo_moves_to_the_violence_path(persist):
    run = CaseRun(KEY, persist=persist)
    register_and_identify(run, D.bukan_tppo())
    assert run.completed
    assert run.instance.end_events_reached() == ["dialihkan"]
    moved = [m for m in run.thrown if m.name == "start.ppa_kasus_kekerasan"]
    assert len(moved) == 1
    payload = moved[0].payload
    registration = D.pengaduan_tppo()
    for key in ("nama_korban", "usia_korban", "jenis_kelamin_korban", "kecamatan", "waktu_kejadian", "tgl_pengaduan",
                "jenis_kekerasan", "kronologi", "pelaku", "ranah_kdrt"):
        assert payload[key] == registration[key], key
    assert payload["dialihkan_dari"] == "ppa_kasus_tppo"
    assert payload["kasus_asal"] == "UPTDPPA-PYK-2026-0001"
    assert "KDRT" in payload["alasan_pengalihan"]
    # the server starts the violence case with this payload: its registration form accepts those values
    registration_keys = {k: v for k, v in payload.items()
                         if k not in ("dialihkan_dari", "kasus_asal", "alasan_pengalihan")}
    assert form_errors("pengaduan.schema.json", registration_keys) == []
    violence = CaseRun("ppa_kasus_kekerasan", persist=persist, data=payload)
    assert violence.ready_ids() == {"registrasi"}
    assert violence.data["nama_korban"] == registration["nama_korban"]
