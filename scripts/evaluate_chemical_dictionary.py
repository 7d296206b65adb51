"""System (a) of ``evaluate --task documents`` on BC5CDR-chemical without a MeSH index: the
dictionary detector built from the MeSH vocabulary files directly, each span linked to the
concepts bearing its name exactly; also the dictionary's build time and memory at MeSH scale.

Usage::

    nice -n 10 python scripts/evaluate_chemical_dictionary.py
"""

from __future__ import annotations

import json
import os
import resource
import time

from entitylink import Annotator, read_vocabulary
from entitylink.evaluation.benchmarks import BENCHMARKS, data_root, load_benchmark
from entitylink.evaluation.documents import gold_spans, predictions, score
from entitylink.linking.detectors import DictionaryDetector


def main() -> None:
    root = data_root()
    clock = time.perf_counter()
    concepts = [
        c for path in BENCHMARKS["bc5cdr-chemical"].vocabulary for c in read_vocabulary(root / path)
    ]
    read = time.perf_counter() - clock
    pairs = [(c.concept_id, name) for c in concepts for name in c.names]
    alt = {c.concept_id: c.alt_ids for c in concepts if c.alt_ids}
    del concepts
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    clock = time.perf_counter()
    detector = DictionaryDetector.from_names(pairs)
    build = time.perf_counter() - clock
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
    bench = load_benchmark("bc5cdr-chemical", "test")
    clock = time.perf_counter()
    documents = Annotator(None, detector, k=1).annotate(
        list(bench.documents.values()), ids=list(bench.documents)
    )
    seconds = time.perf_counter() - clock
    found = score(predictions(documents, alt), gold_spans(bench))
    print(
        json.dumps(
            {
                "names": len(pairs),
                "keys": len(detector),
                "read_vocabulary_s": round(read, 1),
                "dictionary_build_s": round(build, 1),
                "dictionary_peak_rss_growth_mib": round(grown / 1024),
                "annotate_s": round(seconds, 1),
                "mention": found.mention.as_dict(),
                "document": found.document.as_dict(),
                "load_average": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
