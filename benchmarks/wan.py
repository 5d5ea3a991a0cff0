# -*- coding: utf-8 -*-
"""Round trips over a slow link: a batch of `messages` with and without the server offering PIPELINING.

On loopback a round trip costs next to nothing, so the ratio there says little. Here the batch goes
through a proxy on 127.0.0.1 that holds every chunk for --delay-ms in each direction (a WAN's
latency, not its bandwidth), to the same loopback server (tests/support/smtp_server.py) once
offering PIPELINING (RFC 2920) and once not. Both figures come from this run; the ratio is the
point: one recipient saves one round trip of four per message, five recipients five of eight.

Usage: python benchmarks/wan.py [--smoke] [--messages N] [--delay-ms MS]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading

from _common import collections_path, timed_batch


async def _pump(reader, writer, delay):
    """Forward chunks in order, each no earlier than ``delay`` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def forward():
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.ensure_future(forward())
    while True:
        data = await reader.read(65536)
        queue.put_nowait((loop.time() + delay, data))
        if not data:
            break
    await task


def start_proxy(port, delay):
    """A thread running the delaying proxy to 127.0.0.1:port; returns the proxy's port."""
    ready, box = threading.Event(), {}

    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.gather(_pump(client_reader, server_writer, delay), _pump(server_reader, client_writer, delay),
                             return_exceptions=True)

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        box["port"] = server.sockets[0].getsockname()[1]
        ready.set()
        await asyncio.Event().wait()

    threading.Thread(target=lambda: asyncio.run(main()), daemon=True).start()
    ready.wait(10)
    return box["port"]


def batch(port, count, recipients):
    messages = [{"to": ["r%d-%d@example.net" % (i, n) for n in range(recipients)], "subject": "r %d" % i}
                for i in range(count)]
    return timed_batch("127.0.0.1", port, messages, "All systems nominal.", timeout=600000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small counts and delay: does it run")
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--delay-ms", type=float, default=10.0, help="one way; a round trip is twice this")
    opts = parser.parse_args()
    count, delay = (5, 2.0) if opts.smoke else (opts.messages, opts.delay_ms)
    collections_path()
    import smtp_server  # tests/support

    work = tempfile.mkdtemp(prefix="flint-bench-wan-")
    times = {}
    try:
        for pipelining in (False, True):
            with smtp_server.running_server("plain", store=os.path.join(work, str(pipelining)), isolation="process",
                                            pipelining=pipelining) as srv:
                port = start_proxy(srv.port, delay / 1000.0)
                for recipients in (1, 5):
                    times[pipelining, recipients] = batch(port, count, recipients)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("flint.smtp over a slow link (%s; %d messages per batch, %.0f ms round trip through a loopback proxy)"
          % ("smoke" if opts.smoke else "full", count, 2 * delay))
    for recipients in (1, 5):
        off, on = times[False, recipients], times[True, recipients]
        print("  %d recipient(s): without PIPELINING %.2fs, with %.2fs: %.2fx the throughput"
              % (recipients, off, on, off / on))
    return 0


if __name__ == "__main__":
    sys.exit(main())
