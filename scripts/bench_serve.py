"""Load test of ``entitylink serve``: concurrent clients of single-mention ``POST /link``.

Starts the server on a free loopback port, then for each concurrency level runs that many
clients (keep-alive HTTP/1.1 connections, each sending one request after the other) for
``--seconds`` or ``--max-requests`` in all, and reports requests/s, p50/p99 latency, the mean
batch size (from ``/metrics``), the server's RSS (at the start and end of the level, and its
peak) and the errors. Then, server stopped, the same mentions through the in-process
``Linker.link`` batch loop (``--max-batch`` mentions per call): the ceiling.

How the index is loaded is ``entitylink serve``'s option group
(:func:`entitylink.cli.options.add_load_options`: ``--backend``, ``--quantize``, ``--threads``,
``--mmap``, ``--search-param``, ``--mode``...): the server is started with the same flags, and
the ceiling loads its :class:`~entitylink.LoadOptions` too. With none, both measure the
defaults a user meets (ONNX int8-block when onnxruntime is installed, the index memory-mapped).

The clients are a few lines of asyncio over raw sockets (no HTTP library), so that they take
as little of the CPU the server needs as they can; on a small machine they still compete.

    python scripts/bench_serve.py                                  # indexes/medic, 60 s a level
    python scripts/bench_serve.py --seconds 20 --clients 1 8 32 128 --out serve.json
    python scripts/bench_serve.py --backend torch --out serve-torch.json   # the PyTorch path
    python scripts/bench_serve.py --index indexes/medic-hnsw --clients 8 --seconds 30 \
        --update-add data_samples/MRCONSO.RRF          # an update lands during the level

With ``--update-add VOCAB``, the server runs on a copy of the index with ``--reload-poll 1``,
and ``--update-after`` seconds into the first level ``entitylink update COPY --add VOCAB``
writes a new generation of it: the level's row then says how long the update took, how many
reloads the server counted, the generation it serves at the end, and the errors meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from entitylink import LoadOptions
from entitylink.cli.options import add_load_options, load_options

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def _mentions(benchmark: str) -> list[str]:
    from entitylink import load_benchmark

    try:
        texts = sorted({m.text for m in load_benchmark(benchmark, "test").mentions})
    except Exception as exc:  # no ../shared: the sample mentions
        print(f"({benchmark}: {exc}; using data_samples/mentions.txt)", file=sys.stderr)
        texts = (ROOT / "data_samples" / "mentions.txt").read_text().split("\n")
    return [t for t in texts if t.strip()]


def serve_flags(options: LoadOptions) -> list[str]:
    """The ``entitylink serve`` flags that load an index as ``options`` say (every field, so
    that the server's defaults cannot differ from this script's)."""
    flags = ["--backend", options.backend, "--quantize", options.quantize]
    flags += ["--mmap" if options.mmap else "--no-mmap"]
    flags += ["--device", options.device] if options.device else []
    flags += ["--threads", str(options.threads)] if options.threads else []
    flags += ["--verify"] if options.verify else []
    for key, value in options.search_params.items():
        flags += ["--search-param", f"{key}={value}"]
    flags += ["--mode", options.mode] if options.mode else []
    flags += ["--weight", repr(options.weight)] if options.weight is not None else []
    flags += ["--query-cache", str(options.query_cache)]
    flags += ["--index-vectors" if options.index_vectors else "--no-index-vectors"]
    return flags


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        text: str = response.read().decode()
        return text


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _batch_totals(url: str) -> tuple[float, float]:
    text = _get(url + "/metrics")
    found = dict(re.findall(r"^entitylink_batch_mentions_(sum|count) (\S+)$", text, re.M))
    return float(found.get("sum", 0)), float(found.get("count", 0))


async def _client(
    port: int, bodies: list[bytes], deadline: float, budget: list[int], out: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            body = bodies[n % len(bodies)]
            n += 1
            head = (
                f"POST /link HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            out["latencies"].append(time.perf_counter() - started)
            if status_line.split()[1:2] != [b"200"]:
                out["errors"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        out["errors"] += 1
    finally:
        writer.close()


async def _level(port: int, clients: int, bodies: list[bytes], seconds: float, cap: int) -> Any:
    out: dict[str, Any] = {"latencies": [], "errors": 0}
    budget = [cap]
    started = time.perf_counter()
    deadline = started + seconds
    offsets = [i * len(bodies) // clients for i in range(clients)]  # each its own mention order
    await asyncio.gather(
        *(_client(port, bodies[o:] + bodies[:o], deadline, budget, out) for o in offsets)
    )
    out["seconds"] = time.perf_counter() - started
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _serve(args: argparse.Namespace, mentions: list[str]) -> list[dict[str, Any]]:
    port = _free_port()
    command = [sys.executable, "-m", "entitylink", "serve", "-q", "--index", f"bench={args.index}"]
    command += ["--port", str(port), "--max-batch", str(args.max_batch)]
    command += ["--max-wait-ms", str(args.max_wait_ms), *serve_flags(args.options)]
    command += ["--reload-poll", "1"] if args.update_add else []
    with open(args.server_log, "w") as log:
        server = subprocess.Popen(command, stderr=log)
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for _ in range(600):
            try:
                if json.loads(_get(url + "/health"))["status"] == "ok":
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"the server did not become ready; see {args.server_log}")
        bodies = [
            json.dumps({"index": "bench", "mentions": [m], "k": 5}).encode() for m in mentions
        ]
        for level, clients in enumerate(args.clients):
            before, rss_start = _batch_totals(url), _rss_mb(server.pid)
            anon_start = _rss_mb(server.pid, "RssAnon")
            update = _update_later(args) if args.update_add and level == 0 else None
            result = asyncio.run(_level(port, clients, bodies, args.seconds, args.max_requests))
            after, rss_end = _batch_totals(url), _rss_mb(server.pid)
            latencies = result["latencies"]
            batches = after[1] - before[1]
            rows.append(
                {
                    "clients": clients,
                    "requests": len(latencies),
                    "req_per_s": len(latencies) / result["seconds"],
                    "p50_ms": 1000 * _pct(latencies, 0.5),
                    "p99_ms": 1000 * _pct(latencies, 0.99),
                    "mean_batch": (after[0] - before[0]) / batches if batches else 0.0,
                    "rss_start_mb": rss_start,
                    "rss_end_mb": rss_end,
                    "rss_peak_mb": _rss_mb(server.pid, "VmHWM"),
                    # RssAnon: the heap, without the memory-mapped index files' pages
                    "anon_start_mb": anon_start,
                    "anon_end_mb": _rss_mb(server.pid, "RssAnon"),
                    "errors": result["errors"],
                    "load": os.getloadavg()[0],
                }
            )
            if update is not None:
                update[0].join()
                rows[-1]["update"] = {**update[1], **_generation_served(url)}
            print(_row(rows[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return rows


def _update_later(args: argparse.Namespace) -> tuple[threading.Thread, dict[str, Any]]:
    """``entitylink update`` of the served copy, ``--update-after`` seconds from now, in a
    thread; the dict gets its exit status and seconds."""
    report: dict[str, Any] = {}
    command = [sys.executable, "-m", "entitylink", "update", "-q", str(args.index)]
    command += ["--add", str(args.update_add)]

    def run() -> None:
        time.sleep(args.update_after)
        tick = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        report.update(rc=done.returncode, seconds=time.perf_counter() - tick)
        report["stderr"] = done.stderr[-500:] if done.returncode else ""

    thread = threading.Thread(target=run, name="update")
    thread.start()
    return thread, report


def _generation_served(url: str) -> dict[str, Any]:
    """The generation ``/indexes`` says is served, and ``/metrics``' reload counts."""
    time.sleep(2.5)  # the server polls the manifest every second
    listed = json.loads(_get(url + "/indexes"))["indexes"]
    metrics = _get(url + "/metrics")
    reloads = {
        result: float(count)
        for result, count in re.findall(
            r'entitylink_reloads_total\{index="bench",result="(\w+)"\} ([0-9.e+]+)', metrics
        )
    }
    return {"generation": listed[0]["generation"], "reloads": reloads}


def _ceiling(args: argparse.Namespace, mentions: list[str]) -> dict[str, Any]:
    """In one worker thread, as the server runs the model (the main thread measured slower
    on this shared machine; see docs/service.md)."""
    with ThreadPoolExecutor(1, thread_name_prefix="ceiling") as pool:
        return pool.submit(_ceiling_loop, args, mentions).result()


def _ceiling_loop(args: argparse.Namespace, mentions: list[str]) -> dict[str, Any]:
    from entitylink import Linker

    linker = Linker.from_dir(args.index, args.options)  # as the server loads it
    for start in range(0, min(len(mentions), 4 * args.max_batch), args.max_batch):
        linker.link(mentions[start : start + args.max_batch], k=5)  # warm: page the index in
    done, started, calls = 0, time.perf_counter(), []
    while time.perf_counter() - started < min(args.seconds, 30):
        batch = [mentions[(done + i) % len(mentions)] for i in range(args.max_batch)]
        tick = time.perf_counter()
        linker.link(batch, k=5)
        calls.append(time.perf_counter() - tick)
        done += len(batch)
    seconds = time.perf_counter() - started
    single = []
    for mention in mentions[:200]:
        tick = time.perf_counter()
        linker.link([mention], k=5)
        single.append(time.perf_counter() - tick)
    return {
        "mentions_per_s": done / seconds,
        "batch": args.max_batch,
        "batch_call_ms": 1000 * statistics.median(calls),
        "single_call_ms": 1000 * statistics.median(single),
        "single_per_s": 1 / statistics.median(single),
        "load": os.getloadavg()[0],
        "encoder": linker.encoder.config(),
    }


def _row(r: dict[str, Any]) -> str:
    return (
        f"| {r['clients']} | {r['requests']} | {r['req_per_s']:.0f} | {r['p50_ms']:.1f} | "
        f"{r['p99_ms']:.1f} | {r['mean_batch']:.1f} | {r['rss_start_mb']:.0f} → "
        f"{r['rss_end_mb']:.0f} (peak {r['rss_peak_mb']:.0f}) | {r['anon_start_mb']:.0f} → "
        f"{r['anon_end_mb']:.0f} | {r['errors']} | {r['load']:.1f} |"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=ROOT / "indexes" / "medic")
    parser.add_argument("--benchmark", default="ncbi-disease", help="mentions: its test split")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--seconds", type=float, default=60.0, help="per level (default: 60)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per level at most")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=2.0)
    parser.add_argument("--server-log", type=Path, default=Path("/tmp/bench_serve_server.log"))
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    parser.add_argument(
        "--update-add", type=Path, help="update a copy of the index with this vocabulary mid-run"
    )
    parser.add_argument(
        "--update-after", type=float, default=10.0, help="seconds into the first level (10)"
    )
    add_load_options(parser)  # entitylink serve's, passed on to it
    args = parser.parse_args(argv)
    if args.update_add:  # the served index is a copy: the update changes it, not args.index
        copy = Path(tempfile.mkdtemp(prefix="bench-serve-")) / args.index.name
        shutil.copytree(args.index, copy)
        args.index = copy
    args.options = load_options(args)
    mentions = _mentions(args.benchmark)
    print(f"{len(mentions)} distinct mentions; index {args.index}; {args.seconds:g} s per level")
    print(f"entitylink serve {' '.join(serve_flags(args.options))}")
    print(
        "| clients | requests | req/s | p50 ms | p99 ms | mean batch | RSS MB | heap (RssAnon) MB "
        "| errors | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = _serve(args, mentions)
    ceiling = _ceiling(args, mentions)
    print(
        f"in-process Linker.link, batches of {ceiling['batch']}: "
        f"{ceiling['mentions_per_s']:.0f} mentions/s ({ceiling['batch_call_ms']:.1f} ms a call); "
        f"one mention a call: {ceiling['single_per_s']:.0f}/s ({ceiling['single_call_ms']:.1f} ms);"
        f" load {ceiling['load']:.1f}"
    )
    result = {
        "levels": rows,
        "ceiling": ceiling,
        "seconds": args.seconds,
        "options": args.options.to_dict(),
        "serve_flags": serve_flags(args.options),
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
