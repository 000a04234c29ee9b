"""``python -m consumers.analytics run ...``: the same as ``pentameter analytics run``."""

from consumers.analytics.cli import analytics_app

analytics_app(prog_name="pentameter analytics")
