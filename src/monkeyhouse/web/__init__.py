"""web layer: the local HTTP entry points: the live ``hystrix.stream`` and the web UI's server.

Like the command line, the web layer sits on top and may use every layer below it. Its servers
bind 127.0.0.1 unless told otherwise and only read the snapshots the run publishes to them: a
client that is slow or goes away never holds up the simulation. The web UI (``monkeyhouse
serve``, ``render --html``) is :mod:`~monkeyhouse.web.serve`, :mod:`~monkeyhouse.web.app`,
:mod:`~monkeyhouse.web.live`, :mod:`~monkeyhouse.web.replay`, :mod:`~monkeyhouse.web.page`,
:mod:`~monkeyhouse.web.topology` and :mod:`~monkeyhouse.web.protocol` (``docs/web-protocol.md``).
"""
