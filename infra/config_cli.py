"""`pentameter config show`: every setting, the value in force and where it came from.

The list is :data:`infra.settings.VARIABLES`, the one declaration the README's table is checked
against. A flag (``--bootstrap-server``, ``--command-config``) sets its variable for its own
command only, so here a value comes from the environment or is the default.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from clikit.group import command_group
from clikit.output import JSON_OPTION, print_json
from infra.settings import in_force

config_app = command_group(help="The settings: what each one does, its value in force and its source.")
SECRET_WORDS = ("SECRET", "PASSWORD")


def _shown(name: str, value: str | None) -> str | None:
    """A secret's value is never printed, only that it is set."""
    if value is not None and any(word in name for word in SECRET_WORDS):
        return "(set)"
    return value


@config_app.command("show")
def show(as_json: bool = JSON_OPTION) -> None:
    """List every setting with the value in force (environment or default) and what it does."""
    rows = [(v, _shown(v.name, value)) for v, value in in_force()]
    if as_json:
        print_json(
            [
                {
                    "variable": v.name,
                    "value": value,
                    "source": "environment" if value is not None else "default",
                    "default": v.default.strip("`"),
                    "meaning": v.meaning,
                }
                for v, value in rows
            ]
        )
        return
    table = Table(title="Settings (flags beat the environment, which beats the defaults)")
    for column in ("variable", "value", "source", "meaning"):
        table.add_column(column, overflow="fold")
    for v, value in rows:
        shown = value if value is not None else v.default.strip("`")
        table.add_row(v.name, shown, "environment" if value is not None else "default", v.meaning)
    Console().print(table)
