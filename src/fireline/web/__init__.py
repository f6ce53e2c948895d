"""HTTP: the JSON API, health and metrics. Thin: parse, authorize, call a use case, render.

May import services and domain (types and errors); never the engine or the app module.
"""
