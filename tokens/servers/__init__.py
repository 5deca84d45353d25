"""Authorization servers: which servers exist and their settings (`registry.py`), their scopes
and the claims each releases (`scopes.py`), and their RS256 signing keys (`keys.py`)."""
