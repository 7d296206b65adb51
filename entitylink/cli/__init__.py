"""The command line: ``entitylink COMMAND``, parsed here, each command group run by its module.

Arguments in, exit status out: build-index, reindex (:mod:`.build`), update, compact,
tune-search (:mod:`.update`), link (:mod:`.link`), annotate (:mod:`.annotate`), evaluate, report
(:mod:`.evaluate`), train (:mod:`.train`), train-ner (:mod:`.train_ner`), tune (:mod:`.tune`),
verify (:mod:`.verify`), serve (:mod:`.serve`) and info (here). This is the error boundary: the
library's exceptions become one ``error:`` line on stderr.

Exit status: 0 success, 1 a user error (one line on stderr, no traceback), 2 a usage error,
130 Ctrl-C, 143 SIGTERM (both remove the temporary files of a build or an output).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import EntityLinkError
from .annotate import add_annotate_command, run_annotate
from .build import add_build_commands, run_build, run_reindex
from .evaluate import add_evaluation_commands, run_evaluate, run_report
from .link import add_link_command, run_link
from .options import DEPRECATED, engine_options
from .serve import add_serve_command, run_serve
from .train import add_train_command, run_train
from .train_ner import add_train_ner_command, run_train_ner
from .tune import add_tune_command, run_tune
from .update import add_update_commands, run_compact, run_tune_search, run_update
from .verify import Terminated, add_verify_command, raise_on_sigterm, run_verify, terminated

logger = logging.getLogger("entitylink")


def _parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(
        prog="entitylink",
        description="Link biomedical mentions to vocabulary concepts.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="debug log output")
    common.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter
    engine = engine_options()

    add_build_commands(commands, formatter, common, engine)
    add_link_command(commands, formatter, common, engine)
    add_annotate_command(commands, formatter, common)
    add_evaluation_commands(commands, formatter, common)
    add_train_command(commands, formatter, common)
    add_train_ner_command(commands, formatter, common)
    add_tune_command(commands, formatter, common)
    add_update_commands(commands, formatter, common)
    add_verify_command(commands, formatter, common)
    add_serve_command(commands, formatter, common)
    info = commands.add_parser(
        "info",
        help="print an index's manifest and counts",
        description="Print the manifest of an index directory after checking it.",
        epilog="example:\n  entitylink info indexes/sample",
        formatter_class=formatter,
        parents=[common],
    )
    info.add_argument("index", type=Path, help="index directory")
    return parser


def _info(args: argparse.Namespace) -> None:
    from dataclasses import asdict

    from ..index.build import ConceptIndex

    index = ConceptIndex.load(args.index)
    print(json.dumps({"path": str(index.path), **asdict(index.manifest)}, indent=2))


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Log entitylink's messages to stderr; other libraries keep their own settings."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.set_name("entitylink-cli")
    logger.handlers = [h for h in logger.handlers if h.get_name() != "entitylink-cli"] + [handler]
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)  # before any heavy import: --help and usage errors are instant
    _configure_logging(args.verbose, args.quiet)
    for note in getattr(args, DEPRECATED, None) or []:
        logger.warning("%s", note)
    # no loading bars from transformers and the hub: they read this at import (which the ONNX
    # path skips); a program that imported them already is told directly
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:
        sys.modules["transformers"].utils.logging.disable_progress_bar()
    restore = raise_on_sigterm()
    try:
        if args.command == "build-index":
            run_build(args)
        elif args.command == "reindex":
            run_reindex(args)
        elif args.command == "link":
            run_link(args, parser)
        elif args.command == "annotate":
            run_annotate(args)
        elif args.command == "evaluate":
            run_evaluate(args)
        elif args.command == "report":
            run_report(args)
        elif args.command == "train":
            run_train(args)
        elif args.command == "train-ner":
            run_train_ner(args)
        elif args.command == "tune":
            run_tune(args)
        elif args.command == "update":
            run_update(args)
        elif args.command == "compact":
            run_compact(args)
        elif args.command == "tune-search":
            run_tune_search(args)
        elif args.command == "verify":
            run_verify(args)
        elif args.command == "serve":
            run_serve(args)
        else:
            _info(args)
    except (EntityLinkError, ValueError, OSError) as exc:
        logger.debug("traceback", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        return terminated()
    finally:
        restore()
    return 0
