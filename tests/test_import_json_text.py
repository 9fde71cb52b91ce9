"""Valid JSON with non-ASCII text imports as written: `json.dump`'s default \\u escapes
(emoji as surrogate pairs), UTF-8 with a byte-order mark, and raw UTF-8, including the
characters YAML folds or refuses (NEL, C1 controls, U+2028)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from predictions.importing import ImportProblems, import_path
from predictions.models import Prediction, Speaker

pytestmark = pytest.mark.django_db

CLAIM = "Zürich → 東京 by 2030 🚀, naïvely «soon»"
# What YAML, reading JSON as YAML, turns into a space (NEL), refuses (C1 controls, U+FFFE...)
# or splits a surrogate pair into.
AWKWARD = "next\u0085line, \u2028separator, \u009f control, 𝔘nicode"


def document(claim: str = CLAIM, criteria: str = "It visibly happens.") -> dict:
    return {
        "speakers": [{"slug": "zoe", "name": "Zoë Åberg-Łukasiewicz"}],
        "sources": [{"slug": "talk", "title": "Ein Vortrag über KI", "published_on": "2026-03-01"}],
        "predictions": [
            {
                "key": "one",
                "source": "talk",
                "speaker": "zoe",
                "claim": claim,
                "horizon": "near",
                "resolution_criteria": criteria,
            }
        ],
    }


def imported(path: Path) -> Prediction:
    import_path(path)
    return Prediction.objects.select_related("speaker", "source").get(key="one")


def test_json_dump_with_its_default_ascii_escapes_imports(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    with path.open("w") as handle:
        json.dump(document(criteria=AWKWARD), handle)  # ensure_ascii=True: \u00fc, \ud83d\ude80
    assert "\\ud83d\\ude80" in path.read_text()
    p = imported(path)
    assert (p.claim, p.resolution_criteria) == (CLAIM, AWKWARD)
    assert p.speaker.name == "Zoë Åberg-Łukasiewicz"
    assert p.source.title == "Ein Vortrag über KI"


def test_utf8_json_with_a_byte_order_mark_imports(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document(criteria=AWKWARD), ensure_ascii=False).encode())
    p = imported(path)
    assert (p.claim, p.resolution_criteria) == (CLAIM, AWKWARD)
    assert Speaker.objects.get().slug == "zoe"  # no BOM glued to anything


def test_a_yaml_file_with_a_byte_order_mark_imports(tmp_path: Path) -> None:
    path = tmp_path / "file.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document(), ensure_ascii=False, indent=2).encode())
    assert imported(path).claim == CLAIM


def test_raw_utf8_json_imports_as_written(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_text(json.dumps(document(criteria=AWKWARD), ensure_ascii=False), encoding="utf-8")
    p = imported(path)
    assert (p.claim, p.resolution_criteria) == (CLAIM, AWKWARD)


def test_json_in_a_file_not_named_json_is_read_as_json(tmp_path: Path) -> None:
    path = tmp_path / "predictions.txt"
    path.write_text(json.dumps(document(criteria=AWKWARD)), encoding="utf-8")
    assert imported(path).resolution_criteria == AWKWARD


def test_a_lone_surrogate_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_text(json.dumps(document(claim="half a pair: \ud83d")), encoding="utf-8")
    with pytest.raises(ImportProblems) as refused:
        import_path(path)
    assert refused.value.problems == [
        f"{path}: contains an unpaired surrogate (\\ud83d), which is not a character; "
        "write the character itself (JSON may escape it as both halves of its pair)."
    ]
    assert not Prediction.objects.exists()


def test_bad_json_in_a_json_file_says_where(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_text('{"speakers": [],\n "sources": [}', encoding="utf-8")
    with pytest.raises(ImportProblems) as refused:
        import_path(path)
    (problem,) = refused.value.problems
    assert problem.startswith(f"{path}: not valid JSON (") and "line 2" in problem
