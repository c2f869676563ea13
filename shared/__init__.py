"""The wire contract shared by the server and the desktop app.

No I/O lives here: only names, numbers and the tables that connect them, so
that both sides import one truth about paths, message types, error codes and
WebSocket close codes.
"""
