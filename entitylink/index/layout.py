"""The file names of an index directory, in one place: every module that opens, writes, lists or
checks one of these files takes its name from here.

::

    indexes/medic/
      manifest.json            written last: format version, versions, encoder, FAISS spec,
                               counts, the files' sizes and checksums (:mod:`.manifest`)
      vectors.faiss            FAISS index; row i is names.row i (:mod:`.vectors`)
      concepts.sqlite          concepts and names tables (:mod:`.store`)
      sparse_vocabulary.json   optional sparse part (:mod:`.sparse`): the n-grams, column by column
      sparse_idf.npy           their inverse document frequencies
      sparse_names.npz         names x n-grams TF-IDF matrix
      retired.npy              optional: the vector rows of retired concepts, sorted (int64),
                               skipped by every search (``entitylink update --remove``)

While an index is built, the encoded names wait in ``vectors.npy`` of the hidden build
directory (:mod:`.swap`), removed before the directory moves into place.
"""

from __future__ import annotations

MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CONCEPTS = "concepts.sqlite"
SPARSE_VOCABULARY = "sparse_vocabulary.json"
SPARSE_IDF = "sparse_idf.npy"
SPARSE_MATRIX = "sparse_names.npz"
SPARSE_FILES = (SPARSE_VOCABULARY, SPARSE_IDF, SPARSE_MATRIX)
RETIRED = "retired.npy"
ENCODED = "vectors.npy"  # build only: the names' vectors before FAISS (a float32 .npy)
