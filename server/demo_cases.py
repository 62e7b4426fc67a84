"""Realistic synthetic cases for the demo: the PPA workflows driven through the real services.

Cases are spread from 2021 to ``now``. Violence against adult women follows the city's reported figures
(12 in 2021, 14 in 2022, 4 in 2023, 2 in 2024, 4 in 2025; domain.md §0) with more in the current year,
plus child victims and TPPO cases. Older cases are closed; recent ones stop at every stage of the
procedure, so each inbox (intake, caseworker, manager, professional, data officer, partner) has work.
Some deadlines are met and some missed: tasks are completed at past times (the ``now`` of each step),
late ones after their deadline, and the legal timers are fired at those past times like the worker
would, which creates the manager's escalation tasks.

Every name is generated and marked "(fiktif)". Idempotent: nothing happens if any case exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.cases import service as cases_service
from server.cases.models import Case
from server.tasks import service as tasks_service
from server.tasks.models import Task

WIB = timezone(timedelta(hours=7))
LANE_USER = {"penerima_pengaduan": "intake", "pendamping": "pendamping", "kepala_uptd": "kepala",
             "gugus_tugas": "kepala", "profesional": "profesional", "pengelola_data": "data",
             "mitra_eksternal": "mitra"}
#: Cases of violence against adult women per year (the city's figures) and child victims per year.
WOMEN_PER_YEAR = {2021: 12, 2022: 14, 2023: 4, 2024: 2, 2025: 4}
CHILDREN_PER_YEAR = {2021: 1, 2022: 2, 2023: 1, 2024: 1, 2025: 1}
CLOSED = "closed"

FIRST = ["Rahmi", "Yulia", "Fitri", "Sri", "Nurhayati", "Desi", "Rini", "Wulan", "Lestari", "Novi", "Elvi", "Yenni",
         "Mardiana", "Syafrida", "Zulfa", "Ratna", "Dewi", "Susi", "Indah", "Mega", "Yusnani", "Afrida", "Delvi",
         "Hasnah", "Rosmaini", "Eka", "Welly", "Gusti", "Nelda", "Silvia"]
LAST = ["Yanti", "Handayani", "Wahyuni", "Marlina", "Oktavia", "Safitri", "Rahmawati", "Putri", "Fauziah", "Hasanah",
        "Zuraida", "Syofyan", "Elfira", "Novita", "Sari", "Agustina", "Maisarah", "Yusra"]
CHILD_FIRST = ["Aisyah", "Nabila", "Salsabila", "Keisya", "Zahra", "Naura", "Alya", "Dinda", "Rizky", "Fadli",
               "Dimas", "Hafiz"]
KELURAHAN = [("Koto Nan Ampek", "Payakumbuh Barat"), ("Ibuah", "Payakumbuh Barat"),
             ("Tanjung Pauh", "Payakumbuh Barat"), ("Labuah Basilang", "Payakumbuh Utara"),
             ("Padang Tangah", "Payakumbuh Utara"), ("Balai Nan Duo", "Payakumbuh Timur"),
             ("Padang Alai", "Payakumbuh Timur"), ("Kapalo Koto Dibalai", "Payakumbuh Selatan"),
             ("Koto Baru Payobasuang", "Payakumbuh Timur"), ("Tigo Koto Dibaruah", "Payakumbuh Utara"),
             ("Aur Kuning", "Lamposi Tigo Nagori"), ("Parik Muko Aie", "Lamposi Tigo Nagori")]


def _iso(moment: datetime) -> str:
    return moment.astimezone(WIB).isoformat(timespec="seconds")


def _day(moment: datetime) -> str:
    return moment.astimezone(WIB).date().isoformat()


@dataclass
class Story:
    """One case to create: who, what happened, how far it gets, and whether the office is punctual."""

    workflow: str
    profile: str            # kdrt | seksual | psikis | anak_fisik | anak_seksual | luar | tppo | bukan_tppo
    start: datetime
    target: str = CLOSED    # CLOSED, or the BPMN id of the task the case waits at
    late: bool = False      # the office misses its deadlines in this case
    late_tasks: frozenset[str] | None = None  # only these tasks are late (default: all in LATE_FACTOR)
    rng: random.Random = field(default_factory=random.Random)
    victim: str = ""
    age: int = 30
    kelurahan: tuple[str, str] = ("", "")
    referrals: int = 0
    reject_first: bool = False


# ------------------------------------------------------------------------------------------------
# Form data


def _registration(s: Story, at: datetime) -> dict[str, Any]:
    kel, kec = s.kelurahan
    base: dict[str, Any] = {
        "tgl_pengaduan": _iso(s.start), "cara_pengaduan": s.rng.choice(["datang_langsung", "telepon", "whatsapp",
                                                                        "sapa129", "datang_langsung"]),
        "nama_korban": s.victim, "usia_korban": s.age, "jenis_kelamin_korban": "perempuan",
        "kewarganegaraan": "WNI", "kelurahan": kel, "kecamatan": kec, "kota": "Kota Payakumbuh",
        "provinsi": "Sumatera Barat", "disabilitas": False, "hamil": False, "pelapor_anonim": False,
        "waktu_kejadian": _iso(s.start - timedelta(hours=s.rng.choice([6, 14, 30, 50]))),
        "ranah_kdrt": False, "pelaku": [],
    }
    if s.profile == "kdrt":
        base.update(pendidikan="slta", pekerjaan="ibu_rumah_tangga", status_perkawinan="kawin",
                    tempat_kejadian="rumah_tangga", jenis_kekerasan=["fisik", "psikis"], ranah_kdrt=True,
                    kronologi="Korban dipukul dan dimaki suami dalam pertengkaran soal nafkah; ada memar.",
                    pelaku=[{"hubungan": "suami_istri", "usia_pelaku": s.age + 4, "jenis_kelamin_pelaku": "laki_laki",
                             "pelaku_anak": False}], kebutuhan_mendesak=["keamanan", "psikologis"])
        if s.rng.random() < 0.5:
            base["anak_terdampak"] = [{"usia_anak": s.rng.randint(2, 12), "jenis_kelamin_anak": s.rng.choice(
                ["perempuan", "laki_laki"]), "hubungan_dengan_korban": "anak_kandung",
                "ikut_mengalami_kekerasan": False, "menyaksikan_kekerasan": True}]
    elif s.profile == "seksual":
        base.update(pendidikan="perguruan_tinggi", pekerjaan="pegawai_swasta_buruh", status_perkawinan="belum_kawin",
                    tempat_kejadian="fasilitas_umum", jenis_kekerasan=["seksual"],
                    bentuk_tpks=["perkosaan"] if s.rng.random() < 0.6 else ["pelecehan_fisik"],
                    kronologi="Korban mengalami kekerasan seksual oleh kenalan setelah acara kantor.",
                    pelaku=[{"hubungan": "rekan_kerja", "usia_pelaku": 35, "jenis_kelamin_pelaku": "laki_laki",
                             "pelaku_anak": False}], kebutuhan_mendesak=["medis", "psikologis", "hukum"])
        base["penetrasi"] = "ya" if base["bentuk_tpks"] == ["perkosaan"] else "tidak"
    elif s.profile == "psikis":
        base.update(pendidikan="slta", pekerjaan="pedagang_petani_nelayan", status_perkawinan="cerai_hidup",
                    tempat_kejadian="daring_media_sosial", jenis_kekerasan=["psikis"],
                    kronologi="Mantan suami mengancam dan mempermalukan korban melalui media sosial.",
                    pelaku=[{"hubungan": "lainnya", "usia_pelaku": s.age + 3, "jenis_kelamin_pelaku": "laki_laki",
                             "pelaku_anak": False}], kebutuhan_mendesak=["psikologis"])
    elif s.profile == "luar":
        base.update(kota="Kabupaten Lima Puluh Kota", kecamatan="Harau", kelurahan="Tarantang",
                    tempat_kejadian="rumah_tangga", jenis_kekerasan=["fisik"], ranah_kdrt=True,
                    kronologi="Korban berdomisili dan mengalami KDRT di Kabupaten Lima Puluh Kota.",
                    pelaku=[{"hubungan": "suami_istri", "pelaku_anak": False}])
    elif s.profile == "anak_fisik":
        base.update(pendidikan="sd", pekerjaan="pelajar", status_perkawinan="belum_kawin",
                    tempat_kejadian="rumah_tangga", jenis_kekerasan=["fisik", "penelantaran"], ranah_kdrt=True,
                    hubungan_pelapor="guru", kronologi="Guru melihat luka lebam; anak dipukul ayah tiri berulang kali.",
                    pelaku=[{"hubungan": "orang_tua_tiri_angkat", "usia_pelaku": 42, "jenis_kelamin_pelaku": "laki_laki",
                             "pelaku_anak": False}], kebutuhan_mendesak=["keamanan", "tempat_tinggal"])
    elif s.profile == "anak_seksual":
        base.update(pendidikan="sltp", pekerjaan="pelajar", status_perkawinan="belum_kawin",
                    tempat_kejadian="lainnya", jenis_kekerasan=["seksual"], bentuk_tpks=["pencabulan"],
                    penetrasi="tidak", kronologi="Anak dicabuli tetangga dewasa di kebun; ibu melapor.",
                    pelaku=[{"hubungan": "tetangga", "usia_pelaku": 51, "jenis_kelamin_pelaku": "laki_laki",
                             "pelaku_anak": False}], kebutuhan_mendesak=["psikologis", "hukum"])
    else:  # tppo, bukan_tppo
        base.update(cara_pengaduan="rujukan", lembaga_perujuk="BP3MI Sumatera Barat", pendidikan="slta",
                    pekerjaan="tidak_bekerja", status_perkawinan="belum_kawin", tempat_kejadian="tempat_kerja",
                    waktu_kejadian=_iso(s.start - timedelta(days=45)), jenis_kekerasan=["trafficking", "eksploitasi"],
                    kronologi="Direkrut agen sebagai pekerja restoran di Malaysia; paspor ditahan, gaji tidak dibayar.",
                    pelaku=[{"nama_pelaku": "Agen R (fiktif)", "hubungan": "majikan", "pelaku_anak": False}])
        if s.profile == "bukan_tppo":
            base.update(cara_pengaduan="sapa129", jenis_kekerasan=["fisik", "psikis"], ranah_kdrt=True,
                        tempat_kejadian="rumah_tangga", kronologi="Dilaporkan sebagai dugaan perdagangan orang; "
                        "ternyata korban dipukul suami sepulang dari Batam.",
                        pelaku=[{"hubungan": "suami_istri", "pelaku_anak": False}])
            base.pop("lembaga_perujuk")
    base["nama_pelapor"] = "Keluarga korban (fiktif)" if s.age >= 18 else "Wali kelas (fiktif)"
    base["hubungan_pelapor"] = base.get("hubungan_pelapor", "keluarga")
    return base


def _identification(s: Story) -> dict[str, Any]:
    risk = {"kdrt": "sedang", "seksual": "sedang", "psikis": "rendah", "anak_fisik": "tinggi",
            "anak_seksual": "sedang", "luar": "rendah"}[s.profile]
    kind = "KtA" if s.profile.startswith("anak") else "KtP"
    law = {"kdrt": ["uu_pkdrt"], "seksual": ["uu_tpks"], "psikis": [], "anak_fisik": ["uu_perlindungan_anak", "uu_pkdrt"],
           "anak_seksual": ["uu_tpks", "uu_perlindungan_anak"], "luar": ["uu_pkdrt"]}[s.profile]
    out = {"jenis_kasus": kind, "tingkat_risiko": risk, "faktor_risiko": ["akses_pelaku"] if risk != "rendah" else [],
           "kewenangan": "dalam_kewenangan", "dasar_hukum": law}
    if s.profile == "luar":
        out.update(kewenangan="luar_kota", wilayah_kewenangan="UPTD PPA Kabupaten Lima Puluh Kota")
    return out


def _plan(s: Story) -> dict[str, Any]:
    def item(jenis: str, penyedia: str, days: int, tujuan: str) -> dict[str, Any]:
        return {"jenis_layanan": jenis, "penyedia": penyedia, "target_tanggal": _day(s.start + timedelta(days=days)),
                "tujuan": tujuan, "status": "direncanakan"}

    items = {
        "kdrt": [item("psikologis", "internal_uptd", 20, "Konseling 4 sesi"),
                 item("bantuan_hukum", "lbh_posbakum", 30, "Konsultasi hukum perceraian / nafkah")],
        "seksual": [item("penegakan_hukum", "internal_uptd", 60, "Pendampingan BAP dan sidang"),
                    item("psikologis", "internal_uptd", 21, "Pemulihan trauma")],
        "psikis": [item("psikologis", "internal_uptd", 14, "Konseling")],
        "anak_fisik": [item("penampungan_sementara", "internal_uptd", 7, "Anak aman dari pelaku"),
                       item("mediasi", "internal_uptd", 14, "Keluarga meminta damai"),
                       item("pendidikan", "disdik", 30, "Tetap bersekolah")],
        "anak_seksual": [item("penegakan_hukum", "internal_uptd", 60, "Pendampingan pemeriksaan anak"),
                         item("psikologis", "internal_uptd", 21, "Pemulihan trauma anak")],
        "tppo": [item("rehabilitasi_sosial", "dinsos", 5, "Rehabilitasi sosial di RPTC"),
                 item("pemulangan", "dinsos", 6, "Pulang ke keluarga"),
                 item("reintegrasi_sosial", "disnaker", 7, "Pelatihan kerja")],
    }[s.profile]
    if s.start.year < 2025 and s.profile in ("kdrt", "seksual", "psikis"):
        items = items[-1:] if s.profile == "seksual" else items[:1]
    if s.profile == "kdrt" and s.start.year >= 2025 and s.rng.random() < 0.3:
        items.append(item("mediasi", "internal_uptd", 25, "Kesepakatan nafkah anak"))
    return {"disusun_bersama_korban": True, "tujuan_intervensi": "Korban aman, pulih dan mandiri.", "layanan": items}


PARTNERS = {"kesehatan": ["puskesmas", "rsud"], "bantuan_hukum": ["lbh_posbakum", "lainnya"],
            "pendidikan": ["disdik", "disdik"], "rehabilitasi_sosial": ["rsud", "dinsos"],
            "psikologis": ["psikolog_mitra", "rsud"]}


def _data(s: Story, bpmn_id: str, at: datetime, case_data: dict[str, Any]) -> dict[str, Any]:
    if bpmn_id == "registrasi":
        return _registration(s, at)
    if bpmn_id == "identifikasi":
        return _identification(s)
    if bpmn_id == "pelimpahan":
        return {"uptd_tujuan": "UPTD PPA Kabupaten Lima Puluh Kota", "alasan_pelimpahan": "domisili_luar_wilayah",
                "tgl_pelimpahan": _iso(at), "persetujuan_korban_pelimpahan": True, "dokumen_dikirim": ["ringkasan_kasus"]}
    if bpmn_id == "layanan_darurat":
        return {"waktu_tindakan": _iso(at - timedelta(minutes=20)), "tindakan_darurat": ["evakuasi", "rumah_aman"],
                "pihak_terlibat": ["polres", "satgas_ppa"], "kondisi_korban_aman": True}
    if bpmn_id in ("laporan_polisi_tpks", "fasilitasi_laporan_kdrt", "laporan_polisi"):
        report = {"dilaporkan": True, "tanggal_laporan_polisi": _iso(at - timedelta(hours=1)),
                  "cara_pelaporan": "antar_langsung", "kesatuan": "Polres Payakumbuh - Unit PPA",
                  "no_laporan_polisi": f"LP/B/{s.rng.randint(10, 400)}/{at.year} (fiktif)",
                  "permohonan_lpsk": False, "korban_diperlukan_sebagai_saksi": False}
        if bpmn_id == "fasilitasi_laporan_kdrt" and s.rng.random() < 0.4:
            report = {"dilaporkan": False, "alasan_tidak_dilaporkan": "Korban memilih belum melapor (delik aduan).",
                      "permohonan_lpsk": False, "korban_diperlukan_sebagai_saksi": False}
        if bpmn_id == "laporan_polisi":
            report.update(permohonan_lpsk=True, tanggal_permohonan_lpsk=_iso(at),
                          korban_diperlukan_sebagai_saksi=True)
        return report
    if bpmn_id == "rujuk_medis_darurat":
        return {"faskes_tujuan": "rsud", "waktu_rujukan": _iso(at - timedelta(hours=1)),
                "layanan_medis": ["kontrasepsi_darurat", "ppp_hiv", "visum"], "persetujuan_tindakan_medis": True,
                "korban_didampingi": True}
    if bpmn_id == "pantau_perlindungan_kdrt":
        given = at - timedelta(hours=2)
        return {"perlindungan_diberikan": True, "tanggal_perlindungan_sementara": _iso(given),
                "perlindungan_berakhir": _day(given + timedelta(days=7)), "permohonan_perintah_perlindungan": False}
    if bpmn_id == "informasi_hak":
        return {"diberi_info_hak": True, "tgl_informasi_hak": _day(at),
                "persetujuan_dari": "korban" if s.age >= 18 else "orang_tua_wali", "persetujuan_layanan": True,
                "persetujuan_berbagi_info": ["polisi", "rsud_puskesmas", "lbh", "dinsos"],
                "persetujuan_pelaporan_agregat": True, "override_tanpa_persetujuan": False}
    if bpmn_id == "asesmen":
        return {"tgl_mulai_asesmen": _day(at - timedelta(days=1)), "tgl_selesai_asesmen": _day(at),
                "asesor": ["Pendamping PPA", "Psikolog UPTD"], "temuan_psikis": "Cemas, sulit tidur, takut keluar rumah.",
                "temuan_sosial": "Didukung keluarga inti.", "rencana_keselamatan": "Menghubungi Satgas PPA bila terancam.",
                "rekomendasi_layanan": ["psikologis", "bantuan_hukum"]}
    if bpmn_id == "rencana_intervensi":
        return _plan(s)
    if bpmn_id in ("persetujuan_rencana", "persetujuan_terminasi"):
        if bpmn_id == "persetujuan_rencana" and s.reject_first and not case_data.get("_plan_rejected"):
            case_data["_plan_rejected"] = True
            return {"keputusan": "kembalikan", "catatan": "Tambahkan target tanggal dan layanan psikologis."}
        return {"keputusan": "setuju", "catatan": "Disetujui."}
    if bpmn_id in ("input_simfoni", "simfoni_terminasi"):
        out = {"jenis_input": "input_awal" if bpmn_id == "input_simfoni" else "terminasi",
               "modul_simfoni": "tppo" if s.workflow == "ppa_kasus_tppo" else "umum", "tgl_input_simfoni": _day(at),
               "operator_simfoni": "Andi (fiktif)"}
        if bpmn_id == "input_simfoni":
            out["id_simfoni"] = f"1376-{at.year}-{s.rng.randint(100, 999):06d} (fiktif)"
        return out
    if bpmn_id in ("layanan_profesional", "catat_layanan", "catat_rehabilitasi", "catat_layanan_lanjutan"):
        return {"status_layanan": "terlaksana", "tanggal_layanan": _day(at), "pemberi_layanan": "Tim layanan (fiktif)",
                "hasil_layanan": "Layanan diberikan sesuai rencana; korban kooperatif."}
    if bpmn_id in ("rujukan", "rujukan_rehabilitasi", "rujukan_lanjutan"):
        jenis = case_data.get("jenis_layanan_aktif", "rehabilitasi_sosial")
        choices = PARTNERS.get(jenis, ["dinsos", "rsud"])
        partner = choices[min(s.referrals, len(choices) - 1)]
        s.referrals += 1
        return {"ke_lembaga": partner, "layanan_diminta": jenis,
                "tgl_kirim": _iso(at), "dokumen_dikirim": ["surat_rujukan", "ringkasan_kasus"], "bagikan_identitas": False,
                "ringkasan_rujukan": "Ringkasan kasus, layanan yang sudah diterima dan tujuan rujukan terlampir."}
    if bpmn_id == "mediasi":
        return {"pokok_sengketa": "nafkah", "persetujuan_korban_sukarela": True, "mediator": "Konselor UPTD (fiktif)",
                "tanggal_mediasi": _day(at), "hasil_mediasi": "sepakat", "catatan_mediasi": "Kesepakatan nafkah anak."}
    if bpmn_id == "penampungan":
        return {"kriteria_masuk": ["jiwa_terancam"], "lokasi_penampungan": "rumah_aman_uptd",
                "tanggal_masuk_rumah_aman": _iso(at - timedelta(hours=2)), "tgl_rencana_keluar": _day(at + timedelta(days=7))}
    if bpmn_id == "pendampingan_hukum":
        lpsk = s.target == "pantau_keputusan_lpsk" or s.rng.random() < 0.5
        out = {"tahap_proses": "penyidikan", "tanggal_tahap": _day(at), "pendamping_hukum": "Konselor hukum (fiktif)",
               "permohonan_lpsk": lpsk, "restitusi_diajukan": False, "salinan_putusan_diterima": False}
        if lpsk:
            out["tanggal_permohonan_lpsk"] = _iso(at - timedelta(days=1))
        return out
    if bpmn_id == "pantau_keputusan_lpsk":
        return {"keputusan_lpsk": "diterima", "tanggal_keputusan_lpsk": _day(at), "bentuk_perlindungan": ["hukum"]}
    if bpmn_id == "pemantauan":
        rounds = case_data.get("_rounds", 0) + 1
        case_data["_rounds"] = rounds
        done = rounds >= (2 if s.start.year >= 2025 else 1) or s.target != CLOSED
        return {"tgl_realisasi": _day(at), "jenis_pemantauan": s.rng.choice(["kunjungan_rumah", "telepon"]),
                "kondisi_korban": "Korban aman dan beraktivitas kembali." if done else "Korban masih cemas.",
                "tingkat_risiko": "rendah", "keputusan_pemantauan": "usulkan_terminasi" if done else "lanjut_pemantauan"}
    if bpmn_id == "usulan_terminasi":
        return {"alasan_terminasi": "tujuan_tercapai", "tgl_usulan_terminasi": _day(at),
                "ringkasan_layanan": "Layanan sesuai rencana selesai; korban aman dan pulih."}
    if bpmn_id == "ringkasan_serah_terima":
        return {"dokumen_hasil_penanganan_diserahkan": True, "tgl_penyerahan": _day(at), "diserahkan_kepada":
                "korban" if s.age >= 18 else "orang_tua_wali", "ringkasan_akhir": "Kasus ditutup; dokumen diserahkan.",
                "tgl_terminasi": _day(at)}
    if bpmn_id.startswith("eskalasi"):
        return {"tindakan_eskalasi": s.rng.choice(["koordinasi_langsung", "surat_resmi", "tugaskan_ulang"]),
                "tanggal_tindakan": _iso(at), "catatan_eskalasi": "Batas waktu terlewati; ditindaklanjuti Kepala UPTD."}
    # TPPO
    if bpmn_id == "identifikasi_tppo":
        if s.profile == "bukan_tppo":
            return {"sumber_identifikasi": "masyarakat", "tingkat_risiko": "sedang", "lokasi_korban": "dalam_negeri",
                    "indikasi_tppo": False, "alasan_bukan_tppo": "Tidak ada unsur proses/tujuan eksploitasi; KDRT."}
        return {"sumber_identifikasi": "bp3mi", "tingkat_risiko": "sedang", "proses": ["perekrutan", "pengiriman"],
                "cara": ["penipuan", "jeratan_utang"], "tujuan_eksploitasi": ["kerja_paksa"], "rute_asal": "Payakumbuh",
                "rute_transit": "Dumai", "rute_tujuan": "Malaysia", "status_pmi": "non_prosedural",
                "dokumen_ditahan": True, "butuh_penerjemah": False,
                "lokasi_korban": "luar_negeri" if s.start.year < 2026 else "dalam_negeri", "indikasi_tppo": True}
    if bpmn_id in ("koordinasi_luar_negeri", "koordinasi_imigrasi"):
        return {"instansi": ["kemlu_perwakilan_ri", "bp3mi"], "tanggal_koordinasi": _iso(at),
                "hasil_koordinasi": "Perwakilan RI memulangkan korban melalui Dumai.",
                "perkiraan_tiba": _day(at + timedelta(days=2))}
    if bpmn_id == "permohonan_layanan":
        return {"tanggal_permohonan": _iso(at - timedelta(hours=1)), "pemohon": "bp3mi",
                "layanan_diminta": ["pertolongan_pertama", "penampungan", "rehabilitasi_sosial", "pemulangan",
                                    "reintegrasi_sosial"]}
    if bpmn_id == "pertolongan_pertama":
        return {"tanggal_pertolongan": _iso(at), "faskes_pertolongan": "RSUD (fiktif)",
                "jenis_pertolongan": ["pemeriksaan_kesehatan", "trauma_psikologis"]}
    if bpmn_id == "laporan_gugus_tugas":
        return {"tgl_laporan_gt": _day(at), "disampaikan_kepada": "Sekretariat GT PP-TPPO Kota Payakumbuh",
                "ringkasan_laporan": "Korban PMI non-prosedural; rehabilitasi dan pemulangan berjalan."}
    if bpmn_id == "pemulangan":
        return {"asal_korban": "payakumbuh", "izin_penyidik_ada": True, "pulang_paksa": False,
                "pernyataan_keluarga_menerima": True, "tgl_tiba": _day(at), "diterima_oleh": "keluarga",
                "rantai_pemulangan": [{"instansi": "BP3MI Sumbar", "tgl_serah_terima": _day(at - timedelta(days=1)),
                                       "berita_acara": True}]}
    if bpmn_id == "reintegrasi":
        return {"rencana_reintegrasi": [{"lembaga": "disnaker", "kegiatan": "Pelatihan menjahit"}],
                "tgl_reintegrasi": _day(at), "status_reintegrasi": "berjalan"}
    raise KeyError(f"no demo data for task {bpmn_id}")


#: Hours a punctual office takes per task (late ones take longer, see _delay).
HOURS = {"registrasi": 0.3, "identifikasi": 3, "layanan_darurat": 0.7, "laporan_polisi_tpks": 26,
         "rujuk_medis_darurat": 3, "fasilitasi_laporan_kdrt": 20, "pantau_perlindungan_kdrt": 20, "informasi_hak": 2,
         "asesmen": 48, "rencana_intervensi": 72, "persetujuan_rencana": 20, "input_simfoni": 5,
         "layanan_profesional": 120, "rujukan": 4, "catat_layanan": 72, "mediasi": 200, "penampungan": 3,
         "pendampingan_hukum": 240, "pantau_keputusan_lpsk": 100, "pemantauan": 600, "usulan_terminasi": 30,
         "persetujuan_terminasi": 20, "ringkasan_serah_terima": 30, "simfoni_terminasi": 5, "pelimpahan": 24,
         "identifikasi_tppo": 4, "koordinasi_luar_negeri": 6, "koordinasi_imigrasi": 6, "permohonan_layanan": 2,
         "pertolongan_pertama": 8, "laporan_polisi": 24, "rujukan_rehabilitasi": 5, "catat_rehabilitasi": 40,
         "pemulangan": 30, "reintegrasi": 30, "laporan_gugus_tugas": 48, "rujukan_lanjutan": 5,
         "catat_layanan_lanjutan": 72}
LATE_FACTOR = {"identifikasi": 40, "laporan_polisi_tpks": 3.5, "asesmen": 3, "persetujuan_rencana": 5,
               "input_simfoni": 12, "pantau_perlindungan_kdrt": 2.5, "pertolongan_pertama": 25, "catat_rehabilitasi": 5,
               "rencana_intervensi": 2}


def _is_late(s: Story, bpmn_id: str) -> bool:
    return s.late and bpmn_id in LATE_FACTOR and (s.late_tasks is None or bpmn_id in s.late_tasks)


def _delay(s: Story, bpmn_id: str) -> timedelta:
    hours = HOURS.get(bpmn_id, 4 if bpmn_id.startswith("eskalasi") else 24)
    if _is_late(s, bpmn_id):
        hours *= LATE_FACTOR[bpmn_id]
    return timedelta(hours=hours * s.rng.uniform(0.8, 1.2))


# ------------------------------------------------------------------------------------------------
# Driving a case through the services


class _Office:
    def __init__(self, session: Session, now: datetime):
        self.session, self.now = session, now
        self.users = {u.username: u for u in session.execute(select(User)).scalars()}

    def user_for(self, lane: str | None) -> User:
        return self.users[LANE_USER.get(lane or "", "pendamping")]

    def open_tasks(self, case: Case) -> list[Task]:
        return list(self.session.execute(
            select(Task).where(Task.case_id == case.id, Task.status == "open").order_by(Task.id)).scalars())

    def tick(self, case: Case, at: datetime) -> None:
        """What the worker does at ``at``: fire the timers that are due (legal deadlines → escalations)."""
        instance = cases_service.load_instance(case)
        if instance.fire_timers(at):
            cases_service.save_instance(self.session, case=case, instance=instance, now=at)
            cases_service.handle_thrown(self.session, case=case, instance=instance, user=None, now=at)

    def answer_referral(self, case: Case, s: Story, memo: dict[str, Any], at: datetime) -> bool:
        """Answer the open referral through the referrals domain (which delivers ``jawaban_rujukan``)."""
        try:
            from server.referrals import service as referrals
            from server.referrals.models import Referral
            from server.referrals.states import ReferralStatus
        except ImportError:
            return False
        referral = self.session.execute(
            select(Referral).where(Referral.case_id == case.id, Referral.awaiting_answer.is_(True))
            .order_by(Referral.id.desc())).scalars().first()
        if referral is None:
            return False
        mitra = self.users["mitra"]
        user = mitra if mitra.partner_id is not None and mitra.partner_id == referral.agency_id \
            else self.users["pendamping"]  # answered by phone, recorded by the caseworker
        rejected = s.reject_first and not memo.get("_rejected")
        memo["_rejected"] = memo.get("_rejected") or rejected
        if rejected:
            referrals.answer(self.session, referral_id=referral.id, status=ReferralStatus.REJECTED, user=user, now=at,
                             reason="Kuota layanan bulan ini penuh; mohon rujuk ke lembaga lain.",
                             officer="Petugas mitra (fiktif)")
        else:
            status = ReferralStatus.DONE if s.target == CLOSED else ReferralStatus.ACCEPTED
            referrals.answer(self.session, referral_id=referral.id, status=status, user=user, now=at,
                             note="Layanan diberikan." if status == ReferralStatus.DONE else "Diterima.",
                             officer="Petugas mitra (fiktif)")
        return True

    def drive(self, s: Story) -> Case:
        started = cases_service.start_case(self.session, workflow_key=s.workflow, user=self.users["intake"],
                                           now=s.start)
        case = started.case
        t = s.start
        memo: dict[str, Any] = {}
        ticked: set[int] = set()
        for _ in range(200):
            if case.status != "open":
                break
            tasks = self.open_tasks(case)
            work = [x for x in tasks if not x.bpmn_id.startswith("eskalasi")]
            escalations = [x for x in tasks if x.bpmn_id.startswith("eskalasi")]
            if s.target == CLOSED and escalations:
                work = escalations + work
            if not work:
                instance = cases_service.load_instance(case)
                # the partner's answer and the investigator's release; not the staff-recorded events every open
                # case also waits for (ancaman_baru, korban_mengundurkan_diri)
                waiting = [m for m in instance.waiting_messages() if m in ("jawaban_rujukan", "izin_penyidik")]
                at = t + timedelta(hours=s.rng.uniform(18, 40))
                if not waiting or at > self.now or s.target in waiting:
                    break
                name = waiting[0]
                if name == "jawaban_rujukan" and self.answer_referral(case, s, memo, at):
                    t = at
                    continue
                if name == "jawaban_rujukan":
                    rejected = s.reject_first and not memo.get("_rejected")
                    memo["_rejected"] = memo.get("_rejected") or rejected
                    payload = {"status": "ditolak" if rejected else "diterima", "tanggal_jawaban": _iso(at),
                               "petugas": "Petugas mitra (fiktif)"}
                    if rejected:
                        payload["catatan"] = "Kuota layanan bulan ini penuh; mohon rujuk ke lembaga lain."
                else:
                    payload = {"keterangan_cukup": True, "penyidik": "Penyidik Unit PPA (fiktif)"}
                cases_service.deliver_message(self.session, name=name, case_id=case.id, payload=payload,
                                              user=self.users["mitra"], now=at)
                t = at
                continue
            task = work[0]
            if task.bpmn_id == s.target:
                break
            at = t + _delay(s, task.bpmn_id)
            if _is_late(s, task.bpmn_id) and task.due_at is not None and task.id not in ticked:
                # the worker runs while the task is overdue: legal timers fire, escalations appear
                ticked.add(task.id)
                due = task.due_at if task.due_at.tzinfo else task.due_at.replace(tzinfo=UTC)
                moment = max(t, due) + timedelta(hours=1)
                if moment < min(at, self.now):
                    self.tick(case, moment)
                    if len(self.open_tasks(case)) != len(tasks):
                        t = moment
                        continue  # an escalation appeared: handled first in closed stories
            if at > self.now - timedelta(hours=1):
                break
            case_data = dict(memo)
            if task.bpmn_id.startswith("rujukan"):  # the plan item being referred comes from task data
                instance = cases_service.load_instance(case)
                case_data.update(instance.task_data(task.engine_task_id))
            data = _data(s, task.bpmn_id, at, case_data)
            memo.update({k: v for k, v in case_data.items() if k.startswith("_")})
            tasks_service.complete(self.session, task_id=task.id, user=self.user_for(task.lane), data=data, now=at)
            t = at
        if s.target != CLOSED:
            self.tick(case, self.now - timedelta(minutes=5))  # the worker has run since: overdue timers fired
        return case


# ------------------------------------------------------------------------------------------------
# The stories


def _stories(now: datetime) -> list[Story]:
    rng = random.Random(20260302)
    stories: list[Story] = []
    names = iter(rng.sample([f"{a} {b}" for a in FIRST for b in LAST], 80))
    children = iter(rng.sample([f"{a} {b}" for a in CHILD_FIRST for b in LAST], 20))

    def when(year: int, index: int, count: int) -> datetime:
        start = datetime(year, 1, 3, 2, 0, tzinfo=UTC)
        end = min(datetime(year, 12, 20, 2, 0, tzinfo=UTC), now - timedelta(days=120))
        span = max((end - start).total_seconds(), 86400)
        moment = start + timedelta(seconds=span * (index + rng.uniform(0.1, 0.9)) / count)
        return moment.replace(hour=rng.choice([1, 2, 3, 4, 6, 7]), minute=rng.choice([0, 15, 30, 45]))

    def add(workflow: str, profile: str, start: datetime, **kw: Any) -> None:
        child = profile.startswith("anak")
        stories.append(Story(workflow, profile, start, rng=random.Random(rng.random()),
                             victim=f"{next(children) if child else next(names)} (fiktif)",
                             age=rng.randint(8, 16) if child else rng.randint(19, 48),
                             kelurahan=rng.choice(KELURAHAN), **kw))

    profiles = ["kdrt", "psikis", "kdrt", "seksual", "kdrt", "kdrt"]  # mostly KDRT, as the city reports
    for year, count in WOMEN_PER_YEAR.items():
        if datetime(year, 1, 3, tzinfo=UTC) > now - timedelta(days=120):
            continue
        for i in range(count):
            profile = "luar" if (year, i) in {(2022, 7), (2023, 2)} else profiles[i % len(profiles)]
            add("ppa_kasus_kekerasan", profile, when(year, i, count), late=(i % 3 == 2), reject_first=(i % 5 == 4))
    for year, count in CHILDREN_PER_YEAR.items():
        if datetime(year, 1, 3, tzinfo=UTC) > now - timedelta(days=120):
            continue
        for i in range(count):
            add("ppa_kasus_kekerasan", ["anak_fisik", "anak_seksual"][(year + i) % 2], when(year, i, count),
                late=(year % 2 == 0))
    if now - timedelta(days=120) > datetime(2025, 3, 1, tzinfo=UTC):
        add("ppa_kasus_tppo", "tppo", datetime(2025, 3, 4, 2, 30, tzinfo=UTC), late=True)

    # recent cases, stopped at every stage of the procedure (relative to now)
    def ago(days: float) -> datetime:
        return (now - timedelta(days=days)).replace(second=0, microsecond=0)

    recent: list[tuple[str, str, float, str, frozenset[str] | None]] = [
        ("ppa_kasus_kekerasan", "kdrt", 0.2, "identifikasi", None),
        ("ppa_kasus_kekerasan", "seksual", 4.5, "laporan_polisi_tpks",               # TPKS report overdue
         frozenset({"laporan_polisi_tpks"})),
        ("ppa_kasus_kekerasan", "kdrt", 3, "pantau_perlindungan_kdrt", frozenset({"pantau_perlindungan_kdrt"})),
        ("ppa_kasus_kekerasan", "psikis", 9, "persetujuan_rencana", None),
        ("ppa_kasus_kekerasan", "seksual", 40, "pantau_keputusan_lpsk", None),
        ("ppa_kasus_kekerasan", "kdrt", 25, "jawaban_rujukan", None),                # waiting for the partner
        ("ppa_kasus_kekerasan", "kdrt", 80, "pemantauan", None),
        ("ppa_kasus_kekerasan", "psikis", 70, "persetujuan_terminasi", None),
        ("ppa_kasus_kekerasan", "anak_fisik", 1.5, "asesmen", frozenset({"asesmen"})),
        ("ppa_kasus_kekerasan", "anak_seksual", 12, "input_simfoni", frozenset({"input_simfoni"})),
        ("ppa_kasus_kekerasan", "luar", 0.5, "pelimpahan", None),
        ("ppa_kasus_tppo", "tppo", 16, "catat_rehabilitasi", None),                 # 7-day duty missed
        ("ppa_kasus_tppo", "tppo", 1, "pertolongan_pertama", None),
        ("ppa_kasus_tppo", "bukan_tppo", 2, CLOSED, None),                          # moved to the violence path
        ("ppa_kasus_kekerasan", "kdrt", 300, CLOSED, None),
        ("ppa_kasus_kekerasan", "seksual", 200, CLOSED, frozenset({"laporan_polisi_tpks", "asesmen"})),
    ]
    for workflow, profile, days, target, late_tasks in recent:
        add(workflow, profile, ago(days).replace(hour=rng.choice([1, 2, 3, 6])), target=target,
            late=late_tasks is not None, late_tasks=late_tasks, reject_first=(target == "pemantauan"))
    return sorted(stories, key=lambda s: s.start)


def create(session: Session, *, now: datetime) -> int:
    """Create the demo cases (returns how many); does nothing if the database already has cases."""
    if session.execute(select(Case.id).limit(1)).first():
        return 0
    office = _Office(session, now)
    missing = [u for u in set(LANE_USER.values()) | {"intake"} if u not in office.users]
    if missing:
        raise RuntimeError(f"demo users missing: {', '.join(sorted(missing))}")
    for story in _stories(now):
        if story.start < now:
            office.drive(story)
    session.flush()
    return int(session.execute(select(func.count(Case.id))).scalar_one())
