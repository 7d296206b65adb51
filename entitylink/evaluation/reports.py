"""Evaluation reports: JSON, a Markdown table, and a plot of Acc@k (one line per report).

>>> report = EvaluationReport.load("reports/ncbi-disease-sapbert-minilm.json")     # doctest: +SKIP
>>> print(markdown_table([report]))                                                # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..files import atomic_file


@dataclass(frozen=True)
class EvaluationReport:
    """The figures of one system on one benchmark split under one protocol."""

    benchmark: str
    split: str
    protocol: str
    system: str
    dictionary: dict[str, Any]
    counts: dict[str, int]
    metrics: dict[str, float]
    uncovered_ids: list[str]
    index: dict[str, Any] | None
    versions: dict[str, str]
    seconds: float
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def save(self, path: str | Path, *, overwrite: bool | None = None) -> None:
        """Write the report as JSON (beside, then renamed: never half a report); an existing
        file is replaced unless ``overwrite`` is False."""
        with atomic_file(Path(path), overwrite=overwrite) as tmp:
            tmp.write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> EvaluationReport:
        return cls(**json.loads(Path(path).read_text()))


def markdown_table(reports: Sequence[EvaluationReport]) -> str:
    """One row per report: benchmark, protocol, system, dictionary, queries, Acc@1, Acc@5, MRR."""
    lines = [
        "| benchmark | protocol | system | dictionary | queries | Acc@1 | Acc@5 | MRR |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in reports:
        m = r.metrics
        lines.append(
            f"| {r.benchmark} {r.split} | {r.protocol} | {r.system} | "
            f"{r.dictionary['description']} | {r.counts['queries']} | "
            f"{m['acc@1']:.3f} | {m['acc@5']:.3f} | {m['mrr']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def plot_accuracy(reports: Sequence[EvaluationReport], path: str | Path) -> None:
    """A PNG of Acc@k for k = 1..10: one panel per benchmark, a colour per system and a line
    style per protocol."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    benchmarks = sorted({r.benchmark for r in reports})
    systems = sorted({r.system for r in reports})
    protocols = sorted({r.protocol for r in reports})
    styles = ["-", "--", ":", "-."]
    figure, axes = plt.subplots(
        1, len(benchmarks), figsize=(4.2 * len(benchmarks), 4.2), sharey=True, squeeze=False
    )
    for panel, benchmark in zip(axes[0], benchmarks, strict=True):
        for r in (r for r in reports if r.benchmark == benchmark):
            ks = sorted(int(k.split("@")[1]) for k in r.metrics if k.startswith("acc@"))
            panel.plot(
                ks,
                [r.metrics[f"acc@{k}"] for k in ks],
                color=f"C{systems.index(r.system) % 10}",
                linestyle=styles[protocols.index(r.protocol) % len(styles)],
                marker="o",
                markersize=3,
                label=f"{r.system} ({r.protocol})",
            )
        panel.set(title=benchmark, xlabel="k", ylim=(0, 1), xticks=range(1, 11))
        panel.grid(alpha=0.3)
    axes[0][0].set_ylabel("Acc@k")
    handles = {h.get_label(): h for panel in axes[0] for h in panel.get_lines()}
    figure.legend(
        list(handles.values()),
        list(handles),
        loc="lower center",
        ncol=2,
        fontsize=7,
        frameon=False,
    )
    figure.tight_layout(rect=(0, 0.045 * (1 + len(handles) // 2), 1, 1))
    figure.savefig(path, dpi=120)
    plt.close(figure)
