"""Realistic console data for screenshots: apps of every type, users, families that rotated, used
their grace period and were caught replaying, API tokens. Names carry `tag` so reruns on a committed
database do not collide."""

import contextlib
from datetime import timedelta
from unittest import mock

from django.utils import timezone

from accounts import services as accounts
from clients import services as clients
from core.systemlog.audit import Audit
from tests.kit.console import use
from tokens.lifecycle import families as lifecycle
from tokens.lifecycle import revocation
from tokens.oauth.errors import OAuthError
from tokens.servers.registry import get_server


def seed(tag: str, admin) -> dict:
    people = [
        accounts.create_user(
            username=f"{first.lower()}.{tag}@example.com",
            email=f"{first.lower()}.{tag}@example.com",
            first_name=first,
            last_name=last,
            password="a long demo password 1",
            audit=Audit(user=admin),
        )
        for first, last in [("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson"), ("Edsger", "Dijkstra")]
    ]
    spa, _ = clients.create_app(
        {
            "label": f"Customer portal {tag}",
            "application_type": "browser",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://portal.example.com/callback"],
            "post_logout_redirect_uris": ["https://portal.example.com/"],
            "trusted_origins": ["https://portal.example.com"],
            "rotation_type": "ROTATE",
            "leeway": 10,
        },
        audit=Audit(user=admin),
    )
    web, _ = clients.create_app(
        {
            "label": f"Billing dashboard {tag}",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "redirect_uris": ["https://billing.example.com/oidc/callback"],
            "consent_method": "REQUIRED",
        },
        audit=Audit(user=admin),
    )
    native, _ = clients.create_app(
        {
            "label": f"Field app (iOS) {tag}",
            "application_type": "native",
            "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
            "redirect_uris": ["com.example.app:/callback"],
        },
        audit=Audit(user=admin),
    )
    service, _ = clients.create_app(
        {"label": f"Nightly export job {tag}", "application_type": "service"}, audit=Audit(user=admin)
    )
    old, _ = clients.create_app(
        {
            "label": f"Legacy intranet {tag}",
            "application_type": "web",
            "redirect_uris": ["https://intra.example.com/cb"],
        },
        audit=Audit(user=admin),
    )
    clients.deactivate_app(old, audit=Audit(user=admin))

    server = get_server("default")
    now = timezone.now()
    families = []
    for i, person in enumerate(people[:3]):
        family, token = lifecycle.start_family(
            client=spa,
            user=person,
            server=server,
            scopes=["openid", "profile", "email", "offline_access"],
            auth_time=now,
            grant_type="authorization_code",
        )
        families.append(family)
        for _ in range(2 + i):
            token = use(spa, token).refresh_token
    # A family whose rotated token came back after the grace period: reuse detected.
    victim, token = lifecycle.start_family(
        client=spa,
        user=people[3],
        server=server,
        scopes=["openid", "offline_access"],
        auth_time=now,
        grant_type="authorization_code",
    )
    first = token
    token = use(spa, token).refresh_token
    use(spa, first)  # grace-period retry
    token = use(spa, token).refresh_token
    later = timezone.now() + timedelta(seconds=spa.leeway + 5)
    with mock.patch("django.utils.timezone.now", return_value=later), contextlib.suppress(OAuthError):
        use(spa, first)
    # A persistent-token family on the web app, revoked by an admin.
    static, _ = lifecycle.start_family(
        client=web,
        user=people[0],
        server=server,
        scopes=["openid", "offline_access"],
        auth_time=now,
        grant_type="authorization_code",
    )
    revocation.revoke_family(static, reason="revoked_by_admin", audit=Audit(user=admin))
    token_obj, plain = accounts.create_api_token(admin, f"CI deploys {tag}")
    accounts.authenticate_api_token(plain)  # it has been used
    accounts.create_api_token(admin, f"Terraform {tag}")
    return {
        "people": people,
        "spa": spa,
        "web": web,
        "native": native,
        "service": service,
        "old": old,
        "families": families,
        "victim": victim,
        "api_token": token_obj,
    }
