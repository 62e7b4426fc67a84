"""Realistic (fictitious) submissions for every form the PPA workflows use. Each builder takes overrides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.workflows.runner import T0, wib


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = {**base, **over}
    return {k: v for k, v in out.items() if v is not None}


def pengaduan(**over: Any) -> dict[str, Any]:
    """Registration: an adult woman, KDRT (physical), reported at T0."""
    return _merge({
        "tgl_pengaduan": wib(T0), "cara_pengaduan": "datang_langsung", "nama_pelapor": "Yusnidar (fiktif)",
        "hubungan_pelapor": "keluarga", "pelapor_anonim": False, "nama_korban": "Rahmi Yuliani (fiktif)",
        "usia_korban": 29, "jenis_kelamin_korban": "perempuan", "kewarganegaraan": "WNI",
        "kelurahan": "Koto Nan Ampek", "kecamatan": "Payakumbuh Barat", "kota": "Kota Payakumbuh",
        "pendidikan": "slta", "pekerjaan": "ibu_rumah_tangga", "status_perkawinan": "kawin", "disabilitas": False,
        "hamil": False, "waktu_kejadian": wib(T0 - timedelta(hours=12)), "tempat_kejadian": "rumah_tangga",
        "jenis_kekerasan": ["fisik", "psikis"], "ranah_kdrt": True,
        "kronologi": "Korban dipukul suami setelah bertengkar soal nafkah; memar di lengan kiri.",
        "pelaku": [{"nama_pelaku": "A (fiktif)", "usia_pelaku": 33, "jenis_kelamin_pelaku": "laki_laki",
                    "hubungan": "suami_istri", "pelaku_anak": False}],
        "anak_terdampak": [{"nama_anak": "R (fiktif)", "usia_anak": 6, "jenis_kelamin_anak": "laki_laki",
                            "hubungan_dengan_korban": "anak_kandung", "ikut_mengalami_kekerasan": False,
                            "menyaksikan_kekerasan": True}],
        "kebutuhan_mendesak": ["keamanan", "psikologis"],
    }, over)


def pengaduan_seksual(incident: datetime, **over: Any) -> dict[str, Any]:
    """Registration: adult rape with penetration, incident at ``incident``, reported at T0."""
    return pengaduan(**{
        "nama_korban": "Wulan Sari (fiktif)", "usia_korban": 22, "pekerjaan": "pegawai_swasta_buruh",
        "status_perkawinan": "belum_kawin", "waktu_kejadian": wib(incident), "tempat_kejadian": "fasilitas_umum",
        "jenis_kekerasan": ["seksual"], "bentuk_tpks": ["perkosaan"], "penetrasi": "ya", "ranah_kdrt": False,
        "kronologi": "Korban diperkosa kenalan setelah diantar pulang dari tempat kerja.",
        "pelaku": [{"usia_pelaku": 27, "jenis_kelamin_pelaku": "laki_laki", "hubungan": "pacar_teman",
                    "pelaku_anak": False}],
        "kebutuhan_mendesak": ["medis", "psikologis", "hukum"], "anak_terdampak": None, **over})


def identifikasi(**over: Any) -> dict[str, Any]:
    return _merge({"jenis_kasus": "KtP", "tingkat_risiko": "rendah", "faktor_risiko": [],
                   "kewenangan": "dalam_kewenangan", "dasar_hukum": ["uu_pkdrt"],
                   "catatan_identifikasi": "KDRT fisik ringan; korban ingin konseling."}, over)


def kedaruratan(at: datetime) -> dict[str, Any]:
    return {"waktu_tindakan": wib(at), "tindakan_darurat": ["evakuasi", "rumah_aman"],
            "pihak_terlibat": ["polres", "satgas_ppa"], "kondisi_korban_aman": True}


def informasi_hak(**over: Any) -> dict[str, Any]:
    return _merge({"diberi_info_hak": True, "tgl_informasi_hak": wib(T0)[:10], "persetujuan_dari": "korban",
                   "persetujuan_layanan": True, "persetujuan_berbagi_info": ["polisi", "rsud_puskesmas", "lbh"],
                   "persetujuan_pelaporan_agregat": True, "override_tanpa_persetujuan": False}, over)


def laporan_polisi(at: datetime, **over: Any) -> dict[str, Any]:
    return _merge({"dilaporkan": True, "tanggal_laporan_polisi": wib(at), "cara_pelaporan": "antar_langsung",
                   "kesatuan": "Polres Payakumbuh - Unit PPA", "no_laporan_polisi": "LP/B/31/III/2026 (fiktif)",
                   "permohonan_lpsk": False, "korban_diperlukan_sebagai_saksi": False}, over)


def laporan_belum(reason: str = "Korban masih dirawat; surat laporan belum ditandatangani.") -> dict[str, Any]:
    return {"dilaporkan": False, "alasan_tidak_dilaporkan": reason, "permohonan_lpsk": False,
            "korban_diperlukan_sebagai_saksi": False}


def rujukan_medis(at: datetime) -> dict[str, Any]:
    return {"faskes_tujuan": "rsud", "waktu_rujukan": wib(at),
            "layanan_medis": ["kontrasepsi_darurat", "ppp_hiv", "visum", "pengamanan_bukti"],
            "persetujuan_tindakan_medis": True, "korban_didampingi": True}


def perlindungan(at: datetime) -> dict[str, Any]:
    return {"perlindungan_diberikan": True, "tanggal_perlindungan_sementara": wib(at),
            "perlindungan_berakhir": wib(at + timedelta(days=7))[:10], "permohonan_perintah_perlindungan": True,
            "tanggal_permohonan_perintah_perlindungan": wib(at + timedelta(hours=20)),
            "perintah_perlindungan_ditetapkan": False}


def asesmen(**over: Any) -> dict[str, Any]:
    return _merge({"tgl_mulai_asesmen": wib(T0)[:10], "tgl_selesai_asesmen": wib(T0 + timedelta(days=2))[:10],
                   "asesor": ["Pendamping PPA", "Psikolog UPTD"], "temuan_psikis": "Cemas, sulit tidur.",
                   "rencana_keselamatan": "Tinggal sementara di rumah orang tua.",
                   "rekomendasi_layanan": ["psikologis", "bantuan_hukum"]}, over)


def item(jenis: str, penyedia: str, *, status: str = "direncanakan", days: int = 14, **over: Any) -> dict[str, Any]:
    return _merge({"jenis_layanan": jenis, "penyedia": penyedia, "target_tanggal": wib(T0 + timedelta(days=days))[:10],
                   "tujuan": f"Layanan {jenis}", "status": status}, over)


def rencana(*items: dict[str, Any], **over: Any) -> dict[str, Any]:
    return _merge({"disusun_bersama_korban": True, "tujuan_intervensi": "Korban aman dan pulih.",
                   "layanan": list(items)}, over)


SETUJU = {"keputusan": "setuju"}
KEMBALIKAN = {"keputusan": "kembalikan", "catatan": "Tambahkan layanan psikologis dan target tanggal."}


def simfoni(jenis: str = "input_awal", modul: str = "umum") -> dict[str, Any]:
    out = {"jenis_input": jenis, "modul_simfoni": modul, "tgl_input_simfoni": wib(T0 + timedelta(days=3))[:10],
           "operator_simfoni": "Andi (fiktif)"}
    if jenis == "input_awal":
        out["id_simfoni"] = "1376-2026-000123 (fiktif)"
    return out


def layanan(**over: Any) -> dict[str, Any]:
    return _merge({"status_layanan": "terlaksana", "tanggal_layanan": wib(T0 + timedelta(days=5))[:10],
                   "pemberi_layanan": "Psikolog UPTD (fiktif)",
                   "hasil_layanan": "Sesi konseling; korban lebih tenang."}, over)


def rujukan(ke: str = "rsud", jenis: str = "kesehatan", **over: Any) -> dict[str, Any]:
    return _merge({"ke_lembaga": ke, "nama_lembaga": f"{ke.upper()} (fiktif)", "layanan_diminta": jenis,
                   "tgl_kirim": wib(T0 + timedelta(days=4)), "dokumen_dikirim": ["surat_rujukan", "ringkasan_kasus"],
                   "bagikan_identitas": False,
                   "ringkasan_rujukan": "Korban sudah diasesmen; butuh layanan lanjutan sesuai rencana."}, over)


def jawaban(status: str, catatan: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "tanggal_jawaban": wib(T0 + timedelta(days=5)),
                           "petugas": "Petugas mitra (fiktif)"}
    if catatan:
        out["catatan"] = catatan
    return out


def mediasi() -> dict[str, Any]:
    return {"pokok_sengketa": "nafkah", "persetujuan_korban_sukarela": True, "mediator": "Konselor UPTD (fiktif)",
            "tanggal_mediasi": wib(T0 + timedelta(days=10))[:10], "hasil_mediasi": "sepakat",
            "catatan_mediasi": "Suami menyanggupi nafkah bulanan."}


def penampungan(at: datetime) -> dict[str, Any]:
    return {"kriteria_masuk": ["jiwa_terancam"], "lokasi_penampungan": "rumah_aman_uptd",
            "tanggal_masuk_rumah_aman": wib(at), "tgl_rencana_keluar": wib(at + timedelta(days=7))[:10]}


def pendampingan_hukum(**over: Any) -> dict[str, Any]:
    return _merge({"no_laporan_polisi": "LP/B/31/III/2026 (fiktif)", "tahap_proses": "penyidikan",
                   "tanggal_tahap": wib(T0 + timedelta(days=6))[:10], "pendamping_hukum": "Advokat (fiktif)",
                   "permohonan_lpsk": False, "restitusi_diajukan": False, "salinan_putusan_diterima": False}, over)


def keputusan_lpsk() -> dict[str, Any]:
    return {"keputusan_lpsk": "diterima", "tanggal_keputusan_lpsk": wib(T0 + timedelta(days=12))[:10],
            "bentuk_perlindungan": ["hukum", "psikososial"]}


def restitusi() -> dict[str, Any]:
    return {"status_restitusi": "dibayar_penuh", "tanggal_pembayaran": wib(T0 + timedelta(days=100))[:10],
            "jumlah_dibayar": 15_000_000}


def pemantauan(keputusan: str = "lanjut_pemantauan", **over: Any) -> dict[str, Any]:
    return _merge({"tgl_realisasi": wib(T0 + timedelta(days=30))[:10], "jenis_pemantauan": "kunjungan_rumah",
                   "kondisi_korban": "Korban aman dan mulai bekerja kembali.", "tingkat_risiko": "rendah",
                   "keputusan_pemantauan": keputusan}, over)


def terminasi() -> dict[str, Any]:
    return {"alasan_terminasi": "tujuan_tercapai", "tgl_usulan_terminasi": wib(T0 + timedelta(days=60))[:10],
            "ringkasan_layanan": "Konseling, pendampingan hukum dan pemantauan; korban pulih."}


def ringkasan() -> dict[str, Any]:
    return {"dokumen_hasil_penanganan_diserahkan": True, "tgl_penyerahan": wib(T0 + timedelta(days=62))[:10],
            "diserahkan_kepada": "korban", "dokumen_diserahkan": ["ringkasan_penanganan"],
            "ringkasan_akhir": "Kasus ditutup; korban aman dan mandiri.", "tgl_terminasi": wib(T0 + timedelta(days=62))[:10]}


def eskalasi(at: datetime) -> dict[str, Any]:
    return {"tindakan_eskalasi": "koordinasi_langsung", "tanggal_tindakan": wib(at),
            "catatan_eskalasi": "Kepala UPTD menghubungi Kanit PPA Polres; tindak lanjut hari ini."}


def pelimpahan() -> dict[str, Any]:
    return {"uptd_tujuan": "UPTD PPA Kabupaten Lima Puluh Kota", "alasan_pelimpahan": "domisili_luar_wilayah",
            "tgl_pelimpahan": wib(T0 + timedelta(hours=26)), "persetujuan_korban_pelimpahan": True,
            "dokumen_dikirim": ["ringkasan_kasus"]}


# -- TPPO ------------------------------------------------------------------------------------------

def pengaduan_tppo(**over: Any) -> dict[str, Any]:
    return pengaduan(**{
        "cara_pengaduan": "rujukan", "lembaga_perujuk": "BP3MI Sumatera Barat", "nama_korban": "Fitri Handayani (fiktif)",
        "usia_korban": 24, "pekerjaan": "tidak_bekerja", "status_perkawinan": "belum_kawin",
        "waktu_kejadian": wib(T0 - timedelta(days=40)), "tempat_kejadian": "tempat_kerja",
        "jenis_kekerasan": ["trafficking", "eksploitasi"], "ranah_kdrt": False,
        "kronologi": "Direkrut sebagai pekerja restoran di Malaysia; paspor ditahan dan gaji tidak dibayar.",
        "pelaku": [{"nama_pelaku": "Agen P (fiktif)", "jenis_kelamin_pelaku": "laki_laki", "hubungan": "majikan",
                    "pelaku_anak": False}],
        "kebutuhan_mendesak": ["tempat_tinggal", "psikologis"], "anak_terdampak": None, **over})


def identifikasi_tppo(**over: Any) -> dict[str, Any]:
    return _merge({"sumber_identifikasi": "bp3mi", "tingkat_risiko": "sedang", "proses": ["perekrutan", "pengiriman"],
                   "cara": ["penipuan", "jeratan_utang"], "tujuan_eksploitasi": ["kerja_paksa"],
                   "rute_asal": "Payakumbuh", "rute_transit": "Dumai", "rute_tujuan": "Malaysia",
                   "status_pmi": "non_prosedural", "dokumen_ditahan": True, "butuh_penerjemah": False,
                   "lokasi_korban": "dalam_negeri", "indikasi_tppo": True}, over)


def bukan_tppo() -> dict[str, Any]:
    return {"sumber_identifikasi": "masyarakat", "tingkat_risiko": "sedang", "lokasi_korban": "dalam_negeri",
            "indikasi_tppo": False,
            "alasan_bukan_tppo": "Tidak ada unsur proses dan tujuan eksploitasi; kekerasan fisik oleh suami (KDRT)."}


def koordinasi(at: datetime) -> dict[str, Any]:
    return {"instansi": ["kemlu_perwakilan_ri", "bp3mi"], "tanggal_koordinasi": wib(at),
            "hasil_koordinasi": "KBRI memulangkan korban melalui Dumai.", "perkiraan_tiba": wib(at + timedelta(days=2))[:10]}


def permohonan(at: datetime, layanan_diminta: list[str] | None = None) -> dict[str, Any]:
    return {"tanggal_permohonan": wib(at), "pemohon": "bp3mi",
            "layanan_diminta": layanan_diminta or ["pertolongan_pertama", "penampungan", "rehabilitasi_sosial",
                                                   "pemulangan", "reintegrasi_sosial"]}


def pertolongan(at: datetime) -> dict[str, Any]:
    return {"tanggal_pertolongan": wib(at), "faskes_pertolongan": "RSUD (fiktif)",
            "jenis_pertolongan": ["pemeriksaan_kesehatan", "trauma_psikologis"]}


def pemulangan() -> dict[str, Any]:
    return {"asal_korban": "payakumbuh", "daerah_asal": "Kel. Tanjung Pauh",
            "rantai_pemulangan": [{"instansi": "BP3MI Sumbar", "tgl_serah_terima": wib(T0 + timedelta(days=4))[:10],
                                   "berita_acara": True},
                                  {"instansi": "Dinsos Kota Payakumbuh",
                                   "tgl_serah_terima": wib(T0 + timedelta(days=5))[:10], "berita_acara": True}],
            "pendamping_perjalanan": "Pendamping PPA (fiktif)", "izin_penyidik_ada": True, "pulang_paksa": False,
            "pernyataan_keluarga_menerima": True, "tgl_tiba": wib(T0 + timedelta(days=5))[:10],
            "diterima_oleh": "keluarga"}


def reintegrasi() -> dict[str, Any]:
    return {"rencana_reintegrasi": [{"lembaga": "disnaker", "kegiatan": "Pelatihan menjahit",
                                     "tanggal": wib(T0 + timedelta(days=6))[:10]},
                                    {"lembaga": "dukcapil", "kegiatan": "Penerbitan KTP baru"}],
            "tgl_reintegrasi": wib(T0 + timedelta(days=6))[:10], "status_reintegrasi": "berjalan"}


def laporan_gt() -> dict[str, Any]:
    return {"tgl_laporan_gt": wib(T0 + timedelta(days=6))[:10],
            "disampaikan_kepada": "Sekretariat GT PP-TPPO Kota Payakumbuh",
            "ringkasan_laporan": "Korban PMI non-prosedural dipulangkan; rehabilitasi sosial berjalan."}


# -- Events while a case is open (domain §3: E1 new threat, E2 victim withdraws) ---------------------

def pengunduran_diri(at: datetime, laporan_polisi_tpks: str = "tidak_berlaku", **over: Any) -> dict[str, Any]:
    return _merge({"tgl_pengunduran_diri": wib(at), "alasan_pengunduran_diri": "tidak_lanjut_proses_hukum",
                   "keterangan_pengunduran_diri": "Korban ingin fokus bekerja dan tidak mau bertemu polisi lagi.",
                   "pernyataan_tertulis": True, "laporan_polisi_tpks": laporan_polisi_tpks,
                   "diberi_info_layanan_kembali": True, "risiko_saat_mundur": "rendah"}, over)


def ancaman_baru(at: datetime, tingkat_risiko: str = "tinggi", **over: Any) -> dict[str, Any]:
    return _merge({"tgl_ancaman": wib(at), "sumber_informasi_ancaman": "korban",
                   "uraian_ancaman": "Terlapor mendatangi rumah orang tua korban dan mengancam akan membawa anak.",
                   "faktor_risiko_baru": ["pelaku_kembali"], "tingkat_risiko": tingkat_risiko}, over)
