"""The password rules, one set for every door that sets a password (user add, passwd, services).

A password is refused when it is too short or too long (the same ceiling applies at sign-in, so a
password that is accepted can always be used), all whitespace, the user's own name, or on the list of
common passwords shipped beside this module (compared without regard to case).
"""

from __future__ import annotations

import functools
from importlib.resources import files

from .errors import HubError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128  # characters; sign-in refuses longer ones without hashing them
COMMON_PASSWORDS_FILE = "common_passwords.txt"


class WeakPassword(HubError):
    """A password the rules refuse; the message says which rule."""


def check_password(password: str, username: str) -> None:
    """Raise WeakPassword with the reason when `password` breaks a rule."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("password: not only spaces")
    lowered = password.strip().lower()
    if lowered == username.strip().lower():
        raise WeakPassword("password: not the user name")
    if lowered in common_passwords():
        raise WeakPassword("password: too common (on the list of common passwords), choose another")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once (about 3,500 words, 30 KB)."""
    text = files(__package__).joinpath(COMMON_PASSWORDS_FILE).read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if (w := line.strip().lower()) and not w.startswith("#"))
