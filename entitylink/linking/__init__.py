"""Linking: an index directory + mentions → ranked Candidates per mention; texts → linked spans.

:class:`~entitylink.linking.linker.Linker` encodes the mentions, searches the vectors and
collapses the matched names into concepts. Text annotation builds on it: ``detectors``
(dictionary, spaCy, given spans) find mentions, ``abbreviations`` resolves short forms,
``annotate`` links them into ``documents`` records; ``formats`` and ``bioc_io`` read and write
documents; ``spacy_component`` is the spaCy pipeline component (the only module importing spaCy).
"""
