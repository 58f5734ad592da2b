import platform as stdlib_platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_platform_folder_is_not_a_python_package() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists(), "platform/__init__.py shadows the stdlib"


def test_stdlib_platform_module_is_the_real_one() -> None:
    assert callable(stdlib_platform.python_version)


def test_partisipro_kyc_and_notifications_import() -> None:
    import partisipro

    import kyc
    import notifications

    assert Path(partisipro.__file__).parent == ROOT / "platform" / "partisipro"
    assert Path(kyc.__file__).parent == ROOT / "kyc"
    assert Path(notifications.__file__).parent == ROOT / "notifications"
