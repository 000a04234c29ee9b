"""State lives in the checkout's .pentameter/ when running from one, else in the user's data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import settings


def test_a_checkout_keeps_its_state_beside_its_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path)
    assert settings.default_home() == tmp_path / ".pentameter"


def test_an_installed_package_keeps_its_state_in_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path / "site-packages")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert settings.default_home() == tmp_path / "data" / "pentameter"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert settings.default_home() == Path.home() / ".local" / "share" / "pentameter"


def test_pentameter_home_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path))
    assert settings.load_settings().home == tmp_path.resolve()
