"""SIMFONI-PPA categories (domain.md §4) and how to read them from a case's form data.

Pure code. The categories are those of the published SIMFONI dashboard as quoted in the press ([P] in
domain.md): the official v3 code lists were not available, so unknown values are exported as they are
rather than forced into a category. Form data is read through aliases because forms may nest fields
(``korban.jenis_kelamin``) or flatten them (``jenis_kelamin_korban``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

CASE_TYPES = {
    "ktp": _l("Violence against women"),
    "kta": _l("Violence against children"),
    "ampk": _l("Child in need of special protection"),
    "perlindungan_khusus_anak": _l("Child in need of special protection"),
    "tppo": _l("Trafficking in persons (TPPO)"),
    "lainnya": _l("Other"),
    "": _l("Not classified"),
}

#: SIMFONI category → (label, the keys that may hold it, known values with their labels)
CATEGORIES: dict[str, tuple[Any, tuple[str, ...], dict[str, Any]]] = {
    "jenis_kekerasan": (_l("Form of violence"), ("jenis_kekerasan", "kejadian.jenis_kekerasan"), {
        "fisik": _l("Physical"), "psikis": _l("Psychological"), "seksual": _l("Sexual"),
        "eksploitasi": _l("Exploitation"), "trafficking": _l("Trafficking"), "penelantaran": _l("Neglect"),
        "lainnya": _l("Other")}),
    "tempat_kejadian": (_l("Place of the incident"), ("tempat_kejadian", "kejadian.tempat", "kejadian_tempat"), {
        "rumah_tangga": _l("Household"), "fasilitas_umum": _l("Public facility"), "sekolah": _l("School"),
        "tempat_kerja": _l("Workplace"), "lembaga_pendidikan_keagamaan": _l("Religious school"),
        "daring_media_sosial": _l("Online / social media"), "lainnya": _l("Other")}),
    "jenis_kelamin_korban": (_l("Victim's sex"), ("jenis_kelamin_korban", "korban.jenis_kelamin"), {
        "perempuan": _l("Female"), "laki_laki": _l("Male")}),
    "kelompok_usia": (_l("Victim's age group"), (), {}),
    "pendidikan_korban": (_l("Victim's education"), ("pendidikan", "pendidikan_korban", "korban.pendidikan"), {
        "belum_sekolah": _l("Not yet in school"), "tk_paud": _l("Kindergarten"), "sd": _l("Primary (SD)"),
        "sltp": _l("Junior secondary (SLTP)"), "slta": _l("Senior secondary (SLTA)"),
        "perguruan_tinggi": _l("Higher education"), "tidak_sekolah": _l("No schooling"),
        "putus_sekolah": _l("Dropped out")}),
    "pekerjaan_korban": (_l("Victim's occupation"), ("pekerjaan", "pekerjaan_korban", "korban.pekerjaan"), {
        "pelajar": _l("Student"), "ibu_rumah_tangga": _l("Homemaker"), "tidak_bekerja": _l("Not working"),
        "pegawai_swasta_buruh": _l("Private employee / labourer"), "pns_tni_polri": _l("Civil servant / military / police"),
        "pedagang_petani_nelayan": _l("Trader / farmer / fisher"), "wiraswasta": _l("Self-employed"),
        "lainnya": _l("Other")}),
    "hubungan_pelaku": (_l("Relationship of the perpetrator"), ("pelaku[].hubungan", "hubungan_pelaku"), {
        "orang_tua": _l("Parent"), "orang_tua_tiri_angkat": _l("Step- or adoptive parent"),
        "keluarga_saudara": _l("Family / relative"), "suami_istri": _l("Spouse"), "pacar_teman": _l("Partner / friend"),
        "tetangga": _l("Neighbour"), "guru": _l("Teacher"), "majikan": _l("Employer"), "rekan_kerja": _l("Co-worker"),
        "tidak_dikenal": _l("Unknown person"), "lainnya": _l("Other")}),
    "kewarganegaraan_korban": (_l("Victim's nationality"), ("kewarganegaraan", "kewarganegaraan_korban", "korban.kewarganegaraan"), {
        "WNI": _l("Indonesian (WNI)"), "WNA": _l("Foreign (WNA)")}),
    "kecamatan": (_l("District (kecamatan)"), ("kecamatan", "korban.alamat.kecamatan", "korban.kecamatan"), {}),
    "jenis_layanan": (_l("Services"), ("layanan[].jenis_layanan", "rekomendasi_layanan", "jenis_layanan"), {
        "pengaduan": _l("Complaint"), "kesehatan": _l("Health"), "psikologis": _l("Psychological"),
        "bantuan_hukum": _l("Legal aid"), "penegakan_hukum": _l("Law enforcement"),
        "rehabilitasi_sosial": _l("Social rehabilitation"), "reintegrasi_sosial": _l("Social reintegration"),
        "pemulangan": _l("Repatriation"), "pendampingan_tokoh_agama": _l("Religious counselling"),
        "penampungan_sementara": _l("Temporary shelter"), "mediasi": _l("Mediation"),
        "pemberdayaan_ekonomi": _l("Economic empowerment"), "dokumen_kependudukan": _l("Civil documents"),
        "pendidikan": _l("Education")}),
}

#: Age bands commonly used in SIMFONI tables ([U] in domain.md).
AGE_BANDS = ((0, 5, "0-5"), (6, 12, "6-12"), (13, 17, "13-17"), (18, 24, "18-24"), (25, 44, "25-44"),
             (45, 59, "45-59"), (60, 200, "60+"))

#: Fields that identify a victim or reporter: masked in exports for roles that may not see them.
IDENTIFYING = {
    "nama_korban": ("nama_korban", "korban.nama"),
    "nik_korban": ("nik_korban", "korban.nik"),
    "alamat_korban": ("alamat_korban", "korban.alamat.jalan", "korban.alamat_lengkap"),
    "telepon_korban": ("telepon_korban", "korban.telepon"),
    "nama_pelapor": ("nama_pelapor", "pelapor.nama"),
    "kontak_pelapor": ("kontak_pelapor", "pelapor.kontak"),
    "tgl_lahir_korban": ("tgl_lahir_korban", "korban.tgl_lahir"),
}


IDENTIFYING_LABELS = {
    "nama_korban": _l("Victim's name"), "nik_korban": _l("Victim's NIK"), "alamat_korban": _l("Victim's address"),
    "telepon_korban": _l("Victim's phone"), "nama_pelapor": _l("Reporter's name"),
    "kontak_pelapor": _l("Reporter's contact"), "tgl_lahir_korban": _l("Victim's date of birth"),
}


def case_type_label(value: str | None) -> str:
    key = (value or "").strip().lower()
    return str(CASE_TYPES.get(key, value or CASE_TYPES[""]))


def value_label(category: str, value: Any) -> str:
    known = CATEGORIES.get(category, ("", (), {}))[2]
    return str(known.get(value, value))


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"korban": {"nama": "X"}}`` → ``{"korban": {...}, "korban.nama": "X"}``; the first item of a list of
    objects (e.g. the first perpetrator) is flattened too."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        out[name] = value
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            out.update(flatten(value[0], name + "."))
    return out


def pick(flat: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The first of ``keys`` that has a value; ``list[].field`` gathers ``field`` from every item (all
    perpetrators, all planned services) without repeats."""
    for key in keys:
        if "[]." in key:
            name, field = key.split("[].", 1)
            items = flat.get(name)
            value: Any = list(dict.fromkeys(
                str(item[field]) for item in items if isinstance(item, Mapping) and item.get(field) not in (None, "")
            )) if isinstance(items, list) else None
        else:
            value = flat.get(key)
        if value not in (None, "", []):
            return value
    return None


def age_band(age: Any) -> str | None:
    try:
        years = int(age)
    except (TypeError, ValueError):
        return None
    for lo, hi, label in AGE_BANDS:
        if lo <= years <= hi:
            return label
    return None


@dataclass
class CaseFacts:
    """One case's SIMFONI-relevant facts, read from its merged form data."""

    values: dict[str, Any]
    identifying: dict[str, str]
    age: int | None


def facts(data: Mapping[str, Any]) -> CaseFacts:
    flat = flatten(data)
    values: dict[str, Any] = {}
    for category, (_label, keys, _known) in CATEGORIES.items():
        if keys:
            values[category] = pick(flat, keys)
    raw_age = pick(flat, ("usia_korban", "korban.umur", "korban.usia", "umur_korban"))
    try:
        age = int(raw_age) if raw_age is not None else None
    except (TypeError, ValueError):
        age = None
    values["kelompok_usia"] = age_band(age)
    identifying = {k: str(v) for k, keys in IDENTIFYING.items() if (v := pick(flat, keys)) is not None}
    return CaseFacts(values=values, identifying=identifying, age=age)
