"""Styles: typed settings merged over the default style's, every problem of a house style
reported at once as ``path:line: message`` (by ``check`` as by ``build``), sandboxed templates."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from conftest import make_report, run
from reportkit.errors import ReportError
from reportkit.themes import Length, load_theme

STYLE = "report/styles/house"

def house(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """A copy of the minimal report built with the house style ``styles/house`` made of ``files``."""
    folder = make_report(tmp_path)
    with open(folder / "report.toml", "a", encoding="utf-8") as toml:
        toml.write('style = "house"\n')
    for relative, content in files.items():
        path = folder / "styles" / "house" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def png() -> bytes:
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (40, 20), "#8B1E3F").save(data, "PNG")
    return data.getvalue()


# One row per problem: (case id, files of the house style, expected stderr lines).
CASES = [
    ("size-with-a-unit", {"theme.toml": 'inherit = "default"\n\n[sizes]\nbody = "11pt"\n'},
     [f"{STYLE}/theme.toml:4: \"sizes.body\" must be a positive number, not a string ('11pt')"]),
    ("misspelt-key", {"theme.toml": 'inherit = "default"\n[colours]\nrecomendation_fill = "#F8E9EE"\n'},
     [f'{STYLE}/theme.toml:3: unknown setting "colours.recomendation_fill" '
      '(did you mean "colours.recommendation_fill"?)']),
    ("misspelt-table", {"theme.toml": 'inherit = "default"\n[colors]\nheading = "#000000"\n'},
     [f'{STYLE}/theme.toml:2: unknown setting "colors" (did you mean "colours"?)']),
    ("bad-colour", {"theme.toml": 'inherit = "default"\n[colours]\nheading = "#1F4E7"\n'},
     [f'{STYLE}/theme.toml:3: "colours.heading" must be a colour as #RRGGBB ("#1F4E79"), '
      "not a string ('#1F4E7')"]),
    ("bad-length", {"theme.toml": 'inherit = "default"\n[page]\nmargin_top = "22 mm"\nmargin_bottom = 22\n'},
     [f'{STYLE}/theme.toml:3: "page.margin_top" must be a length ("22mm", "2cm", "1in" or "12pt"), '
      "not a string ('22 mm')",
      f'{STYLE}/theme.toml:4: "page.margin_bottom" must be a length ("22mm", "2cm", "1in" or "12pt"), '
      "not a number (22)"]),
    ("bad-page-size", {"theme.toml": 'inherit = "default"\n[page]\nsize = "A5"\n'},
     [f"{STYLE}/theme.toml:3: \"page.size\" must be A4 or Letter, not a string ('A5')"]),
    ("toml-syntax", {"theme.toml": 'inherit = "default"\n[page\nsize = "A4"\n'},
     [f"{STYLE}/theme.toml:2: TOML syntax error: Expected ']' at the end of a table declaration"]),
    ("toml-syntax-at-the-end", {"theme.toml": 'inherit = "default"\n[page]\nsize = \n'},
     [f"{STYLE}/theme.toml:3: TOML syntax error: Invalid value"]),
    ("template-syntax", {"theme.toml": 'inherit = "default"\n', "report.css.j2": "@page {}\n{{ settings.page.size }\n"},
     [f"{STYLE}/report.css.j2:2: template syntax error: unexpected '}}'"]),
    ("template-unknown-filter", {"theme.toml": 'inherit = "default"\n', "report.css.j2": "\n\n{{ 1 | nofilter }}\n"},
     [f"{STYLE}/report.css.j2:3: template syntax error: No filter named 'nofilter'."]),
    ("template-escapes-the-sandbox", {"theme.toml": 'inherit = "default"\n',
                                      "report.html.j2": "<p>\n{{ cycler.__init__.__globals__.os.system('id') }}\n"},
     [f'{STYLE}/report.html.j2:2: template error: access to attribute "__init__" is unsafe '
      "(a style template may not reach Python's internals)"]),
    ("unknown-parent", {"theme.toml": 'inherit = "corporate"\n'},
     [f'{STYLE}/theme.toml:1: unknown style "corporate" (available: default, house)']),
    ("inherits-itself", {"theme.toml": 'inherit = "house"\n'},
     [f'{STYLE}/theme.toml:1: style "house" inherits from itself']),
    ("no-templates", {"theme.toml": '[colours]\nheading = "#000000"\n'},
     [f'{STYLE}/theme.toml: the style has no report.css.j2 (inherit = "default" to use the default\'s)',
      f'{STYLE}/theme.toml: the style has no report.html.j2 (inherit = "default" to use the default\'s)']),
    ("logo-elsewhere-on-disk", {"theme.toml": 'inherit = "default"\n[cover]\nlogo = "/etc/passwd"\n'},
     [f'{STYLE}/theme.toml:3: cover logo "/etc/passwd" is outside the style folder']),
    ("logo-beside-the-style", {"theme.toml": 'inherit = "default"\n[cover]\nlogo = "../x.png"\n', "../x.png": png()},
     [f'{STYLE}/theme.toml:3: cover logo "../x.png" is outside the style folder']),
    ("logo-missing", {"theme.toml": 'inherit = "default"\n[cover]\nlogo = "logo.png"\n'},
     [f'{STYLE}/theme.toml:3: cover logo "logo.png" not found']),
    ("font-unreadable", {"theme.toml": 'inherit = "default"\n', "fonts/Broken.ttf": b"not a font"},
     [f"{STYLE}/fonts/Broken.ttf: cannot be read as a font: Not a TrueType or OpenType font (not enough data)"]),
    ("all-at-once", {"theme.toml": 'inherit = "default"\n[sizes]\nbody = "11pt"\nbdy = 11\n[cover]\nlogo = "no.png"\n',
                     "report.css.j2": "{% if %}\n"},
     [f"{STYLE}/theme.toml:3: \"sizes.body\" must be a positive number, not a string ('11pt')",
      f'{STYLE}/theme.toml:4: unknown setting "sizes.bdy" (did you mean "sizes.body"?)',
      f'{STYLE}/theme.toml:6: cover logo "no.png" not found',
      f"{STYLE}/report.css.j2:1: template syntax error: Expected an expression, got 'end of statement block'"]),
]


@pytest.mark.parametrize("files, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_reports_every_problem_of_the_style(tmp_path, monkeypatch, files, expected):
    house(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run("check", "report")
    assert result.stderr.splitlines() == expected
    assert result.exit_code == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_logo_symlinked_out_of_the_style_stops_both_writers(tmp_path, monkeypatch, fmt):
    folder = house(tmp_path, {"theme.toml": 'inherit = "default"\n[cover]\nlogo = "logo.png"\n'})
    (folder / "styles" / "house" / "logo.png").symlink_to("/etc/passwd")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    result = run("build", "report", "--format", fmt)
    assert result.stderr.splitlines() == [f'{STYLE}/theme.toml:3: cover logo "logo.png" is outside the style folder']
    assert result.exit_code == 1
    assert not (folder / "build").exists()


@pytest.mark.parametrize("relative", ["report.css.j2", "fonts/Carlito-Regular.ttf"])
def test_style_files_symlinked_out_of_the_style_are_refused(tmp_path, monkeypatch, relative):
    folder = house(tmp_path, {"theme.toml": 'inherit = "default"\n'})
    link = folder / "styles" / "house" / relative
    link.parent.mkdir(exist_ok=True)
    link.symlink_to("/etc/passwd")
    monkeypatch.chdir(tmp_path)
    what = "template" if relative.endswith(".j2") else "font"
    assert run("check", "report").stderr.splitlines() == [
        f'{STYLE}/{relative}: {what} "{relative}" is outside the style folder']


# Errors only rendering shows: (case id, files of the house style, expected stderr line).
RENDER_CASES = [
    ("unknown-variable", {"report.css.j2": "@page {\n  size: {{ settings.page.size }};\n"
                                           "  margin: {{ settings.page.margin_left }};\n}\n"},
     f"{STYLE}/report.css.j2:3: template error: 'reportkit.themes.Page object' has no attribute 'margin_left'"),
    # An attribute named only when rendering ("_" ~ "_init__") escapes the check, not the sandbox.
    ("sandbox", {"report.html.j2": '{{ css }}\n<p>{{ cycler | attr("_" ~ "_init__") }}</p>\n'},
     f"{STYLE}/report.html.j2:2: template error: access to attribute '__init__' of 'type' object is unsafe."),
    # Templates include the style's templates only (line 1 works), never other files.
    ("include-outside", {"report.css.j2": '{% include "parts/pages.css.j2" %}\n\n{% include "/etc/passwd" %}\n',
                         "parts/pages.css.j2": "@page {}"},
     f'{STYLE}/report.css.j2:3: template error: the style has no template "/etc/passwd"'),
]


@pytest.mark.parametrize("files, expected", [c[1:] for c in RENDER_CASES], ids=[c[0] for c in RENDER_CASES])
def test_a_template_error_found_while_rendering_stops_the_build_at_its_line(tmp_path, monkeypatch, files, expected):
    house(tmp_path, {"theme.toml": 'inherit = "default"\n', **files})
    monkeypatch.chdir(tmp_path)
    assert run("check", "report").exit_code == 0
    result = run("build", "report", "--format", "html")
    assert result.stderr.splitlines() == [expected]
    assert result.exit_code == 1


def test_settings_are_merged_over_the_default_styles(tmp_path):
    folder = house(tmp_path, {"theme.toml": '[page]\nmargin_top = "1in"\n', "report.css.j2": "", "report.html.j2": ""})
    theme = load_theme("house", folder)  # inherits nothing, yet every setting has a value
    assert [d.name for d in theme.dirs] == ["house"]
    assert theme.settings.page.margin_top == "1in" and theme.settings.page.margin_top.emu == 914400
    assert theme.settings.page.margin_bottom == "22mm"
    assert theme.settings.sizes.body == 11 and isinstance(theme.settings.sizes.body, int)  # as written
    assert theme.settings.colours.draft == "#C00000"
    assert theme.settings.colours.recommendation_fill == "#E8F0F8"


@pytest.mark.parametrize("text, emu", [("22mm", 792000), ("2cm", 720000), ("1in", 914400), ("12pt", 152400),
                                       ("0.5in", 457200)])
def test_lengths_in_emu(text, emu):
    assert Length(text).emu == emu
    assert str(Length(text)) == text


def test_shared_settings_reach_the_style_sheet(tmp_path, monkeypatch):
    """The draft colour, logo sizes and caption room are settings the CSS reads, not constants."""
    folder = house(tmp_path, {"theme.toml": 'inherit = "default"\n[colours]\ndraft = "#123456"\n'
                                            '[cover]\nlogo_max_width = "70mm"\npartner_logo_max_height = "9mm"\n'
                                            '[page]\ncaption_room = "41mm"\n'})
    monkeypatch.chdir(tmp_path)
    assert run("build", "report", "--format", "html", "--draft").exit_code == 0
    html = (folder / "build" / "report-draft.html").read_text(encoding="utf-8")
    assert ".cover-stamp { color: #123456;" in html
    assert "rgba(18, 52, 86, 0.10)" in html
    assert ".cover-logo { max-height: 20mm; max-width: 70mm;" in html
    assert ".partner-logo { max-height: 9mm; max-width: 50mm;" in html
    assert "- 22mm - 22mm - 41mm);" in html
    assert "#C00000" not in html


def test_the_style_logo_shows_on_the_cover(tmp_path, monkeypatch):
    folder = house(tmp_path, {"theme.toml": 'inherit = "default"\n[cover]\nlogo = "logo.png"\n', "logo.png": png()})
    theme = load_theme("house", folder)
    assert theme.settings.cover.logo == str((folder / "styles" / "house" / "logo.png").resolve())
    monkeypatch.chdir(tmp_path)
    assert run("build", "report", "--format", "html").exit_code == 0
    assert '<img class="cover-logo" src="data:image/png;base64,' in (folder / "build" / "report.html").read_text()


def test_an_edited_template_is_compiled_anew(tmp_path):
    folder = house(tmp_path, {"theme.toml": 'inherit = "default"\n', "extra.j2": "one {{ x }}"})
    assert load_theme("house", folder).render("extra.j2", x=1) == "one 1"
    path = folder / "styles" / "house" / "extra.j2"
    path.write_text("two {{ x }}", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    assert load_theme("house", folder).render("extra.j2", x=2) == "two 2"
    path.write_text("{% for %}", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    with pytest.raises(ReportError, match=r"extra\.j2:1: template syntax error: "):
        load_theme("house", folder)


def test_what_is_remembered_of_a_style_follows_its_files_contents(tmp_path, monkeypatch):
    fonts = Path(load_theme("default").faces[0].path).parent
    folder = house(tmp_path, {"theme.toml": 'inherit = "default"\n', "report.css.j2": "{% if %}",
                              "fonts/Body.ttf": (fonts / "LiberationMono-Regular.ttf").read_bytes()})
    monkeypatch.chdir(tmp_path)
    expected = [f"{STYLE}/report.css.j2:1: template syntax error: Expected an expression, got 'end of statement block'"]
    for _ in range(2):  # the second time from what the first remembered
        result = run("check", "report")
        assert (result.exit_code, result.stderr.splitlines()) == (1, expected)
    css, font = folder / "styles/house/report.css.j2", folder / "styles/house/fonts/Body.ttf"
    times = (css.stat().st_atime_ns, css.stat().st_mtime_ns)
    css.write_text("{{ 1 }}", encoding="utf-8")  # another template of the same size and time
    os.utime(css, ns=times)
    times = (font.stat().st_atime_ns, font.stat().st_mtime_ns)
    font.write_bytes((fonts / "Carlito-Regular.ttf").read_bytes())
    os.utime(font, ns=times)
    theme = load_theme("house", folder)
    assert [(f.family, ord("a") in f.characters) for f in theme.faces if f.path == font] == [("Carlito", True)]
    assert run("check", "report").exit_code == 0


def test_a_cache_folder_that_cannot_be_written_costs_only_time(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    house(tmp_path, {"theme.toml": 'inherit = "default"\n', "report.css.j2": "{% if %}"})
    monkeypatch.chdir(tmp_path)
    result = run("check", "report")
    assert result.stderr.splitlines() == [f"{STYLE}/report.css.j2:1: template syntax error: "
                                          "Expected an expression, got 'end of statement block'"]
    assert result.exit_code == 1


def shared_style(folder: Path, size: str) -> Path:
    """A style ``coalition`` in ``folder``: the default on ``size`` paper."""
    (folder / "coalition").mkdir(parents=True)
    (folder / "coalition" / "theme.toml").write_text(f'inherit = "default"\n[page]\nsize = "{size}"\n', encoding="utf-8")
    return folder


def page_size(pdf: Path) -> tuple[int, int]:
    from pdfutil import reader

    box = reader(pdf.read_bytes()).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_a_styles_folder_beside_the_reports_is_shared_by_them(tmp_path, monkeypatch):
    """project/styles/coalition serves project/reports/*; the report's own styles/ still wins."""
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    monkeypatch.delenv("REPORTKIT_STYLES", raising=False)
    shared_style(tmp_path / "project" / "styles", "Letter")
    report = make_report(tmp_path / "project" / "reports", name="first")
    with open(report / "report.toml", "a", encoding="utf-8") as toml:
        toml.write('style = "coalition"\n')
    result = run("build", "--format", "pdf", report)
    assert result.exit_code == 0, result.output
    assert page_size(report / "build" / "first.pdf") == (612, 792)  # Letter
    shared_style(report / "styles", "A4")
    assert run("build", "--format", "pdf", report).exit_code == 0
    assert page_size(report / "build" / "first.pdf") == (595, 842)  # its own A4 coalition


def test_styles_option_and_environment_variable_name_a_shared_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    monkeypatch.setenv("REPORTKIT_STYLES", "")  # restored after the test: --styles sets it
    report = make_report(tmp_path)
    with open(report / "report.toml", "a", encoding="utf-8") as toml:
        toml.write('style = "coalition"\n')
    unknown = run("check", report)
    assert unknown.exit_code == 1 and 'unknown style "coalition"' in unknown.stderr
    shared = shared_style(tmp_path / "shared", "Letter")
    result = run("build", "--format", "pdf", "--styles", shared, report)
    assert result.exit_code == 0, result.output
    assert page_size(report / "build" / "report.pdf") == (612, 792)
    monkeypatch.setenv("REPORTKIT_STYLES", str(shared_style(tmp_path / "other", "A4")))
    assert run("build", "--format", "pdf", report).exit_code == 0  # another shared folder: rebuilt
    assert page_size(report / "build" / "report.pdf") == (595, 842)
