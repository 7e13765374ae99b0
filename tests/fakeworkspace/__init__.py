"""A fake Google Workspace on loopback for tests: ``from fakeworkspace import FakeWorkspace``."""

from .context import Call
from .keys import write_authorized_user_file, write_service_account_file
from .workspace import FakeWorkspace

__all__ = ["Call", "FakeWorkspace", "write_authorized_user_file", "write_service_account_file"]
