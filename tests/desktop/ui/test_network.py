"""The OS's word that the network is back: only a rise in reachability counts."""

from __future__ import annotations

from desktop_app.ui.network import NetworkWatch, Reachability


def test_reachability_rising_is_back_online_and_falling_is_not(qapp: object) -> None:
    """Disconnected → Local → Online each emit back_online; falling or staying does not."""
    watch = NetworkWatch(load=False)
    assert not watch.available
    seen: list[bool] = []
    watch.back_online.connect(lambda: seen.append(True))
    for step in (
        Reachability.Disconnected,
        Reachability.Local,
        Reachability.Local,
        Reachability.Online,
        Reachability.Disconnected,
        Reachability.Unknown,
        Reachability.Online,
    ):
        watch._changed(step)
    assert len(seen) == 3  # → Local, → Online, and Unknown → Online
