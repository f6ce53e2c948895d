"""The command line: server and admin commands, and responder commands over the HTTP API.

May import anything of Fireline; responder commands go through `client.py`, never the database.
"""
