"""The try-it demo: a single-page app served by Rotor itself at /demo/, on only with DEBUG or ROTOR_DEMO=1.

It signs in with the code flow and PKCE, then lets its user refresh, replay a rotated refresh token and
watch reuse detection revoke the family. Its OAuth calls are the browser's (static/demo/demo.js); the
server only renders the page and registers the app (registration.py, called by `firstrun`).
"""
