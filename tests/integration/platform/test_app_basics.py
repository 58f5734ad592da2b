"""The app's operational surface: health, metrics, OpenAPI, request ids, problem details."""

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.users import asgi_client

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as http:
        yield http


async def test_live_is_200(client):
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_is_200_when_database_and_redis_answer(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["redis"]["status"] == "up"


async def test_ready_is_503_naming_redis_when_redis_is_unreachable(clean_db, monkeypatch):
    from partisipro.app import create_app
    from partisipro.settings import reset_settings

    monkeypatch.setenv("PARTISIPRO_REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings()
    try:
        async with asgi_client(create_app()) as http:
            response = await http.get("/health/ready")
    finally:
        monkeypatch.undo()
        reset_settings()
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert "redis" in body["detail"]
    assert body["checks"]["database"]["status"] == "up"


async def test_metrics_expose_per_route_counters_and_latency_histograms(client):
    await client.get("/health/live")
    await client.get("/api/v1/me")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'partisipro_http_requests_total{method="GET",route="/health/live",status="200"}' in text
    assert 'partisipro_http_requests_total{method="GET",route="/api/v1/me",status="401"}' in text
    assert 'partisipro_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health/live"}' in text


async def test_openapi_document_is_3_1_and_describes_the_auth_endpoints(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/me",
        "/api/v1/me/wallets/challenge",
        "/api/v1/me/mfa/totp/confirm",
        "/api/v1/admin/users",
        "/api/v1/admin/audit-log/verify",
    ):
        assert path in paths, path
    login = paths["/api/v1/auth/login"]["post"]
    assert "requestBody" in login
    assert "200" in login["responses"]


async def test_a_request_id_sent_by_the_client_is_echoed(client):
    response = await client.get("/health/live", headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"


async def test_a_request_id_is_generated_when_none_is_sent(client):
    response = await client.get("/health/live")
    assert len(response.headers["x-request-id"]) == 32


async def test_an_unknown_path_is_a_problem_document_404(client):
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert {"type", "title", "status", "detail"} <= set(body)


async def test_a_wrong_method_is_a_problem_document_405(client):
    response = await client.get("/api/v1/auth/login")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 405


async def test_a_validation_error_is_a_problem_document_400_with_field_errors(client):
    response = await client.post("/api/v1/auth/register", json={"email": "a@b.co"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Bad request"
    assert body["errors"][0]["field"] in {"password", "full_name"}
