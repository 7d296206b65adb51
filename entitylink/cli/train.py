"""The ``train`` command of the CLI (see :mod:`entitylink.cli` and :mod:`entitylink.training`)."""

from __future__ import annotations

import argparse
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .options import add_vocab_format

if TYPE_CHECKING:
    from ..training.train import TrainingResult

logger = logging.getLogger("entitylink")

EPILOG_TRAIN = """examples:
  entitylink train data_samples/MRCONSO.RRF --out models/sample --max-steps 20
  entitylink train CTD_diseases.tsv mesh_id_label_mappings.tsv --out models/minilm-sap \\
      --max-minutes 90                  # interrupted? the same command with --resume
  entitylink train META/MRCONSO.RRF --model /models/PubMedBERT --out models/sapbert \\
      --batch-size 512 --device cuda --bf16
  entitylink build-index medic.txt --model models/minilm-sap --out indexes/medic-sap
  entitylink train --objective biosyn --benchmark ncbi-disease --out models/minilm-biosyn \
      --max-minutes 30                  # train split; --include-dev for a final test figure

The model directory is loadable wherever a --model is taken (build-index, evaluate, Python).
Only vocabulary names are used unless --add-benchmark-train names a benchmark.
"""


def add_train_command(commands: Any, formatter: Any, *parents: argparse.ArgumentParser) -> None:
    from ..encoding.options import DEFAULT_MODEL, POOLINGS
    from ..evaluation.benchmarks import BENCHMARKS
    from ..training.config import BiosynConfig, TrainingConfig
    from ..training.pairs import MAX_PAIRS_PER_CONCEPT
    from ..vocabularies import FORMATS

    defaults = TrainingConfig()
    train = commands.add_parser(
        "train",
        help="train a SapBERT-style encoder on vocabulary synonyms",
        description="Self-alignment pretraining (SapBERT): pairs of names of the same concept "
        "are pulled together and the hardest in-batch names of other concepts pushed apart "
        "(TripletMarginMiner + MultiSimilarityLoss from pytorch-metric-learning). Writes a "
        "model directory, train_log.jsonl, loss.png and a checkpoint to resume from.",
        epilog=EPILOG_TRAIN,
        formatter_class=formatter,
        parents=list(parents),
    )
    train.add_argument("--device", help="cpu, cuda, ... (default: cuda when available)")
    train.add_argument(
        "vocab",
        nargs="*",
        type=Path,
        help="vocabulary file(s) or UMLS META dir (sapbert objective; biosyn: the benchmark's)",
    )
    train.add_argument(
        "--objective",
        choices=("sapbert", "biosyn"),
        default="sapbert",
        help="sapbert: self-alignment on vocabulary synonyms (default); biosyn: synonym "
        "marginalisation of a benchmark's train mentions over hybrid candidates",
    )
    train.add_argument(
        "--benchmark",
        choices=sorted(BENCHMARKS),
        help="biosyn: the benchmark whose train split is learned (never its test split)",
    )
    train.add_argument(
        "--include-dev",
        action="store_true",
        help="biosyn: train on train + dev (for the final test figure, as BioSyn did)",
    )
    train.add_argument("--out", required=True, type=Path, help="model directory to write")
    add_vocab_format(train, list(FORMATS))
    train.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"base checkpoint (default: {DEFAULT_MODEL})"
    )
    train.add_argument("--pooling", choices=POOLINGS, help="default: the base model's own")
    train.add_argument(
        "--max-length", type=int, default=defaults.max_length, help="tokens per name (25)"
    )
    size = train.add_argument_group("length of training")
    size.add_argument(
        "--batch-size",
        type=int,
        help=f"pairs per step; twice as many names (default: {defaults.batch_size}); "
        "biosyn: queries per step (default: 16)",
    )
    size.add_argument("--epochs", type=int, default=1, help="passes over the data (default: 1)")
    size.add_argument("--max-steps", type=int, help="stop after this many steps in all")
    size.add_argument(
        "--max-minutes", type=float, help="stop (with a checkpoint) after this many minutes"
    )
    optim = train.add_argument_group("optimisation (SapBERT's defaults; biosyn: BioSyn's)")
    optim.add_argument(
        "--lr",
        type=float,
        help=f"AdamW rate (default: {defaults.learning_rate:g}; "
        f"biosyn: {BiosynConfig.learning_rate:g})",
    )
    optim.add_argument(
        "--weight-decay",
        type=float,
        help=f"default: {defaults.weight_decay:g}; biosyn: {BiosynConfig.weight_decay:g}",
    )
    optim.add_argument("--seed", type=int, default=0, help="pair sampling and batch order")
    optim.add_argument("--bf16", action="store_true", help="bfloat16 autocast (GPUs, recent CPUs)")
    optim.add_argument(
        "--no-dropout",
        dest="dropout",
        action="store_false",
        help="train without dropout (about twice as fast on a CPU; SapBERT keeps it)",
    )
    data = train.add_argument_group("training pairs")
    data.add_argument(
        "--max-pairs-per-concept",
        type=int,
        default=MAX_PAIRS_PER_CONCEPT,
        help=f"sample at most this many name pairs per concept (default: {MAX_PAIRS_PER_CONCEPT})",
    )
    data.add_argument(
        "--single-names",
        action="store_true",
        help="keep concepts with one name as a (name, name) pair (default: skip them)",
    )
    data.add_argument(
        "--add-benchmark-train",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="BENCHMARK",
        help="also pair the train-split mentions of this benchmark with their gold concept's "
        f"name (never dev or test; reported separately); one of {', '.join(BENCHMARKS)}",
    )
    run = train.add_argument_group("checkpoints")
    run.add_argument(
        "--save-every",
        type=int,
        default=defaults.save_every,
        help=f"steps between checkpoints (default: {defaults.save_every})",
    )
    run.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    run.add_argument(
        "--cache-dir",
        type=Path,
        default=Path("indexes/cache"),
        help="biosyn: the base model's dictionary index, reused for the first epoch's candidates",
    )
    run.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")


def file_sha256(path: Path) -> str:
    """sha256 of a file, or of the sorted files of a directory (a UMLS META dir)."""
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if file.is_file():
            with file.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
    return digest.hexdigest()


def _base_vectors(args: argparse.Namespace, dictionary: Any) -> Any:
    """The base model's vectors of the dictionary's names from its cached dictionary index
    (the one ``evaluate`` and ``tune`` build), or None when the rows do not line up."""
    from ..encoding.encoder import Encoder
    from ..evaluation.harness import dictionary_index
    from ..evaluation.protocols import prepare

    prepared = prepare(args.benchmark, "sapbert", split="dev")  # its dictionary: names only
    if prepared.dictionary != dictionary:
        return None
    index = dictionary_index(prepared, Encoder(args.model, device=args.device), args.cache_dir)
    names = [name for concept in dictionary for name in concept.names]
    if index.store.names(0, len(names)) != names or len(index.vectors) != len(names):
        logger.info("the cached index's rows differ from the dictionary's: encoding it")
        return None
    return index.vectors.index.reconstruct_n(0, len(names))


def run_biosyn(args: argparse.Namespace) -> None:
    from ..training.biosyn import biosyn_data, train_biosyn
    from ..training.config import BiosynConfig

    if args.benchmark is None or args.vocab:
        raise ValueError("--objective biosyn takes --benchmark and no vocabulary files")
    splits = ("train", "dev") if args.include_dev else ("train",)
    queries, dictionary = biosyn_data(args.benchmark, splits)
    config = BiosynConfig(
        base_model=args.model,
        max_length=args.max_length,
        batch_size=args.batch_size or BiosynConfig.batch_size,
        epochs=args.epochs,
        learning_rate=BiosynConfig.learning_rate if args.lr is None else args.lr,
        weight_decay=BiosynConfig.weight_decay if args.weight_decay is None else args.weight_decay,
        max_minutes=args.max_minutes,
        seed=args.seed,
        device=args.device,
    )
    data = {"benchmark": args.benchmark, "splits": list(splits), "queries": len(queries)}
    vectors = None if args.resume else _base_vectors(args, dictionary)
    result = train_biosyn(
        queries,
        dictionary,
        args.out,
        config,
        data=data,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.quiet,
        initial_vectors=vectors,
    )
    _report(result, "queries")


def run_train(args: argparse.Namespace) -> None:
    from ..training.config import TrainingConfig
    from ..training.pairs import benchmark_pairs, pairs_from_sources
    from ..training.train import train
    from ..vocabularies import read_vocabulary

    if args.objective == "biosyn":
        return run_biosyn(args)
    if not args.vocab:
        raise ValueError("the sapbert objective needs vocabulary files")
    sources = [(p.name, list(read_vocabulary(p, format=args.vocab_format))) for p in args.vocab]
    pairs = pairs_from_sources(
        sources,
        max_pairs_per_concept=args.max_pairs_per_concept,
        single_names=args.single_names,
        seed=args.seed,
    )
    data: dict[str, Any] = {
        "vocabularies": {str(p): file_sha256(p) for p in args.vocab},
        "vocabulary_pairs": len(pairs),
    }
    everything = [c for _, concepts in sources for c in concepts]
    for benchmark in args.add_benchmark_train or []:
        extra = benchmark_pairs(benchmark, everything, split="train")
        data[f"{benchmark}_train_pairs"] = len(extra)
        pairs += extra
    config = TrainingConfig(
        base_model=args.model,
        pooling=args.pooling,
        max_length=args.max_length,
        batch_size=args.batch_size or TrainingConfig.batch_size,
        epochs=args.epochs,
        max_steps=args.max_steps,
        max_minutes=args.max_minutes,
        learning_rate=TrainingConfig.learning_rate if args.lr is None else args.lr,
        weight_decay=TrainingConfig.weight_decay
        if args.weight_decay is None
        else args.weight_decay,
        seed=args.seed,
        device=args.device,
        bf16=args.bf16,
        dropout=args.dropout,
        save_every=args.save_every,
    )
    result = train(
        pairs,
        args.out,
        config,
        data=data,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    _report(result, "pairs")


def _report(result: TrainingResult, unit: str) -> None:
    """One log line for a finished run: steps, examples seen (``unit``) and their rate, loss."""
    logger.info(
        "%s: %d/%d steps, %d %s seen in %.0f s (%.1f %s/s); loss %s -> %s; %s",
        result.output_dir,
        result.steps,
        result.total_steps,
        result.pairs_seen,
        unit,
        result.seconds,
        result.pairs_seen / max(result.seconds, 1e-9),
        unit,
        result.first_loss,
        result.last_loss,
        result.stopped,
    )
