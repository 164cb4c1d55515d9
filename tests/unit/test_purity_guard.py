"""The unit tier's guard (tests/support/purity.py): a unit test that opens a socket, starts a
process or opens a file outside the tree fails, naming what it tried."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.purity import ROOT, ImpureUnitTest


def test_a_socket_is_refused() -> None:
    with socket.socket() as probe, pytest.raises(ImpureUnitTest, match="bind a socket"):
        probe.bind(("127.0.0.1", 0))
    with socket.socket() as probe, pytest.raises(ImpureUnitTest, match="connect a socket"):
        probe.connect(("127.0.0.1", 9))


def test_a_process_is_refused() -> None:
    with pytest.raises(ImpureUnitTest, match="start a subprocess"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    with pytest.raises(ImpureUnitTest, match=r"call os\.fork"):
        os.fork()


def test_a_file_outside_the_tree_is_refused_and_one_inside_or_in_tmp_is_not(tmp_path: Path) -> None:
    with pytest.raises(ImpureUnitTest, match="open /etc/hostname"):
        Path("/etc/hostname").read_text()
    with pytest.raises(ImpureUnitTest, match="tests/unit holds pure tests only"), open("/etc/passwd"):
        pass
    assert (ROOT / "pyproject.toml").read_text()
    (tmp_path / "written").write_text("fine")


def test_the_error_is_not_swallowed_by_code_catching_exception() -> None:
    assert not issubclass(ImpureUnitTest, Exception)
