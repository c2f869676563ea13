"""The operating system's word that the network is back (Qt's QNetworkInformation).

Loaded with whichever backend Qt has for this system (NetworkManager, glib,
Windows' Network List Manager, macOS' SCNetworkReachability). Without one
(a minimal Linux, the offscreen test platform on some machines) the watch is
simply silent: the app still notices the server coming back by probing it
(:mod:`desktop_app.reach`), only not before the next probe.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QNetworkInformation

log = logging.getLogger(__name__)

Reachability = QNetworkInformation.Reachability
_RANK = {
    Reachability.Unknown: 0,
    Reachability.Disconnected: 0,
    Reachability.Local: 1,  # a LoginGuard server on the office LAN may be all we need
    Reachability.Site: 2,
    Reachability.Online: 3,
}


class NetworkWatch(QObject):
    """Emits ``back_online`` whenever reachability rises (none → LAN → internet)."""

    back_online = Signal()

    def __init__(self, *, load: bool = True) -> None:
        super().__init__()
        self.info: QNetworkInformation | None = None
        self._rank = 0
        feature = QNetworkInformation.Feature.Reachability
        if load and QNetworkInformation.loadBackendByFeatures(feature):
            self.info = QNetworkInformation.instance()
        if self.info is None:
            log.info("no network information backend: relying on probes alone")
            return
        self._rank = _RANK.get(self.info.reachability(), 0)
        self.info.reachabilityChanged.connect(self._changed)

    @property
    def available(self) -> bool:
        return self.info is not None

    def _changed(self, reachability: QNetworkInformation.Reachability) -> None:
        rank = _RANK.get(reachability, 0)
        was, self._rank = self._rank, rank
        if rank > was:
            self.back_online.emit()

    def detach(self) -> None:
        """Stop listening (the QNetworkInformation instance is shared by the process)."""
        if self.info is not None:
            self.info.reachabilityChanged.disconnect(self._changed)
            self.info = None
