"""``reportkit new --set``: the written report.toml, exactly. A new country reaches the partners'
descriptions too; a comment that described the old value does not stay beside the new one."""

from __future__ import annotations

from conftest import SAMPLE, make_report, run
from test_new import assert_checks_clean

from reportkit.new import TEMPLATES_DIR, rewrite_manifest


def changed(before: str, lines: dict[str, str | None]) -> str:
    """``before`` with each whole line of ``lines`` replaced (None: removed); each must be there."""
    out = before.splitlines(keepends=True)
    for old, new in lines.items():
        assert f"{old}\n" in out, old
        i = out.index(f"{old}\n")
        if new is None:
            del out[i]
        else:
            out[i] = f"{new}\n"
    return "".join(out)


def test_from_the_sample_a_new_country_reaches_the_partner_description(tmp_path):
    dest = tmp_path / "kazakhstan"
    result = run("new", dest, "--from", SAMPLE, "--set", "country=Kazakhstan", "--set", "notes=endnotes")
    assert result.exit_code == 0, result.output
    before = (SAMPLE / "report.toml").read_text(encoding="utf-8")
    assert (dest / "report.toml").read_text(encoding="utf-8") == changed(before, {
        'title = "Alternative Report on the implementation of the Convention on the Rights of the Child '
        '(Articles 34 and 35) in Kyrgyzstan"':
        'title = "Alternative Report on the implementation of the Convention on the Rights of the Child '
        '(Articles 34 and 35) in Kazakhstan"',
        "created = 2013-07-01          # fixed date stamped in the outputs' metadata": None,
        'country = "Kyrgyzstan"        # the State under review': 'country = "Kazakhstan"        # the State under review',
        # The sample's comment described footnotes: the choices left are named instead.
        'notes = "footnotes"           # notes at the foot of the page, as in the original':
        'notes = "endnotes"            # or "footnotes"',
        'description = "Member of the Network of NGOs Fighting against CSEC in Kyrgyzstan, ECPAT Affiliate '
        'Member organisation in Kyrgyzstan"':
        'description = "Member of the Network of NGOs Fighting against CSEC in Kazakhstan, ECPAT Affiliate '
        'Member organisation in Kazakhstan"',
    })
    assert result.stdout.splitlines()[1:-1] == [
        '  country = "Kazakhstan"',
        '  notes = "endnotes"',
        '  title = "Alternative Report on the implementation of the Convention on the Rights of the Child '
        '(Articles 34 and 35) in Kazakhstan"',
        '  partners (1) description = "Member of the Network of NGOs Fighting against CSEC in Kazakhstan, '
        'ECPAT Affiliate Member organisation in Kazakhstan"',
        "  created removed",
    ]


def test_from_a_template_the_notes_choice_leaves_no_stale_comment(tmp_path):
    dest = tmp_path / "upr"
    result = run("new", dest, "--from", "upr", "--set", "country=Kazakhstan", "--set", "notes=endnotes")
    assert result.exit_code == 0, result.output
    before = (TEMPLATES_DIR / "upr" / "report.toml").read_text(encoding="utf-8")
    assert (dest / "report.toml").read_text(encoding="utf-8") == changed(before, {
        'title = "[Country]: Submission to the Universal Periodic Review"':
        'title = "Kazakhstan: Submission to the Universal Periodic Review"',
        'country = "[Country]"         # the State under review': 'country = "Kazakhstan"        # the State under review',
        'notes = "footnotes"           # or "endnotes"': 'notes = "endnotes"            # or "footnotes"',
    })
    assert_checks_clean(dest, placeholders=True)


PARTNERS = '''title = "Report on Kyrgyzstan"
country = "Kyrgyzstan"
created = 2026-11-01
chapters = ["01-intro.md", "02-findings.md"]

[[partners]]
name = "Kyrgyzstan Children's Network"   # its name, which stays
description = "Works across Kyrgyzstan"  # one line on them

[[partners]]
name = "Partner NGO"
description = "Works with children"

[[partners]]
name = "Placeholder partner"
description = 'Works in northern Kyrgyzstan, not "Kyrgyzstanis"'
'''


def test_every_partner_description_naming_the_country_follows_it_and_nothing_else(tmp_path):
    source = make_report(tmp_path, files={"report.toml": PARTNERS}, name="source")
    dest = tmp_path / "new"
    result = run("new", dest, "--from", source, "--set", "country=Kazakhstan \"South\"")
    assert result.exit_code == 0, result.output
    assert (dest / "report.toml").read_text(encoding="utf-8") == changed(PARTNERS, {
        'title = "Report on Kyrgyzstan"': 'title = "Report on Kazakhstan \\"South\\""',
        'country = "Kyrgyzstan"': 'country = "Kazakhstan \\"South\\""',
        "created = 2026-11-01": None,
        'description = "Works across Kyrgyzstan"  # one line on them':
        'description = "Works across Kazakhstan \\"South\\""  # one line on them',
        # A literal string is rewritten as a basic one; "Kyrgyzstanis" is another word.
        "description = 'Works in northern Kyrgyzstan, not \"Kyrgyzstanis\"'":
        'description = "Works in northern Kazakhstan \\"South\\", not \\"Kyrgyzstanis\\""',
    })
    assert_checks_clean(dest)


def test_a_comment_naming_the_new_value_names_the_old_one_and_numbers_lose_theirs():
    text = ('style = "default"   # or "house"\nnumber_headings = true   # 1, 2.1… are generated\n'
            'toc_depth = 2   # chapters and sections\ntreaty = "CRC"   # the treaty\n')
    out = rewrite_manifest(text, {"style": "house", "number_headings": False, "toc_depth": 3, "treaty": "OPSC"})
    assert out == ('style = "house"     # or "default"\nnumber_headings = false\n'
                   'toc_depth = 3\ntreaty = "OPSC"  # the treaty\n')
    # A value set to what it was keeps its comment.
    assert rewrite_manifest(text, {"number_headings": True}) == text
