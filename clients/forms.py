"""Console forms for app integrations. Their clean() runs the shared validator (clients/validation.py),
so the console, the API and the commands apply one set of rules, and each error lands beside its field."""

from django import forms

from core import publickeys

from .models import GRANT_TYPES, Application
from .validation import (
    ALLOWED_GRANTS,
    GRANT_LABELS,
    GRANT_UNAVAILABLE_REASON,
    AppValidationError,
    label_in_use,
    validate_app,
)

# Which settings each app type asks for (the "Create App Integration" form shows only these).
TYPE_FIELDS = {
    "web": ["label", "token_endpoint_auth_method", "jwks_uri", "jwks", "grant_types", "rotation_type", "leeway",
            "redirect_uris", "post_logout_redirect_uris", "trusted_origins", "consent_method", "pkce_required",
            "dpop_bound_access_tokens"],
    "browser": ["label", "grant_types", "rotation_type", "leeway", "redirect_uris", "post_logout_redirect_uris",
                "trusted_origins", "consent_method", "dpop_bound_access_tokens"],
    "native": ["label", "token_endpoint_auth_method", "jwks_uri", "jwks", "grant_types", "rotation_type", "leeway",
               "redirect_uris", "post_logout_redirect_uris", "consent_method", "dpop_bound_access_tokens"],
    "service": ["label", "token_endpoint_auth_method", "jwks_uri", "jwks", "grant_types", "dpop_bound_access_tokens"],
}  # fmt: skip
# What each app type is called in a sentence ("the settings an API service needs"), article included.
TYPE_NOUNS = {
    "web": "a web application",
    "browser": "a single-page application",
    "native": "a native application",
    "service": "an API service",
}
LIST_FIELDS = ["redirect_uris", "post_logout_redirect_uris", "trusted_origins"]
AUTH_METHOD_CHOICES = [
    ("client_secret_basic", "Client secret, sent with HTTP Basic"),
    ("client_secret_post", "Client secret, sent in the request body"),
    ("private_key_jwt", "Public key / private key: a JWT signed with the app's private key (private_key_jwt)"),
    ("none", "None: a public client that proves itself with PKCE"),
]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class AppTypeForm(forms.Form):
    sign_on_mode = forms.ChoiceField(
        label="Sign-in method",
        choices=[("OPENID_CONNECT", "OIDC - OpenID Connect")],
        initial="OPENID_CONNECT",
        widget=forms.RadioSelect,
    )
    application_type = forms.ChoiceField(
        label="Application type", choices=Application.AppType.choices, widget=forms.RadioSelect
    )


class AppSearchForm(forms.Form):
    q = forms.CharField(label="Search by label", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), ("ACTIVE", "Active"), ("INACTIVE", "Inactive")]
    )

    def filter(self, qs):
        if not self.is_valid():
            return qs
        if self.cleaned_data["q"].strip():
            qs = qs.filter(name__icontains=self.cleaned_data["q"].strip())
        if self.cleaned_data["status"]:
            qs = qs.filter(status=self.cleaned_data["status"])
        return qs


class AppSettingsForm(forms.Form):
    """General Settings of one app type, for "Create App Integration" and for Edit on the General tab."""

    label = forms.CharField(
        label="App integration name", max_length=200, error_messages={"required": "The app name is required."}
    )
    token_endpoint_auth_method = forms.ChoiceField(
        label="Client authentication", choices=AUTH_METHOD_CHOICES, widget=forms.RadioSelect, required=False
    )
    jwks_uri = forms.CharField(
        label="JWKS URI (private_key_jwt)",
        required=False,
        max_length=1024,
        help_text="Where Rotor fetches the app's public keys (https), instead of keys registered under Client "
        "Credentials. Leave empty to register keys here.",
    )
    jwks = forms.CharField(
        label="Public key (private_key_jwt)",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="Paste a public key as a JWK or PEM. More keys can be added later under Client Credentials.",
    )
    grant_types = forms.MultipleChoiceField(
        label="Allowed grant types",
        choices=[(g, GRANT_LABELS[g]) for g in GRANT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    rotation_type = forms.ChoiceField(
        label="Refresh token behavior", choices=Application.Rotation.choices, widget=forms.RadioSelect
    )
    leeway = forms.IntegerField(
        label="Grace period for token rotation (seconds)",
        help_text="0 to 60; only for rotating tokens. A rotated token presented again within this time still works, "
        "so a client that lost a response can retry.",
        widget=forms.NumberInput(attrs={"min": 0, "max": 60, "step": 1}),
    )
    redirect_uris = forms.CharField(
        label="Sign-in redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line.",
    )
    post_logout_redirect_uris = forms.CharField(
        label="Sign-out redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line.",
    )
    trusted_origins = forms.CharField(
        label="Trusted origins (CORS)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Origins allowed to call the token endpoints from a browser, e.g. https://app.example.com. "
        "One per line.",
    )
    consent_method = forms.ChoiceField(
        label="User consent",
        choices=[("TRUSTED", "Trusted: no consent screen"), ("REQUIRED", "Required: ask the user to approve scopes")],
        widget=forms.RadioSelect,
    )
    pkce_required = forms.BooleanField(label="Require PKCE as additional verification", required=False)
    dpop_bound_access_tokens = forms.BooleanField(
        label="Require Demonstrating Proof of Possession (DPoP) header in token requests",
        required=False,
        help_text="Tokens are bound to a key the app holds (RFC 9449); a stolen token is useless without it. "
        "A public client may then keep persistent refresh tokens.",
    )

    def __init__(self, *args, app_type: str, instance: Application | None = None, **kwargs):
        from .services import settings_of
        from .validation import defaults_for

        self.app_type = app_type
        self.instance = instance
        current = settings_of(instance) if instance is not None else defaults_for(app_type) | {"label": ""}
        initial = {k: ("\n".join(v) if k in LIST_FIELDS else v) for k, v in current.items()}
        super().__init__(*args, initial=initial, **kwargs)
        for name in list(self.fields):
            if name not in TYPE_FIELDS[app_type]:
                del self.fields[name]
        if app_type in ("web", "service") and "token_endpoint_auth_method" in self.fields:
            self.fields["token_endpoint_auth_method"].choices = AUTH_METHOD_CHOICES[:3]  # a secret or a key
        if instance is not None:
            self.fields.pop("jwks", None)  # an app's keys change under Client Credentials
        self.validated: dict | None = None

    def grant_options(self) -> list[dict]:
        """Every grant, with the ones this app type cannot have disabled and the reason given."""
        if self.is_bound:
            chosen = (
                self.data.getlist("grant_types") if hasattr(self.data, "getlist") else self.data.get("grant_types", [])
            )
        else:
            chosen = self.initial.get("grant_types", [])
        allowed = ALLOWED_GRANTS[self.app_type]
        return [
            {
                "value": grant,
                "label": GRANT_LABELS[grant],
                "checked": grant in chosen and grant in allowed,
                "disabled": grant not in allowed,
                "reason": "" if grant in allowed else GRANT_UNAVAILABLE_REASON[grant],
                "id": f"id_grant_{i}",
            }
            for i, grant in enumerate(GRANT_TYPES)
        ]

    def to_data(self) -> dict:
        data = {"application_type": self.app_type}
        for name, value in self.cleaned_data.items():
            if name == "token_endpoint_auth_method" and not value:
                continue  # not sent: the type's default on create, the current method on edit
            if name == "jwks":
                if value.strip():
                    data["jwks"] = [self._pasted_key(value)]
                continue
            data[name] = _lines(value) if name in LIST_FIELDS else value.strip() if name == "jwks_uri" else value
        return data

    @staticmethod
    def _pasted_key(text: str) -> dict:
        return publickeys.parse_text(text)  # clean() has refused what cannot be read

    def clean(self):
        """Django's own field errors and validate_app()'s together, so one Save reports every problem. A field
        Django could not clean keeps its current (or default) value for validate_app(), and is not blamed twice."""
        cleaned = super().clean()
        from .services import settings_of

        if cleaned.get("jwks", "").strip():
            try:
                publickeys.parse_text(cleaned["jwks"])
            except publickeys.BadKey as exc:
                self.add_error("jwks", str(exc))

        data = self.to_data() if self.instance is None else settings_of(self.instance) | self.to_data()
        problems: dict[str, list[str]] = {}
        try:
            self.validated = validate_app(data, instance=self.instance)
        except AppValidationError as exc:
            problems = exc.errors
        if "label" in cleaned and label_in_use(cleaned["label"], instance=self.instance):
            problems.setdefault("label", []).append(
                f"An app integration named '{cleaned['label'].strip()}' already exists. Give this one another name."
            )
        for field, messages in problems.items():
            if field in self.errors:
                continue  # Django already said what is wrong with what was typed there
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        if self.errors:
            self.validated = None
        return cleaned
