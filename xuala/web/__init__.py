"""What every face of the site shares: who may reach a view (``access``).

Feature apps (quotes, meetings, sentry, kb, ...) import their access decorators from here,
never from the portal or the console, so the faces stay leaves of the import graph.
"""
