"""Query vectors of mentions, encoding only what neither the index nor a recent call knows.

A mention that is, as the encoder reads it (:meth:`~entitylink.encoding.encoder.Encoder.key`:
lower-cased, spaces collapsed), one of the index's names has that name's vector already: the
index stores it (``Flat`` and ``HNSW32`` exactly, ``SQfp16`` specs in float16) and
``concepts.sqlite`` maps the key to its row (``name_keys``). Most spans of the dictionary
detector, and 42 % of the distinct NCBI-disease test mentions, are such names. Other mentions
are looked up in a small LRU cache of recently encoded ones (documents repeat their disease
names), and only the rest are encoded.

>>> vectors = QueryVectors(encoder, index, cache_size=4096)     # doctest: +SKIP
>>> vectors(["heart attack", "Heart  attack"]).shape            # doctest: +SKIP
(2, 384)
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..encoding.encoder import Encoder
from ..index.directory import ConceptIndex

logger = logging.getLogger(__name__)

__all__ = ["LINK_BATCH", "QueryCounts", "QueryVectors"]

# mentions per encoder batch when linking: on MEDIC's mentions (2 cores, int8-block) batches of
# 32 left 25 MB of activations in ONNX Runtime's arena where 128 left 70 MB, at the same rate
LINK_BATCH = 32


@dataclass(frozen=True)
class QueryCounts:
    """Where the query vectors of a linker came from, since it was loaded."""

    from_index: int = 0  # the stored vector of a name equal to the mention
    from_cache: int = 0  # encoded by an earlier call, or earlier in the same call
    encoded: int = 0

    @property
    def avoided(self) -> float:
        """The share of query vectors that did not run the encoder (0 when none asked)."""
        total = self.from_index + self.from_cache + self.encoded
        return (self.from_index + self.from_cache) / total if total else 0.0


class QueryVectors:
    """The query vectors of mentions: the index's stored vectors for its names, cached vectors
    for mentions encoded recently (at most ``cache_size``; 0: no cache), the encoder for the
    rest. ``from_index=False`` encodes every name too (the results are the same: a test
    compares them). Safe to call from several threads."""

    def __init__(
        self, encoder: Encoder, index: ConceptIndex, *, cache_size: int, from_index: bool = True
    ) -> None:
        self.encoder, self.index = encoder, index
        self.cache_size = cache_size
        self.from_index = from_index and _index_has_vectors(encoder, index)
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(("from_index", "from_cache", "encoded"), 0)

    @property
    def counts(self) -> QueryCounts:
        with self._lock:
            return QueryCounts(**self._counts)

    def __len__(self) -> int:
        """Vectors in the cache now."""
        return len(self._cache)

    def clear(self) -> None:
        """Empty the cache (the counts stay)."""
        with self._lock:
            self._cache.clear()

    def __call__(
        self, texts: Sequence[str], *, batch_size: int = LINK_BATCH
    ) -> NDArray[np.float32]:
        """One vector per text, float32 ``(len(texts), dim)``, in input order."""
        out = np.empty((len(texts), self.encoder.dim), dtype=np.float32)
        keys = [self.encoder.key(text) for text in texts]
        todo = self._from_cache(keys, out)
        if todo and self.from_index:
            todo = self._from_index(keys, todo, out)
        if todo:  # one text per key: a batch repeats its names
            first = {keys[i]: i for i in reversed(todo)}
            unique = list(first.values())
            out[unique] = self.encoder.encode([texts[i] for i in unique], batch_size=batch_size)
            out[todo] = out[[first[keys[i]] for i in todo]]
            self._remember({keys[i]: out[i] for i in unique}, repeated=len(todo) - len(unique))
        return out

    def _from_cache(self, keys: list[str], out: NDArray[np.float32]) -> list[int]:
        """Fill ``out`` from the cache; the positions still to do."""
        if not self.cache_size:
            return list(range(len(keys)))
        todo = []
        with self._lock:
            for i, key in enumerate(keys):
                vector = self._cache.get(key)
                if vector is None:
                    todo.append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = vector
            self._counts["from_cache"] += len(keys) - len(todo)
        return todo

    def _from_index(self, keys: list[str], todo: list[int], out: NDArray[np.float32]) -> list[int]:
        """Fill ``out`` with stored vectors of names equal to the mention; the rest to do."""
        rows = self.index.store.rows_of_keys(keys[i] for i in todo)
        found = [i for i in todo if keys[i] in rows]
        if found:
            out[found] = self.index.vectors.stored(
                np.array([rows[keys[i]] for i in found], dtype=np.int64)
            )
        with self._lock:
            self._counts["from_index"] += len(found)
        return [i for i in todo if keys[i] not in rows]

    def _remember(self, vectors: dict[str, NDArray[np.float32]], repeated: int) -> None:
        with self._lock:
            self._counts["from_cache"] += repeated
            self._counts["encoded"] += len(vectors)
            if not self.cache_size:
                return
            for key, vector in vectors.items():
                self._cache[key] = vector.copy()
                self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


def _index_has_vectors(encoder: Encoder, index: ConceptIndex) -> bool:
    """Whether mentions equal to names can take their stored vectors: the index keeps exact
    vectors (exactly or in float16), has name keys, and the encoder's keys are exact. Said in
    the log when not."""
    if not index.keeps_vectors:
        why = f"its spec {index.manifest.index['spec']} keeps approximate vectors"
    elif not encoder.keys_are_exact():
        why = "the encoder's tokenizer does not split on spaces first"
    elif not index.store.has_name_keys():
        why = "it has no name keys (an index built before they were added: rebuild it to get them)"
    else:
        return True
    logger.info("%s: every mention is encoded: %s", index.path, why)
    return False
