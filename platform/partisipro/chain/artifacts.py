"""Compiled contract artifacts (contracts/build/<Name>.json).

The build directory is ``contracts/build`` at the repository root, found relative to this file,
or the directory named by the environment variable ``PARTISIPRO_CONTRACTS_BUILD_DIR``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

BUILD_DIR_ENV = "PARTISIPRO_CONTRACTS_BUILD_DIR"

__all__ = ["Artifact", "ArtifactNotFoundError", "build_dir", "list_artifacts", "load_artifact"]


class ArtifactNotFoundError(FileNotFoundError):
    """No compiled artifact of that name (run ``cd contracts && node scripts/build.js``)."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str

    @property
    def runtime_size(self) -> int:
        """Runtime (deployed) code size in bytes, the figure EIP-170 limits to 24,576."""
        return (len(self.deployed_bytecode) - 2) // 2


def build_dir() -> Path:
    override = os.environ.get(BUILD_DIR_ENV)
    if override:
        return Path(override)
    # platform/partisipro/chain/artifacts.py -> repository root is parents[3]
    return Path(__file__).resolve().parents[3] / "contracts" / "build"


def list_artifacts() -> list[str]:
    return sorted(p.stem for p in build_dir().glob("*.json"))


@cache
def _load(path: str, name: str) -> Artifact:
    file = Path(path) / f"{name}.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactNotFoundError(f"no artifact {name!r} in {path}") from exc
    return Artifact(
        name=data["contractName"],
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
    )


def load_artifact(name: str) -> Artifact:
    """Return the ABI and bytecode of contract ``name`` (cached per build directory)."""
    return _load(str(build_dir()), name)
