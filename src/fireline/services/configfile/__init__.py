"""Configuration as code: read, check and convert `fireline.yaml`.

`source` parses the YAML and remembers the line of every path; `models` states the file's shape
(Pydantic); `revision` names the version of the file (a Git commit or a content hash); `loader`
puts them together into a domain `Configuration`, or a list of every problem with its line.
May import the domain and the store's record of applied revisions (and PyYAML, Pydantic).
"""

from fireline.services.configfile.loader import (
    ConfigInvalid,
    ConfigProblem,
    ConfigUnreadable,
    check_config,
    load_config,
    parse_applied,
    parse_config,
)

__all__ = [
    "ConfigInvalid",
    "ConfigProblem",
    "ConfigUnreadable",
    "check_config",
    "load_config",
    "parse_applied",
    "parse_config",
]
