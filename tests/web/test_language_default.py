"""§11: the interface is Chinese by default, whatever the browser's locale; English on request."""

import pytest


@pytest.mark.django_db
def test_pages_are_chinese_even_for_an_english_browser(client):
    resp = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "账号" in resp.content.decode()


@pytest.mark.django_db
def test_language_switch_gives_english_pages(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    resp = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "Account" in resp.content.decode()


@pytest.mark.django_db
def test_api_follows_accept_language(client):
    resp = client.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"},
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 400
    body = resp.content.decode()
    assert any(c.isascii() and c.isalpha() for c in body)
    assert not any("\u4e00" <= c <= "\u9fff" for c in body)
