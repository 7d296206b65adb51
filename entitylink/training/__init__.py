"""Training: vocabularies (and a benchmark's train split) → a trained encoder directory.

:mod:`.pairs` makes synonym pairs from the vocabularies; :mod:`.train` runs SapBERT-style
self-alignment on them, with checkpoints and resume.
"""
