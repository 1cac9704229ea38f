"""Website Security Audit (WSA): the self-contained scanner behind `xuala wsa scan`."""
