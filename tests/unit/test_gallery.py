"""lindae.workflow.gallery: the README's figure table is written from the registry."""

from conftest import ROOT

from lindae.workflow.gallery import BEGIN, END, targets_table


def test_readme_figure_table_is_generated_from_the_registry(default_config):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert block == targets_table(default_config), (
        "README's figure table is out of date: run `make readme`"
    )


def test_table_follows_the_config(config):
    config["fig4"]["noise"] = 0.3  # a copy: the session's default_config is shared
    assert "eps = 0.3" in targets_table(config)
