"""``kpiwatch ingest-pm``: files, directories and globs, a line per file, exit 1 on rejection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.ran.pm_samples import BROKEN_FILE, BROKEN_LINE, BROKEN_REASON, CSV_FILE, rrc_file
from typer.testing import CliRunner

from kpiwatch.cli import app
from kpiwatch.core.config import get_settings


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KPIWATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pm" / "enb7").mkdir(parents=True)
    (tmp_path / "pm" / "enb7" / "A0915.xml").write_bytes(rrc_file())
    (tmp_path / "pm" / "enb7" / "A0930.xml").write_bytes(rrc_file(end="09:30"))
    (tmp_path / "pm" / "enb9.csv").write_bytes(CSV_FILE)
    (tmp_path / "pm" / ".partial.xml").write_bytes(b"<half")  # hidden: left out
    return tmp_path / "pm"


def test_it_imports_a_directory_then_finds_duplicates_by_glob(cli: CliRunner, folder: Path) -> None:
    first = cli.invoke(app, ["ingest-pm", str(folder)])
    assert first.exit_code == 0, first.output
    assert f"{folder}/enb7/A0915.xml: imported as file 1: 6 values in 3 blocks, 1 suspect" in (
        first.output
    )
    assert f"{folder}/enb9.csv: imported as file 3: 2 values in 1 blocks" in first.output
    assert "3 imported (14 values), 0 duplicate, 0 rejected" in first.output

    again = cli.invoke(app, ["ingest-pm", f"{folder}/**/A*.xml"])
    assert again.exit_code == 0, again.output
    assert f"{folder}/enb7/A0930.xml: duplicate of file 2, nothing changed" in again.output
    assert "0 imported (0 values), 2 duplicate, 0 rejected" in again.output

    other = cli.invoke(app, ["ingest-pm", str(folder / "enb9.csv"), "--tenant", "acme"])
    assert "1 imported (2 values), 0 duplicate, 0 rejected" in other.output


def test_it_exits_1_when_a_file_is_rejected(cli: CliRunner, folder: Path) -> None:
    broken = folder / "broken.xml"
    broken.write_bytes(BROKEN_FILE)
    result = cli.invoke(app, ["ingest-pm", str(broken), str(folder / "enb9.csv")])
    assert result.exit_code == 1
    assert f"{broken}: rejected at line {BROKEN_LINE}: {BROKEN_REASON}" in result.output
    assert "1 imported (2 values), 0 duplicate, 1 rejected" in result.output

    lenient = cli.invoke(app, ["ingest-pm", str(broken), "--lenient"])
    assert lenient.exit_code == 0, lenient.output
    assert f"{broken}: imported as file 2: 2 values in 1 blocks, 1 block(s) rejected" in (
        lenient.output
    )
    assert f"  line {BROKEN_LINE} (PRB): {BROKEN_REASON}" in lenient.output


def test_it_names_a_path_that_matches_nothing(cli: CliRunner, folder: Path) -> None:
    result = cli.invoke(app, ["ingest-pm", str(folder / "nope*.xml")])
    assert result.exit_code == 2
    assert "no such file, directory or match" in result.output
