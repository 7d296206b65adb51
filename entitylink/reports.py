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

    def save(self, path: str | Path) -> None:
        """Write the report as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

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
    """A PNG of Acc@k for k = 1..10, one line per report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for r in reports:
        ks = sorted(int(k.split("@")[1]) for k in r.metrics if k.startswith("acc@"))
        label = f"{r.system} ({r.benchmark}, {r.protocol})"
        axes.plot(ks, [r.metrics[f"acc@{k}"] for k in ks], marker="o", label=label)
    axes.set(xlabel="k", ylabel="Acc@k", title="Accuracy at k", ylim=(0, 1))
    axes.set_xticks(range(1, 11))
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
