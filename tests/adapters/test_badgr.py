"""The Badgr provider against the fake Badgr: sign-in, rotation, idempotent awards, faults, kills."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from fakebadgr import BADGR_PASSWORD, BADGR_USER, FakeBadgr
from test_local_badges import AWARD_DAY, NEXT_DAY, SESSION, STUDENTS, local, notices, participants, seat

from microintern.adapters.badgr import BadgrIssuer
from microintern.bootstrap import step_context
from microintern.config import BadgrSettings
from microintern.domain.records import BadgeAward
from microintern.errors import BadgeServiceError, BadgeSignInError
from microintern.steps.badges import award_badges

ASSERTIONS = "/v2/badgeclasses/CLASS1/assertions"
PASSWORD_VARIABLE = "MICROINTERN_BADGR_PASSWORD"


def _settings(badgr: FakeBadgr, **changes: Any) -> BadgrSettings:
    return BadgrSettings(base_url=badgr.url, username=BADGR_USER, issuer_id="ISSUER1", badgeclass_id="CLASS1",
                         timeout_seconds=2, **changes)


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _issuer(badgr: FakeBadgr, tmp_path: Path, *, password: str | None = BADGR_PASSWORD,
            clock: Any = time.time) -> BadgrIssuer:
    return BadgrIssuer(_settings(badgr), token_file=tmp_path / "tokens" / "badgr.json",
                       password=lambda: password, clock=clock, sleep=lambda _: None)


def _award(email: str = "maya.okafor@students.mesavalley.example",
           key: str = "cyber-basics:A-1") -> BadgeAward:
    return BadgeAward(key=key, email=email, name="Maya O.",
                      narrative='Completed the micro-internship "Defend the Network" with Solis Cyber.',
                      evidence_url="https://mesavalley.example/sessions/cyber-basics",
                      evidence_narrative="Attended 84 of 90 minutes.", issued_on=AWARD_DAY)


def _expire_saved_access_token(tmp_path: Path) -> None:
    """As days later: the saved access token has run out (the refresh token still works)."""
    path = tmp_path / "tokens" / "badgr.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "expires_at": time.time() - 1}))


def test_first_token_by_password_then_rotating_refresh_tokens_kept_0600(badgr: FakeBadgr,
                                                                        tmp_path: Path) -> None:
    issuer = _issuer(badgr, tmp_path)
    assert issuer.awarded(["a@students.example"]) == {}
    token_file = tmp_path / "tokens" / "badgr.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    first = json.loads(token_file.read_text())
    assert badgr.password_grants == 1 and first["refresh_token"] in badgr.refresh_tokens
    assert BADGR_PASSWORD not in token_file.read_text()

    # A later run (a new process) needs no password: the saved refresh token signs it in.
    _expire_saved_access_token(tmp_path)
    later = _issuer(badgr, tmp_path, password=None)
    issued = later.award(_award())
    assert issued.assertion_id
    second = json.loads(token_file.read_text())
    assert badgr.password_grants == 1 and badgr.refresh_grants == 1
    assert second["refresh_token"] != first["refresh_token"]
    # Rotation: the old refresh token is void, the new one is what the file keeps.
    assert first["refresh_token"] not in badgr.refresh_tokens
    assert second["refresh_token"] in badgr.refresh_tokens
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token_calls = [c for c in badgr.calls if c.path == "/o/token"]
    grants = [c.body.split("grant_type=")[1].split("&")[0] for c in token_calls]
    assert grants == ["password", "refresh_token"]
    assert badgr.rejections == []


def test_a_401_refreshes_once_and_repeats_the_request(badgr: FakeBadgr, tmp_path: Path) -> None:
    issuer = _issuer(badgr, tmp_path)
    issuer.award(_award())
    badgr.expire_access_tokens()   # revoked server-side while still "valid" by the clock
    found = issuer.awarded(["maya.okafor@students.mesavalley.example"])
    assert list(found) == ["maya.okafor@students.mesavalley.example"]
    assert badgr.refresh_grants == 1
    assert [c.status for c in badgr.calls if c.method == "GET"] == [401, 200]
    assert badgr.rejections == []


def test_an_access_token_about_to_run_out_is_refreshed_before_use(badgr: FakeBadgr, tmp_path: Path) -> None:
    clock = _Clock()
    issuer = _issuer(badgr, tmp_path, clock=clock)
    issuer.awarded(["a@students.example"])
    clock.now += 86400 - 30          # Badgr's tokens live a day; refresh a minute early
    issuer.awarded(["a@students.example"])
    assert (badgr.password_grants, badgr.refresh_grants) == (1, 1)
    assert [c.status for c in badgr.calls if c.method == "GET"] == [200, 200]


def test_no_saved_sign_in_and_no_password_is_a_clear_error(badgr: FakeBadgr, tmp_path: Path) -> None:
    with pytest.raises(BadgeSignInError, match=PASSWORD_VARIABLE) as raised:
        _issuer(badgr, tmp_path, password=None).awarded(["a@students.example"])
    assert raised.value.exit_code == 2
    with pytest.raises(BadgeSignInError, match="refused the sign-in"):
        _issuer(badgr, tmp_path, password="wrong").awarded(["a@students.example"])
    assert badgr.count(path_prefix=ASSERTIONS) == 0


def test_a_void_refresh_token_falls_back_to_the_password_when_given(badgr: FakeBadgr, tmp_path: Path) -> None:
    _issuer(badgr, tmp_path).awarded(["a@students.example"])
    badgr.refresh_tokens.clear()     # revoked in Badgr
    _expire_saved_access_token(tmp_path)
    with pytest.raises(BadgeSignInError, match="no longer works"):
        _issuer(badgr, tmp_path, password=None).awarded(["a@students.example"])
    _issuer(badgr, tmp_path).awarded(["a@students.example"])
    assert badgr.password_grants == 2


def test_award_body_matches_badgr_and_the_service_sends_the_notice(badgr: FakeBadgr, tmp_path: Path) -> None:
    issued = _issuer(badgr, tmp_path).award(_award("Maya.Okafor@Students.MesaValley.example"))
    [post] = [c for c in badgr.calls if c.method == "POST" and c.path == ASSERTIONS]
    body = json.loads(post.body)
    assert body["recipient"] == {"identity": "maya.okafor@students.mesavalley.example", "type": "email",
                                 "hashed": True}
    assert body["notify"] is True and body["allowDuplicateAwards"] is False
    assert body["evidence"] == [{"narrative": "Attended 84 of 90 minutes.",
                                 "url": "https://mesavalley.example/sessions/cyber-basics"}]
    # The simulated 2027 award date is in Badgr's future: the real time is sent instead.
    assert datetime.fromisoformat(body["issuedOn"].replace("Z", "+00:00")) <= datetime.now(AWARD_DAY.tzinfo)
    [assertion] = badgr.assertions_of("CLASS1")
    assert issued.assertion_id == assertion.entity_id
    assert issued.url == f"{badgr.url}/public/assertions/{assertion.entity_id}"
    assert badgr.notifications == [("maya.okafor@students.mesavalley.example", "CLASS1")]
    assert badgr.rejections == []


def test_a_500_after_the_assertion_was_created_is_settled_by_listing(badgr: FakeBadgr,
                                                                     tmp_path: Path) -> None:
    badgr.fail("POST", ASSERTIONS, 500, after=True)
    issued = _issuer(badgr, tmp_path).award(_award())
    [assertion] = badgr.assertions_of("CLASS1")
    assert issued.assertion_id == assertion.entity_id
    assert badgr.count("POST", ASSERTIONS) == 1    # never a blind second POST
    assert badgr.rejections == []


def test_a_dropped_answer_is_settled_by_listing(badgr: FakeBadgr, tmp_path: Path) -> None:
    badgr.drop("POST", ASSERTIONS)
    issued = _issuer(badgr, tmp_path).award(_award())
    [assertion] = badgr.assertions_of("CLASS1")
    assert issued.assertion_id == assertion.entity_id
    assert badgr.count("POST", ASSERTIONS) == 1


def test_a_500_before_anything_happened_fails_the_award_for_the_next_run(badgr: FakeBadgr,
                                                                          tmp_path: Path) -> None:
    badgr.fail("POST", ASSERTIONS, 503)
    issuer = _issuer(badgr, tmp_path)
    with pytest.raises(BadgeServiceError, match="was not awarded") as raised:
        issuer.award(_award())
    assert raised.value.retryable and raised.value.code == 503
    assert "maya" not in str(raised.value)
    assert badgr.assertions_of("CLASS1") == []
    issuer.award(_award())
    assert len(badgr.assertions_of("CLASS1")) == 1


def test_badgr_refuses_a_second_award_and_the_client_returns_the_first(badgr: FakeBadgr,
                                                                       tmp_path: Path) -> None:
    issuer = _issuer(badgr, tmp_path)
    first = issuer.award(_award())
    # A caller that skipped awarded(): Badgr's allowDuplicateAwards=false keeps it at one.
    assert issuer.award(_award(key="cyber-basics:A-1-again")) == first
    assert len(badgr.assertions_of("CLASS1")) == 1


def test_a_refused_award_names_the_key_not_the_address(badgr: FakeBadgr, tmp_path: Path) -> None:
    with pytest.raises(BadgeServiceError, match="cyber-basics:A-1: HTTP 400") as raised:
        _issuer(badgr, tmp_path).award(_award("not-an-address"))
    assert "not-an-address" not in str(raised.value)
    assert raised.value.code == 400
    badgr.rejections.clear()   # the fake flags the bad address, as Badgr would refuse it


def test_awarded_pages_through_the_class_and_counts_revoked_awards(badgr: FakeBadgr, tmp_path: Path) -> None:
    for n in range(1100):
        badgr.add_assertion("CLASS1", f"student{n}@students.example")
    badgr.add_assertion("CLASS1", "revoked@students.example", revoked=True)
    found = _issuer(badgr, tmp_path).awarded(["Student7@students.example", "student1099@students.example",
                                              "revoked@students.example", "never@students.example"])
    assert sorted(found) == ["revoked@students.example", "student1099@students.example",
                             "student7@students.example"]
    lists = [c for c in badgr.calls if c.method == "GET"]
    assert len(lists) == 3                                     # 1,101 assertions, 500 a page
    assert all("recipient" not in c.query for c in lists)      # no student address in a URL
    assert lists[0].query["num"] == ["500"] and lists[0].query["include_revoked"] == ["true"]
    assert badgr.rejections == []


def test_the_fake_rejects_what_badgr_would(badgr: FakeBadgr) -> None:
    token = requests.post(f"{badgr.url}/o/token", data={
        "grant_type": "password", "client_id": "public", "username": BADGR_USER, "password": BADGR_PASSWORD,
        "scope": "rw:issuer"}, timeout=5).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    wrong = requests.post(f"{badgr.url}{ASSERTIONS}", headers=headers, timeout=5, json={
        "recipient": {"identity": "a@students.example", "type": "email", "hashd": True},
        "evidence": [{"narrative": "x", "link": "https://x.example"}], "notfiy": True})
    assert wrong.status_code == 400
    errors = wrong.json()["fieldErrors"]
    assert set(errors) == {"notfiy", "recipient.hashd", "evidence.0.link"}
    assert len(badgr.rejections) == 1
    assert requests.get(f"{badgr.url}{ASSERTIONS}", timeout=5).status_code == 401
    # Refresh tokens rotate: the used one is refused.
    refresh = {"grant_type": "refresh_token", "client_id": "public", "refresh_token": token["refresh_token"]}
    assert requests.post(f"{badgr.url}/o/token", data=refresh, timeout=5).status_code == 200
    assert requests.post(f"{badgr.url}/o/token", data=refresh, timeout=5).json() == {"error": "invalid_grant"}
    # The access token of the used pair is void too.
    assert requests.get(f"{badgr.url}{ASSERTIONS}", headers=headers, timeout=5).status_code == 401
    badgr.rejections.clear()


# --- the step with Badgr ---

def _use_badgr(config_file: Path, badgr: FakeBadgr, tmp_path: Path) -> None:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data["badge"]["provider"] = "badgr"
    data["badge"]["badgr"] = {"base_url": badgr.url, "username": BADGR_USER, "issuer_id": "ISSUER1",
                              "badgeclass_id": "CLASS1", "token_file": str(tmp_path / "badgr-token.json"),
                              "timeout_seconds": 5}
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_step_awards_through_badgr_once_with_no_letter(config_file: Path, badgr: FakeBadgr,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _use_badgr(config_file, badgr, tmp_path)
    monkeypatch.setenv(PASSWORD_VARIABLE, BADGR_PASSWORD)
    config = seat(config_file)
    started = time.perf_counter()
    result = award_badges(step_context(config, AWARD_DAY), [SESSION])
    elapsed = time.perf_counter() - started
    assert result.counts == {"below attendance": 1, "awarded": 3}
    assert elapsed < 5
    # One sign-in, one listing, one POST per student: nothing else.
    assert [(c.method, c.path) for c in badgr.calls] == [
        ("POST", "/o/token"), ("GET", ASSERTIONS), *[("POST", ASSERTIONS)] * 3]
    awarded = {a.recipient_identifier: a.entity_id for a in badgr.assertions_of("CLASS1")}
    assert set(awarded) == {s[3].lower() for s in STUDENTS if s[5] == "yes"}
    assert sorted(e for e, _ in badgr.notifications) == sorted(awarded)
    rows = participants(config)
    for student in STUDENTS[:3]:
        assert rows[student[0]]["Badge"] == f"2027-03-19 assertion {awarded[student[3].lower()]}"
    assert notices(config) == {}    # Badgr sends its own notice
    assert not (local(config) / "badges").exists()

    # The password is needed no more; a rerun awards nothing new and lists once.
    monkeypatch.delenv(PASSWORD_VARIABLE)
    badgr.calls.clear()
    again = award_badges(step_context(config, NEXT_DAY), [SESSION])
    assert again.counts == {"below attendance": 1, "awarded before": 3}
    assert [(c.method, c.path) for c in badgr.calls] == [("GET", ASSERTIONS)]
    assert badgr.rejections == []


def test_a_failed_award_is_reported_and_the_others_go_through(config_file: Path, badgr: FakeBadgr,
                                                              tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _use_badgr(config_file, badgr, tmp_path)
    monkeypatch.setenv(PASSWORD_VARIABLE, BADGR_PASSWORD)
    config = seat(config_file)
    badgr.fail("POST", ASSERTIONS, 502)
    result = award_badges(step_context(config, AWARD_DAY), [SESSION])
    assert result.counts == {"below attendance": 1, "award failed": 1, "awarded": 2}
    assert len(result.problems) == 1 and "next run tries again" in result.problems[0]
    assert "@" not in result.problems[0]
    assert sum(1 for r in participants(config).values() if r.get("Badge")) == 2
    rerun = award_badges(step_context(config, NEXT_DAY), [SESSION])
    assert rerun.counts == {"below attendance": 1, "awarded before": 2, "awarded": 1}
    assert len(badgr.assertions_of("CLASS1")) == 3


def test_kill_9_right_after_badgr_created_an_assertion_then_rerun(config_file: Path, badgr: FakeBadgr,
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI process dies the moment Badgr stores the 2nd award: no answer, no sheet write."""
    _use_badgr(config_file, badgr, tmp_path)
    config = seat(config_file)
    env = {**os.environ, PASSWORD_VARIABLE: BADGR_PASSWORD}
    run = subprocess.Popen(
        [sys.executable, "-m", "microintern", "--config", str(config_file), "badges", "--session", SESSION,
         "--now", "2027-03-19T06:30"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    posts = []

    def kill_on_second_award(_: Any) -> None:
        posts.append(1)
        if len(posts) == 2:
            os.kill(run.pid, signal.SIGKILL)

    badgr.after("POST", ASSERTIONS, kill_on_second_award, times=None)
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert len(badgr.assertions_of("CLASS1")) == 2
    assert not any(r.get("Badge") for r in participants(config).values())

    monkeypatch.setenv(PASSWORD_VARIABLE, "no longer needed")
    rerun = award_badges(step_context(config, AWARD_DAY), [SESSION])
    assert rerun.counts == {"below attendance": 1, "awarded before": 2, "awarded": 1}
    assert badgr.count("POST", ASSERTIONS) == 3
    recipients = [a.recipient_identifier for a in badgr.assertions_of("CLASS1")]
    assert sorted(recipients) == sorted({s[3].lower() for s in STUDENTS if s[5] == "yes"})
    assert sum(1 for r in participants(config).values() if r.get("Badge")) == 3
    assert badgr.password_grants == 1     # the killed run's saved refresh token signed the rerun in
    assert badgr.rejections == []
