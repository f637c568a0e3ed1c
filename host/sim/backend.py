"""The simulator as a bench backend: ``sim://`` URLs and ``sim:KIND`` monitors.

Registered in ``host.backends`` like any third-party backend. ``open_bench`` builds a
``SimulatedBench`` for the workload and mode of the run (as if its firmware had just been
flashed), with the options and faults of the URL (``sim.config``), registers it so its
ports open as ``sim://benchN/dut``, ``/io`` and ``/monitor``, and hands the runner the
bench's virtual clock and its exact truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.bench.opening import BenchRequest, OpenedBench
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.sim import protocol_sim
from tinyjoule.host.sim.config import parse_sim_url
from tinyjoule.host.sim.instrument_errors import InstrumentErrors
from tinyjoule.host.sim.references import SimulatedReferences
from tinyjoule.host.sim.simulated_bench import SimulatedBench


class SimBackend:
    scheme = "sim"
    serial_handler_package = "tinyjoule.host.sim"

    @staticmethod
    @contextmanager
    def open_bench(spec: BenchSpec, request: BenchRequest) -> Iterator[OpenedBench]:
        assert spec.bench_url is not None
        options = parse_sim_url(spec.bench_url)
        monitor = request.monitor
        if monitor is not None and not monitor.simulated:
            raise ConfigurationError(
                f"--monitor {monitor.label} measures a real board; give its port with "
                "--dut/--io or --board, or use --monitor sim:"
                f"{monitor.kind} on the simulated bench"
            )
        config = options.config(
            request.workload.id,
            request.mode,
            monitor.kind if monitor is not None else None,
            request.model_path,
            monitor.options if monitor is not None else (),
        )
        bench = SimulatedBench(config)
        name = protocol_sim.register_bench(bench)
        io_kind = config.io_manager
        port = protocol_sim.bench_url(name, "dut" if io_kind is None else "io")
        link = (
            BenchSpec(dut_url=port) if io_kind is None else BenchSpec(io_url=port, io_kind=io_kind)
        )
        monitor_url = None
        references = None
        if monitor is not None:
            seed = InstrumentErrors.from_options(monitor.options).seed
            references = SimulatedReferences(bench, config.profile.seed if seed is None else seed)
            monitor_url = (
                protocol_sim.bench_url(name, "monitor") if "monitor" in bench.ports else ""
            )
        try:
            yield OpenedBench(
                link=link,
                monitor_url=monitor_url,
                clock=bench.clock,
                simulated=True,
                truth=bench,
                monitor_options=bench.monitor_driver_options(),
                references=references,
                description={
                    "bench": spec.bench_url,
                    "board": config.profile.name,
                    "io_manager": io_kind,
                    "monitor": None if monitor is None else monitor.label,
                },
            )
        finally:
            protocol_sim.unregister_bench(name)
