"""The load option group: --allow-mismatch reaches LoadOptions."""

from __future__ import annotations

import argparse

from entitylink.cli.options import add_load_options, load_options


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_load_options(parser)
    return parser.parse_args(argv)


def test_allow_mismatch_is_off_by_default_and_a_flag() -> None:
    assert load_options(parse()).allow_mismatch is False
    assert load_options(parse("--allow-mismatch")).allow_mismatch is True
    assert load_options(parse("--verify", "--allow-mismatch")).verify is True
