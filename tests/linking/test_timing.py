"""StageTimes: what benchmarks pass to link() and annotate() to time their stages."""

from __future__ import annotations

from entitylink import Annotator, ConceptIndex, Linker, StageTimes
from entitylink.linking.annotate import STAGES as ANNOTATE_STAGES
from entitylink.linking.linker import STAGES


def test_link_adds_its_stages(tiny_index: ConceptIndex) -> None:
    linker = Linker.from_dir(tiny_index.path, backend="torch")
    times = StageTimes()
    linker.link(["heart attack", "fever"], k=2, times=times)
    first = dict(times.seconds)
    assert set(first) == set(STAGES) and all(s >= 0 for s in first.values())
    linker.link(["asthma"], k=2, times=times)
    assert all(times.seconds[s] >= first[s] for s in STAGES)  # added up, not replaced
    linker.link(["asthma"], k=2)  # nobody timing: nothing kept anywhere
    assert not hasattr(linker, "stage_seconds")


def test_annotate_adds_detection_abbreviation_and_link_stages(tiny_index: ConceptIndex) -> None:
    annotator = Annotator(Linker.from_dir(tiny_index.path, backend="torch"))
    times = StageTimes()
    annotator.annotate(["A heart attack (HA) and fever."], times=times)
    assert set(times.seconds) == set(ANNOTATE_STAGES)
