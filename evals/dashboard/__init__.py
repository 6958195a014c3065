"""The results dashboard: a static site (``mteval dashboard``) and a live server (``mteval serve``).

Both serve the same hand-written single-page app (``static/``); only the data
differs in how it arrives. ``data`` turns the store into JSON payloads,
``site`` writes them as JavaScript files next to the app (so the site opens
from ``file://``, where ``fetch()`` of local files is refused), and ``server``
produces the same files on request from the live store.
"""
