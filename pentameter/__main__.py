"""Allow `python -m pentameter`."""

from pentameter.cli import main

main()
