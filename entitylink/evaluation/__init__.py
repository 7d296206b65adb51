"""Evaluation: benchmark corpora + a linker or baseline → scores and reports.

:mod:`.benchmarks` reads PubTator/TSV corpora into Mentions, :mod:`.protocols` and
:mod:`.preprocess` prepare them as the papers did, :mod:`.baselines` are exact match and TF-IDF,
:mod:`.harness` scores Acc@k and MRR, :mod:`.reports` writes JSON, Markdown and plots.
"""
