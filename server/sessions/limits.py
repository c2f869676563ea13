"""``--max-sessions``: how many sessions an account may hold, per device class or in all.

Two forms, parsed by :func:`parse_limits`:

- a bare number, ``2``: one limit for all classes together, as before classes existed
  (a phone's login may displace the desktop session); every class is allowed;
- a map, ``desktop=1,mobile=1[,*=N]``: each class has a limit of its own, and logins
  conflict and displace only within their class. ``*`` gives each class the map does not
  name a limit of its own (N per class); without it such a login is refused (422, naming
  the classes allowed). The map must let ``desktop`` in (by name or by ``*``): it is the
  desktop app's class and that of every login naming none.

Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.device_classes import DEFAULT_CLASS, RULE, valid_device_class

ANY = "*"


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """The limits of ``--max-sessions``; ``total`` set means one limit for all classes."""

    total: int | None = 1
    per_class: tuple[tuple[str, int], ...] = ()  # (class, limit), in the order given
    default: int | None = None  # the ``*`` entry: each class not named; None: refused

    @classmethod
    def shared(cls, n: int) -> SessionLimits:
        """One limit of ``n`` sessions for all classes together (a bare number)."""
        return cls(total=n)

    @property
    def by_class(self) -> bool:
        """True when each class has its own limit (a map), False for one limit for all."""
        return self.total is None

    def limit_of(self, device_class: str) -> int | None:
        """How many sessions of ``device_class``'s pool an account may hold; None when
        this server does not allow the class."""
        if self.total is not None:
            return self.total
        return dict(self.per_class).get(device_class, self.default)

    def pooled(self, a: str, b: str) -> bool:
        """True when sessions of classes ``a`` and ``b`` count against one limit."""
        return self.total is not None or a == b

    def allowed(self) -> tuple[str, ...]:
        """The classes named in the map, ``*`` last when it is there; () for a bare number."""
        named = tuple(name for name, _ in self.per_class)
        return named + ((ANY,) if self.default is not None else ())

    def __str__(self) -> str:
        if self.total is not None:
            return str(self.total)
        entries = [f"{name}={n}" for name, n in self.per_class]
        if self.default is not None:
            entries.append(f"{ANY}={self.default}")
        return ",".join(entries)


def parse_limits(spec: str) -> SessionLimits:
    """``--max-sessions`` text → limits; ValueError saying what is wrong and how it should read."""
    text = spec.strip()
    if text.isascii() and text.isdigit():
        n = int(text)
        if n < 1:
            raise ValueError("a number of sessions must be at least 1")
        return SessionLimits.shared(n)
    per_class: dict[str, int] = {}
    default: int | None = None
    for entry in text.split(","):
        name, sep, count = (part.strip() for part in entry.partition("="))
        if not sep or not count.isdigit() or not count.isascii():
            raise ValueError(
                f"{entry.strip()!r} is not class=N; write a number (one limit for all "
                "classes) or entries like desktop=1,mobile=1,*=1"
            )
        n = int(count)
        if n < 1:
            raise ValueError(f"{entry.strip()!r}: a limit must be at least 1")
        if name == ANY:
            if default is not None:
                raise ValueError("'*' is given twice")
            default = n
            continue
        if not valid_device_class(name):
            raise ValueError(f"{name!r} is not a device class ({RULE}), nor '*'")
        if name in per_class:
            raise ValueError(f"{name!r} is given twice")
        per_class[name] = n
    if DEFAULT_CLASS not in per_class and default is None:
        raise ValueError(
            f"the map must name {DEFAULT_CLASS!r} (the desktop app's class, and that of "
            f"every login naming none) or give '*=N'; else no desktop could sign in"
        )
    return SessionLimits(total=None, per_class=tuple(per_class.items()), default=default)
