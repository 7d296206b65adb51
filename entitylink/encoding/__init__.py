"""Encoding: texts → vectors.

Names and mentions come in; L2-normalised float32 vectors come out, from any BERT-family
checkpoint (:class:`~entitylink.encoding.encoder.Encoder`). Later backends go beside it.
"""
