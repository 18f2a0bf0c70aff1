"""CPU time the HTTP client spends reading responses: a head dripped a byte per packet, and whole responses.

Feeds a connection's protocol (``_Protocol`` of harness/_http1.py, or of another version of that file given
with --module) by hand, so the figures are the parser's alone, with no network and no event loop between:

  - drip: a head with one long header of N bytes, then of 4N bytes, fed one byte per ``data_received``
    call, as a receiver that sends one byte per packet makes them arrive; CPU seconds for each and their
    ratio (linear: about 4; a parser rescanning what it holds on every packet: about 16);
  - whole: a typical keep-alive answer (status, four headers, a 2-byte body) in one ``data_received``
    call, repeated; microseconds of CPU per response.

Process CPU time (``time.process_time``), medians of --rounds. To compare with the hand-written parser this
client had before llhttp::

    git show baad801:harness/_http1.py > /tmp/old_http1.py
    .venv/bin/python bench/bench_drip.py --module /tmp/old_http1.py

    .venv/bin/python bench/bench_drip.py [--rounds 5] [--bytes 15000] [--module PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

WHOLE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"
    b"Date: Sun, 29 Nov 2026 22:00:00 GMT\r\nServer: Python/3.11 aiohttp/3.14\r\n\r\nok"
)


class _Transport(asyncio.Transport):
    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def load(path: str | None) -> ModuleType:
    """harness._http1, or the module in the file ``path``."""
    if path is None:
        from harness import _http1

        return _http1
    spec = importlib.util.spec_from_file_location("_http1_under_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def drip_cpu(http1: Any, size: int) -> float:
    raw = b"HTTP/1.1 200 OK\r\nX-Drip: %s\r\nContent-Length: 2\r\n\r\nok" % (b"d" * size)
    loop = asyncio.new_event_loop()
    try:
        protocol = http1._Protocol(loop)
        protocol.connection_made(_Transport())
        waiter = protocol.begin(64)
        started = time.process_time()
        for index in range(len(raw)):
            protocol.data_received(raw[index : index + 1])
        spent = time.process_time() - started
        assert waiter.result().status == 200
        return float(spent)
    finally:
        loop.close()


def whole_cpu(http1: Any, count: int) -> float:
    """Microseconds of CPU per response arriving in one packet on a kept-alive connection."""
    loop = asyncio.new_event_loop()
    try:
        protocol = http1._Protocol(loop)
        protocol.connection_made(_Transport())
        started = time.process_time()
        for _ in range(count):
            waiter = protocol.begin(64)
            protocol.data_received(WHOLE)
            waiter.result()
        return (time.process_time() - started) / count * 1e6
    finally:
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bytes", type=int, default=15_000, help="N: the short head's header length (4N <= 64 KiB)")
    parser.add_argument("--module", help="another version of harness/_http1.py to measure")
    args = parser.parse_args()
    http1 = load(args.module)
    drip_cpu(http1, 1_000)  # warm-up
    short, long, whole = [], [], []
    for _ in range(args.rounds):
        short.append(drip_cpu(http1, args.bytes))
        long.append(drip_cpu(http1, 4 * args.bytes))
        whole.append(whole_cpu(http1, 20_000))
    short_median, long_median = statistics.median(short), statistics.median(long)
    name = args.module or str(Path("harness") / "_http1.py")
    print(f"{name}; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}; {args.rounds} rounds, medians")
    print(f"head of {args.bytes:,} bytes, a byte per packet:  {short_median:.4f} s of CPU")
    print(f"head of {4 * args.bytes:,} bytes, a byte per packet:  {long_median:.4f} s of CPU")
    print(f"ratio for 4x the bytes:                   {long_median / short_median:.1f} (linear: 4)")
    print(f"whole response in one packet:             {statistics.median(whole):.2f} us of CPU each")


if __name__ == "__main__":
    main()
