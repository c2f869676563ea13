"""Korean and English through Qt's own translation system.

Sources are ``loginguard_<lang>.ts`` next to this file (kept in git); the
binary ``.qm`` Qt loads is build output. :func:`qm_file` finds a ``.qm`` built
by ``python -m desktop_app.i18n.build`` (packaging does this) and, when there
is none or it is older than its source, compiles one with ``lrelease`` into the
user's cache directory, keyed by the source's hash so stale files are never
loaded and concurrent instances do not trip over each other.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import PySide6
from PySide6.QtCore import QCoreApplication, QLocale, QStandardPaths, QTranslator

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LANGUAGES = ("ko", "en")
NATIVE_NAMES = {"ko": "한국어", "en": "English"}
DEFAULT = "en"


def ts_file(language: str) -> Path:
    return HERE / f"loginguard_{language}.ts"


def system_language() -> str:
    """``ko`` when the system locale is Korean, else ``en``."""
    for name in QLocale.system().uiLanguages():
        code = name.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT


def lrelease() -> Path:
    """The lrelease that ships inside PySide6-Essentials."""
    exe = "lrelease.exe" if sys.platform == "win32" else "lrelease"
    return Path(PySide6.__file__).resolve().parent / exe


def compile_ts(source: Path, target: Path) -> None:
    """Compile one ``.ts`` into ``target`` atomically (write aside, then rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    subprocess.run(  # noqa: S603 - fixed tool path, our own file names
        [str(lrelease()), "-silent", str(source), "-qm", str(partial)],
        check=True,
        capture_output=True,
    )
    partial.replace(target)


def _cache_dir() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericCacheLocation)
    return Path(location or Path.home() / ".cache") / "loginguard" / "i18n"


def qm_file(language: str) -> Path | None:
    """A current ``.qm`` for ``language``, compiling it if needed; None if impossible."""
    source = ts_file(language)
    built = source.with_suffix(".qm")
    if built.exists() and (not source.exists() or built.stat().st_mtime >= source.stat().st_mtime):
        return built  # packaged build, or a fresh `python -m desktop_app.i18n.build`
    if not source.exists():
        return None
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    cached = _cache_dir() / f"loginguard_{language}-{digest}.qm"
    if not cached.exists():
        try:
            compile_ts(source, cached)
        except (OSError, subprocess.CalledProcessError) as exc:
            log.warning("cannot compile %s: %s", source.name, exc)
            return None
    return cached


class Translations:
    """Installs one language at a time into the running application."""

    def __init__(self) -> None:
        self._translator: QTranslator | None = None
        self.language = DEFAULT

    def use(self, language: str) -> bool:
        """Switch to ``language``; every widget then gets a LanguageChange event.

        Returns False when a translation other than English could not be loaded;
        the windows then show the English source texts.
        """
        if language not in LANGUAGES:
            language = DEFAULT
        app = QCoreApplication.instance()
        assert app is not None, "create the QApplication first"
        if self._translator is not None:
            app.removeTranslator(self._translator)
            self._translator = None
        self.language = language
        QLocale.setDefault(QLocale(language))
        path = qm_file(language)
        translator = QTranslator()  # kept alive by self._translator, not by a parent
        if path is not None and translator.load(str(path)):
            app.installTranslator(translator)
            self._translator = translator
            return True
        if language != DEFAULT:
            log.warning("no translation for %s; showing English", language)
        # The source texts are English, so English works without a translator;
        # removeTranslator above already told every widget to drop the old one.
        return language == DEFAULT

    def uninstall(self) -> None:
        """Take this object's translation out of the application (the source texts show).

        The translator is application-wide: an instance that is done (an app
        that quit, in a process that goes on, as in the tests) must not leave
        its language to whatever runs next.
        """
        app = QCoreApplication.instance()
        if self._translator is not None and app is not None:
            app.removeTranslator(self._translator)
        self._translator = None
