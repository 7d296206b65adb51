"""The ``train-ner`` command: fine-tune the mention detector (:mod:`entitylink.training.ner`)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger("entitylink")

EPILOG_TRAIN_NER = """examples:
  entitylink train-ner --benchmark ncbi-disease --benchmark bc5cdr --out models/ner
  entitylink train-ner --benchmark bc5cdr --out models/ner-cdr --epochs 3 --max-length 128
  entitylink train-ner ... --resume          # the same command after an interruption
  entitylink annotate --index indexes/medic --detector model:models/ner --input in.pubtator

Train splits only; the epoch is chosen on the dev splits (exact span and type F1); the test
splits are never read. The model directory is a transformers token-classification checkpoint
plus entitylink_ner.json (labels, window, data, dev scores).
"""


def add_train_ner_command(commands: Any, formatter: Any, *parents: argparse.ArgumentParser) -> None:
    """The ``train-ner`` command."""
    from ..encoding.options import DEFAULT_MODEL
    from ..training.config import NerConfig
    from ..training.ner_data import NER_CORPORA

    defaults = NerConfig()
    parser = commands.add_parser(
        "train-ner",
        help="train the mention detector (a BIO token classifier) on benchmark corpora",
        description="Fine-tune a token classifier (transformers' token-classification head) "
        "on the train splits of the corpora, keep the epoch best on their dev splits.",
        epilog=EPILOG_TRAIN_NER,
        formatter_class=formatter,
        parents=list(parents),
    )
    parser.add_argument(
        "--benchmark",
        action="append",
        required=True,
        choices=sorted(NER_CORPORA),
        help="a corpus to train on (repeatable): ncbi-disease (diseases), bc5cdr (chemicals "
        "and diseases)",
    )
    parser.add_argument("--out", required=True, type=Path, help="model directory to write")
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"base checkpoint: a BERT-family name or directory (default: {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--epochs", type=int, default=defaults.epochs, help=f"default: {defaults.epochs}"
    )
    parser.add_argument(
        "--max-length",
        type=int,
        default=defaults.max_length,
        help=f"tokens per window, special tokens included (default: {defaults.max_length})",
    )
    parser.add_argument(
        "--overlap",
        type=int,
        default=defaults.overlap,
        help=f"tokens shared by consecutive windows (default: {defaults.overlap})",
    )
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="windows")
    parser.add_argument("--lr", type=float, default=defaults.learning_rate, help="AdamW rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", help="cpu, cuda, ... (default: cpu)")
    parser.add_argument("--threads", type=int, help="torch threads (default: every core)")
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="bfloat16 autocast of the training steps (CPUs with AVX512-BF16, GPUs); the dev "
        "scores and the saved model stay float32",
    )
    parser.add_argument(
        "--max-minutes", type=float, help="stop (with a checkpoint) after this many minutes"
    )
    parser.add_argument("--save-every", type=int, default=defaults.save_every, help="steps")
    parser.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")


def run_train_ner(args: argparse.Namespace) -> None:
    from ..training.config import NerConfig
    from ..training.ner import train_ner_on

    config = NerConfig(
        base_model=args.model,
        max_length=args.max_length,
        overlap=args.overlap,
        batch_size=args.batch_size,
        epochs=args.epochs,
        max_minutes=args.max_minutes,
        learning_rate=args.lr,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        bf16=args.bf16,
        save_every=args.save_every,
    )
    result = train_ner_on(
        args.benchmark,
        args.out,
        config,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    best = next((h for h in result.dev if h["epoch"] == result.best_epoch), None)
    logger.info(
        "%s: %d/%d steps in %.0f s (%s); best epoch %s, dev span F1 %s",
        result.output_dir,
        result.steps,
        result.total_steps,
        result.seconds,
        result.stopped,
        result.best_epoch,
        best["all"]["f1"] if best else None,
    )
