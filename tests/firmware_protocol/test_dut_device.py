"""Device-side DUT firmware model, tested as exact (sent bytes, received bytes) pairs."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from tinyjoule.firmware_protocol.dut_device import DutFirmware, FirmwareConfig

PROFILE = b"m-profile-[ULPMark for tinyML Firmware V0.0.1]\r\n"
READY = b"m-ready\r\n"


class FakeHooks:
    """Records every hook call in order; the timer returns the given values in turn."""

    def __init__(self, timer: Iterable[int] = (), results: tuple[float, ...] = (0.25, 0.75)):
        self.out = bytearray()
        self.calls: list[tuple[object, ...]] = []
        self._timer = iter(timer) if timer else itertools.count(1000, 100)
        self.results = results

    def emit(self, data: bytes) -> None:
        self.out += data
        self.calls.append(("emit", bytes(data)))

    def read_timer_us(self) -> int:
        value = next(self._timer)
        self.calls.append(("timer", value))
        return value

    def pulse_timestamp(self) -> None:
        self.calls.append(("pulse",))

    def run_inferences(self, tensor: bytes, count: int, warmup: bool) -> tuple[float, ...]:
        self.calls.append(("run", tensor, count, warmup))
        return self.results

    def take(self) -> bytes:
        out = bytes(self.out)
        self.out.clear()
        self.calls.clear()
        return out


def booted(hooks: FakeHooks | None = None, **config: object) -> tuple[DutFirmware, FakeHooks]:
    hooks = hooks or FakeHooks()
    dut = DutFirmware(FirmwareConfig(**config), hooks)  # type: ignore[arg-type]
    dut.boot()
    hooks.take()
    return dut, hooks


def send(dut: DutFirmware, hooks: FakeHooks, data: bytes) -> bytes:
    dut.receive(data)
    return bytes(hooks.out)


# -- boot --------------------------------------------------------------------------------------


def test_boot_banner_performance() -> None:
    hooks = FakeHooks(timer=[123])
    dut = DutFirmware(FirmwareConfig(), hooks)
    assert not dut.booted
    dut.receive(b"name%")  # ignored before boot
    assert hooks.out == b""
    dut.boot()
    assert hooks.out == (
        b"m-timestamp-mode-performance\r\nm-lap-us-123\r\nm-init-done\r\nm-ready\r\n"
    )
    assert dut.booted


def test_boot_banner_energy_pulses_and_prints_vendor_lines() -> None:
    hooks = FakeHooks()
    DutFirmware(FirmwareConfig(timestamp_mode="energy", init_lines=("Initialized",)), hooks).boot()
    assert hooks.calls == [
        ("emit", b"m-timestamp-mode-energy\r\n"),
        ("pulse",),
        ("emit", b"Initialized\r\n"),
        ("emit", b"m-init-done\r\n"),
        ("emit", b"m-ready\r\n"),
    ]


# -- simple commands and every error -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        (b"name%", b"m-name-dut-[unspecified]\r\n" + READY),
        (b"name extra words%", b"m-name-dut-[unspecified]\r\n" + READY),
        (b"  name  %", b"m-name-dut-[unspecified]\r\n" + READY),  # strtok collapses spaces
        (b"name\0junk%", b"m-name-dut-[unspecified]\r\n" + READY),  # C string ends at NUL
        (b"profile%", PROFILE + b"m-model-[kws01]\r\n" + READY),
        (b"timestamp%", b"m-lap-us-1100\r\n" + READY),  # boot read 1000
        (b"results%", READY),  # no inference yet: nothing to reprint
        (b"foo%", b"e-[Unknown command: foo]\r\n" + READY),
        (b"NAME%", b"e-[Unknown command: NAME]\r\n" + READY),
        (b"name\r\n%", b"e-[Unknown command: name\r\n]\r\n" + READY),  # no CR/LF framing
        (b"%", b"e-[Unknown command: ]\r\n" + READY),  # real firmware would crash
        (b"   %", b"e-[Unknown command: ]\r\n" + READY),
        (b"infer 0%", b"e-[Inference iterations must be >0]\r\n" + READY),
        (b"infer -3 1%", b"e-[Inference iterations must be >0]\r\n" + READY),
        (b"infer abc%", b"e-[Inference iterations must be >0]\r\n" + READY),
        (b"infer 1 -1%", b"e-[Inference warmup must be >=0]\r\n" + READY),
        (b"db%", b"e-[Command 'db' requires a subcommand]\r\n" + READY),
        (b"db load%", b"e-[Command 'db load' requires the # of bytes]\r\n" + READY),
        (b"db load 0%", b"e-[Command 'db load' must be >0 bytes]\r\n" + READY),
        (b"db load x%", b"e-[Command 'db load' must be >0 bytes]\r\n" + READY),
        (b"db load 490%", b"m-[Expecting 490 bytes]\r\n" + READY),
        (b"db load 12abc%", b"m-[Expecting 12 bytes]\r\n" + READY),  # atoi stops at 'a'
        (b"db 123%", b"e-[Insufficent number of hex digits]\r\n" + READY),
        (b"db PRINT%", b"e-[Insufficent number of hex digits]\r\n" + READY),
        (b"db 0g%", b"e-[Invalid hex digit '0g']\r\n" + READY),
        (b"db LOAD%", b"e-[Invalid hex digit 'LO']\r\n" + READY),
        (b"db print%", READY),  # nothing loaded yet
    ],
)
def test_command_reply(sent: bytes, received: bytes) -> None:
    dut, hooks = booted()
    assert send(dut, hooks, sent) == received


def test_vendor_and_model_id_from_config() -> None:
    dut, hooks = booted(vendor="ACME", model_id="vww01")
    assert send(dut, hooks, b"name%profile%") == (
        b"m-name-dut-[ACME]\r\n" + READY + PROFILE + b"m-model-[vww01]\r\n" + READY
    )


def test_timestamp_in_energy_mode_only_pulses() -> None:
    dut, hooks = booted(timestamp_mode="energy")
    dut.receive(b"timestamp%")
    assert hooks.calls == [("pulse",), ("emit", READY)]


def test_help_is_free_text() -> None:
    dut, hooks = booted()
    lines = send(dut, hooks, b"help%").split(b"\r\n")
    assert lines[0] == b"ULPMark for tinyML Firmware V0.0.1"
    assert b"infer N [W=0]: Load input, execute N inferences after W warmup loops" in lines
    assert lines[-2:] == [b"m-ready", b""]
    assert not any(line.startswith((b"m-", b"e-")) for line in lines[:-2])


def test_command_is_cut_after_80_characters() -> None:
    dut, hooks = booted()
    command = b"x" * 79 + b"yz"  # 81 characters: the 'z' is lost
    assert send(dut, hooks, command + b"%") == (
        b"e-[Unknown command: " + b"x" * 79 + b"y]\r\n" + READY
    )
    hooks.take()
    assert send(dut, hooks, b"name" + b" " * 76 + b"junk%") == (
        b"m-name-dut-[unspecified]\r\n" + READY
    )


def test_commands_split_across_reads_and_batched() -> None:
    dut, hooks = booted()
    assert send(dut, hooks, b"na") == b""
    assert send(dut, hooks, b"me%timest") == b"m-name-dut-[unspecified]\r\n" + READY
    assert send(dut, hooks, b"amp%") == (
        b"m-name-dut-[unspecified]\r\n" + READY + b"m-lap-us-1100\r\n" + READY
    )


def test_reentrant_receive_runs_after_the_current_command() -> None:
    class Echo(FakeHooks):
        dut: DutFirmware

        def emit(self, data: bytes) -> None:
            super().emit(data)
            if data.startswith(b"m-name"):
                self.dut.receive(b"timestamp%")

    hooks = Echo()
    dut, _ = booted(hooks)
    hooks.dut = dut
    assert send(dut, hooks, b"name%") == (
        b"m-name-dut-[unspecified]\r\n" + READY + b"m-lap-us-1100\r\n" + READY
    )


# -- db ----------------------------------------------------------------------------------------


def test_db_load_chunks_and_load_done() -> None:
    dut, hooks = booted()
    pairs = [
        (b"db load 5%", b"m-[Expecting 5 bytes]\r\n" + READY),
        (b"db 0102%", READY),
        (b"db 03%", READY),
        (b"db 04FFeeee%", b"m-load-done\r\n" + READY),  # digits after byte 5 are dropped
    ]
    for sent, received in pairs:
        assert send(dut, hooks, sent) == received
        hooks.take()
    assert dut.tensor == b"\x01\x02\x03\x04\xff"
    assert dut.expected_bytes == 5


def test_db_writes_continue_past_n_without_a_second_load_done() -> None:
    dut, hooks = booted()
    dut.receive(b"db load 2%db 0102%")
    hooks.take()
    assert send(dut, hooks, b"db 0304%") == READY
    hooks.take()
    assert dut.tensor == b"\x01\x02"
    assert send(dut, hooks, b"db print%") == b"m-buffer-01-02\r\n\r\n" + READY


def test_db_load_resets_the_write_pointer() -> None:
    dut, hooks = booted()
    dut.receive(b"db load 2%db 0a0b%db load 2%db 0c%")
    assert dut.tensor == b"\x0c"
    hooks.take()
    assert send(dut, hooks, b"db 0d%") == b"m-load-done\r\n" + READY
    assert dut.tensor == b"\x0c\x0d"


def test_db_invalid_hex_keeps_the_bytes_before_it() -> None:
    dut, hooks = booted()
    dut.receive(b"db load 3%")
    hooks.take()
    assert send(dut, hooks, b"db 01zz02%") == b"e-[Invalid hex digit 'zz']\r\n" + READY
    assert dut.tensor == b"\x01"


def test_db_load_over_maximum_warns_with_lf_only_and_keeps_the_size() -> None:
    dut, hooks = booted(max_db_input_size=4)
    assert send(dut, hooks, b"db load 6%") == (
        b"Supplied buffer size 6 exceeds maximum of 4\n" + READY
    )
    hooks.take()
    assert dut.expected_bytes == 6
    assert send(dut, hooks, b"db 010203040506%") == b"m-load-done\r\n" + READY
    assert dut.tensor == bytes([1, 2, 3, 4, 5, 6])


def test_db_load_negative_wraps_as_size_t() -> None:
    dut, hooks = booted()
    assert send(dut, hooks, b"db load -1%") == (
        b"Supplied buffer size -1 exceeds maximum of 27648\n" + READY
    )
    assert dut.expected_bytes == 0xFFFFFFFF


@pytest.mark.parametrize(
    ("data", "dump"),
    [
        (bytes(range(8)), b"m-buffer-00-01-02-03-04-05-06-07\r\n"),
        (
            bytes(range(10)),
            b"m-buffer-00-01-02-03-04-05-06-07\r\nm-buffer-08-09\r\n\r\n",
        ),
        (b"\xab", b"m-buffer-ab\r\n\r\n"),
    ],
)
def test_db_print_eight_bytes_per_line(data: bytes, dump: bytes) -> None:
    dut, hooks = booted()
    dut.receive(f"db load {len(data)}%db {data.hex()}%".encode())
    hooks.take()
    assert send(dut, hooks, b"db print 16 0%") == dump + READY


def test_db_print_shows_unwritten_bytes_as_zero() -> None:
    dut, hooks = booted()
    dut.receive(b"db load 3%db ff%")
    hooks.take()
    assert send(dut, hooks, b"db print%") == b"m-buffer-ff-00-00\r\n\r\n" + READY


# -- infer -------------------------------------------------------------------------------------


def test_infer_3_2_full_sequence() -> None:
    hooks = FakeHooks(timer=[7, 1000, 5000])
    dut, _ = booted(hooks)
    dut.receive(b"db load 2%db beef%")
    hooks.take()
    dut.receive(b"infer 3 2%")
    tensor = b"\xbe\xef"
    assert hooks.calls == [
        ("emit", b"m-warmup-start-2\r\n"),
        ("run", tensor, 2, True),
        ("emit", b"m-warmup-done\r\n"),
        ("emit", b"m-infer-start-3\r\n"),
        ("timer", 1000),
        ("emit", b"m-lap-us-1000\r\n"),
        ("run", tensor, 3, False),
        ("timer", 5000),
        ("emit", b"m-lap-us-5000\r\n"),
        ("emit", b"m-infer-done\r\n"),
        ("emit", b"m-results-[0.250,0.750]\r\n"),
        ("emit", READY),
    ]
    assert dut.loaded_tensor == tensor
    assert dut.last_results == (0.25, 0.75)
    hooks.take()
    assert send(dut, hooks, b"results%") == b"m-results-[0.250,0.750]\r\n" + READY


def test_infer_defaults_and_zero_warmup() -> None:
    dut, hooks = booted()
    dut.receive(b"infer%")
    assert [c[2:] for c in hooks.calls if c[0] == "run"] == [(10, True), (1, False)]
    hooks.take()
    dut.receive(b"infer 5%")
    assert [c[2:] for c in hooks.calls if c[0] == "run"] == [(10, True), (5, False)]
    hooks.take()
    dut.receive(b"infer 4 0%")
    assert [c[2:] for c in hooks.calls if c[0] == "run"] == [(4, False)]
    assert b"m-warmup-start-0\r\nm-warmup-done\r\n" in hooks.out


def test_infer_in_energy_mode_pulses_twice() -> None:
    dut, hooks = booted(timestamp_mode="energy")
    dut.receive(b"infer 2 0%")
    kinds = [c[0] if c[0] != "emit" else c[1] for c in hooks.calls]
    assert kinds == [
        b"m-warmup-start-0\r\n",
        b"m-warmup-done\r\n",
        b"m-infer-start-2\r\n",
        "pulse",
        "run",
        "pulse",
        b"m-infer-done\r\n",
        b"m-results-[0.250,0.750]\r\n",
        READY,
    ]


def test_results_trailing_comma_and_decimals() -> None:
    dut, hooks = booted(FakeHooks(results=(0.1, 0.9)), results_trailing_comma=True)
    dut.receive(b"infer 1 0%")
    assert b"m-results-[0.100,0.900,]\r\n" + READY in hooks.out
    dut, hooks = booted(FakeHooks(results=(1 / 3,)), results_decimals=5)
    dut.receive(b"infer 1 0%")
    assert b"m-results-[0.33333]\r\n" + READY in hooks.out


def test_tensor_size_mismatch_warns_and_runs_on_the_previous_tensor() -> None:
    dut, hooks = booted(expected_input_bytes=4)
    dut.receive(b"db load 2%db 0102%")
    hooks.take()
    dut.receive(b"infer 1 0%")
    assert hooks.out.startswith(b"Input db has 2 elemented, expected 4\nm-warmup-start-0\r\n")
    assert ("run", bytes(4), 1, False) in hooks.calls  # zeroed input after reset
    dut.receive(b"db load 4%db 0a0b0c0d%db load 4%db 01%")
    hooks.take()
    dut.receive(b"infer 1 0%")
    assert ("run", bytes(4), 1, False) in hooks.calls
    dut.receive(b"db load 4%db 0a0b0c0d%")
    hooks.take()
    dut.receive(b"infer 1 0%")
    assert not hooks.out.startswith(b"Input")
    assert ("run", b"\x0a\x0b\x0c\x0d", 1, False) in hooks.calls
    dut.receive(b"db load 4%db 01%")
    hooks.take()
    dut.receive(b"infer 1 0%")
    assert hooks.out.startswith(b"Input db has 1 elemented, expected 4\n")
    assert ("run", b"\x0a\x0b\x0c\x0d", 1, False) in hooks.calls
    assert dut.loaded_tensor == b"\x0a\x0b\x0c\x0d"


def test_tensor_size_mismatch_counts_elements() -> None:
    dut, hooks = booted(expected_input_bytes=8, input_element_bytes=4)  # float32 input (AD)
    dut.receive(b"db load 8%db 00000000%")
    hooks.take()
    dut.receive(b"infer 1 0%")
    assert hooks.out.startswith(b"Input db has 1 elemented, expected 2\n")


def test_lap_counter_is_32_bits() -> None:
    hooks = FakeHooks(timer=[0, (1 << 32) + 5])
    dut, _ = booted(hooks)
    assert send(dut, hooks, b"timestamp%") == b"m-lap-us-5\r\n" + READY


def test_boot_again_resets_everything() -> None:
    dut, hooks = booted()
    dut.receive(b"db load 2%db 0102%infer 1 0%na")
    dut.boot()
    hooks.take()
    assert dut.tensor == b"" and dut.expected_bytes == 0 and dut.last_results is None
    assert send(dut, hooks, b"me%") == b"e-[Unknown command: me]\r\n" + READY


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"timestamp_mode": "fast"}, "timestamp_mode"),
        ({"max_db_input_size": 0}, "max_db_input_size"),
        ({"expected_input_bytes": 0}, "expected_input_bytes"),
        ({"results_decimals": -1}, "results_decimals"),
        ({"input_element_bytes": 0}, "input_element_bytes"),
        ({"vendor": "a\r\nb"}, "vendor"),
        ({"init_lines": ("ok", "bad\n")}, r"init_lines\[1\]"),
    ],
)
def test_firmware_config_validation(config: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        FirmwareConfig(**config)  # type: ignore[arg-type]
