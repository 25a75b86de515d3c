"""Browser and operating system from a User-Agent header — a few patterns, no dependency."""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings

# Order matters: the first match wins (Edge and most Chinese browsers also say "Chrome").
_BROWSERS = [
    ("WeChat", r"MicroMessenger/([\d.]+)"),
    ("DingTalk", r"DingTalk/([\d.]+)"),
    ("QQ Browser", r"QQBrowser/([\d.]+)"),
    ("UC Browser", r"UCBrowser/([\d.]+)"),
    ("360 Browser", r"(?:QIHU 360\w+|360SE|360EE)(?:/([\d.]+))?"),
    ("Sogou Browser", r"(?:MetaSr|SE 2\.X MetaSr) ?([\d.]+)?"),
    ("Edge", r"Edg(?:e|A|iOS)?/([\d.]+)"),
    ("Opera", r"(?:OPR|Opera)/([\d.]+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/([\d.]+)"),
    ("Chrome", r"(?:Chrome|CriOS)/([\d.]+)"),
    ("Safari", r"Version/([\d.]+).*Safari/"),
    ("Internet Explorer", r"(?:MSIE |Trident/.*rv:)([\d.]+)"),
]

_OS = [
    ("HarmonyOS", r"HarmonyOS|OpenHarmony"),
    ("Windows 10/11", r"Windows NT 10\.0"),
    ("Windows 8.1", r"Windows NT 6\.3"),
    ("Windows 8", r"Windows NT 6\.2"),
    ("Windows 7", r"Windows NT 6\.1"),
    ("Windows XP", r"Windows NT 5\.1"),
    ("Windows", r"Windows"),
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Chrome OS", r"CrOS"),
    ("Linux", r"Linux|X11"),
]


def parse_user_agent(ua: str | None) -> tuple[str, str]:
    """``(browser, os)``, e.g. ``("Chrome 131", "Windows 10/11")``; empty strings when unknown."""
    ua = ua or ""
    browser = ""
    for name, pattern in _BROWSERS:
        m = re.search(pattern, ua)
        if m:
            version = (m.group(1) or "").split(".")[0] if m.groups() else ""
            browser = f"{name} {version}".strip()
            break
    if not browser and ua:
        browser = "HeadlessChrome" if "HeadlessChrome" in ua else ua.split("/")[0][:40]
    os_name = next((name for name, pattern in _OS if re.search(pattern, ua)), "")
    return browser[:60], os_name


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or the first hop of ``X-Forwarded-For`` when the
    setting ``KAM_BEHIND_PROXY`` is true (only then is the header trustworthy)."""
    if request is None:
        return None
    ip = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "KAM_BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() or ip
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None
