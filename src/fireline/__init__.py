"""Fireline: incident management and reliability engineering in one self-hostable program."""

__version__ = "0.1.0"
