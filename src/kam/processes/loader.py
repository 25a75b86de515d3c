"""Load the shipped process definitions (``definitions/<code>.bpmn`` + ``<code>.json``) after migrate.

Idempotent: a file whose diagram and node configuration equal an existing version adds nothing.
A changed file adds a new version, which becomes active unless an administrator has activated a
version of their own (one with a ``created_by``).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from .models import ProcessDefinition, ProcessVersion, VersionStatus

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


def load_shipped_definitions() -> list[ProcessVersion]:
    from . import engine, services

    created = []
    for bpmn in sorted(DEFINITIONS_DIR.glob("*.bpmn")):
        xml = bpmn.read_text(encoding="utf-8")
        meta_path = bpmn.with_suffix(".json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        node_config = meta.get("node_config", {})
        code = engine.parse(xml).process_id
        with transaction.atomic():
            definition = ProcessDefinition.objects.filter(code=code).first()
            if definition and definition.versions.filter(bpmn_xml=xml, node_config=node_config).exists():
                continue
            version = services.definition_save(user=None, xml=xml, node_config=node_config,
                                               name=meta.get("name", ""), category=meta.get("category", ""))
            active = version.definition.active_version
            if active is None or active.created_by_id is None:
                services.version_activate(user=None, version=version)
            created.append(version)
    return created


__all__ = ["load_shipped_definitions", "VersionStatus"]
