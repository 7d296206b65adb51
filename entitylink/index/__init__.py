"""Index: Concept records + an Encoder → an index directory (manifest, FAISS, SQLite).

:mod:`.build` writes and loads the directory (``build_index``, ``reindex``, ``ConceptIndex``);
:mod:`.store` is the SQLite concept table (it knows nothing of FAISS), :mod:`.vectors` the FAISS
index (it knows nothing of concept IDs), :mod:`.manifest` the checked ``manifest.json``.
"""
