#!/usr/bin/env python
"""Benchmark: xuala.sentry.probe.check against aiohttp, one process, against the site farm.

    python bench/bench_probe.py [--checks N] [--concurrency N] [--rounds N] [--only NAME]

The site farm (tests/sentry/farm.py) runs in its own process on 127.0.0.1 (this machine has
2 cores: one for the farm, one for the client). Each figure is N checks of the farm's plain
200 page, a different site name each time (s0.farm.test, s1.farm.test, ...), at the given
concurrency, a new connection per check (a monitor sees each site once a minute: nothing to
keep alive), the keyword searched and the body read (capped at 256 KiB). Both clients run on
uvloop, verify the farm's certificate against its test CA, and time the phases:

* probe: xuala.sentry.probe.check (DNS via the `resolve` override, TCP, TLS, TTFB, total).
* aiohttp: one ClientSession (TCPConnector(force_close=True, limit=0), a resolver that answers
  127.0.0.1) with a TraceConfig timing DNS, connection and first byte, body read with
  `content.read(cap)`, the keyword searched. aiohttp cannot time the TLS handshake apart.

Printed per scheme: checks/s and client CPU-seconds per 1,000 checks for each, the best of
--rounds rounds, and the ratio probe/aiohttp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import ssl
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xuala.sentry.probe import check  # noqa: E402

KEYWORD = "Bienvenido a mi tienda"
CAP = 256 * 1024


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_probe(farm: dict, scheme: str, checks: int, concurrency: int, ctx) -> int:
    port = farm[f"{scheme}_port"]
    resolve = {"*.farm.test": "127.0.0.1"}
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> bool:
        async with limit:
            result = await check(f"{scheme}://s{i}.farm.test:{port}/", keyword=KEYWORD,
                                 resolve=resolve, ssl_context=ctx)
            return result.ok

    results = await asyncio.gather(*(one(i) for i in range(checks)))
    return sum(results)


async def run_aiohttp(farm: dict, scheme: str, checks: int, concurrency: int, ctx) -> int:
    import aiohttp
    from aiohttp.abc import AbstractResolver

    class FarmResolver(AbstractResolver):
        async def resolve(self, host, port=0, family=0):
            return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": 2,
                     "proto": 0, "flags": 0}]

        async def close(self):
            return None

    trace = aiohttp.TraceConfig()

    def mark(name):
        async def hook(session, context, params):
            setattr(context, name, time.perf_counter())
        return hook

    trace.on_request_start.append(mark("start"))
    trace.on_dns_resolvehost_end.append(mark("dns"))
    trace.on_connection_create_end.append(mark("connect"))
    trace.on_response_chunk_received.append(mark("chunk"))
    trace.on_request_end.append(mark("headers"))

    port = farm[f"{scheme}_port"]
    needle = KEYWORD.encode()
    connector = aiohttp.TCPConnector(force_close=True, limit=0, resolver=FarmResolver(),
                                     ssl=ctx if scheme == "https" else False,
                                     use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=30, sock_connect=5, sock_read=10)
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace],
                                     timeout=timeout, auto_decompress=False,
                                     headers={"User-Agent": "XualaSentry/1.0",
                                              "Accept-Encoding": "identity"}) as session:

        async def one(i: int) -> bool:
            async with limit:
                try:
                    async with session.get(f"{scheme}://s{i}.farm.test:{port}/",
                                           max_redirects=5) as response:
                        body = await response.content.read(CAP)
                        return 200 <= response.status < 300 and needle in body
                except (aiohttp.ClientError, TimeoutError):
                    return False

        results = await asyncio.gather(*(one(i) for i in range(checks)))
    return sum(results)


def measure(name: str, runner, farm: dict, scheme: str, checks: int, concurrency: int,
            rounds: int, ctx) -> tuple[float, float]:
    import uvloop

    best_rate, best_cpu = 0.0, float("inf")
    for _ in range(rounds):
        loop = uvloop.new_event_loop()
        try:
            cpu0, t0 = cpu(), time.perf_counter()
            ok = loop.run_until_complete(runner(farm, scheme, checks, concurrency, ctx))
            elapsed, used = time.perf_counter() - t0, cpu() - cpu0
        finally:
            loop.close()
        if ok != checks:
            print(f"  {name} {scheme}: only {ok} of {checks} checks ok", flush=True)
        best_rate = max(best_rate, checks / elapsed)
        best_cpu = min(best_cpu, used / checks * 1000)
    return best_rate, best_cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["http", "https"])
    args = parser.parse_args()
    farm_process = subprocess.Popen(
        [sys.executable, "-m", "tests.sentry.farm", "--seconds", "600"], cwd=ROOT,
        stdout=subprocess.PIPE, text=True)
    try:
        farm = json.loads(farm_process.stdout.readline())
        ctx = ssl.create_default_context(cafile=farm["ca_file"])
        print(f"{args.checks} checks at concurrency {args.concurrency}, best of {args.rounds};"
              " farm in another process, uvloop", flush=True)
        print(f"{'scheme':6} {'probe/s':>9} {'aiohttp/s':>10} {'ratio':>6}   "
              f"{'probe cpu-s/1k':>15} {'aiohttp cpu-s/1k':>17}")
        for scheme in ([args.only] if args.only else ["http", "https"]):
            ours = measure("probe", run_probe, farm, scheme, args.checks, args.concurrency,
                           args.rounds, ctx)
            peer = measure("aiohttp", run_aiohttp, farm, scheme, args.checks,
                           args.concurrency, args.rounds, ctx)
            print(f"{scheme:6} {ours[0]:9.0f} {peer[0]:10.0f} {ours[0] / peer[0]:6.2f}   "
                  f"{ours[1]:15.3f} {peer[1]:17.3f}", flush=True)
    finally:
        farm_process.terminate()
        farm_process.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
