"""The device authorization grant (RFC 8628) for TVs and other input-constrained devices: the
device's side (`grant.py`), the user's side at /activate (`activation.py`) and their pages
(`views.py`). docs/architecture.md explains the states and the races."""
