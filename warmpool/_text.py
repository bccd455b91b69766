"""How a caller's value is quoted in an error message: briefly, and without ever failing.

Refusals name the value they refuse. A caller's value may be anything: an object whose
``__repr__`` raises, an int too long to print, a list nested thousands deep. :func:`shown`
quotes it as ``repr`` would, cut to a length, and falls back to the type's name when ``repr``
cannot be had, so that building a refusal never raises an error of its own.
"""

from __future__ import annotations

import reprlib
from typing import Final

__all__ = ["shown"]

_LIMIT: Final = 100
_SHORT = reprlib.Repr()
_SHORT.maxstring = _LIMIT
_SHORT.maxother = _LIMIT
_SHORT.maxlevel = 3


def shown(value: object) -> str:
    """A short ``repr`` of ``value`` for an error message; never raises.

    >>> shown("job-1"), shown(10**5000), shown([[[[1]]]])
    ("'job-1'", '<int>', '[[[[...]]]]')
    """
    try:
        text = _SHORT.repr(value)
    except Exception:  # a repr that raises, an int too long to print, ...
        return f"<{type(value).__name__}>"
    return text if len(text) <= _LIMIT else text[: _LIMIT - 3] + "..."
