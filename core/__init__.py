"""Code every Rotor app shares (healthchecks' `hc/lib` pattern): ids, hashing, the fixed-window
counter, the `/api/v1` frame, the console's shared pieces and the system log.

The apps (`accounts`, `clients`, `tokens`) depend on this package; it depends on none of them.
It is a Django app only because the system log's and the counters' tables belong to it.
"""
