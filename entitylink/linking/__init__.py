"""Linking: an index directory + mentions → ranked Candidates per mention; texts → linked spans.

:class:`~entitylink.linking.linker.Linker` encodes the mentions, searches the vectors and
collapses the matched names into concepts. Text annotation builds on it: ``detectors``
(dictionary, spaCy, given spans) find mentions, ``abbreviations`` resolves short forms,
``annotate`` links them into ``documents`` records; ``formats`` and ``bioc_io`` read and write
documents; ``spacy_component`` is the spaCy pipeline component (the only module importing spaCy).
"""

from __future__ import annotations

# The default NIL threshold of text annotation with the dictionary detector (`entitylink
# annotate`, the service's /annotate): it maximised mention-level F1 of the dictionary detector +
# MiniLM linker with the MEDIC index on BC5CDR-disease's dev split (NCBI-disease's dev split
# chose 0.938); see docs/text.md. Kept here, light, so the command line reads it without
# importing the detectors.
DICTIONARY_THRESHOLD = 0.81
