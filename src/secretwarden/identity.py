"""Who is acting, for audit entries and version metadata."""

from __future__ import annotations

import functools
import os


@functools.cache
def current_user() -> str:
    """The OS account of this process, from its user id.

    Not from $USER/$LOGNAME (as getpass does): an audit trail should not
    take its "who" from a variable anyone can set.
    """
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return f"uid:{os.getuid()}"
