"""The web console ("Playground") of the mock server: calls, transcripts, deliveries, webhooks, checks.

Server-rendered pages (Jinja2 through aiohttp-jinja2) at the server's root, kept live with server-sent
events; everything shown comes from the Calls API's state and the delivery log. :mod:`.app` registers it
on the server's application.
"""
