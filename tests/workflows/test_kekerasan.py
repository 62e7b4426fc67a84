"""Scenarios of ``ppa_kasus_kekerasan``, each run straight through and with save/restore between steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.workflows import data as D
from tests.workflows.runner import T0, CaseRun

pytestmark = pytest.mark.db_independent
KEY = "ppa_kasus_kekerasan"
PERSIST = pytest.mark.parametrize("persist", [False, True], ids=["in-memory", "save-restore"])
ESCALATIONS = {"eskalasi_darurat", "eskalasi_laporan_polisi", "eskalasi_medis_72jam", "eskalasi_perlindungan_kdrt",
               "eskalasi_perlindungan_kdrt_7hari", "eskalasi_lpsk", "eskalasi_restitusi"}


def intake(run: CaseRun, registration: dict, identification: dict) -> None:
    assert run.ready_ids() == {"registrasi"}
    run.complete("registrasi", registration, lane="penerima_pengaduan")
    assert run.ready_ids() == {"identifikasi"}
    run.complete("identifikasi", identification, lane="pendamping")


def plan_and_approve(run: CaseRun, plan: dict) -> None:
    run.complete("asesmen", D.asesmen())
    run.complete("rencana_intervensi", plan)
    run.complete("persetujuan_rencana", D.SETUJU, lane="kepala_uptd")


def monitor_and_close(run: CaseRun, *, rounds: int = 1) -> None:
    for _ in range(rounds - 1):
        run.complete("pemantauan", D.pemantauan())
        assert run.ready_ids() == {"pemantauan"}
    run.complete("pemantauan", D.pemantauan("usulkan_terminasi"))
    run.complete("usulan_terminasi", D.terminasi())
    run.complete("persetujuan_terminasi", D.SETUJU, lane="kepala_uptd")
    run.complete("ringkasan_serah_terima", D.ringkasan())
    run.complete("simfoni_terminasi", D.simfoni("terminasi"), lane="pengelola_data")
    assert run.completed
    assert run.instance.end_events_reached()[-1] == "terminasi"
    assert run.instance.waiting_messages() == []
    assert run.timer_values() == {}


@PERSIST
def test_kdrt_low_risk_path_to_closure(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(), D.identifikasi())
    data = run.data
    assert data["is_kdrt"] and not data["is_kekerasan_seksual"] and not data["mediasi_dilarang"]
    assert not data["medis_darurat"]
    # KDRT: facilitated police report in parallel with the rights information
    assert run.ready_ids() == {"fasilitasi_laporan_kdrt", "informasi_hak"}
    run.complete("informasi_hak", D.informasi_hak())
    assert run.ready_ids() == {"fasilitasi_laporan_kdrt"}
    run.complete("fasilitasi_laporan_kdrt", D.laporan_polisi(T0 + timedelta(hours=5)))
    assert run.ready_ids() == {"pantau_perlindungan_kdrt"}
    assert run.data["batas_perlindungan_kdrt"] == "2026-03-03T14:30:00+07:00"
    run.complete("pantau_perlindungan_kdrt", D.perlindungan(T0 + timedelta(hours=9)), at=T0 + timedelta(hours=10))
    assert run.ready_ids() == {"asesmen"}
    plan_and_approve(run, D.rencana(D.item("psikologis", "internal_uptd"),
                                    D.item("mediasi", "internal_uptd"),
                                    D.item("bantuan_hukum", "lbh_posbakum")))
    # SIMFONI input runs beside the services
    assert run.ready_ids() == {"input_simfoni", "layanan_profesional"}
    assert run.ready()["layanan_profesional"].lane == "profesional"
    run.complete("input_simfoni", D.simfoni(), lane="pengelola_data")
    run.complete("layanan_profesional", D.layanan())
    # KDRT between adults, nafkah dispute: mediation is lawful on the victim's informed choice
    assert run.ready_ids() == {"mediasi"}
    assert run.ready()["mediasi"].lane == "profesional"
    run.complete("mediasi", D.mediasi())
    assert run.ready_ids() == {"rujukan"}
    assert run.ready()["rujukan"].properties.get("referral") == "true"
    run.complete("rujukan", D.rujukan("lbh_posbakum", "bantuan_hukum"))
    assert run.instance.waiting_messages() == ["ancaman_baru", "jawaban_rujukan", "korban_mengundurkan_diri"]
    assert run.ready_ids() == set()
    run.message("jawaban_rujukan", D.jawaban("diterima"))
    assert run.data["jawaban_rujukan"]["status"] == "diterima"
    run.complete("catat_layanan", D.layanan(pemberi_layanan="LBH (fiktif)"))
    assert run.ready_ids() == {"pemantauan"}
    monitor_and_close(run)
    assert not ESCALATIONS & run.instance.completed_bpmn_ids()
    assert run.data["tingkat_risiko"] == "rendah"


@PERSIST
def test_adult_sexual_violence_police_report_and_72h_medical_referral(persist):
    incident = T0 - timedelta(hours=20)
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan_seksual(incident),
           D.identifikasi(jenis_kasus="KtP", tingkat_risiko="sedang", dasar_hukum=["uu_tpks"]))
    data = run.data
    assert data["is_kekerasan_seksual"] and data["medis_darurat"] and data["mediasi_dilarang"]
    assert not data["is_kdrt"] and not data["korban_anak"]
    assert data["batas_laporan_polisi"] == "2026-03-05T09:30:00+07:00"   # 3×24 h after the report
    assert data["batas_medis_72jam"] == "2026-03-04T13:30:00+07:00"      # 72 h after the incident
    assert run.ready_ids() == {"laporan_polisi_tpks", "rujuk_medis_darurat", "informasi_hak"}
    assert run.ready()["laporan_polisi_tpks"].properties["slaPolicy"] == "tpks_police_report"
    assert run.ready()["rujuk_medis_darurat"].properties["slaPolicy"] == "medical_72h"
    run.complete("rujuk_medis_darurat", D.rujukan_medis(T0 + timedelta(hours=2)), at=T0 + timedelta(hours=3))
    # the TPKS report is mandatory: recording "not yet reported" brings the task back
    run.complete("laporan_polisi_tpks", D.laporan_belum(), at=T0 + timedelta(hours=6))
    assert "laporan_polisi_tpks" in run.ready_ids()
    run.complete("informasi_hak", D.informasi_hak(override_tanpa_persetujuan=True,
                                                  alasan_override="Laporan polisi wajib (UU 12/2022 Ps 41)."))
    run.complete("laporan_polisi_tpks", D.laporan_polisi(T0 + timedelta(hours=30)), at=T0 + timedelta(hours=30))
    assert run.ready_ids() == {"asesmen"}
    assert not ESCALATIONS & run.instance.completed_bpmn_ids()
    plan_and_approve(run, D.rencana(D.item("penegakan_hukum", "internal_uptd"), D.item("psikologis", "internal_uptd")))
    run.complete("input_simfoni", D.simfoni())
    run.complete("pendampingan_hukum", D.pendampingan_hukum(
        permohonan_lpsk=True, tanggal_permohonan_lpsk=D.wib(T0 + timedelta(days=6))))
    assert run.ready_ids() == {"pantau_keputusan_lpsk"}
    assert run.data["batas_keputusan_lpsk"] == "2026-03-15T09:30:00+07:00"
    run.complete("pantau_keputusan_lpsk", D.keputusan_lpsk(), at=T0 + timedelta(days=10))
    assert run.ready_ids() == {"layanan_profesional"}
    run.complete("layanan_profesional", D.layanan())
    monitor_and_close(run, rounds=2)
    assert not ESCALATIONS & run.instance.completed_bpmn_ids()


@PERSIST
def test_child_victim_high_risk_shelter_and_mediation_refused(persist):
    """A 13-year-old girl abused by her adult stepfather (physical, at home): high risk → emergency service,
    shelter; the family asks for mediation, which is refused (child victim, adult perpetrator)."""
    run = CaseRun(KEY, persist=persist)
    registration = D.pengaduan(
        nama_korban="Putri Amelia (fiktif)", usia_korban=13, pendidikan="sltp", pekerjaan="pelajar",
        status_perkawinan="belum_kawin", hubungan_pelapor="guru", jenis_kekerasan=["fisik", "psikis"],
        anak_terdampak=[{"usia_anak": 9, "jenis_kelamin_anak": "laki_laki", "hubungan_dengan_korban": "saudara",
                         "ikut_mengalami_kekerasan": True, "menyaksikan_kekerasan": True}],
        kronologi="Guru melihat luka lebam; korban dipukul ayah tiri berulang kali.",
        pelaku=[{"usia_pelaku": 41, "jenis_kelamin_pelaku": "laki_laki", "hubungan": "orang_tua_tiri_angkat",
                 "pelaku_anak": False}])
    intake(run, registration, D.identifikasi(jenis_kasus="KtA", tingkat_risiko="tinggi",
                                             faktor_risiko=["pelaku_serumah", "akses_pelaku"],
                                             dasar_hukum=["uu_perlindungan_anak", "uu_pkdrt"]))
    data = run.data
    assert data["korban_anak"] and data["ada_pelaku_dewasa"] and data["mediasi_dilarang"]
    assert not data["is_kekerasan_seksual"]
    assert run.ready_ids() == {"layanan_darurat"}
    run.complete("layanan_darurat", D.kedaruratan(T0 + timedelta(minutes=40)), at=T0 + timedelta(minutes=45))
    assert run.ready_ids() == {"fasilitasi_laporan_kdrt", "informasi_hak"}
    run.complete("informasi_hak", D.informasi_hak(persetujuan_dari="orang_tua_wali"))
    run.complete("fasilitasi_laporan_kdrt", D.laporan_polisi(T0 + timedelta(hours=3)))
    run.complete("pantau_perlindungan_kdrt", D.perlindungan(T0 + timedelta(hours=8)))
    plan_and_approve(run, D.rencana(D.item("penampungan_sementara", "internal_uptd"),
                                    D.item("mediasi", "internal_uptd"),
                                    D.item("pendidikan", "disdik")))
    run.complete("input_simfoni", D.simfoni())
    run.complete("penampungan", D.penampungan(T0 + timedelta(days=1)))
    # mediation refused: no mediation task, the reason is recorded, the next service follows
    assert run.ready_ids() == {"rujukan"}
    assert run.data["mediasi_ditolak"] is True
    assert "korban anak dengan pelaku dewasa" in run.data["alasan_penolakan_mediasi"]
    run.complete("rujukan", D.rujukan("disdik", "pendidikan"))
    run.message("jawaban_rujukan", D.jawaban("selesai", "Korban dipindahkan ke sekolah dekat rumah aman."))
    run.complete("catat_layanan", D.layanan(pemberi_layanan="Dinas Pendidikan (fiktif)"))
    monitor_and_close(run)
    assert "mediasi" not in run.instance.completed_bpmn_ids()


@PERSIST
def test_mediation_requested_for_sexual_violence_is_refused(persist):
    """UU 12/2022 Ps 23: a sexual-harassment case cannot be settled by mediation."""
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(nama_korban="Lestari (fiktif)", ranah_kdrt=False, tempat_kejadian="tempat_kerja",
                            jenis_kekerasan=["seksual"], bentuk_tpks=["pelecehan_fisik"], penetrasi="tidak",
                            pelaku=[{"hubungan": "rekan_kerja", "usia_pelaku": 45, "pelaku_anak": False}]),
           D.identifikasi(dasar_hukum=["uu_tpks"]))
    assert run.data["mediasi_dilarang"] and not run.data["medis_darurat"]
    assert run.ready_ids() == {"laporan_polisi_tpks", "informasi_hak"}
    run.complete("laporan_polisi_tpks", D.laporan_polisi(T0 + timedelta(hours=20)))
    run.complete("informasi_hak", D.informasi_hak())
    plan_and_approve(run, D.rencana(D.item("mediasi", "internal_uptd"), D.item("psikologis", "internal_uptd")))
    run.complete("input_simfoni", D.simfoni())
    assert run.ready_ids() == {"layanan_profesional"}          # mediation skipped
    assert run.data["mediasi_ditolak"] is True
    assert "Pasal 23" in run.data["alasan_penolakan_mediasi"]
    assert "tolak_mediasi" in run.instance.completed_bpmn_ids()
    run.complete("layanan_profesional", D.layanan())
    monitor_and_close(run)
    assert "mediasi" not in run.instance.completed_bpmn_ids()


@PERSIST
def test_out_of_jurisdiction_case_is_handed_over(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(kota="Kabupaten Lima Puluh Kota", kecamatan="Harau"),
           D.identifikasi(kewenangan="luar_kota", wilayah_kewenangan="UPTD PPA Kabupaten Lima Puluh Kota"))
    assert run.ready_ids() == {"pelimpahan"}
    run.complete("pelimpahan", D.pelimpahan())
    assert run.completed
    assert run.instance.end_events_reached() == ["dilimpahkan"]


@PERSIST
def test_plan_rejected_once_then_approved(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(ranah_kdrt=False, tempat_kejadian="fasilitas_umum", jenis_kekerasan=["psikis"],
                            pelaku=[]),
           D.identifikasi(dasar_hukum=[]))
    assert run.ready_ids() == {"informasi_hak"}                 # no special legal duty
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("asesmen", D.asesmen())
    run.complete("rencana_intervensi", D.rencana(D.item("psikologis", "internal_uptd")))
    run.complete("persetujuan_rencana", D.KEMBALIKAN, lane="kepala_uptd")
    assert run.ready_ids() == {"rencana_intervensi"}
    run.complete("rencana_intervensi", D.rencana(D.item("psikologis", "internal_uptd"),
                                                 D.item("pemberdayaan_ekonomi", "dinsos")))
    run.complete("persetujuan_rencana", D.SETUJU)
    assert run.ready_ids() == {"input_simfoni", "layanan_profesional"}
    assert run.instance.completed_bpmn_ids() >= {"gw_rencana_disetujui", "gw_paralel_layanan"}


@PERSIST
def test_referral_rejected_goes_back_to_choosing_another_partner(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(ranah_kdrt=False, jenis_kekerasan=["psikis"], tempat_kejadian="daring_media_sosial"),
           D.identifikasi(dasar_hukum=[]))
    run.complete("informasi_hak", D.informasi_hak())
    plan_and_approve(run, D.rencana(D.item("psikologis", "psikolog_mitra")))
    run.complete("input_simfoni", D.simfoni())
    run.complete("rujukan", D.rujukan("psikolog_mitra", "psikologis"))
    run.message("jawaban_rujukan", D.jawaban("ditolak", "Jadwal psikolog penuh sampai bulan depan."))
    assert run.ready_ids() == {"rujukan"}
    run.complete("rujukan", D.rujukan("rsud", "psikologis"))
    run.message("jawaban_rujukan", D.jawaban("diterima"))
    assert run.ready_ids() == {"catat_layanan"}
    run.complete("catat_layanan", D.layanan(pemberi_layanan="Poli psikologi RSUD (fiktif)"))
    assert run.ready_ids() == {"pemantauan"}


@PERSIST
def test_monitoring_loop_runs_50_times_then_plan_revision_skips_delivered_services(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(), D.identifikasi(dasar_hukum=["uu_pkdrt"]))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("fasilitasi_laporan_kdrt", D.laporan_belum("Korban memilih belum melapor (delik aduan)."))
    plan_and_approve(run, D.rencana(D.item("psikologis", "internal_uptd")))
    run.complete("input_simfoni", D.simfoni())
    run.complete("layanan_profesional", D.layanan())
    for i in range(50):
        assert run.ready_ids() == {"pemantauan"}, i
        run.complete("pemantauan", D.pemantauan(), at=T0 + timedelta(days=30 * (i + 1)))
    assert run.ready_ids() == {"pemantauan"}
    # revise the plan: the delivered item is skipped, the new one is delivered
    run.complete("pemantauan", D.pemantauan("revisi_rencana", tingkat_risiko="sedang"))
    assert run.ready_ids() == {"rencana_intervensi"}
    run.complete("rencana_intervensi", D.rencana(D.item("psikologis", "internal_uptd", status="terlaksana"),
                                                 D.item("pemberdayaan_ekonomi", "internal_uptd")))
    run.complete("persetujuan_rencana", D.SETUJU)
    run.complete("input_simfoni", D.simfoni("pembaruan"))
    assert run.ready_ids() == {"layanan_profesional"}
    run.complete("layanan_profesional", D.layanan(hasil_layanan="Pelatihan usaha kue."))
    monitor_and_close(run)
    assert run.steps > 60


@PERSIST
def test_termination_sent_back_returns_to_monitoring(persist):
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(ranah_kdrt=False, jenis_kekerasan=["psikis"]), D.identifikasi(dasar_hukum=[]))
    run.complete("informasi_hak", D.informasi_hak())
    plan_and_approve(run, D.rencana(D.item("psikologis", "internal_uptd", status="batal")))
    run.complete("input_simfoni", D.simfoni())
    assert run.ready_ids() == {"pemantauan"}
    run.complete("pemantauan", D.pemantauan("usulkan_terminasi"))
    run.complete("usulan_terminasi", D.terminasi())
    run.complete("persetujuan_terminasi", {"keputusan": "kembalikan", "catatan": "Pantau satu bulan lagi."})
    assert run.ready_ids() == {"pemantauan"}
    monitor_and_close(run)


@PERSIST
def test_open_escalation_must_be_recorded_before_the_case_closes(persist):
    """A breached legal deadline is never hidden: the case ends only after the manager records it."""
    run = CaseRun(KEY, persist=persist)
    intake(run, D.pengaduan(), D.identifikasi(tingkat_risiko="tinggi"))
    assert run.fire(T0 + timedelta(hours=2))
    assert run.ready_ids() == {"layanan_darurat", "eskalasi_darurat"}
    run.complete("layanan_darurat", D.kedaruratan(T0 + timedelta(hours=2)))
    run.complete("informasi_hak", D.informasi_hak())
    run.complete("fasilitasi_laporan_kdrt", D.laporan_belum("Korban belum siap melapor."))
    plan_and_approve(run, D.rencana(D.item("psikologis", "internal_uptd", status="terlaksana")))
    run.complete("input_simfoni", D.simfoni())
    run.complete("pemantauan", D.pemantauan("usulkan_terminasi"))
    run.complete("usulan_terminasi", D.terminasi())
    run.complete("persetujuan_terminasi", D.SETUJU)
    run.complete("ringkasan_serah_terima", D.ringkasan())
    run.complete("simfoni_terminasi", D.simfoni("terminasi"))
    assert not run.completed
    assert run.ready_ids() == {"eskalasi_darurat"}
    run.complete("eskalasi_darurat", D.eskalasi(T0 + timedelta(days=70)), lane="kepala_uptd")
    assert run.completed
    assert run.instance.end_events_reached()[-1] == "terminasi"
