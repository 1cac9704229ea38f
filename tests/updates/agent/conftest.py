from tests.updates.agent.sites import (  # noqa: F401 (fixtures)
    updates_home,
    wordpress,
    wordpress_template,
)
