"""Reading the consumer's six files: every problem at once, file names only, never content."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice_order_router.adapters.rest.oauth import FILES, OAuthConfigError, load_credentials
from sluice_order_router.adapters.rest.settings import RestSettings
from sluice_order_router.bootstrap import oauth_credentials
from tests.support import oauth

SECRET_LOOKING = "SUPERSECRETMATERIAL"


def test_the_six_files_load_with_trailing_whitespace_stripped(tmp_path: Path) -> None:
    creds = load_credentials(oauth.write_credentials(tmp_path / "oauth"), "test_realm")
    assert (creds.consumer_key, creds.access_token, creds.realm) == (
        oauth.CONSUMER_KEY,
        oauth.ACCESS_TOKEN,
        "test_realm",
    )
    assert creds.prepend == oauth.SECRET.hex()
    assert (creds.dh_group.p, creds.dh_group.g) == (oauth.MODP_2048, 2)
    shown = repr(creds)
    assert oauth.SECRET.hex() not in shown and oauth.ACCESS_TOKEN not in shown
    assert "Key" not in shown and "p=" not in shown


def test_every_missing_file_is_named_at_once(tmp_path: Path) -> None:
    with pytest.raises(OAuthConfigError) as caught:
        load_credentials(tmp_path, "limited_poa")
    assert len(caught.value.problems) == len(FILES)
    for name in FILES:
        assert any(p.startswith(f"{name}: missing") for p in caught.value.problems)


def test_corrupt_and_empty_files_are_named_without_their_content(tmp_path: Path) -> None:
    directory = oauth.write_credentials(tmp_path / "oauth")
    (directory / "private_signature.pem").write_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{SECRET_LOOKING}\n-----END RSA PRIVATE KEY-----\n"
    )
    (directory / "dhparam.pem").write_text(SECRET_LOOKING)
    (directory / "access_token_secret").write_text(f"{SECRET_LOOKING}*not-base64*\n")
    (directory / "access_token").write_text("\n  \n")
    with pytest.raises(OAuthConfigError) as caught:
        load_credentials(directory, "limited_poa")
    problems = caught.value.problems
    assert sorted(p.split(":")[0] for p in problems) == [
        "access_token",
        "access_token_secret",
        "dhparam.pem",
        "private_signature.pem",
    ]
    assert SECRET_LOOKING not in str(caught.value)


def test_a_secret_for_another_encryption_key_never_yields_the_secret(tmp_path: Path) -> None:
    directory = oauth.write_credentials(tmp_path / "oauth")
    (directory / "private_encryption.pem").write_bytes(oauth.pem(oauth.keys().signature))
    try:
        creds = load_credentials(directory, "limited_poa")
    except OAuthConfigError as exc:
        assert exc.problems == (
            "access_token_secret: cannot be decrypted with private_encryption.pem"
            " (a key or secret from another consumer?)",
        )
    else:  # PKCS#1 v1.5 implicit rejection may answer noise instead: LST validation catches it
        assert creds.prepend != oauth.SECRET.hex()


def test_the_router_exits_2_naming_ibkr_oauth_dir_once_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "consumer_key").write_text(SECRET_LOOKING)
    with pytest.raises(SystemExit) as exited:
        oauth_credentials(RestSettings(oauth_dir=tmp_path))
    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(FILES) - 1
    assert all(line.startswith("configuration error: IBKR_OAUTH_DIR: ") for line in lines)
    assert SECRET_LOOKING not in "\n".join(lines)


def test_no_oauth_dir_means_no_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IBKR_OAUTH_DIR", raising=False)
    assert oauth_credentials(RestSettings()) is None
    assert RestSettings().oauth_realm == "limited_poa"
