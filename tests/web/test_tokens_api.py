"""The token API: secrets appear once, only hashes are stored, names are never reused."""

from __future__ import annotations

from sqlalchemy import text

from fireline.services.container import Container
from tests.support.api import Api

TOKENS = "/api/v1/tokens"


def test_create_shows_the_secret_once_and_stores_only_its_hash(
    api: Api, container: Container
) -> None:
    created = api.post(TOKENS, as_="admin", json={"name": "ci-bot", "role": "responder"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    listed = api.ok("GET", TOKENS, as_="admin")
    assert {t["name"] for t in listed} >= {"admin", "ci-bot"}
    assert all("secret" not in t for t in listed)
    with container.uow.engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_hash FROM api_tokens")).scalars().all()
    assert secret not in stored
    assert all(len(h) == 64 for h in stored)
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/incidents", as_=None, headers=headers).status_code == 200


def test_bad_role_and_duplicate_names_are_refused(api: Api) -> None:
    bad = api.post(TOKENS, as_="admin", json={"name": "x", "role": "root"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "role"
    api.ok("POST", TOKENS, as_="admin", json={"name": "dup", "role": "viewer"})
    api.ok("DELETE", f"{TOKENS}/dup", as_="admin")
    again = api.post(TOKENS, as_="admin", json={"name": "dup", "role": "viewer"})
    assert again.status_code == 409


def test_revoking_an_unknown_token_is_a_404(api: Api) -> None:
    assert api.delete(f"{TOKENS}/ghost", as_="admin").status_code == 404
