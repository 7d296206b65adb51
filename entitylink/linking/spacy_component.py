"""The ``entitylink`` spaCy component: a drop-in replacement for scispaCy's ``EntityLinker``.

>>> nlp = spacy.load("en_core_sci_sm")                                       # doctest: +SKIP
>>> config = {"index": "indexes/medic", "threshold": 0.8}                      # doctest: +SKIP
>>> nlp.add_pipe("entitylink", config=config)                                  # doctest: +SKIP
>>> [(e.text, e._.kb_ents[:1]) for e in nlp("Wilson disease (WD) ...").ents]  # doctest: +SKIP
[('Wilson disease', [('D006527', 0.97)]), ('WD', [('D006527', 0.97)])]

Registered through the ``spacy_factories`` entry point (the ``[spacy]`` extra), so
``nlp.add_pipe("entitylink")`` works without importing entitylink first. Each entity gets
``span._.kb_ents``, ``[(concept_id, score), ...]`` best first as scispaCy sets it, and
``span._.<component name>``, this component's full candidates (each a
:class:`~entitylink.records.Candidate` as a dict, which spaCy can send between processes):
two components (two vocabularies) keep theirs apart, and ``kb_ents`` holds both, merged by
score. The component is picklable (its configuration only); each process loads the
index itself on first use, as ``config["load"]`` says (:class:`~.options.LoadOptions`'s fields;
by default ONNX int8-block, memory-mapped), so ``nlp.pipe(texts, n_process=2)`` works.

This is the only module of entitylink that imports spaCy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans

from ..errors import MissingDependencyError
from ..records import Candidate
from .documents import Span
from .options import LoadOptions

logger = logging.getLogger(__name__)

DEFAULT_CONFIG: dict[str, Any] = {
    "index": None,
    "k": 5,
    "threshold": None,
    "resolve_abbreviations": True,
    "detector": "ents",
    "types": None,
    "type_map": None,  # typed linking: {"Disease": ["C04", ...]} or a preset name ("mesh")
    "load": {},  # LoadOptions fields (backend, quantize, mmap, device...); {}: the defaults
}


def load_pipeline(name: str) -> Any:
    """``spacy.load(name)``, with an error naming the package to install when it is missing."""
    try:
        return spacy.load(name)
    except OSError as exc:
        raise MissingDependencyError(
            f"cannot load the spaCy pipeline {name!r}: install it (pip install its package, "
            f"e.g. scispaCy's en_core_sci_sm) or give a path to a saved pipeline ({exc})"
        ) from None


@Language.factory("entitylink", default_config=DEFAULT_CONFIG)
def make_entitylink(
    nlp: Language,
    name: str,
    index: str | None,
    k: int,
    threshold: float | None,
    resolve_abbreviations: bool,
    detector: str,
    types: list[str] | None,
    type_map: dict[str, list[str]] | str | None,
    load: dict[str, Any],
) -> EntityLinkComponent:
    """The factory behind ``nlp.add_pipe("entitylink", config={...})``."""
    if index is None:
        raise ValueError('the entitylink component needs config={"index": "path/to/index"}')
    return EntityLinkComponent(
        name,
        index=index,
        k=k,
        threshold=threshold,
        resolve_abbreviations=resolve_abbreviations,
        detector=detector,
        types=types,
        type_map=type_map,
        load=load,
    )


class EntityLinkComponent:
    """Link the entities of a doc (``detector="ents"``) or find them first, with the index's
    dictionary (``detector="dictionary"``) or a token classifier (``detector="model:DIR"``,
    :class:`~.model_detector.ModelDetector`, its spans labelled with their entity type): found
    spans are added to ``doc.ents`` where they overlap no entity, and to ``doc.spans[name]``.
    ``type_map`` (a dict of label to concept types, or ``"mesh"``) links each span among the
    concepts of its label's types (:mod:`.type_maps`)."""

    def __init__(self, name: str = "entitylink", **config: Any) -> None:
        unknown = set(config) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown entitylink options {sorted(unknown)}")
        self.name = name
        self.config = {**DEFAULT_CONFIG, **config}
        detector = self.config["detector"]
        if detector not in ("ents", "dictionary") and not str(detector).startswith("model:"):
            raise ValueError(
                f"detector must be 'ents', 'dictionary' or 'model:DIR', got {detector!r}"
            )
        self.load = LoadOptions.from_dict(self.config["load"])  # checked now, not at first use
        self._annotator: Any = None
        self._said_no_ents = False
        _register(name)

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name, self.config, self._annotator = state["name"], state["config"], None
        self._said_no_ents = False
        self.load = LoadOptions.from_dict(self.config["load"])
        _register(self.name)

    @property
    def annotator(self) -> Any:
        """The :class:`~entitylink.linking.annotate.Annotator`, loaded on first use."""
        if self._annotator is None:
            from .annotate import Annotator, GivenSpans
            from .linker import Linker
            from .model_detector import ModelDetector
            from .type_maps import parse_type_map

            config = self.config
            linker = Linker.from_dir(config["index"], self.load)
            detector: Any = GivenSpans() if config["detector"] == "ents" else None
            if str(config["detector"]).startswith("model:"):
                detector = ModelDetector(config["detector"][6:], threads=self.load.threads)
            type_map = config["type_map"]
            self._annotator = Annotator(
                linker,
                detector,
                k=config["k"],
                threshold=config["threshold"],
                types=config["types"],
                abbreviations=config["resolve_abbreviations"],
                type_map=parse_type_map([type_map]) if isinstance(type_map, str) else type_map,
            )
        return self._annotator

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, stream: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in stream:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._link(batch)
                batch = []
        if batch:
            yield from self._link(batch)

    def _link(self, docs: list[Doc]) -> list[Doc]:
        texts = [doc.text for doc in docs]
        if self.config["detector"] == "ents":
            self._check_ents(docs)
            given = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]
            annotated = self.annotator.annotate(texts, spans=given)
        else:
            annotated = self.annotator.annotate(texts)
        for doc, document in zip(docs, annotated, strict=True):
            by_offsets = {(s.start, s.end): s for s in document.spans}
            if self.config["detector"] != "ents":
                found = [_char_span(doc, span) for span in document.spans]
                spans = [s for s in found if s is not None]
                doc.spans[self.name] = spans
                doc.ents = filter_spans([*doc.ents, *spans])
                targets: Iterable[SpacySpan] = spans
            else:
                targets = doc.ents
            for entity in targets:
                linked = by_offsets.get((entity.start_char, entity.end_char))
                candidates = list(linked.candidates) if linked is not None else []
                entity._.set(self.name, [_plain(c) for c in candidates])
                pairs = [(c.concept_id, c.score) for c in candidates]
                merged = [*entity._.kb_ents, *pairs]
                entity._.set("kb_ents", sorted(merged, key=lambda pair: -pair[1]))
        return docs

    def _check_ents(self, docs: list[Doc]) -> None:
        """Warn once when ``detector="ents"`` gets docs whose entities nothing ever set (no NER
        or entity ruler before this component): every doc would come back unlinked, silently."""
        if self._said_no_ents:
            return
        if any(len(doc) and not doc.has_annotation("ENT_IOB") for doc in docs):
            self._said_no_ents = True
            logger.warning(
                "entitylink component %r: detector='ents' links doc.ents, but nothing set them "
                "(no NER or entity_ruler before it in the pipeline), so nothing is linked; add "
                "an NER component before it, or use config={'detector': 'dictionary'}",
                self.name,
            )


def _plain(candidate: Candidate) -> dict[str, Any]:
    """A candidate as a dict: spaCy sends docs between processes as msgpack, which takes plain
    values only (and returns tuples as lists)."""
    return {**asdict(candidate), "types": list(candidate.types)}


def _char_span(doc: Doc, span: Span) -> SpacySpan | None:
    return doc.char_span(
        span.start, span.end, label=span.label or "ENTITY", alignment_mode="expand"
    )


def _register(name: str) -> None:
    if not SpacySpan.has_extension("kb_ents"):
        SpacySpan.set_extension("kb_ents", default=[])
    if not SpacySpan.has_extension(name):
        SpacySpan.set_extension(name, default=None)
