"""The project's self-documentation: links, citation metadata, licence and catalog settings.

CITATION.cff is validated against the official Citation File Format 1.2.0 JSON schema, kept at
tests/data/cff-1.2.0.schema.json: a verbatim copy of `schema.json` at tag 1.2.0 of the
repository citation-file-format/citation-file-format on GitHub (licensed CC-BY-4.0). The
reference validator, cffconvert 2.0.0, requires jsonschema < 4 and so cannot be installed next
to this project's jsonschema 4.26.0; the project's own jsonschema validates the same schema.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CFF_SCHEMA = ROOT / "tests" / "data" / "cff-1.2.0.schema.json"

# [text](target) and ![alt](target), the target optionally in <...> and followed by a title
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[^)]*)?\)")
# [label]: target (reference definitions)
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.MULTILINE)
FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).*?\1", re.DOTALL)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def markdown_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def link_targets(text: str) -> list[str]:
    """Link targets of a Markdown text, ignoring code blocks and code spans."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = [m.group(1) for m in INLINE_LINK.finditer(text)]
    targets += [m.group(1) for m in REFERENCE_LINK.finditer(text)]
    return [t[1:-1] if t.startswith("<") and t.endswith(">") else t for t in targets]


def is_external(target: str) -> bool:
    return bool(SCHEME.match(target)) or target.startswith("//")


def test_link_parser_finds_links_and_skips_code():
    text = (
        'See [a](docs/a.md#part) and ![img](<docs/b c.png> "title"), [web](https://x.org).\n'
        "`[not](a/link.md)`\n```\n[also not](b.md)\n```\n[ref]: ../c.md\n[top](#anchor)\n"
    )
    assert link_targets(text) == [
        "docs/a.md#part",
        "docs/b c.png",
        "https://x.org",
        "#anchor",
        "../c.md",
    ]


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files_in_the_repository(page: Path):
    if not page.exists():
        pytest.skip(f"{page.name} does not exist")
    broken = []
    for target in link_targets(page.read_text(encoding="utf-8")):
        if is_external(target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        resolved = (page.parent / path).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: links to missing files: {broken}"


def test_docs_pages_exist():
    names = {p.name for p in DOCS.glob("*.md")}
    assert {
        "index.md",
        "theory.md",
        "figures.md",
        "claims.md",
        "running.md",
        "troubleshooting.md",
    } <= names


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_docs_link_only_inside_the_repository(page: Path):
    external = [t for t in link_targets(page.read_text(encoding="utf-8")) if is_external(t)]
    assert not external, f"docs/{page.name} links outside the repository: {external}"


# the specification this project was built from is not part of the repository; spelt in two
# parts so that this file does not name it either
SPECIFICATION = "PAPER" + ".md"


def test_docs_never_mention_the_specification():
    offenders = [
        str(path.relative_to(ROOT))
        for path in DOCS.rglob("*")
        if path.is_file()
        and path.suffix in {".md", ".txt", ".rst", ".html"}
        and SPECIFICATION in path.read_text(encoding="utf-8")
    ]
    assert not offenders


def test_no_tracked_file_mentions_the_specification():
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "grep", "-l", "-I", "-F", SPECIFICATION],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        pytest.skip("git is not installed")
    if done.returncode not in (0, 1):  # 1: no match; anything else: not a git checkout
        pytest.skip(f"not a git checkout: {done.stderr.strip()}")
    assert done.stdout.split() == [], "files that name a file outside the repository"


# -- the README is a front page -------------------------------------------------------------

README_MAX_WORDS = 1600


def test_readme_is_a_front_page():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    words = len(text.split())
    assert words <= README_MAX_WORDS, (
        f"README.md has {words} words (at most {README_MAX_WORDS}): move details into docs/"
    )


def test_readme_first_section_holds_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    assert len(sections) > 1, "README.md has no ## section"
    first = sections[1]
    commands = [m.group(1) for m in re.finditer(r"^make (\w+)", first, flags=re.MULTILINE)]
    assert {"figures", "test"} <= set(commands), first
    assert "make figures DATA=" in first  # the offline variant


def test_readme_points_into_every_docs_page():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = {t.split("#", 1)[0] for t in link_targets(text)}
    missing = [
        f"docs/{p.name}" for p in sorted(DOCS.glob("*.md")) if f"docs/{p.name}" not in targets
    ]
    assert not missing, f"README.md does not link to {missing}"


# -- citation ---------------------------------------------------------------------------------


def _stringify_dates(value):
    """YAML dates as strings, as the CFF schema asks of validators."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    return value


def cff_errors(document) -> list[str]:
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(_stringify_dates(document))
    ]


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_cff_schema_is_the_official_1_2_0_schema():
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"


def test_citation_cff_validates():
    assert cff_errors(citation()) == []


def test_cff_validation_rejects_broken_metadata():
    broken = citation()
    del broken["authors"]
    broken["license"] = "Not-A-Licence"
    broken["preferred-citation"]["type"] = "conference-talk"
    errors = cff_errors(broken)
    assert any("'authors' is a required property" in e for e in errors)
    assert any(e.startswith("license:") for e in errors)
    assert any(e.startswith("preferred-citation/type:") for e in errors)


def test_citation_names_the_software_and_the_paper():
    cff = citation()
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "software"
    assert cff["license"] == "MIT"
    paper = cff["preferred-citation"]
    assert paper["title"] == "Learning Dynamics of Linear Denoising Autoencoders"
    assert [a["family-names"] for a in paper["authors"]] == ["Pretorius", "Kroon", "Kamper"]
    assert paper["year"] == 2018
    assert "arXiv:1806.05413" in [i["value"] for i in paper["identifiers"]]


# -- licence and catalog ----------------------------------------------------------------------


def test_license_is_mit_as_pyproject_says():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The lindae authors" in text
    assert "Permission is hereby granted, free of charge" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "MIT"}


def test_workflow_catalog_settings():
    settings = yaml.safe_load(
        (ROOT / ".snakemake-workflow-catalog.yml").read_text(encoding="utf-8")
    )
    usage = settings["usage"]
    assert set(usage) == {"mandatory-flags", "software-stack-deployment", "report"}
    assert set(usage["mandatory-flags"]) == {"desc", "flags"}
    assert isinstance(usage["mandatory-flags"]["desc"], str) and usage["mandatory-flags"]["desc"]
    assert usage["mandatory-flags"]["flags"] in ("", None, [])
    assert usage["software-stack-deployment"]["conda"] is True
    assert usage["report"] is True
    # the catalog's "standardized usage" also needs these two files
    assert (ROOT / "workflow" / "Snakefile").is_file()
    assert (ROOT / "config" / "README.md").is_file()
