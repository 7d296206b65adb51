"""The service's settings: which indexes, the request limits and the batching policy.

>>> ServiceConfig(indexes=(("sample", Path("indexes/sample")),)).limits.max_mentions
256

Frozen records built once by ``entitylink serve`` (or a test) and read by the app; with
``--workers N`` they travel to each worker process as JSON in an environment variable.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..linking.options import LoadOptions

CONFIG_ENV = "ENTITYLINK_SERVICE_CONFIG"  # the JSON config handed to `--workers N` processes


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may ask; beyond these it is refused (413 or 422, naming the limit)."""

    max_mentions: int = 256  # mentions (or texts) per request
    max_chars: int = 1_000  # characters per mention
    max_text_chars: int = 20_000  # characters per text (paragraph mode, /annotate)
    max_body_bytes: int = 1_000_000  # request body
    max_k: int = 100  # candidates per mention
    header_timeout_s: float = 10.0  # to send a request's headers (then the connection is closed)
    body_timeout_s: float = 10.0  # to send its whole body, once the headers are in (then 408)


@dataclass(frozen=True, slots=True)
class Batching:
    """How concurrent requests are coalesced into one ``Linker.link`` call.

    A batch starts as soon as the worker is free and something waits; while fewer than
    ``max_batch`` mentions wait, it lingers at most ``max_wait_ms`` for more. ``max_queue``
    mentions may wait in all (beyond: 503 with Retry-After); a request waits ``timeout_s`` at
    most (then 504, its pending mentions dropped from the queue).
    """

    max_batch: int = 64
    max_wait_ms: float = 2.0
    max_queue: int = 2_048
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """The indexes served (name, directory), the policies, and how every index is loaded
    (:class:`~entitylink.LoadOptions`: by default ONNX int8-block, memory-mapped).
    ``show_paths``: ``GET /indexes`` shows each index's directory and whole manifest (checksums,
    file sizes, the vocabulary's paths), not only its public fields."""

    indexes: tuple[tuple[str, Path], ...]
    limits: Limits = field(default_factory=Limits)
    batching: Batching = field(default_factory=Batching)
    load: LoadOptions = field(default_factory=LoadOptions)
    show_paths: bool = False
    # seconds between looks at each index's manifest for a new generation (0: never; POST
    # /admin/reload from loopback still reloads)
    reload_poll_s: float = 5.0

    def __post_init__(self) -> None:
        names = [name for name, _ in self.indexes]
        if not names:
            raise ValueError("no index to serve: give at least one --index DIR")
        doubles = sorted({n for n in names if names.count(n) > 1})
        if doubles:
            raise ValueError(f"index names must differ; given twice: {', '.join(doubles)}")
        for what, value in (*asdict(self.limits).items(), *asdict(self.batching).items()):
            if not 0 < value < math.inf:  # NaN fails this too
                raise ValueError(f"{what} must be positive and finite, got {value}")
        if not 0 <= self.reload_poll_s < math.inf:
            raise ValueError(f"reload_poll_s must be 0 or more, got {self.reload_poll_s}")

    def to_json(self) -> str:
        return json.dumps(
            {
                "indexes": [[name, str(path)] for name, path in self.indexes],
                "limits": asdict(self.limits),
                "batching": asdict(self.batching),
                "load": self.load.to_dict(),
                "show_paths": self.show_paths,
                "reload_poll_s": self.reload_poll_s,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ServiceConfig:
        data = json.loads(text)
        return cls(
            indexes=tuple((name, Path(path)) for name, path in data["indexes"]),
            limits=Limits(**data["limits"]),
            batching=Batching(**data["batching"]),
            load=LoadOptions.from_dict(data.get("load", {})),
            show_paths=bool(data.get("show_paths", False)),
            reload_poll_s=float(data.get("reload_poll_s", 5.0)),
        )


def parse_index(text: str) -> tuple[str, Path]:
    """``NAME=DIR`` or ``DIR`` (named after the directory) -> (name, directory).

    >>> parse_index("medic=indexes/medic-2012")
    ('medic', PosixPath('indexes/medic-2012'))
    >>> parse_index("indexes/sample/")
    ('sample', PosixPath('indexes/sample'))
    """
    name, sep, path = text.partition("=")
    if not sep:
        name, path = Path(text).name, text
    if not name or not path or "/" in name:
        raise ValueError(f"expected --index DIR or --index NAME=DIR, got {text!r}")
    return name, Path(path)
