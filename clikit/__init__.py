"""What every `pentameter` command has in common, so they read and behave alike.

* :mod:`clikit.group` - the command group class every sub-app uses: conventional metavars
  (:mod:`clikit.metavars`) and help paragraphs that wrap to the terminal (:mod:`clikit.helptext`);
* :mod:`clikit.choices` - an unknown name (event type, partner, agency, field...) is one line
  naming the known ones, with the closest as a suggestion;
* :mod:`clikit.humane` - durations and timestamps as people read them (tables) and as ISO 8601
  (JSON);
* :mod:`clikit.output` - ``--json`` output;
* :mod:`clikit.exits` - the exit statuses every command keeps to.

The package sits below every other one and imports none of them (only typer and rich).
"""
