"""Online Sentry: every plan site checked every minute, with a failure report to act on."""
