"""The refresh-token lifecycle.

- `families.py`: starting a family at sign-in (`redeem_once` for the one-time codes), finding a
  token, refreshing it (persistent, rotating, grace, reuse);
- `revocation.py`: revoking families and single access tokens;
- `events.py`: the grant events of a token response;
- `paths.py`: the one seam between the ORM reference path and PostgreSQL's statements
  (`postgres.py`).
"""
