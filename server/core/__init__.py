"""The transport-free core: who may sign in, whose session is over, and why.

Nothing here knows HTTP, WebSockets or Qt. :mod:`.service` takes requests as
plain data and answers with the domain results of :mod:`.results`; the Sanic
routes and the socket hub only translate those into status codes, JSON and
close codes.
"""
