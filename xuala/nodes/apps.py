"""The node agent's Django app: node tokens, site roots and the jobs nodes run."""

from django.apps import AppConfig


class NodesConfig(AppConfig):
    name = "xuala.nodes"
    label = "nodes"
    verbose_name = "Nodes"
