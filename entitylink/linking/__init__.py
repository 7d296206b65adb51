"""Linking: an index directory + mentions → ranked Candidates per mention; texts → linked spans.

:class:`~entitylink.linking.linker.Linker` encodes the mentions, searches the vectors and
collapses the matched names into concepts (``hybrid`` adds the sparse scores; ``options`` says how
a linker is loaded, ``timing`` records its stages' times). Text annotation
builds on it: ``detectors`` (dictionary) and ``spacy_detector`` (a spaCy pipeline's entities)
find mentions, ``abbreviations`` resolves short forms, ``annotate`` links them into
``documents`` records, with the NIL threshold of ``thresholds``; ``formats`` and ``bioc_io``
read and write documents; ``spacy_component`` is the spaCy pipeline component (the only module
importing spaCy).
"""
