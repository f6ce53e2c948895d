"""The pure core: data types and decisions, with time passed in.

Owns incident state, timelines, access roles and validation of identifiers.
May import only the standard library and other `fireline.domain` modules.
"""
