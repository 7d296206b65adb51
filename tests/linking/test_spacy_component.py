from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from entitylink import ConceptIndex, Encoder, Linker, build_index, read_vocabulary
from tests.paths import ROOT, SAMPLES

spacy = pytest.importorskip("spacy")

TEXTS = [
    "A heart attack in type 2 diabetes mellitus.",
    "Myocardial infarction (MI) is common; MI kills.",
    "Nothing here.",
]
PATTERNS = [
    {"label": "DISEASE", "pattern": "heart attack"},
    {
        "label": "DISEASE",
        "pattern": [{"LOWER": "type"}, {"TEXT": "2"}, {"LOWER": "diabetes"}, {"LOWER": "mellitus"}],
    },
    {"label": "DISEASE", "pattern": "Myocardial infarction"},
    {"label": "DISEASE", "pattern": "MI"},
]


@pytest.fixture(scope="module")
def mondo_index(tmp_path_factory: pytest.TempPathFactory, tiny_encoder: Encoder) -> ConceptIndex:
    out = tmp_path_factory.mktemp("indexes") / "mondo"
    return build_index(read_vocabulary(SAMPLES / "vocab.tsv"), tiny_encoder, out, progress=False)


def best(index: ConceptIndex, mention: str) -> float:
    """The linker's own best score for a mention (the tiny BERT ranks names arbitrarily, with
    ties: compare scores, not IDs)."""
    return Linker.from_dir(index.path).link([mention], k=1)[0][0].score


def pipeline(*components: tuple[str, Path, dict[str, Any]]) -> Any:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    for name, index, config in components:
        nlp.add_pipe("entitylink", name=name, config={"index": str(index), "k": 3, **config})
    return nlp


def test_entities_get_kb_ents_like_scispacy(tiny_index: ConceptIndex) -> None:
    nlp = pipeline(("entitylink", tiny_index.path, {}))
    doc = nlp(TEXTS[0])
    assert [e.text for e in doc.ents] == ["heart attack", "type 2 diabetes mellitus"]
    for entity in doc.ents:
        pairs = entity._.kb_ents
        assert 0 < len(pairs) <= 3 and all(
            isinstance(p, tuple | list) and len(p) == 2 for p in pairs
        )
        assert [s for _, s in pairs] == sorted((s for _, s in pairs), reverse=True)
        assert [c["concept_id"] for c in entity._.entitylink] == [cid for cid, _ in pairs]
    assert doc.ents[0]._.kb_ents[0][1] == pytest.approx(best(tiny_index, "heart attack"), abs=1e-4)


def test_abbreviations_link_through_their_long_form(tiny_index: ConceptIndex) -> None:
    nlp = pipeline(("entitylink", tiny_index.path, {}))
    doc = nlp(TEXTS[1])
    assert [e.text for e in doc.ents] == ["Myocardial infarction", "MI", "MI"]
    first = [e._.kb_ents[0][1] for e in doc.ents]
    assert first[0] == pytest.approx(first[1], abs=1e-4) and first[1] == first[2]


def test_the_dictionary_detector_finds_the_entities(tiny_index: ConceptIndex) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("entitylink", config={"index": str(tiny_index.path), "detector": "dictionary"})
    doc = nlp(TEXTS[0])
    assert [e.text for e in doc.ents] == ["heart attack", "type 2 diabetes mellitus"]
    assert [e.text for e in doc.spans["entitylink"]] == [e.text for e in doc.ents]
    assert doc.ents[0]._.kb_ents[0][1] == pytest.approx(best(tiny_index, "heart attack"), abs=1e-4)


def test_two_components_for_two_vocabularies_keep_their_own(
    tiny_index: ConceptIndex, mondo_index: ConceptIndex
) -> None:
    nlp = pipeline(("entitylink", tiny_index.path, {}), ("entitylink_mondo", mondo_index.path, {}))
    entity = nlp(TEXTS[0]).ents[0]
    assert all(c["concept_id"].startswith("C") for c in entity._.entitylink)
    assert all(c["concept_id"].startswith("MONDO:") for c in entity._.entitylink_mondo)
    ids = {cid for cid, _ in entity._.kb_ents}
    assert any(i.startswith("C") for i in ids) and any(i.startswith("MONDO:") for i in ids)


SCRIPT = """
import multiprocessing, sys
import spacy
from tests.linking.test_spacy_component import PATTERNS, TEXTS

if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[2])  # spawn: every component is pickled
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    nlp.add_pipe("entitylink", config={"index": sys.argv[1], "k": 3})
    docs = list(nlp.pipe(TEXTS * 4, n_process=2, batch_size=2))
    alone = nlp(TEXTS[0])
    print(len(docs), [len(d.ents) for d in docs[:3]])
    print(all(abs(a._.kb_ents[0][1] - b._.kb_ents[0][1]) < 1e-4
              for a, b in zip(docs[3].ents, alone.ents, strict=True)))
"""


@pytest.mark.parametrize("start_method", ["spawn", pytest.param("fork", marks=pytest.mark.slow)])
def test_the_component_pickles_and_runs_in_two_processes(
    tiny_index: ConceptIndex, tmp_path: Path, start_method: str
) -> None:
    nlp = pipeline(("entitylink", tiny_index.path, {}))
    component = nlp.get_pipe("entitylink")
    copy = pickle.loads(pickle.dumps(component))
    assert copy.config == component.config and copy._annotator is None
    # in a fresh interpreter: a process forked after torch ran (as here) can hang in torch
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), str(tiny_index.path), start_method],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["12 [2, 3, 0]", "True"]


def test_a_missing_index_is_a_clear_error() -> None:
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="needs config"):
        nlp.add_pipe("entitylink")


def test_ents_without_an_entity_source_warn_once(
    tiny_index: ConceptIndex, caplog: pytest.LogCaptureFixture
) -> None:
    nlp = spacy.blank("en")  # no NER, no entity ruler: doc.ents is never set
    nlp.add_pipe("entitylink", config={"index": str(tiny_index.path)})
    with caplog.at_level("WARNING", logger="entitylink.linking.spacy_component"):
        docs = list(nlp.pipe(TEXTS)) + [nlp(TEXTS[0])]
    assert all(not doc.ents for doc in docs)
    said = [r.getMessage() for r in caplog.records if "nothing set them" in r.getMessage()]
    assert len(said) == 1  # once per component, not once per doc
    assert "add an NER component" in said[0] and "'detector': 'dictionary'" in said[0]
    caplog.clear()
    ruled = pipeline(("entitylink", tiny_index.path, {}))
    with caplog.at_level("WARNING", logger="entitylink.linking.spacy_component"):
        ruled("Nothing here.")  # an entity source that found nothing: no warning
    assert not [r for r in caplog.records if "nothing set them" in r.getMessage()]


def test_a_token_classifier_finds_the_entities(
    tiny_index: ConceptIndex, tiny_tagger_dir: Path
) -> None:
    from entitylink.linking.model_detector import ModelDetector

    nlp = spacy.blank("en")
    config = {
        "index": str(tiny_index.path),
        "detector": f"model:{tiny_tagger_dir}",
        "type_map": {"Disease": ["T047"]},
    }
    nlp.add_pipe("entitylink", config=config)
    docs = list(nlp.pipe(TEXTS))
    found = ModelDetector(tiny_tagger_dir).detect_many(TEXTS)
    for doc, detected in zip(docs, found, strict=True):
        got = {(s.start_char, s.end_char, s.label_) for s in doc.spans["entitylink"]}
        assert set(detected) <= got
        # the component adds the short forms of detected long forms ("Myocardial infarction
        # (MI)"): the tiny tagger's random weights may or may not tag "MI" itself
        assert all(doc.text[start:end] == "MI" for start, end, _ in got - set(detected))
    for doc in docs:
        for span in doc.spans["entitylink"]:
            assert span._.kb_ents and (
                span.label_ != "Disease" or all(c["types"] == ["T047"] for c in span._.entitylink)
            )
    with pytest.raises(ValueError, match="model:DIR"):
        nlp.add_pipe("entitylink", name="bad", config={"index": "x", "detector": "spacy"})
