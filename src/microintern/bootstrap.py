"""Wiring: the one place that picks adapters. Nothing else imports an adapter."""

from __future__ import annotations

import getpass
import logging
import os
import socket
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import FileSystemLoader

from microintern.config import Backend, GoogleAuth, ProgramConfig
from microintern.domain.lease import Holder
from microintern.domain.letters import LetterRenderer, make_environment
from microintern.steps.context import Ports, StepContext
from microintern.steps.lease import ProgramLease
from microintern.steps.pacing import Pacer

ENDPOINT_VARIABLE = "MICROINTERN_GOOGLE_ENDPOINT"
ZOOM_ENDPOINT_VARIABLE = "MICROINTERN_ZOOM_ENDPOINT"
LOCAL_APPLICATION_FORM = "applications"
T = TypeVar("T")


def google_endpoint(config: ProgramConfig, env: Mapping[str, str] = os.environ) -> str | None:
    """The base URL every Google call goes to, if rerouted (environment wins over config)."""
    return env.get(ENDPOINT_VARIABLE) or config.google.endpoint


class OnFirstUse:
    """An adapter built (and its module imported) only when a step first uses it."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._adapter: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._adapter is None:
            self._adapter = self._build()
        return getattr(self._adapter, name)


def local_ports(config: ProgramConfig) -> Ports:
    """The embedded local backend in ``local.folder``."""
    from microintern.adapters.local import (
        CsvFormSource,
        LocalDirectory,
        LocalFolders,
        LocalMeetRecords,
        LocalMeetRooms,
        LocalOutbox,
        LocalWorkbook,
    )
    from microintern.adapters.saves_before_drafting import SavesBeforeDrafting
    from microintern.domain.program_sheet import RUN_LEASE

    folder = config.resolve(config.local.folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    domain = config.sender.address.rsplit("@", 1)[-1]
    # The lease lives in program.run-lease.json beside the workbook: saved the moment it is
    # written (other machines opening the folder must see it) without rewriting the workbook.
    # A letter is sent only after the workbook holding its draft's record is saved (the outbox
    # protocol).
    roster = LocalWorkbook(folder / "program.xlsx", sidecar_tabs={RUN_LEASE})
    return Ports(
        roster=roster,
        mailer=SavesBeforeDrafting(LocalOutbox(folder / "outbox", domain=domain), save=roster.flush),
        forms=CsvFormSource(folder / "forms", time_zone=config.program.time_zone,
                            renamed=renamed_columns(config)),
        program_forms=CsvFormSource(folder / "forms", time_zone=config.program.time_zone),
        # Built when first used: icalendar is a tenth of an idle run-due's imports.
        calendar=OnFirstUse(lambda: import_module("microintern.adapters.local.calendar")
                            .IcsCalendar(folder / "calendar")),
        meet=LocalMeetRooms(folder / "meet"),
        folders=LocalFolders(folder / "drive"),
        meet_records=LocalMeetRecords(folder / "meet"),
        directory=LocalDirectory(folder / "meet"),
        badges=badge_issuer(config),
        # Zoom and YouTube stand-ins (placeholder links and keys), only when a session uses them.
        zoom=_local_video(config, folder, "LocalZoomMeetings") if uses_zoom(config) else None,
        broadcasts=_local_video(config, folder, "LocalBroadcasts") if uses_youtube(config) else None,
    )


def google_ports(config: ProgramConfig, env: Mapping[str, str] = os.environ) -> Ports:
    """The Google Workspace backend."""
    from microintern.adapters.google import auth, scopes
    from microintern.adapters.google.calendar import GoogleCalendar
    from microintern.adapters.google.drive import GoogleDriveFolders
    from microintern.adapters.google.forms import GoogleFormSource
    from microintern.adapters.google.gmail import GmailMailer
    from microintern.adapters.google.meet import GoogleMeetRooms
    from microintern.adapters.google.meet_records import GoogleMeetRecords
    from microintern.adapters.google.sheets import GoogleSheetsRoster
    from microintern.adapters.google.transport import GoogleTransport
    from microintern.adapters.saves_before_drafting import SavesBeforeDrafting
    from microintern.domain.program_sheet import OUTBOX, RUN_LEASE

    google = config.google
    if google.auth is GoogleAuth.SERVICE_ACCOUNT:
        assert google.delegated_user is not None  # checked when the config was loaded
        credentials = auth.service_account_credentials(
            config.resolve(google.credentials_file), subject=google.delegated_user,
            scopes=scopes.ALL)
    else:
        credentials = auth.user_credentials_from_token(
            config.resolve(google.token_file), scopes=scopes.ALL)
    transport = GoogleTransport(credentials, endpoint=google_endpoint(config, env),
                                timeout=google.timeout_seconds)
    assert google.spreadsheet_id is not None  # checked when the config was loaded
    domain = config.sender.address.rsplit("@", 1)[-1]
    drive = transport.service("drive", "v3")
    # Forms are made through Drive with the app's tag, so a lost create answer is found again.
    forms_api = GoogleFormSource(transport.service("forms", "v1"), drive=drive)
    # Sheets writes are gathered until a save point (issue 19); a letter leaves only after the
    # sheet holds its draft's record (the outbox protocol).
    roster = GoogleSheetsRoster(transport.sheets_http(), google.spreadsheet_id,
                                save_at_once={RUN_LEASE})  # a lease is confirmed by reading it
    return Ports(
        roster=roster,
        # Before a draft, only the Outbox's new rows (the letters' "sending" records) are saved.
        mailer=SavesBeforeDrafting(GmailMailer(transport.service("gmail", "v1"), domain=domain),
                                   save=partial(roster.flush_new, OUTBOX)),
        forms=application_source(config, transport, forms_api),
        program_forms=forms_api,
        calendar=(calendar := GoogleCalendar(transport.service("calendar", "v3"))),
        # Meet spaces are made through the meeting's Calendar event (no orphan on a lost answer).
        meet=GoogleMeetRooms(transport.service("meet", "v2"), calendar=calendar),
        folders=GoogleDriveFolders(drive),
        meet_records=GoogleMeetRecords(transport.service("meet", "v2")),
        directory=google_directory(config, env),
        badges=badge_issuer(config, env),
        # Built when first used: the Zoom credentials file is read only by a run that needs it.
        zoom=OnFirstUse(lambda: zoom_meetings(config, env)) if uses_zoom(config) else None,
        broadcasts=OnFirstUse(lambda: youtube_broadcasts(config, env)) if uses_youtube(config) else None,
    )


def badge_issuer(config: ProgramConfig, env: Mapping[str, str] = os.environ) -> Any:
    """Where badges are awarded: Badgr when ``badge.provider`` is badgr, else Open Badges files.

    The local provider writes into ``<local.folder>/badges`` whatever the backend; Badgr's
    password is read from the environment only when there is no saved sign-in.
    """
    if config.badge.provider == "badgr":
        from microintern.adapters.badgr import BadgrIssuer

        badgr = config.badge.badgr
        assert badgr is not None  # checked when the config was loaded
        variable = badgr.password_env
        return BadgrIssuer(badgr, token_file=config.resolve(badgr.token_file),
                           password=lambda: env.get(variable))
    from microintern.adapters.local import LocalBadges
    from microintern.domain.badges import badge_profile

    image = config.resolve(config.badge.image) if config.badge.image else None
    return LocalBadges(config.resolve(config.local.folder) / "badges", badge_profile(config), image)


def google_directory(config: ProgramConfig, env: Mapping[str, str] = os.environ) -> Any:
    """The directory that names Meet participants (``attendance.lookup``), or None for ``none``.

    It signs in with credentials of its own holding only the lookup's scope, so a district that
    has not granted that scope loses the attendance lookup, not the whole run.
    """
    from microintern.adapters.google import auth, scopes
    from microintern.adapters.google.directory import GoogleDirectory
    from microintern.adapters.google.transport import GoogleTransport
    from microintern.errors import BackendError

    lookup = config.attendance.lookup
    scope = scopes.lookup_scope(lookup)
    if scope is None:
        return None
    google = config.google
    if google.auth is GoogleAuth.SERVICE_ACCOUNT:
        assert google.delegated_user is not None  # checked when the config was loaded
        credentials = auth.service_account_credentials(
            config.resolve(google.credentials_file), subject=google.delegated_user, scopes=(scope,))
    else:
        try:
            credentials = auth.user_credentials_from_token(config.resolve(google.token_file),
                                                           scopes=(scope,))
        except BackendError as exc:
            logging.getLogger(__name__).warning(
                "attendance lookup unavailable (%s); run `microintern login` to grant %s", exc, scope)
            return None
    transport = GoogleTransport(credentials, endpoint=google_endpoint(config, env),
                                timeout=google.timeout_seconds)
    if lookup == "people":
        return GoogleDirectory(transport.service("people", "v1"), via="people")
    return GoogleDirectory(transport.service("admin", "directory_v1"), via="directory")


def uses_zoom(config: ProgramConfig) -> bool:
    """Whether any session meets on Zoom (``video.provider`` or a session's own ``video``)."""
    from microintern.domain.video import ZOOM, provider_of

    return any(provider_of(config, s) == ZOOM for s in config.sessions)


def uses_youtube(config: ProgramConfig) -> bool:
    """Whether any session is a showcase broadcast on YouTube Live."""
    return any(s.broadcast == "youtube" for s in config.sessions)


def _local_video(config: ProgramConfig, folder: Path, name: str) -> Any:
    from microintern.adapters.local import video

    return getattr(video, name)(folder / "video")


def zoom_meetings(config: ProgramConfig, env: Mapping[str, str] = os.environ) -> Any:
    """The Zoom port: the Server-to-Server OAuth app's credentials from their 0600 file.

    ``MICROINTERN_ZOOM_ENDPOINT`` (or ``video.zoom.endpoint``) sends every call, the token
    exchange included, to another base URL (tests use a fake Zoom on loopback).
    """
    from microintern.adapters.zoom import ZoomClient, ZoomMeetings, load_credentials

    zoom = config.video.zoom
    endpoint = env.get(ZOOM_ENDPOINT_VARIABLE) or zoom.endpoint
    routes = ({"api_base": endpoint.rstrip("/") + "/v2", "token_url": endpoint.rstrip("/") + "/oauth/token"}
              if endpoint else {})
    client = ZoomClient(load_credentials(config.resolve(zoom.credentials_file)),
                        timeout=zoom.timeout_seconds, **routes)
    return ZoomMeetings(client, zoom.host or config.coordinator.email)


def youtube_broadcasts(config: ProgramConfig, env: Mapping[str, str] = os.environ) -> Any:
    """The YouTube Live port on the delegated user's channel, with credentials of its own.

    Only the YouTube scope is asked for, and only by a program with a showcase session, so a
    district that has not granted it loses the broadcasts, not the whole run.
    """
    from microintern.adapters.google import auth, scopes
    from microintern.adapters.google.transport import GoogleTransport
    from microintern.adapters.google.youtube import YouTubeBroadcasts

    google = config.google
    if google.auth is GoogleAuth.SERVICE_ACCOUNT:
        assert google.delegated_user is not None  # checked when the config was loaded
        credentials = auth.service_account_credentials(
            config.resolve(google.credentials_file), subject=google.delegated_user,
            scopes=(scopes.YOUTUBE,))
    else:
        credentials = auth.user_credentials_from_token(config.resolve(google.token_file),
                                                       scopes=(scopes.YOUTUBE,))
    transport = GoogleTransport(credentials, endpoint=google_endpoint(config, env),
                                timeout=google.timeout_seconds)
    return YouTubeBroadcasts(transport.service("youtube", "v3"))


def application_source(config: ProgramConfig, transport: Any, forms_api: Any) -> Any:
    """The Forms API (``forms_api``), or the linked responses sheet of a form made by hand."""
    linked = config.application.responses_sheet
    if linked is None:
        return forms_api
    from microintern.adapters.google.linked_sheet import LinkedSheetResponses

    return LinkedSheetResponses(transport.sheets_http(), linked.spreadsheet_id, linked.tab,
                                time_zone=config.program.time_zone, renamed=renamed_columns(config))


def renamed_columns(config: ProgramConfig) -> dict[str, str]:
    """Response-sheet column titles that differ from the questions' (config ``column``)."""
    return {q.column: q.title for q in config.application.questions if q.column}


def build_ports(config: ProgramConfig, env: Mapping[str, str] = os.environ) -> Ports:
    """The adapters the config asks for."""
    if config.backend is Backend.GOOGLE:
        return google_ports(config, env)
    return local_ports(config)


def letter_renderer(config: ProgramConfig) -> LetterRenderer:
    """Letters from the config's templates folder."""
    loader = FileSystemLoader(str(config.resolve(config.templates_folder)))
    return LetterRenderer(make_environment(loader),
                          default_language=config.program.default_language)


def application_form_id(config: ProgramConfig) -> str | None:
    """The form the applications come from (None until one is set up on Google)."""
    if config.backend is Backend.LOCAL:
        return LOCAL_APPLICATION_FORM
    linked = config.application.responses_sheet
    if linked is not None and config.google.application_form_id is None:
        # Applicant ids derive from this and the row: stable for the life of the sheet.
        return f"linked-sheet:{linked.spreadsheet_id}:{linked.tab}"
    return config.google.application_form_id


def lock_folder(config: ProgramConfig) -> Path:
    """Where the program's run lock lives: ``run_lock.folder``, else ``.microintern`` beside the config.

    The same for both backends and for every OS user who runs this program (cron's account, an
    IT person under their own): the lock belongs to the program, never to a user's home.
    """
    if config.run_lock.folder is not None:
        return config.resolve(config.run_lock.folder)
    return config.base_dir.resolve() / ".microintern"


def lock_path(config: ProgramConfig) -> Path:
    """The program's run lock file: ``<lock folder>/<program id>.lock``."""
    return lock_folder(config) / f"{config.program.id}.lock"


def run_holder() -> Holder:
    """This process as a lock or lease holder: OS account, machine, pid."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers): the numeric uid will do
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Holder(user, socket.gethostname() or "localhost", os.getpid())


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (another account's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another account
    except OSError:
        return True  # cannot tell: assume it runs (the lease then expires on its own)
    return True


def program_lease(config: ProgramConfig, ports: Ports) -> ProgramLease:
    """This run's lease in the program sheet (Run lease tab), through the ports' roster."""
    from microintern.domain.program_sheet import SETTINGS
    from microintern.steps.setup import program_layout

    # The lease is read with every tab of the program: the run's one read (issue 19).
    return ProgramLease(ports.roster, run_holder(),
                        length=timedelta(minutes=config.run_lock.lease_minutes), alive=pid_alive,
                        tabs=[*program_layout(config), SETTINGS])


def hold_program(config: ProgramConfig, work: Callable[[Ports, ProgramLease], T], *,
                 ports: Ports | None = None, env: Mapping[str, str] = os.environ) -> T:
    """Run ``work(ports, lease)`` holding the program: the OS lock, then the sheet's lease.

    Every command that writes to the program goes through here. Another run holding either
    raises :class:`~microintern.errors.RunLocked` naming it (the CLI exits 0 with one line).
    The lease is taken before any other write and released at the end.
    """
    from microintern.steps.runner import locked

    def action() -> T:
        held = ports or build_ports(config, env)
        with batch_of(held.roster), program_lease(config, held).held() as lease:
            # The command's writes are gathered and saved together (per step in run-due, see
            # runner.AUTOMATED); taking the lease is a save point of its own, and its release
            # rides in the command's last save (on the local backend the lease is saved at
            # once, see local_ports). On Sheets the batch is also the run's one snapshot.
            return work(held, lease)

    return locked(lock_path(config), action, holder=run_holder())


def batch_of(roster: Any) -> AbstractContextManager[None]:
    """``roster.batch()``, or nothing for a roster without batches (a test's own)."""
    batch = getattr(roster, "batch", None)
    return nullcontext() if batch is None else batch()  # type: ignore[no-any-return]


def step_context(config: ProgramConfig, now: datetime, *, ports: Ports | None = None,
                 env: Mapping[str, str] = os.environ,
                 progress: Callable[[int, int], None] | None = None) -> StepContext:
    """Everything a step needs, wired for ``config``."""
    google = config.backend is Backend.GOOGLE
    return StepContext(
        config=config,
        ports=ports or build_ports(config, env),
        letters=letter_renderer(config),
        now=now,
        application_form_id=application_form_id(config),
        # Gmail has a per-user quota to respect; the local outbox has none.
        pacer=Pacer(config.mail.per_minute if google else None),
        progress=progress,
    )
