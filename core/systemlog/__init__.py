"""The system log (Okta's System Log), in one place.

- `models.py`: the Event table;
- `audit.py`: who acted and from where, taken from the request once;
- `types.py`: the event-type names;
- `recording.py`: writing events (every app records through it);
- `grants.py`: a token response's grant events, stored as one row and read as Okta's event per token;
- `logevent.py`: an event in Okta's LogEvent JSON, rendered once for the API and the console;
- `reading.py`: reading it, from the read replica when there is one, and the API's filter syntax;
- `api.py`, `console.py`, `forms.py`: `/api/v1/logs`, the console page and its filter form.

Events name tokens only by hash or id, never by value (SPEC §8).
"""
