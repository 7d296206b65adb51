"""Whole-process time and peak memory of the command a user runs, flag variants side by side.

Each run is a fresh process of the command line, timed from its start to its exit (imports,
loading the index and its encoder, linking, writing the output: everything a user waits for),
with that child's peak RSS (``ru_maxrss`` of :func:`os.wait4`, the child alone) and its CPU
time. The variants run in turns (A, B, A, B...; one uncounted warm-up run of each first:
``--warmup``), so that a change in the machine's load reaches them all alike. Prints a Markdown
table (medians, and every sample), and writes the JSON with ``--out``.

    python scripts/bench_cli.py --index indexes/medic
    python scripts/bench_cli.py --index indexes/medic --runs 9 --out cli.json \\
        --variant default= --variant torch="--backend torch" --variant int8="--quantize int8"
    python scripts/bench_cli.py --index indexes/medic --mention "heart attack" --mention asthma
    python scripts/bench_cli.py --index indexes/medic --out annotate.json \\
        --annotate ../shared/data/benchmarks/bc5cdr/CDR_TestSet.PubTator.txt

The commands timed (``python`` is this interpreter, ``FLAGS`` the variant's)::

    python -m entitylink link --index INDEX "heart attack" FLAGS > /dev/null
    python -m entitylink annotate --index INDEX --input FILE FLAGS > /dev/null   # --annotate

Variants are ``NAME=FLAGS``, the flags split as a shell would (``shlex``); the default pair is
``default=`` (no flag: what a user meets, ONNX int8-block when onnxruntime is installed) and
``torch="--backend torch"`` (the PyTorch float32 path the index was built with). The output
goes to ``/dev/null``; a failing run stops the benchmark with the tail of its stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_VARIANTS = ("default=", "torch=--backend torch")
DEFAULT_MENTION = "heart attack"


def variant(text: str) -> tuple[str, list[str]]:
    """``NAME=FLAGS`` -> ``(NAME, [flag, ...])``."""
    name, sep, flags = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=FLAGS (e.g. torch='--backend torch'), got {text!r}"
        )
    try:
        return name.strip(), shlex.split(flags)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def command(args: argparse.Namespace, flags: Sequence[str]) -> list[str]:
    """The command line of one run."""
    base = [sys.executable, "-m", "entitylink"]
    if args.annotate is not None:
        return [
            *base,
            "annotate",
            "--index",
            str(args.index),
            "--input",
            str(args.annotate),
            *flags,
        ]
    return [*base, "link", "--index", str(args.index), *args.mention, *flags]


def run_once(argv: Sequence[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``argv`` to its end: wall seconds, the child's peak RSS (MB) and CPU seconds."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if process.returncode:
            stderr.seek(0)
            tail = stderr.read()[-3000:].decode(errors="replace")
            raise RuntimeError(f"exit status {process.returncode}: {shlex.join(argv)}\n{tail}")
    return {
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }


def summary(samples: list[dict[str, float]]) -> dict[str, Any]:
    """Medians of a variant's runs, and every sample (rounded)."""
    keys = ("wall_s", "peak_rss_mb", "cpu_s")
    digits = {"wall_s": 3, "peak_rss_mb": 1, "cpu_s": 3}
    return {
        **{
            f"median_{key}": round(statistics.median(s[key] for s in samples), digits[key])
            for key in keys
        },
        **{f"{key}_all": [round(s[key], digits[key]) for s in samples] for key in keys},
    }


def table(result: dict[str, Any]) -> str:
    """The Markdown table of the medians, each beside the first variant's, then the samples."""
    rows = result["variants"]
    first = rows[0]
    columns = ["variant", "flags", "median wall s", "vs first", "median peak RSS MB", "vs first"]
    columns += ["median CPU s", "wall s, all runs", "peak RSS MB, all runs"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        wall, rss = row["median_wall_s"], row["median_peak_rss_mb"]
        cells = [row["name"], f"`{shlex.join(row['flags'])}`" if row["flags"] else "(none)"]
        cells += [f"{wall:.3f}"]
        cells += [f"{wall / first['median_wall_s']:.2f}x", f"{rss:.0f}"]
        cells += [f"{rss / first['median_peak_rss_mb']:.2f}x", f"{row['median_cpu_s']:.3f}"]
        cells += [", ".join(f"{x:.3f}" for x in row["wall_s_all"])]
        cells += [", ".join(f"{x:.0f}" for x in row["peak_rss_mb_all"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="index directory")
    parser.add_argument(
        "--mention",
        action="append",
        help=f"a mention to link; repeatable (default: {DEFAULT_MENTION!r})",
    )
    parser.add_argument(
        "--annotate",
        type=Path,
        metavar="FILE",
        help="time entitylink annotate --input FILE instead of entitylink link",
    )
    parser.add_argument(
        "--variant",
        action="append",
        type=variant,
        metavar="NAME=FLAGS",
        help="flags added to the command; repeatable "
        "(default: default= and torch='--backend torch')",
    )
    parser.add_argument("--runs", type=int, default=5, help="counted runs per variant (default: 5)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="uncounted runs of each variant first (default: 1)"
    )
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    if args.annotate is not None and args.mention:
        parser.error("--mention links mentions; --annotate reads its documents from FILE")
    args.mention = args.mention or [DEFAULT_MENTION]
    variants = args.variant or [variant(text) for text in DEFAULT_VARIANTS]
    names = [name for name, _ in variants]
    if len(set(names)) < len(names):
        parser.error(f"variant names must differ: {', '.join(names)}")
    commands = [command(args, flags) for _, flags in variants]
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"} | dict(os.environ)
    for line in commands:
        print(f"$ {shlex.join(line)} > /dev/null", file=sys.stderr)
    for _ in range(args.warmup):  # the page cache, and an ONNX graph exported once per model
        for line in commands:
            run_once(line, env)
    samples: list[list[dict[str, float]]] = [[] for _ in variants]
    loadavg_before = os.getloadavg()
    for _ in range(args.runs):  # in turns: A, B, A, B...
        for position, line in enumerate(commands):
            samples[position].append(run_once(line, env))
    result: dict[str, Any] = {
        "index": str(args.index),
        "task": "annotate" if args.annotate is not None else "link",
        **(
            {"input": str(args.annotate)}
            if args.annotate is not None
            else {"mentions": args.mention}
        ),
        "runs": args.runs,
        "warmup": args.warmup,
        "python": sys.executable,
        "cpus": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in loadavg_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "variants": [
            {"name": name, "flags": flags, "command": shlex.join(line), **summary(runs)}
            for (name, flags), line, runs in zip(variants, commands, samples, strict=True)
        ],
    }
    print(table(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
