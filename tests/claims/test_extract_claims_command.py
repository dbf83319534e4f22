"""`manage.py extract_claims FILE [--published ...] [--format json]`: candidates/1 printed."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import EntityAliasFactory, EntityFactory

pytestmark = pytest.mark.django_db

TEXT = "Sirte\u2019s defenders said on Thursday that at least 400 fighters had escaped Surt.\n"


def run(*args) -> dict:
    out = io.StringIO()
    call_command("extract_claims", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_command_prints_a_candidates_document_with_offsets_and_stored_names(tmp_path):
    sirte = EntityFactory(key="sirte", name="Sirte", normalized_name="sirte")
    EntityAliasFactory(entity=sirte, name="Surt", normalized="surt")
    path = tmp_path / "article.txt"
    path.write_text(TEXT, encoding="utf-8")
    document = run(str(path), "--published", "2015-06-26", "--format", "json")
    assert document["format"] == "candidates/1"
    thursday, escaped = document["candidates"]
    assert thursday["value"] == {
        "date": {"as_written": "Thursday", "from": "2015-06-25", "to": "2015-06-25"}
    }
    assert escaped["value"]["quantity"]["low"] == 400
    assert escaped["subject"] == {"entity": "sirte", "as_written": "Surt"}
    for candidate in document["candidates"]:
        assert TEXT[candidate["start"] : candidate["end"]] == candidate["quote"]


def test_standard_input_is_read_for_a_dash(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"In 2014, 12 men left.")))
    written = [
        (c["value"].get("quantity") or c["value"]["date"])["as_written"]
        for c in run("-")["candidates"]
    ]
    assert written == ["2014", "12"]


def test_an_empty_text_has_no_candidates(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("", encoding="utf-8")
    assert run(str(path)) == {"format": "candidates/1", "candidates": []}


def test_a_bad_publication_date_or_a_missing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(CommandError, match="--published: cannot read"):
        run(str(path), "--published", "26 June 2015")
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "missing.txt"))


def test_offsets_index_the_file_as_written_with_its_carriage_returns(tmp_path):
    text = "At least 400 fighters fled.\r\n\r\nIn May 2016, 12 more left.\r\n"
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode("utf-8"))
    candidates = run(str(path))["candidates"]
    assert len(candidates) == 3
    for candidate in candidates:
        assert text[candidate["start"] : candidate["end"]] == candidate["quote"]


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 400".encode("latin-1"))
    with pytest.raises(CommandError, match="is not UTF-8"):
        run(str(path))
