#!/usr/bin/env bash
# Debian's Chromium for the browser tests (never a downloaded browser), a CJK font, gettext.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium chromium-driver)
fc-list 2>/dev/null | grep -qi "noto sans cjk\|wqy" || need+=(fonts-noto-cjk)
command -v msgfmt >/dev/null || need+=(gettext)
if (( ${#need[@]} )); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
