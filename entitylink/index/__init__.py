"""Index: Concept records + an Encoder → an index directory (manifest, FAISS, SQLite).

:mod:`.build` writes the directory (``build_index``, ``reindex``) and :mod:`.directory` loads
and verifies it (``ConceptIndex``, ``verify_index``); :mod:`.layout` names its files,
:mod:`.store` is the SQLite concept table (it knows nothing of FAISS), :mod:`.vectors` the FAISS
index (it knows nothing of concept IDs), :mod:`.sparse` the TF-IDF part and
:mod:`.sparse_writer` adds it to a directory and records the hybrid weight, :mod:`.manifest` the
checked ``manifest.json`` (and its one writer), :mod:`.checksums` the files' BLAKE2b checksums,
and :mod:`.swap` builds a directory in a hidden one and swaps it into place (the overwrite rule).
Single output files are written with :mod:`entitylink.files`.
"""
