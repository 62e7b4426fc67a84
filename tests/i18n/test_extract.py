"""The Babel extractors find every translatable string of a form and a workflow, and nothing else."""

from __future__ import annotations

import io
import json

import pytest

from server.i18n_extract import bpmn_texts, extract_bpmn, extract_forms, form_texts

SCHEMA = {
    "title": "Formulir Uji",
    "description": "Keterangan formulir.",
    "type": "object",
    "properties": {
        "jenis": {"type": "string", "title": "Jenis", "oneOf": [{"const": "a", "title": "Pilihan A"},
                                                                {"const": "b", "title": "Pilihan B"}]},
        "lembaga": {"type": "array", "title": "Lembaga",
                    "items": {"type": "string", "enum": ["x", "y"], "enumNames": ["Lembaga X", "Lembaga Y"]}},
        "pelaku": {"type": "array", "items": {"$ref": "#/$defs/orang"}},
        "kode": {"type": "string"},
    },
    "$defs": {"orang": {"type": "object", "title": "Pelaku", "properties": {"nama": {"title": "Nama pelaku"}}}},
    "if": {"properties": {"jenis": {"const": "b"}}},
    "then": {"properties": {"alasan": {"title": "Alasan"}}},
}
UI = {
    "kode": {"ui:placeholder": "Contoh: ABC-1", "ui:help": "Kode dari surat rujukan."},
    "lembaga": {"ui:options": {"help": "Boleh lebih dari satu."}},
    "ui:order": ["jenis", "lembaga"],
}


def test_form_strings_cover_titles_options_and_ui_texts():
    texts = form_texts(SCHEMA, UI)
    for expected in ("Formulir Uji", "Keterangan formulir.", "Jenis", "Pilihan A", "Pilihan B", "Lembaga",
                     "Lembaga X", "Lembaga Y", "Pelaku", "Nama pelaku", "Alasan", "Contoh: ABC-1",
                     "Kode dari surat rujukan.", "Boleh lebih dari satu."):
        assert expected in texts
    assert "x" not in texts and "a" not in texts  # values are data, not labels
    assert "jenis" not in texts and "ui:order" not in texts


def test_form_extractor_reads_the_sibling_ui_schema(tmp_path):
    schema_path = tmp_path / "uji.schema.json"
    schema_path.write_text(json.dumps(SCHEMA, indent=1), encoding="utf-8")
    (tmp_path / "uji.uischema.json").write_text(json.dumps(UI), encoding="utf-8")
    with schema_path.open("rb") as fh:
        found = list(extract_forms(fh, {}, [], {}))
    messages = {message: (line, comments) for line, _func, message, comments in found}
    assert "Kode dari surat rujukan." in messages
    assert messages["Pilihan B"][0] > messages["Formulir Uji"][0] > 0  # real line numbers for the schema
    assert messages["Jenis"][1] == ["form /properties/jenis/title"]


BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:message id="m1" name="perlindungan_diberikan" />
  <bpmn:process id="p" name="Layanan Uji" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="pendamping" /></bpmn:laneSet>
    <bpmn:startEvent id="s" name="Pengaduan masuk" />
    <bpmn:userTask id="t" name="Asesmen awal">
      <bpmn:documentation>  Lakukan asesmen dalam 1x24 jam.  </bpmn:documentation>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="b" name="Batas waktu" attachedToRef="t" />
    <bpmn:exclusiveGateway id="g" name="Darurat?" />
    <bpmn:intermediateCatchEvent id="c" name="Menunggu polisi"><bpmn:messageEventDefinition messageRef="m1" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f" name="ya" sourceRef="g" targetRef="t" />
    <bpmn:scriptTask id="sc"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:textAnnotation id="a"><bpmn:text>Catatan untuk pengguna</bpmn:text></bpmn:textAnnotation>
    <bpmn:endEvent id="e" name="Selesai" />
  </bpmn:process>
</bpmn:definitions>"""


def test_bpmn_strings_cover_names_and_documentation_but_not_identifiers():
    texts = bpmn_texts(BPMN)
    assert texts == ["Layanan Uji", "pendamping", "Pengaduan masuk", "Asesmen awal",
                     "Lakukan asesmen dalam 1x24 jam.", "Batas waktu", "Darurat?", "Menunggu polisi", "ya",
                     "Catatan untuk pengguna", "Selesai"]
    assert "perlindungan_diberikan" not in texts  # a message name correlates events: never translated


def test_bpmn_extractor_reports_lines_and_elements():
    found = list(extract_bpmn(io.BytesIO(BPMN), {}, [], {}))
    by_text = {message: (line, comments) for line, _func, message, comments in found}
    assert by_text["Asesmen awal"] == (7, ["workflow userTask t"])
    assert by_text["Lakukan asesmen dalam 1x24 jam."][1] == ["workflow userTask t documentation"]


def test_bpmn_with_an_entity_declaration_is_refused():
    evil = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "EXPANDED">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            b'<bpmn:process id="p" name="&x;" /></bpmn:definitions>')
    with pytest.raises(ValueError, match="DOCTYPE"):
        bpmn_texts(evil)
