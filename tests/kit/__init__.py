"""The test kit: helpers every test file shares, one home each (fixtures are in tests/conftest.py).

- `oauth`: act like an app: PKCE, /authorize, the code exchange, a refresh, form POSTs to the
  OAuth endpoints (/token, /revoke, /introspect…), and the browser part of the flow over HTTP.
- `device`: act like a device (a TV) using the device authorization grant, in-process;
  `device_client` is the same as a script, run against a live server.
- `api`: the management API's (/api/v1) error bodies.
- `console`: token families made through the real lifecycle, console pages as text.
- `dbstate`: row counts of every table, to show that bad input left nothing behind.
- `live`: a real Rotor under gunicorn, and what tests against it share (users, Chromium).
"""
