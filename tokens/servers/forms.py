"""Console forms for authorization servers, scopes, claims, access policies and rules, and the Token Preview.

The forms only parse what was typed (text, numbers, choices; a lifetime's number and unit into minutes). Every
rule about the values (ranges, reserved claim names, expressions, unknown clients) is the API's validator's
(tokens/servers/validation.py, run by tokens/servers/services.py); `show_errors()` puts its causes beside the fields
they name, so one Save reports every problem.
"""

from django import forms

from clients.models import GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN

from . import validation
from .validation import ServerValidationError

GRANT_LABELS = {
    GRANT_AUTHORIZATION_CODE: "Authorization Code",
    GRANT_REFRESH_TOKEN: "Refresh Token",
    GRANT_CLIENT_CREDENTIALS: "Client Credentials",
    GRANT_DEVICE_CODE: "Device Authorization",
}
UNITS = {"minutes": 1, "hours": 60, "days": 1440}
UNIT_CHOICES = [("minutes", "minutes"), ("hours", "hours"), ("days", "days")]


def split_minutes(minutes: int) -> tuple[int, str]:
    """A number of minutes in the largest unit that holds it exactly: 10080 → (7, "days")."""
    for unit in ("days", "hours"):
        if minutes and minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return minutes, "minutes"


def describe_minutes(minutes: int) -> str:
    """10080 → "7 days", 90 → "90 minutes", 60 → "1 hour"."""
    value, unit = split_minutes(minutes)
    return f"{value} {unit[:-1] if value == 1 else unit}"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _radio(label: str, choices: list[tuple[str, str]], initial: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, initial=initial)


def _checkboxes(label: str, choices=()) -> forms.MultipleChoiceField:
    """Optional: the choices of a server's scopes or the apps are filled in by the form's __init__."""
    return forms.MultipleChoiceField(label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple)


def _text_box(label: str, *, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=help_text)


class ServerConsoleForm(forms.Form):
    """A console form for one object of a server: it parses the fields, and its clean() runs the API's validator
    on what it parsed, so one Save reports every problem, each beside its field.

    `to_data()` gives the values as the model's field names (what services.py takes); a field Django could not
    parse is None there, which the validator reads as "not sent". `ERRORS_AT` names the form field that shows a
    validator field's messages when the two differ (a lifetime in minutes is typed as a number and a unit); a
    message for a field the form does not have goes on top of the form.
    """

    ERRORS_AT: dict[str, str] = {}

    def __init__(self, data=None, *, parent=None, instance=None, **kwargs):
        self.parent, self.instance = parent, instance
        initial = self.initial_of(instance) if instance is not None else self.initial_new()
        super().__init__(data, initial=initial, **kwargs)

    @classmethod
    def initial_of(cls, instance) -> dict:
        """An edit form's first values: the instance's own for the fields named as its model's; a subclass adds
        those it shows otherwise (audiences as text, a status as a checkbox)."""
        own = {f.name for f in instance._meta.concrete_fields}
        return {name: getattr(instance, name) for name in cls.base_fields if name in own}

    def initial_new(self) -> dict:
        return {}

    def validate(self, data: dict) -> dict:
        raise NotImplementedError

    def to_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields}

    def clean(self):
        cleaned = super().clean()
        try:
            self.validate(self.to_data())
        except ServerValidationError as exc:
            self.show_errors(exc.errors)
        return cleaned

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            target = self.ERRORS_AT.get(name, name)
            target = target if target in self.fields else None
            if target is not None and target in self.errors:
                continue  # Django already said what is wrong with what was typed there
            for message in messages:
                self.add_error(target, message)


class ServerForm(ServerConsoleForm):
    name = forms.CharField(label="Name", error_messages={"required": "The name is required."})
    audiences = forms.CharField(
        label="Audience",
        help_text="The access tokens' aud claim: the API they are meant for, e.g. api://orders.",
        error_messages={"required": "The audience is required."},
    )
    description = _text_box("Description")

    @classmethod
    def initial_of(cls, server) -> dict:
        return super().initial_of(server) | {"audiences": ", ".join(server.audiences)}

    def validate(self, data: dict) -> dict:
        return validation.validate_server(data, instance=self.instance)

    def to_data(self) -> dict:
        data = super().to_data()
        if data["audiences"] is not None:
            data["audiences"] = [a.strip() for a in data["audiences"].split(",") if a.strip()]
        return data


class ScopeForm(ServerConsoleForm):
    name = forms.CharField(
        label="Name",
        help_text="What apps ask for in the scope parameter, e.g. orders:read.",
        error_messages={"required": "The scope name is required."},
    )
    display_name = forms.CharField(label="Display phrase", required=False)
    description = _text_box("Description", help_text="Shown on the consent page.")
    consent = _radio(
        "User consent",
        [("IMPLICIT", "Implicit: granted without asking"), ("REQUIRED", "Require user consent for this scope")],
        "IMPLICIT",
    )
    default = forms.BooleanField(
        label="Set as a default scope", required=False, help_text="Granted when an app asks for no scope."
    )
    metadata_publish = forms.BooleanField(
        label="Include in public metadata",
        required=False,
        help_text="Listed in the server's discovery document (scopes_supported).",
    )

    @classmethod
    def initial_of(cls, scope) -> dict:
        return super().initial_of(scope) | {"metadata_publish": scope.metadata_publish == "ALL_CLIENTS"}

    def validate(self, data: dict) -> dict:
        return validation.validate_scope(self.parent, data, instance=self.instance)

    def to_data(self) -> dict:
        data = super().to_data()
        data["metadata_publish"] = "ALL_CLIENTS" if data["metadata_publish"] else "NO_CLIENTS"
        return data


def _scope_choices(server) -> list[tuple[str, str]]:
    names = server.scopes.order_by("-system", "name").values_list("name", flat=True)
    return [(n, n) for n in names]


class ClaimForm(ServerConsoleForm):
    ERRORS_AT = {"conditions_scopes": "scopes", "status": "disabled"}

    name = forms.CharField(label="Name", error_messages={"required": "The claim name is required."})
    claim_type = _radio("Include in token type", [("RESOURCE", "Access Token"), ("IDENTITY", "ID Token")], "RESOURCE")
    value = forms.CharField(
        label="Value",
        help_text="An expression: user.<profile attribute> (user.email, user.login, user.firstName…), or a string "
        'in double quotes ("gold").',
        error_messages={"required": "The value is required."},
    )
    include_in = _radio("Include in", [("any", "Any scope"), ("some", "The following scopes:")], "any")
    scopes = _checkboxes("Scopes")
    always_include_in_token = forms.BooleanField(
        label="Always include in token",
        required=False,
        initial=True,
        help_text="Otherwise an ID token carries it only when no access token is issued with it (OIDC Core §5.4).",
    )
    disabled = forms.BooleanField(label="Disable claim", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = _scope_choices(self.parent)

    @classmethod
    def initial_of(cls, claim) -> dict:
        return super().initial_of(claim) | {
            "include_in": "some" if claim.conditions_scopes else "any",
            "scopes": claim.conditions_scopes,
            "disabled": claim.status == "INACTIVE",
        }

    def validate(self, data: dict) -> dict:
        return validation.validate_claim(self.parent, data, instance=self.instance)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("include_in") == "some" and not cleaned.get("scopes") and "scopes" not in self.errors:
            self.add_error("scopes", "Pick the scopes, or include the claim in any scope.")
        return cleaned

    def to_data(self) -> dict:
        c = super().to_data()
        return {
            "name": c["name"],
            "claim_type": c["claim_type"],
            "value_type": "EXPRESSION",
            "value": c["value"],
            "conditions_scopes": (c["scopes"] or []) if c["include_in"] == "some" else [],
            "always_include_in_token": c["always_include_in_token"],
            "status": "INACTIVE" if c["disabled"] else "ACTIVE",
        }


class PolicyForm(ServerConsoleForm):
    ERRORS_AT = {"clients_include": "clients"}

    name = forms.CharField(label="Name", error_messages={"required": "The policy name is required."})
    description = _text_box("Description")
    assign_to = _radio("Assign to", [("all", "All clients"), ("some", "The following clients:")], "all")
    clients = _checkboxes("Clients")

    def __init__(self, *args, **kwargs):
        from clients.models import Application

        super().__init__(*args, **kwargs)
        self.fields["clients"].choices = list(Application.objects.order_by("name").values_list("client_id", "name"))

    @classmethod
    def initial_of(cls, policy) -> dict:
        every = "ALL_CLIENTS" in policy.clients_include
        return super().initial_of(policy) | {
            "assign_to": "all" if every else "some",
            "clients": [] if every else policy.clients_include,
        }

    def validate(self, data: dict) -> dict:
        return validation.validate_policy(self.parent, data, instance=self.instance)

    def to_data(self) -> dict:
        c = super().to_data()
        return {
            "name": c["name"],
            "description": c["description"],
            "clients_include": ["ALL_CLIENTS"] if c["assign_to"] != "some" else (c["clients"] or []),
        }


def _lifetime_fields(label: str, *, unlimited: bool = False) -> tuple[forms.Field, forms.Field]:
    units = ([("unlimited", "unlimited")] if unlimited else []) + UNIT_CHOICES
    value = forms.IntegerField(
        label=label,
        required=not unlimited,
        widget=forms.NumberInput(attrs={"step": 1}),
        error_messages={"required": "Enter a number.", "invalid": "Enter a whole number."},
    )
    unit = forms.ChoiceField(label=f"{label}: unit", choices=units)
    return value, unit


class RuleForm(ServerConsoleForm):
    """A rule in Okta's words: IF grant type … AND user … AND scopes … THEN lifetimes (number and unit → minutes)."""

    ERRORS_AT = {
        "access_token_lifetime_minutes": "access_value",
        "refresh_token_lifetime_minutes": "refresh_value",
        "refresh_token_window_minutes": "window_value",
        "users_include": "users",
        "scopes": "scope_names",
    }
    LIFETIMES = [("access_value", "access_unit"), ("refresh_value", "refresh_unit"), ("window_value", "window_unit")]

    name = forms.CharField(label="Rule name", error_messages={"required": "The rule name is required."})
    grant_types = _checkboxes("IF Grant type is", list(GRANT_LABELS.items()))
    users_mode = _radio("AND User is", [("any", "Any user"), ("some", "One of the following users:")], "any")
    users = _text_box("Users", help_text="Usernames or user ids (00u…), one per line.")
    scopes_mode = _radio("AND Scopes requested", [("any", "Any scopes"), ("some", "The following scopes:")], "any")
    scope_names = _checkboxes("Scopes")
    access_value, access_unit = _lifetime_fields("THEN Access token lifetime is")
    refresh_value, refresh_unit = _lifetime_fields("Refresh token lifetime is", unlimited=True)
    window_value, window_unit = _lifetime_fields("but will expire if not used every")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_names"].choices = _scope_choices(self.parent.server)

    def initial_new(self) -> dict:
        """Okta's defaults for a new rule: every grant, 1 hour, unlimited, 7 days."""
        return {
            "grant_types": list(GRANT_LABELS),
            "access_value": 1,
            "access_unit": "hours",
            "refresh_unit": "unlimited",
            "window_value": 7,
            "window_unit": "days",
        }

    @classmethod
    def initial_of(cls, rule) -> dict:
        from django.contrib.auth import get_user_model

        names = dict(get_user_model().objects.filter(uid__in=rule.users_include).values_list("uid", "username"))
        access, access_unit = split_minutes(rule.access_token_lifetime_minutes)
        window, window_unit = split_minutes(rule.refresh_token_window_minutes)
        refresh, refresh_unit = split_minutes(rule.refresh_token_lifetime_minutes)
        every_scope = not rule.scopes or "*" in rule.scopes
        return super().initial_of(rule) | {
            "users_mode": "some" if rule.users_include else "any",
            "users": "\n".join(names.get(u, u) for u in rule.users_include),
            "scopes_mode": "any" if every_scope else "some",
            "scope_names": [] if every_scope else rule.scopes,
            "access_value": access,
            "access_unit": access_unit,
            "refresh_value": refresh or None,
            "refresh_unit": refresh_unit if refresh else "unlimited",
            "window_value": window,
            "window_unit": window_unit,
        }

    def validate(self, data: dict) -> dict:
        return validation.validate_rule(self.parent, data, instance=self.instance)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("users_mode") == "some"
            and not _lines(cleaned.get("users") or "")
            and "users" not in self.errors
        ):
            self.add_error("users", "Name the users, or let the rule apply to any user.")
        needs_refresh = cleaned.get("refresh_unit") not in (None, "unlimited")
        if needs_refresh and cleaned.get("refresh_value") is None and "refresh_value" not in self.errors:
            self.add_error("refresh_value", "Enter a number, or choose unlimited.")
        return cleaned

    @staticmethod
    def _minutes(value, unit) -> int | None:
        """Minutes from a number and its unit; None (not sent) when either could not be read."""
        if unit == "unlimited":
            return 0
        if value is None or unit not in UNITS:
            return None
        return value * UNITS[unit]

    def _user_ids(self, typed: list[str]) -> list[str]:
        """Usernames become user ids; anything else is passed on as typed, for the validator to name."""
        from django.contrib.auth import get_user_model

        uids = dict(get_user_model().objects.filter(username__in=typed).values_list("username", "uid"))
        return list(dict.fromkeys(uids.get(t, t) for t in typed))

    def to_data(self) -> dict:
        c = super().to_data()
        return {
            "name": c["name"],
            "grant_types": c["grant_types"] or [],
            "users_include": self._user_ids(_lines(c["users"] or "")) if c["users_mode"] == "some" else [],
            "scopes": (c["scope_names"] or []) if c["scopes_mode"] == "some" else ["*"],
            "access_token_lifetime_minutes": self._minutes(c["access_value"], c["access_unit"]),
            "refresh_token_lifetime_minutes": self._minutes(c["refresh_value"], c["refresh_unit"]),
            "refresh_token_window_minutes": self._minutes(c["window_value"], c["window_unit"]),
        }


class PreviewForm(forms.Form):
    """Token Preview: a client, a grant type, a user and scopes; nothing is issued."""

    client = forms.ChoiceField(label="OAuth/OIDC client")
    grant_type = forms.ChoiceField(label="Grant type", choices=list(GRANT_LABELS.items()))
    user = forms.CharField(
        label="User",
        required=False,
        max_length=150,
        help_text="A username or user id (00u…). Not used with Client Credentials, where the app acts for itself.",
    )
    scopes = _checkboxes("Scopes")

    def __init__(self, *args, scope_names: list[str], **kwargs):
        from clients.models import Application

        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", "Choose a client")] + list(
            Application.objects.order_by("name").values_list("client_id", "name")
        )
        self.fields["scopes"].choices = [(n, n) for n in scope_names]

    def clean_client(self):
        from clients.models import Application

        app = Application.objects.filter(client_id=self.cleaned_data["client"]).first()
        if app is None:
            raise forms.ValidationError("Choose a client.")
        return app

    def clean(self):
        from django.contrib.auth import get_user_model

        cleaned = super().clean()
        typed = (cleaned.get("user") or "").strip()
        needs_user = cleaned.get("grant_type") != GRANT_CLIENT_CREDENTIALS
        if needs_user and not typed:
            self.add_error("user", "Name the user who signs in.")
        elif needs_user:
            User = get_user_model()
            found = User.objects.filter(username=typed).first() or User.objects.filter(uid=typed).first()
            if found is None:
                self.add_error("user", f"No user is called {typed}.")
            cleaned["user"] = found
        else:
            cleaned["user"] = None
        return cleaned
