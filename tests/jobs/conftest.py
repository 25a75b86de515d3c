import pytest


@pytest.fixture(autouse=True)
def _scratch_files(settings, tmp_path):
    """Result files and SQLite live-progress files of the tests go to a scratch folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
