"""core/systemlog/types.py CATALOGUE names every event type Rotor records, so the log's menu offers each one."""

import ast
import re
from pathlib import Path

from core.systemlog import types

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for app in ("accounts", "clients", "tokens", "core") for p in (ROOT / app).rglob("*.py")]


def _source() -> str:
    return "\n".join(p.read_text() for p in SOURCES if "migrations" not in p.parts)


def test_every_server_event_suffix_is_catalogued_for_both_servers():
    """`server.event_type("…")` (the org or a custom server's name) in every module that records one."""
    text = _source()
    suffixes = set(re.findall(r'event_type\(\s*"([a-z_.]+)"', text))
    # A grant row's stored `token.grant` is never shown: the log reads it as one event per token (grants.py).
    assert "token.grant" in suffixes
    suffixes.discard("token.grant")
    suffixes |= {f"token.grant.{kind}" for kind in ("access_token", "id_token", "refresh_token")}
    suffixes |= set(re.findall(r'"(device\.(?:approve|deny))"', text))  # chosen, then passed to event_type()
    assert {"token.detect_reuse", "token.revoke", "key.rollover", "device.authorize"} <= suffixes
    for suffix in suffixes:
        for custom in (False, True):
            assert types.oauth2(suffix, custom=custom) in types.CATALOGUE, suffix


def test_every_lifecycle_action_and_named_event_is_catalogued():
    text = _source()
    for module, helper in (
        ("accounts/services.py", types.user_lifecycle),
        ("clients/services.py", types.client_lifecycle),
    ):
        body = (ROOT / module).read_text()
        # `_log("<action>", …)` records `<helper>(action)`, unless it names its own event_type= (checked
        # below with the constants).
        named = {
            call.args[0].value
            for call in ast.walk(ast.parse(body))
            if isinstance(call, ast.Call)
            and getattr(call.func, "id", "") == "_log"
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and not any(k.arg == "event_type" for k in call.keywords)
        }
        actions = named | set(re.findall(r'_set_\w+\([^)]*"([a-z]+)", audit', body))
        assert {"create", "delete", "activate", "deactivate"} <= actions
        for action in actions:
            assert helper(action) in types.CATALOGUE, (module, action)
    for action in re.findall(r'types\.api_token\(\s*"([a-z_]+)"', text):
        assert types.api_token(action) in types.CATALOGUE
    for constant in re.findall(r"types\.([A-Z_]+)\b", text):
        value = getattr(types, constant)
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str):
                assert name in types.CATALOGUE, constant


def test_every_authorization_server_event_is_catalogued():
    """tokens/servers/services.py names its events through the helpers with a literal: the server's in its
    functions, the scopes', claims', policies' and rules' in their writer's `events`, which each write records."""
    from tokens.servers import services

    body = (ROOT / "tokens/servers/services.py").read_text()
    helpers = ("authorization_server", "oauth2_scope", "oauth2_claim", "policy_lifecycle", "policy_rule")
    calls = re.findall(rf'types\.({"|".join(helpers)})\(\s*"([a-z_]+)"', body)
    assert {helper for helper, _ in calls} == set(helpers)
    for helper, action in calls:
        assert getattr(types, helper)(action) in types.CATALOGUE, (helper, action)
    writers = [w for w in vars(services).values() if isinstance(w, services.Writer)]
    assert len(writers) == 4
    for writer in writers:
        assert {"create", "update", "delete"} <= set(writer.events)
        for verb, event in writer.events.items():
            assert event in types.CATALOGUE, (writer.noun, verb, event)
    for writer in (services.POLICIES, services.RULES):
        assert {"activate", "deactivate"} <= set(writer.events)


def test_every_catalogued_type_has_a_readable_name():
    assert all(label and label != name for name, label in types.CATALOGUE.items())
    assert len(types.choices()) == len(types.CATALOGUE)
