"""Index: Concept records + an Encoder → an index directory (manifest, FAISS, SQLite).

:mod:`.build` writes the directory (``build_index``, ``reindex``) and :mod:`.directory` loads
and verifies it (``ConceptIndex``, ``verify_index``); :mod:`.store` is the SQLite concept table
(it knows nothing of FAISS), :mod:`.vectors` the FAISS index (it knows nothing of concept IDs),
:mod:`.manifest` the checked ``manifest.json``, :mod:`.checksums` the files' BLAKE2b checksums,
and :mod:`.atomic` writes outputs without losing anything (temporary directories and files,
the overwrite rule, one-line write errors).
"""
