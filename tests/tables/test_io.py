from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from entitylink import ConceptIndex, Encoder, Linker, TableFormatError
from entitylink.cli import main
from entitylink.tables import io as io_module
from entitylink.tables.io import link_table, read_chunks

LONG = ["rank", "concept_id", "name", "matched_name", "score"]
MENTIONS = ["heart attack", "", "asthma", "NA", "heart attack", "fever"]


@pytest.fixture(scope="module")
def linker(minilm: Encoder, sample_index: ConceptIndex) -> Linker:
    return Linker(minilm, sample_index)


def write_table(path: Path) -> Path:
    df = pd.DataFrame({"id": [f"m{i}" for i in range(len(MENTIONS))], "mention": MENTIONS})
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_csv(path, sep="\t" if path.suffix == ".tsv" else ",", index=False)
    return path


def read_table(path: Path) -> pd.DataFrame:
    return pd.concat(list(read_chunks(path)), ignore_index=True)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_round_trip_each_format(linker: Linker, tmp_path: Path, fmt: str) -> None:
    source = write_table(tmp_path / f"in.{fmt}")
    target = tmp_path / f"out.{fmt}"
    rows = link_table(linker, source, target, k=2, chunk_rows=4, progress=False)
    out = read_table(target)
    assert rows == len(out) == 11  # 5 mentions x 2 ranks, and 1 row for the empty mention
    assert list(out.columns) == ["id", "mention", *LONG]
    assert out["id"].tolist() == ["m0", "m0", "m1", "m2", "m2", "m3", "m3", "m4", "m4", "m5", "m5"]
    first = out.iloc[0]
    assert first["concept_id"] == "C0027051" and int(first["rank"]) == 1
    empty = out[out["id"] == "m1"]
    rank = empty["rank"].iloc[0]
    assert len(empty) == 1 and (rank == "" if fmt in ("csv", "tsv") else pd.isna(rank))
    assert out[out["id"] == "m3"]["mention"].iloc[0] == "NA"  # text, not a null
    assert not (tmp_path / f"out.{fmt}.partial").exists()


def test_parquet_schema_and_nested(linker: Linker, tmp_path: Path) -> None:
    source = write_table(tmp_path / "in.parquet")
    link_table(linker, source, tmp_path / "long.parquet", k=1, chunk_rows=2, progress=False)
    schema = pq.read_schema(tmp_path / "long.parquet")
    assert [str(schema.field(n).type) for n in ("rank", "concept_id", "score")] == [
        "int64",
        "string",
        "double",
    ]
    target = tmp_path / "nested.jsonl"
    link_table(linker, source, target, k=2, nested=True, progress=False)
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert [len(r["candidates"]) for r in records] == [2, 0, 2, 2, 2, 2]
    assert records[0]["candidates"][0]["concept_id"] == "C0027051"
    with pytest.raises(TableFormatError, match="nested candidates need"):
        link_table(linker, source, tmp_path / "x.csv", nested=True, progress=False)


def test_missing_column_names_file_and_columns(linker: Linker, tmp_path: Path) -> None:
    source = write_table(tmp_path / "in.csv")
    with pytest.raises(TableFormatError, match=r"in\.csv: no column 'text'.*columns: id, mention"):
        link_table(linker, source, tmp_path / "out.csv", column="text", progress=False)
    with pytest.raises(TableFormatError, match="unknown table extension"):
        link_table(linker, source, tmp_path / "out.xlsx", progress=False)


def test_a_crash_leaves_no_output(
    linker: Linker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_table(tmp_path / "in.parquet")
    calls = []

    def failing(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("killed")
        return Linker.link(linker, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(linker, "link", failing)
    with pytest.raises(RuntimeError, match="killed"):
        link_table(linker, source, tmp_path / "out.parquet", chunk_rows=2, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_cli_links_a_parquet_file(
    sample_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_table(tmp_path / "x.parquet")
    argv = ["link", "--index", str(sample_index.path), "--input", str(source)]
    code = main([*argv, "--output", str(tmp_path / "y.parquet"), "-k", "3", "-q"])
    assert code == 0, capsys.readouterr().err
    out = pd.read_parquet(tmp_path / "y.parquet")
    assert out["concept_id"].iloc[0] == "C0027051" and len(out) == 16
    code = main([*argv, "--column", "text", "--output", str(tmp_path / "z.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "x.parquet: no column 'text'" in err and "id, mention" in err
    assert not (tmp_path / "z.csv").exists()


def test_newcomer_command_end_to_end(sample_index: ConceptIndex, tmp_path: Path) -> None:
    """``entitylink link --index DIR --input x.parquet --output y.parquet``, as a new process."""
    source = write_table(tmp_path / "x.parquet")
    index = shutil.copytree(sample_index.path, tmp_path / "index")
    command = [sys.executable, "-m", "entitylink", "link", "--index", str(index)]
    command += ["--input", str(source), "--output", str(tmp_path / "y.parquet"), "-k", "1"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    out = pd.read_parquet(tmp_path / "y.parquet")
    assert out["mention"].tolist() == MENTIONS and out["concept_id"].iloc[0] == "C0027051"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_full_disk_keeps_the_previous_output(linker: Linker, tmp_path: Path, fmt: str) -> None:
    from entitylink.errors import OutputError
    from tests.mounts import fill, tmpfs

    source = write_table(tmp_path / f"in.{fmt}")
    with tmpfs(tmp_path / "disk", size="1m") as disk:
        target = disk / f"out.{fmt}"
        link_table(linker, source, target, progress=False)
        before = target.read_bytes()
        fill(disk, leave=1_000)  # less than the output takes
        with pytest.raises(OutputError, match=f"no space left on device while writing {target}"):
            link_table(linker, source, target, progress=False, overwrite=True)
        assert target.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == ["filler", target.name]


def test_an_output_directory_is_never_replaced(
    sample_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_table(tmp_path / "in.csv")
    target = tmp_path / "out.parquet"
    target.mkdir()
    (target / "part-0.parquet").write_bytes(b"keep")
    argv = ["link", "--index", str(sample_index.path), "--input", str(source), "-q"]
    code = main([*argv, "--output", str(target)])
    err = capsys.readouterr().err
    assert code == 1 and err == f"error: {target} is a directory; give a file name to write\n"
    assert (target / "part-0.parquet").read_bytes() == b"keep"
    text = tmp_path / "out.txt"
    text.mkdir()
    code = main(["link", "--index", str(sample_index.path), "fever", "--output", str(text)])
    assert code == 1 and "is a directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.parquet", "out.txt"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_a_row_past_the_line_limit_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setattr(io_module, "TABLE_LINE_BYTES", 64)
    path = tmp_path / f"m.{fmt}"
    if fmt == "jsonl":
        rows = [json.dumps({"mention": m}) for m in ("fever", "x" * 100, "cough")]
        path.write_text("\n".join(rows) + "\n")
    else:
        path.write_text("mention\nfever\n" + "x" * 100 + "\ncough\n")
    line = 2 if fmt == "jsonl" else 3
    with pytest.raises(TableFormatError, match=rf"m\.{fmt}:{line}: a line longer than 64 bytes"):
        list(read_chunks(path, chunk_rows=1))
    path.write_text(path.read_text().replace("x" * 100, "x" * 40))
    assert sum(len(chunk) for chunk in read_chunks(path, chunk_rows=2)) == 3
