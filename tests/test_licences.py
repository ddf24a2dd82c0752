"""The project's own licence and the third-party terms it points to (issue 9, item 18)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_project_has_a_licence_and_keeps_the_gemma_notice():
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Permission is hereby granted, free of charge" in licence
    assert "Gemma Terms of Use" in (ROOT / "GEMMA_NOTICE.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    licences = readme[readme.index("## Licences"):]
    assert "LICENSE" in licences and "GEMMA_NOTICE.md" in licences
