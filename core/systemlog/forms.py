from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from . import types


class LogFilterForm(forms.Form):
    """System-log filters; an invalid value is reported beside its field and that filter is ignored."""

    event_type = forms.ChoiceField(label="Event type", required=False)
    app = forms.CharField(label="App", required=False, max_length=100, help_text="App ID (0oa…), client ID or label.")
    user = forms.CharField(label="User", required=False, max_length=150, help_text="User ID (00u…) or username.")
    since = forms.DateTimeField(
        label="From (UTC)", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        label="To (UTC)", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_type"].choices = [("", "All events")] + [
            (name, f"{label} · {name}") for name, label in types.choices()
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "'To' must be after 'From'.")
        return data

    def filter(self, log):
        """`log` (a reading.Log) narrowed to the valid filters."""
        User = get_user_model()
        Application = apps.get_model(settings.OAUTH2_PROVIDER_APPLICATION_MODEL)
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("event_type"):
            log = log.of_type(data["event_type"])
        if data.get("app"):
            term = data["app"].strip()
            ids = list(
                Application.objects.filter(Q(public_id=term) | Q(client_id=term) | Q(name__iexact=term)).values_list(
                    "public_id", flat=True
                )
            )
            log = log.filter(app_id__in=ids + [term])
        if data.get("user"):
            term = data["user"].strip()
            ids = list(User.objects.filter(Q(uid=term) | Q(username__iexact=term)).values_list("uid", flat=True))
            log = log.filter(user_id__in=ids + [term])
        if data.get("since"):
            log = log.published_since(data["since"])
        if data.get("until"):
            log = log.filter(published__lte=data["until"])
        return log
