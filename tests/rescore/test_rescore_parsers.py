"""Parsers: results.txt in both runners' forms (energy and performance mode), timestamps, the
energy trace and the EEMBC log."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.host.rescore.eembc_files import edge_index, read_energy_bin, read_timestamps
from tinyjoule.host.rescore.eembc_log import parse_eembc_log
from tinyjoule.host.rescore.published_txt import parse_performance_txt, parse_results_txt
from tinyjoule.host.rescore.records import FolderError

WINDOW = st.tuples(
    st.floats(1.0, 5e6, allow_nan=False),  # energy uJ
    st.floats(0.05, 1000.0, allow_nan=False),  # duration s
    st.integers(1, 100_000),  # inferences
)


def eembc_text(windows: list[tuple[float, float, int]]) -> str:
    """The EEMBC runner's format strings, as in the published results.txt."""
    h = "00245.273 ulp-ml:"
    lines, perf, per_inf = [], [], []
    for i, (energy, seconds, n) in enumerate(windows):
        k = 2 * (i + 1)
        per_inf.append(energy / n)
        lines += [
            f"{h} Energy data for window {k} at time {3.0 * k:.2f} for {seconds:.2f} sec.:",
            f"{h}   Energy       : {energy:12.3f} uJ",
            f"{h}   Power        : {energy / seconds:12.3f} uW",
            f"{h}   Energy/Inf.  : {energy / n:12.3f} uJ/inf.",
        ]
        ok = seconds >= 10 and n >= 10
        perf += [
            f"{h} Performance results for window {k}:",
            f"{h}   # Inferences : {n:12d}",
            f"{h}   Runtime      : {seconds:12.3f} sec.",
            f"{h}   Throughput   : {n / seconds:12.3f} inf./sec.",
            f"{h} "
            + (
                "Runtime requirements have been met."
                if ok
                else "e-[The run must take at least 10 seconds and 10 iterations to be valid]"
            ),
        ]
    rule = f"{h} ---------------------------------------------------------"
    median = f"{h} Median energy cost is {statistics.median(per_inf):.3f} uJ/inf."
    return "\n".join([*lines, rule, median, rule, *perf]) + "\n"


def mlcommons_text(windows: list[tuple[float, float, int]]) -> str:
    lines, per_inf = ["Power Edition Output"], []
    for i, (energy, seconds, n) in enumerate(windows):
        per_inf.append(energy / n)
        warn = "" if seconds >= 10.0 else "  <<<< below minimum duration"
        lines += [
            f"Energy data for trial {i}",
            f"  Elapsed time  : {seconds}{warn}",
            f"  Inferences    : {n}",
            f"  Power         : {energy / seconds / 1e3:5.4f} mW.",
            f"  Total Energy  : {energy:.3f} uJ",
            f"  Energy/Inf    : {energy / n:.3f} uJ/inf",
        ]
    rule = "-" * 57
    lines += [rule, f"Median energy cost is {statistics.median(per_inf):5.4f} uJ/inf.", rule]
    return "\r\n".join(lines) + "\r\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(WINDOW, min_size=1, max_size=7))
def test_eembc_results_txt_round_trip(tmp_path_factory, windows) -> None:
    path = tmp_path_factory.mktemp("txt") / "results.txt"
    path.write_text(eembc_text(windows))
    parsed = parse_results_txt(path)
    assert parsed.form == "eembc"
    assert [w.number for w in parsed.windows] == [2 * (i + 1) for i in range(len(windows))]
    for w, (energy, seconds, n) in zip(parsed.windows, windows, strict=True):
        assert w.energy_uj == pytest.approx(energy, abs=0.00051)  # printed to 3 decimals
        assert w.inferences == n
        assert w.power_mw == pytest.approx(energy / seconds / 1e3, abs=1e-6)
        assert w.runner_valid is (seconds >= 10 and n >= 10)
    median = statistics.median([e / n for e, _, n in windows])
    assert parsed.median_uj_per_inference == pytest.approx(median, abs=0.00051)


@settings(max_examples=60, deadline=None)
@given(st.lists(WINDOW, min_size=1, max_size=7))
def test_mlcommons_results_txt_round_trip(tmp_path_factory, windows) -> None:
    path = tmp_path_factory.mktemp("txt") / "results.txt"
    path.write_bytes(mlcommons_text(windows).encode())
    parsed = parse_results_txt(path)
    assert parsed.form == "mlcommons"
    for w, (energy, seconds, n) in zip(parsed.windows, windows, strict=True):
        assert w.energy_uj == pytest.approx(energy, abs=0.00051)  # printed to 3 decimals
        assert w.duration_s == seconds and w.inferences == n
        assert w.runner_valid is (seconds >= 10.0)


def test_unknown_results_txt_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "results.txt"
    path.write_text("0001.000 ulp-mlperf: Median throughput is 23.175 inf./sec.\n")
    with pytest.raises(FolderError, match=r"results\.txt.*no form tinyjoule knows"):
        parse_results_txt(path)


def test_results_txt_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "results.txt"
    text = eembc_text([(546509.7, 12.951, 300)] * 5)
    path.write_text(text[: text.index("Median")])
    with pytest.raises(FolderError, match="no 'Median energy cost"):
        parse_results_txt(path)
    lines = eembc_text([(546509.7, 12.951, 300)]).splitlines()
    path.write_text("\n".join(line for line in lines if "Power " not in line))
    with pytest.raises(FolderError, match=r"window 2 .*no power_uw"):
        parse_results_txt(path)


PERFORMANCE_RUN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "published"
PERFORMANCE_RUN = PERFORMANCE_RUN / "mlcommons_v1.3_st_nucleo_l4r5zi-p_kws_performance"
# at least 0.01 inf/s: a throughput printed as 0.000 is a damaged file to the parser, rightly
PERF_WINDOW = st.tuples(st.integers(1, 100_000), st.floats(0.01, 5000.0, allow_nan=False)).filter(
    lambda w: w[0] / w[1] >= 0.01
)


def performance_text(windows: list[tuple[int, float]], form: str, median: bool = True) -> str:
    """Both runners' performance-mode summaries (the MLCommons one as in the published file)."""
    lines = []
    for i, (n, runtime) in enumerate(windows, 1):
        if form == "mlcommons":
            lines += [f"Performance results for window {i}", f"    # Inferences : {n}",
                      f"    Runtime: {runtime:.6f} sec.",
                      f"    Throughput: {n / runtime!r} inf./sec.",
                      "    Runtime requirements have been met."]  # fmt: skip
        else:
            h = "00035.938 ulp-mlperf:"
            lines += [f"{h} Performance results for window {i}:", f"{h}   # Inferences : {n:12d}",
                      f"{h}   Runtime      : {runtime:12.3f} sec.",
                      f"{h}   Throughput   : {n / runtime:12.3f} inf./sec."]  # fmt: skip
    rates = [n / r for n, r in windows]
    if median:
        median_line = f"Median throughput is {statistics.median(rates):10.3f} inf./sec."
        lines.append(f"0726.010245 ulp-mlperf: {median_line}")
    return "\r\n".join(lines) + "\r\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(PERF_WINDOW, min_size=1, max_size=7), st.sampled_from(["mlcommons", "eembc"]),
       st.booleans())  # fmt: skip
def test_performance_results_txt_round_trip(tmp_path_factory, windows, form, median) -> None:
    path = tmp_path_factory.mktemp("perf") / "results.txt"
    path.write_bytes(performance_text(windows, form, median).encode())
    parsed = parse_performance_txt(path)
    assert [w.number for w in parsed.windows] == list(range(1, len(windows) + 1))
    digits = 6 if form == "mlcommons" else 3
    for w, (n, runtime) in zip(parsed.windows, windows, strict=True):
        assert w.inferences == n and w.runtime_s == pytest.approx(runtime, abs=10**-digits)
    if median:
        expected = statistics.median(n / r for n, r in windows)
        assert parsed.median_throughput_ips == pytest.approx(expected, abs=0.0005)
    else:  # no median line: the median of the printed windows
        rates = [w.inferences / w.runtime_s for w in parsed.windows]
        assert parsed.median_throughput_ips == pytest.approx(statistics.median(rates))


def test_published_performance_results_txt() -> None:
    if not PERFORMANCE_RUN.is_dir():
        pytest.skip(f"{PERFORMANCE_RUN} is not there (the shared data sits next to the checkout)")
    parsed = parse_performance_txt(PERFORMANCE_RUN / "results.txt")
    assert parsed.median_throughput_ips == 23.032
    assert [(w.inferences, w.runtime_s) for w in parsed.windows] == [
        (250, 10.862042), (250, 10.854678), (250, 10.847215), (250, 10.862036), (250, 10.836234)
    ]  # fmt: skip
    with pytest.raises(FolderError, match=r"log\.txt.*lists a window twice"):
        parse_performance_txt(PERFORMANCE_RUN / "log.txt")


def test_energy_results_txt_is_not_a_performance_one(tmp_path: Path) -> None:
    path = tmp_path / "results.txt"
    path.write_text(eembc_text([(546509.7, 12.951, 300)] * 5))  # has performance blocks too
    with pytest.raises(FolderError, match=r"results\.txt.*not a performance-mode results\.txt"):
        parse_performance_txt(path)
    lines = performance_text([(250, 10.86)], "mlcommons").splitlines()
    path.write_text("\n".join(line for line in lines if "Runtime:" not in line))
    with pytest.raises(FolderError, match=r"window 1 .*no runtime_s"):
        parse_performance_txt(path)


ms_times = st.lists(st.integers(0, 3_600_000), min_size=1, max_size=40).map(
    lambda xs: [x / 1000 for x in sorted(xs)]
)


@settings(max_examples=100, deadline=None)
@given(ms_times, st.sampled_from([1000.0, 100.0, 10_000.0]))
def test_timestamps_round_trip_and_edge_index(tmp_path_factory, times, fs) -> None:
    path = tmp_path_factory.mktemp("ts") / "trace1-timestamps.json"
    path.write_text(json.dumps(times, indent="\t"))
    assert read_timestamps(path) == times
    for t in times:  # ms-rounded times never fall a sample short through float error
        assert edge_index(t, fs) == round(t * 1000) * fs // 1000 + 1


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[0.019, 2.77", "not valid JSON"),
        ('{"a": 1}', "list of edge times"),
        ("[0.019, -1.0]", "negative"),
        ("[2.77, 0.019]", "out of order"),
    ],
)
def test_bad_timestamps(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "trace1-timestamps.json"
    path.write_text(text)
    with pytest.raises(FolderError, match=match):
        read_timestamps(path)


def _bin(samples: np.ndarray, magic: int = 0xF1, rate: float = 1000.0) -> bytes:
    return bytes([magic]) + np.float32(rate).tobytes() + samples.astype("<f4").tobytes()


def test_energy_bin(tmp_path: Path) -> None:
    path = tmp_path / "trace1-energy.bin"
    path.write_bytes(_bin(np.arange(10, dtype=np.float32)))
    rate, samples = read_energy_bin(path)
    assert rate == 1000.0 and samples.tolist() == list(range(10))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\xf1\x00", "truncated"),
        (_bin(np.ones(10))[:-2], "stray bytes"),
        (_bin(np.ones(10), magic=0x00), "not an EEMBC energy trace"),
        (_bin(np.ones(10), rate=float("nan")), "sample rate"),
        (_bin(np.array([1.0, np.nan, 2.0])), "NaN"),
    ],
)
def test_corrupt_energy_bin(tmp_path: Path, data: bytes, match: str) -> None:
    path = tmp_path / "trace1-energy.bin"
    path.write_bytes(data)
    with pytest.raises(FolderError, match=match) as info:
        read_energy_bin(path)
    assert "trace1-energy.bin" in str(info.value)


def test_eembc_log(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text(
        "00168.982 parser: m-bm-cfg-name[ulp-ml]-key[iterInfer]-val[300]\n"
        "00168.982 parser: m-bm-cfg-name[ulp-ml]-key[model]-val[kws01]\n"
        '00170.263 parser: Command "bloadp "C:\\data\\kws01\\tst_0.bin""\n'
        "00171.903 io: m-dut-passthrough(infer 300 1)\n"
        "00172.001 io: [dut]: m-infer-start-300\n"
        "00184.975 io: [dut]: m-infer-done\n"
        "00245.223 emon: m-regfile-fn[trace1-energy.bin]-type[emon]-name[lpm01a]\n"
        "00245.233 emon: m-voltage-mv[3300]\n"
        "garbage line\n"
    )
    log = parse_eembc_log(path)
    (run,) = log.runs
    assert (run.start_s, run.done_s, run.iterations, run.warmups) == (172.001, 184.975, 300, 1)
    assert run.input_name == "tst_0.bin"
    assert log.voltage_v == 3.3 and log.workload == "kws01" and log.traces == ("trace1",)
