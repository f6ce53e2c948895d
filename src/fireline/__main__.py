"""`python -m fireline` runs the command-line interface."""

from fireline.cli.main import main

main()
