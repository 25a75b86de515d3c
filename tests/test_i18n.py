"""i18n: zh-hans is complete for every translatable string; English is available (R-§11).

For every app with a ``locale`` folder, the catalogue is regenerated from the sources into a
temporary copy (``makemessages``), so a string added to code or templates without a Chinese
translation fails here, as does a fuzzy or empty entry.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "kam"
ROOT = SRC.parent.parent
APPS = sorted(p.parent for p in SRC.glob("*/locale"))


def test_every_app_with_strings_has_a_catalogue():
    from django.apps import apps

    kam_apps = [a for a in apps.get_app_configs() if a.name.startswith("kam.")]
    missing = []
    for app in kam_apps:
        path = Path(app.path)
        has_strings = any(
            "gettext" in f.read_text(encoding="utf-8") or "{% translate" in f.read_text(encoding="utf-8")
            or "{% trans " in f.read_text(encoding="utf-8") or "{% blocktranslate" in f.read_text(encoding="utf-8")
            for f in list(path.rglob("*.py")) + list(path.rglob("*.html"))
            if "migrations" not in f.parts
        )
        if has_strings and not (path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").exists():
            missing.append(app.name)
    assert not missing, f"apps without a zh_Hans catalogue: {missing}"


@pytest.mark.parametrize("app_dir", APPS, ids=[p.name for p in APPS])
def test_zh_hans_catalogue_complete(app_dir: Path, tmp_path: Path):
    if shutil.which("xgettext") is None:
        pytest.fail("gettext tools are required (apt-get install gettext)")
    copy = tmp_path / app_dir.name
    shutil.copytree(app_dir, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "zh_Hans", "-l", "en",
         "--no-obsolete", "-v", "0"],
        cwd=copy, check=True,
    )
    po = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    problems = [
        f"{e.occurrences[:1]} {e.msgid!r}" for e in po
        if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
    ]
    assert not problems, f"{app_dir.name}: untranslated zh_Hans entries:\n" + "\n".join(problems)
    # The committed catalogue is up to date with the sources.
    committed = polib.pofile(str(app_dir / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert {e.msgid for e in po if not e.obsolete} <= {e.msgid for e in committed if not e.obsolete}


def test_english_is_selectable(client):
    from django.conf import settings

    assert ("en", "English") in settings.LANGUAGES
    assert settings.LANGUAGE_CODE == "zh-hans"
