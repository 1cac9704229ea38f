# The node's fixtures (a real WordPress per test, the node's state folder) for every test of
# the updates; defined in tests/updates/agent/sites.py.
from tests.updates.agent.sites import (  # noqa: F401 (fixtures)
    updates_home,
    wordpress,
    wordpress_template,
)
