"""Fixtures of the collector tests: ``pki``, a throwaway CA with server and client certificates."""

from __future__ import annotations

import shutil

import pytest

from tests.unit.collector.pki import Pki, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is absent: TLS tests make their certificates with it")
    return make_pki(tmp_path_factory.mktemp("pki"))
