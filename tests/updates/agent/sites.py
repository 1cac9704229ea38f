"""Pytest fixtures for the updates' node tests: a real WordPress site per test, the node's
state in the test's own folder. Import them where they are needed:
``from tests.updates.agent.sites import updates_home, wordpress, wordpress_template``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.updates.agent.wordpress import Site, Template, new_site
from xuala.updates.agent.run import run_site


@pytest.fixture(scope="session")
def wordpress_template():
    folder = Path(tempfile.mkdtemp(prefix="xuala-wp-template-"))
    try:
        yield Template(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def updates_home(tmp_path, monkeypatch):
    """The node's updates state (journals, snapshots) in the test's folder."""
    home = tmp_path / "updates-home"
    monkeypatch.setenv("XUALA_UPDATES_HOME", str(home))
    monkeypatch.delenv("XUALA_UPDATE_SOURCE", raising=False)
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def wordpress(wordpress_template, updates_home, monkeypatch, tmp_path):
    """A real WordPress site served by php -S, with its own database; deleted afterwards."""
    site = new_site(wordpress_template, tmp_path / "wp")
    monkeypatch.setenv("XUALA_UPDATES_ERROR_LOGS", str(site.error_log))
    try:
        site.warm()
        yield site
    finally:
        site.close()


def params(site: Site, source: Path | str | None, run: int = 1, **extra) -> dict:
    return {"run": run, "url": site.url, "root": str(site.root),
            "source": str(source) if source else None, "on_failure": "continue", "held": [],
            "pages": None, "visual_threshold": 0.02, "keep_snapshots": 2, **extra}


def run_updates(site: Site, source, run: int = 1, **extra) -> dict:
    steps = []
    result = run_site(params(site, source, run, **extra), steps.append)
    result["_steps"] = steps
    return result


def component(result: dict, slug: str) -> dict:
    return next(c for c in result["components"] if c["slug"] == slug)
