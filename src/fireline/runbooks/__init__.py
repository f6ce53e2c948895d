"""Runbooks as code: the Git-backed runbook repository, its parser, and the guards on automation.

Owns: the runbook model (`model`), the Markdown + YAML front-matter format (`parser`), reading
runbooks at any commit and their history from a Git repository through dulwich (`repo`), and
the pure guard logic automated steps run under (`guards`: template rendering, the shell
allowlist, dry-run descriptions, secret masking, conditions, rate limits).

May import: `fireline.domain` and libraries (dulwich, PyYAML, Jinja2) only. Steps that touch the
platform run as engine work through `fireline.integrations`, wired by `fireline.services`.
"""
