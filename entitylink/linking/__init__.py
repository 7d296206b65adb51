"""Linking: an index directory + mentions → ranked Candidates per mention.

:class:`~entitylink.linking.linker.Linker` encodes the mentions, searches the vectors and
collapses the matched names into concepts.
"""
