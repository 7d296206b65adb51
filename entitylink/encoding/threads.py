"""How many threads an encoder uses: one policy for a process alone and for a pool of workers.

Measured on 2 cores (docs/performance.md): with other jobs keeping both cores busy, a single
mention took ~30x longer on torch's default 2 intra-op threads than on 1 (the OpenMP threads
spin against each other and against the load), and one short text gains little from a second
thread even on an idle machine. Hence:

* small inputs (at most :data:`SMALL_INPUT` texts) run on **one** thread;
* larger inputs use this process's share of the cores: all of them for a process alone,
  ``max(1, cores // processes)`` for each of ``processes`` workers (Ray actors, Spark Python
  workers, service workers), which :func:`claim_share` records for the process;
* ``Encoder(threads=N)`` / ``--threads N`` overrides both.

>>> worker_threads(4, cores=16)
4
>>> worker_threads(3, cores=2)
1
>>> threads_for(1, None, cores=8), threads_for(500, None, cores=8), threads_for(500, 3, cores=8)
(1, 8, 3)

Nothing here imports torch or onnxruntime.
"""

from __future__ import annotations

import os

__all__ = [
    "ENV_THREADS",
    "SMALL_INPUT",
    "available_cores",
    "claim_share",
    "process_threads",
    "threads_for",
    "worker_threads",
]

SMALL_INPUT = 8  # texts; up to this many run on one thread (single mentions, small batches)
ENV_THREADS = "ENTITYLINK_THREADS"  # this process's thread share, set by claim_share


def available_cores() -> int:
    """CPUs this process may run on (its affinity mask, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_threads(processes: int, cores: int | None = None) -> int:
    """Threads for each of ``processes`` worker processes sharing ``cores`` (default: all)."""
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    return max(1, (cores or available_cores()) // processes)


def claim_share(processes: int, cores: int | None = None) -> int:
    """Record in this process (``$ENTITYLINK_THREADS``) that it is one of ``processes`` workers.

    Call it first thing in a worker; encoders created afterwards in this process (and its
    children) use :func:`worker_threads` threads for large inputs. Returns that number.
    """
    threads = worker_threads(processes, cores)
    os.environ[ENV_THREADS] = str(threads)
    return threads


def process_threads(cores: int | None = None) -> int:
    """This process's share: ``$ENTITYLINK_THREADS`` when set (by :func:`claim_share`), else
    every available core."""
    value = os.environ.get(ENV_THREADS, "")
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return cores or available_cores()


def threads_for(texts: int, override: int | None, cores: int | None = None) -> int:
    """Threads to encode ``texts`` texts with: ``override`` when given, else one thread for a
    small input, else this process's share (:func:`process_threads`)."""
    if override is not None:
        if override < 1:
            raise ValueError(f"threads must be at least 1, got {override}")
        return override
    if texts <= SMALL_INPUT:
        return 1
    return process_threads(cores)
