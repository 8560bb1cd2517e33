from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from playground.engine.cli import DEFAULT_PORT, register, run_list, run_serve, run_train
from playground.engine.store import SMOLLM2_ID, smollm2_path


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="playground")
    register(root.add_subparsers())
    return root


def test_serve_defaults() -> None:
    args = parser().parse_args(["serve"])
    assert (args.host, args.port, args.func) == ("127.0.0.1", DEFAULT_PORT, run_serve)
    args = parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "0"])
    assert (args.host, args.port) == ("0.0.0.0", 0)


def test_engine_train_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "home"))
    notes = tmp_path / "notes.txt"
    notes.write_text("to be or not to be, that is the question. " * 50)
    args = parser().parse_args(["engine", "train", str(notes), "--name", "hamlet"])
    assert args.func is run_train
    assert args.func(args) == 0
    assert "Built local/hamlet" in capsys.readouterr().out
    args = parser().parse_args(["engine", "list"])
    assert args.func is run_list and args.func(args) == 0
    real = [SMOLLM2_ID] if smollm2_path() else []  # with the real model installed
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["local/stdlib", *real, "local/hamlet"]
    assert lines[0].split()[1] == "65536" and "n-gram" in lines[0]


def test_engine_train_refuses_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path))
    args = parser().parse_args(["engine", "train", str(tmp_path / "missing"), "--name", "x"])
    assert args.func(args) == 2
    assert "not a file" in capsys.readouterr().err
    real = tmp_path / "real.txt"
    real.write_text("text")
    args = parser().parse_args(["engine", "train", str(real), "--name", "no/slash"])
    assert args.func(args) == 2
    assert "model name" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser().parse_args(["engine", "train", str(real)])  # --name is required
