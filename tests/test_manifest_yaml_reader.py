"""Strict YAML reads what means the same in YAML 1.1 and 1.2, with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestErrors
from reconciler.manifest.yaml_reader import read_document


def read(tmp_path: Path, text: str) -> tuple[object, dict[str, int]]:
    path = tmp_path / "doc.yaml"
    path.write_text(text)
    document = read_document(path, "doc.yaml")
    return document.data, document.lines


def test_plain_values_read_as_json_types(tmp_path: Path) -> None:
    data, _ = read(
        tmp_path,
        "a: true\nb: False\nc: 42\nd: -7\ne: 0.5\nf: 1e3\ng: 0\n"
        "h: some text\ni: https://example.com/x\nj: 24h\n",
    )

    assert data == {
        "a": True,
        "b": False,
        "c": 42,
        "d": -7,
        "e": 0.5,
        "f": 1000.0,
        "g": 0,
        "h": "some text",
        "i": "https://example.com/x",
        "j": "24h",
    }


def test_quoted_and_str_tagged_values_stay_text(tmp_path: Path) -> None:
    data, _ = read(
        tmp_path,
        "a: 'yes'\nb: \"0755\"\nc: !!str 2024-01-01\nd: |\n  on\n  off\n",
    )

    assert data == {"a": "yes", "b": "0755", "c": "2024-01-01", "d": "on\noff\n"}


def test_keys_are_taken_as_written(tmp_path: Path) -> None:
    data, _ = read(tmp_path, "on: 1\nyes: 2\n200: 3\nnull: 4\n")

    assert data == {"on": 1, "yes": 2, "200": 3, "null": 4}


def test_every_value_has_the_line_of_its_key_or_item(tmp_path: Path) -> None:
    _, lines = read(
        tmp_path,
        "a:\n  b: 1\n  c:\n    - x\n    - y: 2\nd/e~f: 3\n",
    )

    assert lines == {
        "/a": 1,
        "/a/b": 2,
        "/a/c": 3,
        "/a/c/0": 4,
        "/a/c/1": 5,
        "/a/c/1/y": 5,
        "/d~1e~0f": 6,
    }


def test_anchors_and_aliases_are_expanded(tmp_path: Path) -> None:
    data, lines = read(
        tmp_path,
        "base: &hook\n  hook: session\nlogin:\n  - *hook\nregistration:\n  - *hook\n",
    )

    assert data == {
        "base": {"hook": "session"},
        "login": [{"hook": "session"}],
        "registration": [{"hook": "session"}],
    }
    # An aliased item is written where the list uses it.
    assert lines["/registration/0"] == 5


def test_alias_expansion_below_the_limit_is_read(tmp_path: Path) -> None:
    # 10 x 10 x 10 = 1,000 values: ordinary reuse, far below the limit.
    data, _ = read(
        tmp_path,
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
    )

    assert isinstance(data, dict)
    assert sum(len(inner) for outer in data["c"] for inner in outer) == 1_000


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: Café\n".encode())

    assert read_document(path, "bom.yaml").data == {"name": "Café"}


def test_every_trap_in_a_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ManifestErrors) as raised:
        read(tmp_path, "a: yes\nb: ok\nc: 012\nd: 1_000\ne: .nan\n")

    assert [str(error) for error in raised.value.errors] == [
        "doc.yaml:1: /a: unquoted yes is a boolean in YAML 1.1 and a string in "
        "YAML 1.2; write true/false, or quote the string",
        "doc.yaml:3: /c: 012 has a leading zero and reads as an octal number in "
        "YAML 1.1; quote it, or write the number without the zero",
        "doc.yaml:4: /d: 1_000 is not a plain decimal number and YAML versions "
        "read it differently; quote it, or write a decimal number",
        "doc.yaml:5: /e: .nan is not a plain decimal number and YAML versions "
        "read it differently; quote it, or write a decimal number",
    ]


def test_tabs_and_newlines_are_kept_written_raw_or_as_escapes(tmp_path: Path) -> None:
    data, _ = read(tmp_path, 'a: "one\\ttwo\\nthree"\nb: "raw\ttab"\n')

    assert data == {"a": "one\ttwo\nthree", "b": "raw\ttab"}


@pytest.mark.parametrize(
    ("raw", "code", "kind"),
    [
        ("\x85", "0085", "a line break in YAML 1.1 only"),
        ("\u2028", "2028", "a line break in YAML 1.1 only"),
        ("\x9b", "009b", "a control character"),
        ("\x7f", "007f", "a control character"),
    ],
)
def test_a_character_yaml_versions_read_differently_is_an_error(
    tmp_path: Path, raw: str, code: str, kind: str
) -> None:
    with pytest.raises(ManifestErrors) as raised:
        read(tmp_path, f"a: 1\nb: x{raw}y\n")

    assert str(raised.value) == (
        f"doc.yaml:2: character #x{code} ({kind}) is not allowed in a manifest"
    )


def test_a_syntax_error_after_carriage_returns_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(b"a: 1\rb: [\r")

    with pytest.raises(ManifestErrors) as raised:
        read_document(path, "doc.yaml")

    assert str(raised.value) == (
        "doc.yaml:3: invalid YAML: did not find expected node content "
        "(while parsing a flow node at line 3)"
    )


def test_a_number_too_large_for_a_float_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestErrors) as raised:
        read(tmp_path, "a: 1e308\nb: -1e400\n")

    assert str(raised.value) == "doc.yaml:2: /b: -1e400 is too large a number"
