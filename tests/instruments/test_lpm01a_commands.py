"""LPM01A command framing: encoding, number syntax, rate limits and reply parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import ConfigurationError
from tinyjoule.firmware_protocol import lpm01a_commands as c


def test_encode_ends_with_the_terminator() -> None:
    assert c.TERMINATOR == b"\n"
    assert c.encode('lcd 1 "tinyjoule"') == b'lcd 1 "tinyjoule"\n'
    for bad in ("", "  ", "htc\nhrc", "volt\t3"):
        with pytest.raises(ValueError):
            c.encode(bad)


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3.0), ("1800m", 1.8), ("100u", 1e-4), ("1k", 1000.0), ("2-3", 0.002),
     ("15+2", 1500.0), ("100n", 1e-7), ("0", 0.0), ("inf", float("inf"))],
)  # fmt: skip
def test_parse_number(text: str, value: float) -> None:
    assert c.parse_number(text) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["", "1.8", "m", "3x", "1-123", "-3"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        c.parse_number(text)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**6), st.integers(-9, 3))
def test_format_number_round_trips(digits: int, power: int) -> None:
    value = digits * 10.0**power
    assert c.parse_number(c.format_number(value)) == pytest.approx(value, rel=1e-9, abs=1e-15)


def test_volt_freq_acqtime_arguments() -> None:
    assert c.format_volt(1.8) == "1800m"
    assert c.format_volt(3.3) == "3300m"
    assert c.format_volt(2.5) == "2500m"
    assert c.format_freq(1000.0) == "1k"
    assert c.format_freq(100000) == "100k"
    assert c.format_freq(500) == "500"
    assert c.format_acqtime(None) == "inf"
    assert c.format_acqtime(0) == "inf"
    assert c.format_acqtime(0.5) == "500m"
    assert c.format_acqtime(10) == "10"


def test_out_of_range_settings_name_the_limit_and_the_fix() -> None:
    with pytest.raises(ConfigurationError, match=r"LPM01A \(/dev/x\).*1.8-3.3 V"):
        c.format_volt(3.4, "LPM01A (/dev/x)")
    with pytest.raises(ConfigurationError, match=r"100k, 50k, 20k, 10k, 5k, 2k, 1k, 500"):
        c.format_freq(3000)
    with pytest.raises(ConfigurationError, match="bin_hexa"):
        c.check_rate("ascii_dec", "current", 10000, "LPM01A (x)")
    with pytest.raises(ConfigurationError, match="10000"):
        c.check_rate("bin_hexa", "energy", 20000)
    with pytest.raises(ConfigurationError, match="ascii_dec"):
        c.check_rate("csv", "energy", 1000)
    c.check_rate("bin_hexa", "current", 100000)
    c.check_rate("ascii_dec", "energy", 5000)


def test_reply_parsing() -> None:
    assert c.parse_reply("ack htc") == c.Reply("ack", "htc", "htc")
    version = c.parse_reply("ack version 1.0.7")
    assert version is not None and version.value("version") == "1.0.7"
    volt = c.parse_reply("ack volt 1800m")
    assert volt is not None and volt.value("volt 1800m") == ""
    assert c.parse_reply("error pwr off") == c.Reply("error", "pwr", "pwr off")
    assert c.parse_reply("Error detail: value out of range") == c.Reply(
        "detail", "", "value out of range"
    )
    assert c.parse_reply("error: buffer overrun") is None
    assert c.parse_reply("ack") is None
    assert c.parse_reply("acknowledged htc") is None


def test_stream_errors_are_told_from_replies() -> None:
    assert c.is_stream_error("error: buffer overrun, acquisition stopped")
    assert c.is_stream_error("overrun")
    assert not c.is_stream_error("error pwr off")
    assert not c.is_stream_error("Error detail: argument out of range")
    assert "bin_hexa" in c.stream_error_fix("overrun")


def test_text_segments_split_glued_prompts() -> None:
    assert c.text_segments(b"\x00PowerShield > ack htc\r") == ["ack htc"]
    assert c.text_segments(b"3393PowerShield > ack stop") == ["3393", "ack stop"]
    assert c.text_segments(b"PowerShield > ") == []
    assert c.text_segments(b"\r") == []


def test_refusal_names_device_command_both_texts_and_fix() -> None:
    reply = c.Reply("error", "pwr", "pwr off")
    error = c.refusal("LPM01A (COM3)", "pwr off", reply, "command not supported")
    text = str(error)
    assert "LPM01A (COM3)" in text and "'pwr off'" in text
    assert "error pwr off" in text and "command not supported" in text and "1.0.6" in text
