"""Board files with values of the wrong type, wrong encoding or unknown keys: a message that
names the file, the section, the key and the fix, never a traceback (examples from a fault
matrix, then random TOML values of every type in every place)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.bench.board_file import SECTIONS, load_board_file
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.cli.app import app


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('dut = "hello"\n', r"dut = 'hello' must be a table, \[dut\]"),
        ("monitor = 5\n", r"monitor = 5 must be a table"),
        ("[dut]\nport = 5\n", r'\[dut\]: port = 5 must be a string, e.g. port = "/dev/ttyACM0"'),
        ('[dut]\nport = "x"\nbaud = true\n', r"\[dut\]: baud = True; give a positive integer"),
        ('[dut]\nport = "x"\nbaud = -9600\n', r"baud = -9600"),
        ('[dut]\nport = "x"\nbaud = { energy = 0 }\n', r"baud = \{'energy': 0\}"),
        ('[io_manager]\nport = "x"\nbaud = 1.5\n', r"\[io_manager\]: baud = 1.5 must be"),
        ('[dut]\nport = "x"\n[monitor]\nkind = ["lpm01a"]\n', r"\[monitor\]: kind = \['lpm01a'\]"),
        ('[dut]\nport = "x"\n[monitor]\nport = "/dev/x"\n', r"\[monitor\]: give its kind"),
        ('[dut]\nprot = "x"\n', r"\[dut\]: unknown key 'prot'; \[dut\] takes port, baud"),
        ('[monitr]\nkind = "ppk2"\n', r"unknown section or key 'monitr'"),
        ("[dut]\n", r"board file .*: bench: give exactly one"),
    ],
)
def test_wrong_types_are_named_with_the_fix(tmp_path: Path, text: str, match: str) -> None:
    board = tmp_path / "b.toml"
    board.write_text(text)
    with pytest.raises(ConfigurationError, match=match) as caught:
        load_board_file(board)
    assert str(board) in str(caught.value)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    board = tmp_path / "b.toml"
    board.write_bytes(b'[dut]\n# caf\xe9 bench\nport = "x"\n')  # Latin-1, from an old editor
    with pytest.raises(ConfigurationError, match=r"line 2 is not UTF-8 \(byte 0xe9\).*UTF-8"):
        load_board_file(board)


def test_the_cli_prints_the_message_not_a_traceback(tmp_path: Path) -> None:
    board = tmp_path / "b.toml"
    board.write_text("monitor = 5\n")
    result = CliRunner().invoke(app, ["run", "--board", str(board), "--sessions", str(tmp_path)])
    assert result.exit_code != 0 and "must be a table" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, TypeError)
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]  # nothing run, no session made


# -- property: any TOML value anywhere gives a BenchSpec or a ConfigurationError -------------

SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(),
    st.times(),
)
MODES_KEYS = ["energy", "performance", "accuracy", "port", "kind"]
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(MODES_KEYS), inner, max_size=3),
    ),
    max_leaves=6,
)


def toml_value(value: object) -> str:
    """A TOML literal for ``value`` (an independent little writer, not the code under test)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}"
                             for c in value) + '"'  # fmt: skip
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"


PLACES = [(section, key) for section, keys in SECTIONS.items() for key in keys]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(st.sampled_from(PLACES), VALUES, min_size=1, max_size=5),
    st.sampled_from([None, *SECTIONS]),
    VALUES,
)
def test_any_value_anywhere_gives_a_bench_or_a_clear_error(
    tmp_path: Path, placed: dict, whole_section: str | None, section_value: object
) -> None:
    lines: dict[str, list[str]] = {}
    for (section, key), value in placed.items():
        lines.setdefault(section, []).append(f"{key} = {toml_value(value)}")
    text = ""
    if whole_section is not None and whole_section not in lines:
        text += f"{whole_section} = {toml_value(section_value)}\n"
    text += "".join(f"[{s}]\n" + "\n".join(body) + "\n" for s, body in lines.items())
    board = tmp_path / "b.toml"
    board.write_text(text)
    try:
        spec = load_board_file(board)
    except ConfigurationError as exc:
        assert str(board) in str(exc), str(exc)
        return
    assert isinstance(spec, BenchSpec)
    assert all(isinstance(v, int) and v > 0 for v in spec.dut_baud.values())
    assert all(isinstance(u, str) for u in (spec.dut_url, spec.io_url, spec.bench_url) if u)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "true", '"12"'])
def test_a_reply_timeout_that_is_no_time_is_refused(tmp_path: Path, value: str) -> None:
    """An infinite or NaN timeout would be a wait with no end."""
    board = tmp_path / "b.toml"
    board.write_text(f'[dut]\nport = "x"\nreply_timeout_s = {value}\n')
    with pytest.raises(ConfigurationError, match=r"reply_timeout_s = .* must be a positive"):
        load_board_file(board)
