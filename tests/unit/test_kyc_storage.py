"""Document storage, local-folder backend (dev profile), and content sniffing."""

from __future__ import annotations

from pathlib import Path

import pytest
from partisipro import storage


@pytest.fixture
def local_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from partisipro.settings import reset_settings

    monkeypatch.setenv("PARTISIPRO_STORAGE_BACKEND", "local")
    monkeypatch.setenv("PARTISIPRO_VAR_DIR", str(tmp_path))
    reset_settings()
    yield tmp_path
    monkeypatch.undo()
    reset_settings()


async def test_local_backend_stores_under_a_random_key_and_reads_back(local_storage: Path) -> None:
    key = await storage.put(b"%PDF-1.4 hello", prefix="kyc", content_type="application/pdf")
    other = await storage.put(b"%PDF-1.4 hello", prefix="kyc", content_type="application/pdf")
    assert key != other and key.startswith("kyc/") and len(key) == len("kyc/") + 32
    assert (local_storage / "documents" / key).read_bytes() == b"%PDF-1.4 hello"
    assert await storage.get(key) == b"%PDF-1.4 hello"
    assert await storage.presigned_url(key) is None


async def test_unknown_or_path_traversal_keys_are_not_found(local_storage: Path) -> None:
    with pytest.raises(storage.ObjectNotFoundError):
        await storage.get("kyc/" + "0" * 32)
    with pytest.raises(storage.ObjectNotFoundError):
        await storage.get("../../etc/passwd")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"MZ\x90\x00", None),
        (b"\x7fELF", None),
        (b"<html>%PDF-", None),
        (b"", None),
    ],
)
def test_content_type_comes_from_the_bytes(data: bytes, expected: str | None) -> None:
    assert storage.sniff_content_type(data) == expected
