"""The results dashboard: a static site (``mteval dashboard``) and a live server (``mteval serve``).

Both serve the same hand-written single-page app (``static/``); only the data
differs in how it arrives. ``payloads`` turns the store into JSON payloads
(``significance`` builds the significance chunk, ``values`` formats numbers
and times), ``urls`` names each chunk and wraps it as JavaScript, ``site``
writes the chunks as files next to the app (so the site opens from
``file://``, where ``fetch()`` of local files is refused), and ``server``
produces the same files on request from the live store.
"""
