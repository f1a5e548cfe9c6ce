"""One error hierarchy for cmpacket; each class carries the exit code the CLI returns."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of SPEC §2 (part of the interface)."""

    OK = 0
    NOT_READY = 1
    USAGE = 2
    BUILD_FAILED = 3
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    TERMINATED = 143  # SIGTERM (timeout, systemd, CI runners, docker stop)


class CmpacketError(Exception):
    """Base of every error cmpacket reports to a user."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InputError(CmpacketError):
    """Input that cannot be read at all: missing folder, YAML/CSV syntax, unreadable file."""

    exit_code = ExitCode.USAGE


class UsageError(CmpacketError):
    """Wrong arguments or a refused operation (e.g. init over existing files)."""

    exit_code = ExitCode.USAGE


class CertificateError(CmpacketError):
    """The signing certificate cannot sign: wrong password, no private key, expired or not yet
    valid, no signing key usage (SPEC §18). Raised before anything is written."""

    exit_code = ExitCode.USAGE


class NotReadyError(CmpacketError):
    """The data has error findings; carries the report so the caller can print it."""

    exit_code = ExitCode.NOT_READY

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report


class BuildError(CmpacketError):
    """A build step failed (render, convert, assemble)."""

    exit_code = ExitCode.BUILD_FAILED


class TemplateError(BuildError):
    """A template failed to load or render; names the template file and line.

    `file` and `line` say where (as shown in the message; None when unknown), `path` is the
    template file on disk (for showing its source) and `detail` the bare problem, without place.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.line = line
        self.path = path
        self.detail = detail or message


class ProfileError(CmpacketError):
    """A requirement profile cannot be found or is malformed."""

    exit_code = ExitCode.USAGE


class PacketError(CmpacketError):
    """A packet given to verify/inspect/diff cannot be read at all."""

    exit_code = ExitCode.USAGE
