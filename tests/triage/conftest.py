"""The console's fixtures (a verified agent session) for the triage pages' tests."""

from tests.console.conftest import agent_client  # noqa: F401 (a fixture)
