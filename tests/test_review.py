"""reportkit review: a reviewer's tracked changes and comments in a Word copy of the sample's DOCX
come back to the Markdown sources.

The reviewed copies are made here the way Word saves them: the revision markup (w:ins, w:del,
w:moveFrom/w:moveTo, w:rPrChange, w:pPrChange, inserted and deleted paragraph marks) and the
comment parts (comments.xml, commentsExtended.xml) written into the built DOCX with lxml.
"""

from __future__ import annotations

import copy
import itertools
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from conftest import SAMPLE, run
from docxutil import to_pdf
from reportkit.build import build
from reportkit.cli import main

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
NOTE = "\ue000"
"""A note call in WordCopy's view of a paragraph's text."""
from reportkit.outputs import BuildOptions

NO_PAGES = BuildOptions(docx_page_numbers=False)
"""Builds without the LibreOffice pass for the contents' page numbers (quicker; not under test here)."""


def w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


# --- a reviewer's Word --------------------------------------------------------------------------


class WordCopy:
    """A built DOCX, edited as Word records a reviewer's work with Track Changes on."""

    DATE = "2026-03-02T10:00:00Z"

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.files = {n: z.read(n) for n in z.namelist()}
        self.parts = {name: etree.fromstring(self.files[name]) for name in
                      ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml") if name in self.files}
        self.ids = itertools.count(1000)
        self.comments: list[tuple[str, str, str, str, str]] = []  # id, author, text, paraId, parent paraId

    # -- finding text ---------------------------------------------------------------------------

    def paragraph(self, containing: str, notes: bool = False, contents: bool = False,
                  exact: bool = False) -> etree._Element:
        """The first paragraph whose text holds ``containing`` (is it, with ``exact``): in the
        notes with ``notes``, in the table of contents with ``contents`` (left out otherwise)."""
        names = ["word/footnotes.xml", "word/endnotes.xml"] if notes else ["word/document.xml"]
        for name in names:
            for p in self.parts[name].iter(w("p")) if name in self.parts else ():
                in_contents = any(a.tag == w("sdt") for a in p.iterancestors())
                found = containing == self.text(p) if exact else containing in self.text(p)
                if found and in_contents == contents:
                    return p
        raise AssertionError(f"no paragraph holds {containing!r}")

    def text(self, p: etree._Element) -> str:
        return "".join(text for _, text in self._runs(p))

    def _runs(self, p: etree._Element) -> list[tuple[etree._Element, str]]:
        out = []
        for r in p.iter(w("r")):
            if r.find(w("footnoteReference")) is not None or r.find(w("endnoteReference")) is not None:
                out.append((r, NOTE))
            elif any(a.tag in (w("del"), w("moveFrom")) for a in r.iterancestors()):
                continue
            else:
                out.append((r, "".join(t.text or "" for t in r.iter(w("t")))))
        return out

    def _split(self, p: etree._Element, offset: int) -> None:
        """Split the run holding character ``offset`` so that a run starts there."""
        at = 0
        for r, text in self._runs(p):
            if at < offset < at + len(text) and text != NOTE:
                left = copy.deepcopy(r)
                _set_text(left, text[: offset - at])
                _set_text(r, text[offset - at:])
                r.addprevious(left)
                return
            at += len(text)

    def _cut(self, p: etree._Element, start: int, end: int) -> list[etree._Element]:
        """The runs holding characters ``start:end``, split to fit."""
        self._split(p, start)
        self._split(p, end)
        out, at = [], 0
        for r, text in self._runs(p):
            if start <= at and at + len(text) <= end and text:
                out.append(r)
            at += len(text)
        return out

    def where(self, p: etree._Element, text: str, after: bool = True) -> int:
        found = self.text(p).index(text)
        return found + len(text) if after else found

    def _mark(self, tag: str, **attrs: str) -> etree._Element:
        return etree.Element(w(tag), {w("id"): str(next(self.ids)), **{w(k): v for k, v in attrs.items()}})

    def _change(self, tag: str, author: str) -> etree._Element:
        return self._mark(tag, author=author, date=self.DATE)

    # -- changes ------------------------------------------------------------------------------------

    def delete(self, p: etree._Element, text: str, author: str = "Reviewer A", tag: str = "del") -> None:
        start = self.where(p, text, after=False)
        for r in self._cut(p, start, start + len(text)):
            self._delete_note(r, author)
            wrapper = self._change(tag, author)
            r.addprevious(wrapper)
            wrapper.append(r)
            if tag == "del":
                for t in r.iter(w("t")):
                    t.tag = w("delText")

    def insert(self, p: etree._Element, at: int, text: str, author: str = "Reviewer A", bold: bool = False,
               italic: bool = False, like: bool = False, outside_link: bool = False, tag: str = "ins",
               link: str = "") -> None:
        """Insert ``text`` at character ``at``: formatted as the text before it with ``like``."""
        self._split(p, at)
        before, pos = None, 0
        runs = self._runs(p)
        for r, chars in runs:
            if pos + len(chars) == at and chars:
                before = r
            pos += len(chars)
        run = etree.Element(w("r"))
        if like and before is not None and before.find(w("rPr")) is not None:
            run.append(copy.deepcopy(before.find(w("rPr"))))
        elif bold or italic:
            rpr = etree.SubElement(run, w("rPr"))
            if bold:
                etree.SubElement(rpr, w("b"))
            if italic:
                etree.SubElement(rpr, w("i"))
        _set_text(run, text)
        wrapper = self._change(tag, author)
        wrapper.append(run)
        if link:
            rel = self._relate(link)
            hyperlink = etree.Element(w("hyperlink"), {f"{{{_R}}}id": rel})
            hyperlink.append(wrapper)
            wrapper = hyperlink
        if before is None:
            ppr = p.find(w("pPr"))
            p.insert(1 if ppr is not None else 0, wrapper)
        else:
            anchor = before
            while outside_link and anchor.getparent() is not p and anchor.getparent().tag == w("hyperlink"):
                anchor = anchor.getparent()
            while anchor.getparent().tag in (w("ins"), w("del")):
                anchor = anchor.getparent()
            anchor.addnext(wrapper)

    def replace(self, p: etree._Element, old: str, new: str, author: str = "Reviewer A") -> None:
        at = self.where(p, old, after=False)
        self.insert(p, at + len(old), new, author, like=True)
        self.delete(p, old, author)

    def move(self, source: etree._Element, text: str, target: etree._Element, after: str | None = None,
             author: str = "Reviewer A") -> None:
        """Move ``text`` of ``source`` to just after ``after`` in ``target`` (its start for "",
        its end for None), as Word's moveFrom and moveTo."""
        name = f"move{next(self.ids)}"
        start = self.where(source, text, after=False)
        runs = self._cut(source, start, start + len(text))
        begin = self._change("moveFromRangeStart", author)
        begin.set(w("name"), name)
        runs[0].addprevious(begin)
        self.delete(source, text, author, tag="moveFrom")
        end = self._mark("moveFromRangeEnd")
        end.set(w("id"), begin.get(w("id")))
        wrapper = runs[-1].getparent()
        wrapper.addnext(end)
        at = len(self.text(target)) if after is None else self.where(target, after)
        self.insert(target, at, text, author, tag="moveTo")
        moved = next(m for m in target.iter(w("moveTo")) if self.text_of(m) == text)
        begin_to = self._change("moveToRangeStart", author)
        begin_to.set(w("name"), name)
        moved.addprevious(begin_to)
        end_to = self._mark("moveToRangeEnd")
        end_to.set(w("id"), begin_to.get(w("id")))
        moved.addnext(end_to)

    def text_of(self, element: etree._Element) -> str:
        return "".join(t.text or "" for t in element.iter(w("t")))

    def format(self, p: etree._Element, text: str, author: str = "Reviewer A", bold: bool | None = None,
               italic: bool | None = None, underline: bool = False) -> None:
        """Change the formatting of ``text`` (w:rPrChange keeps the formatting before)."""
        start = self.where(p, text, after=False)
        for r in self._cut(p, start, start + len(text)):
            rpr = r.find(w("rPr"))
            if rpr is None:
                rpr = etree.Element(w("rPr"))
                r.insert(0, rpr)
            old = copy.deepcopy(rpr)
            for flag, tag in ((bold, "b"), (italic, "i")):
                if flag is True and rpr.find(w(tag)) is None:
                    rpr.append(etree.Element(w(tag)))
                elif flag is False:
                    for found in rpr.findall(w(tag)) + rpr.findall(w(tag + "Cs")):
                        rpr.remove(found)
            if underline:
                rpr.append(etree.Element(w("u"), {w("val"): "single"}))
            change = self._change("rPrChange", author)
            change.append(old)
            rpr.append(change)

    def _mark_paragraph(self, p: etree._Element, tag: str, author: str) -> None:
        ppr = p.find(w("pPr"))
        if ppr is None:
            ppr = etree.Element(w("pPr"))
            p.insert(0, ppr)
        rpr = ppr.find(w("rPr"))
        if rpr is None:
            rpr = etree.SubElement(ppr, w("rPr"))
        rpr.append(self._change(tag, author))

    def insert_paragraph(self, p: etree._Element, text: str, author: str = "Reviewer A",
                         style: str | None = None) -> etree._Element:
        """Press Enter at the end of ``p`` and type ``text``: ``p``'s mark is the new one."""
        new = etree.Element(w("p"))
        ppr = p.find(w("pPr"))
        if ppr is not None:
            new.append(copy.deepcopy(ppr))
        if style:
            found = new.find(w("pPr"))
            if found is None:
                found = etree.SubElement(new, w("pPr"))
            for old in found.findall(w("pStyle")):
                found.remove(old)
            found.insert(0, etree.Element(w("pStyle"), {w("val"): style}))
        self._mark_paragraph(p, "ins", author)
        p.addnext(new)
        self.insert(new, 0, text, author)
        return new

    def _delete_note(self, r: etree._Element, author: str) -> None:
        """Deleting a note's call deletes its text too, as Word does."""
        for kind in ("footnote", "endnote"):
            call = r.find(w(f"{kind}Reference"))
            if call is None:
                continue
            notes = self.parts[f"word/{kind}s.xml"]
            note = next(n for n in notes.iter(w(kind)) if n.get(w("id")) == call.get(w("id")))
            for p in note.iter(w("p")):
                self.delete_paragraph(p, author)

    def delete_paragraph(self, p: etree._Element, author: str = "Reviewer A") -> None:
        """Select the whole paragraph, its mark too, and delete it."""
        for r, _ in self._runs(p):
            self._delete_note(r, author)
            wrapper = self._change("del", author)
            r.addprevious(wrapper)
            wrapper.append(r)
            for t in r.iter(w("t")):
                t.tag = w("delText")
        self._mark_paragraph(p, "del", author)

    def join(self, p: etree._Element, author: str = "Reviewer A") -> None:
        """Delete the mark between ``p`` and the next paragraph."""
        self._mark_paragraph(p, "del", author)

    def restyle(self, p: etree._Element, style: str, author: str = "Reviewer A") -> None:
        ppr = p.find(w("pPr"))
        if ppr is None:
            ppr = etree.Element(w("pPr"))
            p.insert(0, ppr)
        old = copy.deepcopy(ppr)
        for found in ppr.findall(w("pStyle")):
            ppr.remove(found)
        ppr.insert(0, etree.Element(w("pStyle"), {w("val"): style}))
        change = self._change("pPrChange", author)
        for extra in old.findall(w("rPr")):
            old.remove(extra)
        change.append(old)
        ppr.append(change)

    def insert_note(self, p: etree._Element, at: int, text: str, author: str = "Reviewer A") -> None:
        """Insert a new footnote at character ``at`` of ``p``."""
        notes = self.parts["word/footnotes.xml"]
        number = str(max(int(n.get(w("id"))) for n in notes.iter(w("footnote"))) + 1)
        self.insert(p, at, "", author)
        wrapper = next(x for x in p.iter(w("ins")) if not self.text_of(x))
        run = wrapper.find(w("r"))
        for t in run.findall(w("t")):
            run.remove(t)
        etree.SubElement(run, w("footnoteReference"), {w("id"): number})
        note = etree.SubElement(notes, w("footnote"), {w("id"): number})
        para = etree.SubElement(note, w("p"))
        etree.SubElement(etree.SubElement(para, w("r")), w("footnoteRef"))
        self.insert(para, 0, " " + text, author)

    def comment(self, p: etree._Element, on: str, text: str, author: str = "Reviewer B",
                replies: tuple[tuple[str, str], ...] = ()) -> None:
        """A comment on ``on`` (a range in ``p``) and its replies, as Word 2013 and later write them."""
        start = self.where(p, on, after=False)
        runs = self._cut(p, start, start + len(on))
        parent = ""
        for who, says in ((author, text), *replies):
            cid = str(len(self.comments))
            para = f"{0x10000000 + len(self.comments):08X}"
            self.comments.append((cid, who, says, para, parent))
            parent = parent or para
            first = runs[0]
            while first.getparent().tag in (w("ins"), w("del"), w("hyperlink")):
                first = first.getparent()
            last = runs[-1]
            while last.getparent().tag in (w("ins"), w("del"), w("hyperlink")):
                last = last.getparent()
            first.addprevious(etree.Element(w("commentRangeStart"), {w("id"): cid}))
            end = etree.Element(w("commentRangeEnd"), {w("id"): cid})
            last.addnext(end)
            reference = etree.Element(w("r"))
            etree.SubElement(reference, w("commentReference"), {w("id"): cid})
            end.addnext(reference)

    # -- saving -----------------------------------------------------------------------------------

    def _relate(self, url: str) -> str:
        rels = etree.fromstring(self.files["word/_rels/document.xml.rels"])
        rid = f"rIdReview{next(self.ids)}"
        etree.SubElement(rels, f"{{{_PKG}}}Relationship", Id=rid, Type=_RT + "hyperlink", Target=url,
                         TargetMode="External")
        self.files["word/_rels/document.xml.rels"] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8")
        return rid

    def save(self, path: Path, threads: bool = True) -> Path:
        files = dict(self.files)
        for name, root in self.parts.items():
            files[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if self.comments:
            root = etree.Element(w("comments"), nsmap={"w": W_NS, "w14": W14_NS})
            for cid, who, says, para, _ in self.comments:
                when = self.DATE.replace("10:00", f"10:{int(cid):02d}")  # replies come later
                c = etree.SubElement(root, w("comment"), {w("id"): cid, w("author"): who, w("date"): when,
                                                           w("initials"): "".join(x[0] for x in who.split())})
                p = etree.SubElement(c, w("p"), {f"{{{W14_NS}}}paraId": para})
                etree.SubElement(etree.SubElement(p, w("r")), w("annotationRef"))
                t = etree.SubElement(etree.SubElement(p, w("r")), w("t"))
                t.text = says
            files["word/comments.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            parts = [("comments", "comments", _RT + "comments")]
            if threads:
                ex = etree.Element(f"{{{W15_NS}}}commentsEx", nsmap={"w15": W15_NS})
                for _, _, _, para, parent in self.comments:
                    attrs = {f"{{{W15_NS}}}paraId": para, f"{{{W15_NS}}}done": "0"}
                    if parent:
                        attrs[f"{{{W15_NS}}}paraIdParent"] = parent
                    etree.SubElement(ex, f"{{{W15_NS}}}commentEx", attrs)
                files["word/commentsExtended.xml"] = etree.tostring(ex, xml_declaration=True, encoding="UTF-8")
                parts.append(("commentsExtended", "commentsExtended",
                              "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"))
            rels = etree.fromstring(files["word/_rels/document.xml.rels"])
            types = etree.fromstring(files["[Content_Types].xml"])
            for name, kind, reltype in parts:
                etree.SubElement(rels, f"{{{_PKG}}}Relationship", Id=f"rIdReview{name}", Type=reltype,
                                 Target=f"{name}.xml")
                etree.SubElement(types, f"{{{_CT}}}Override", PartName=f"/word/{name}.xml",
                                 ContentType=f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml")
            files["word/_rels/document.xml.rels"] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8")
            files["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        return path


_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"


def _set_text(r: etree._Element, text: str) -> None:
    for t in r.findall(w("t")) + r.findall(w("delText")):
        r.remove(t)
    t = etree.SubElement(r, w("t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


# --- Word's "accept all changes", to compare a rebuilt DOCX with ---------------------------------------


def accepted_text(path: Path) -> tuple[list[str], list[str]]:
    """The body paragraphs (contents left out) and the notes of a DOCX with every tracked change
    accepted, as Word does it."""
    with zipfile.ZipFile(path) as z:
        parts = {n: etree.fromstring(z.read(n)) for n in z.namelist()
                 if n in ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")}
    out = {}
    for name, root in parts.items():
        for tag in ("del", "moveFrom"):
            for found in list(root.iter(w(tag))):
                if found.getparent().tag != w("rPr"):
                    found.getparent().remove(found)
        for tag in ("ins", "moveTo"):
            for found in list(root.iter(w(tag))):
                parent = found.getparent()
                if parent.tag == w("rPr"):
                    parent.remove(found)
                    continue
                at = parent.index(found)
                for child in reversed(list(found)):
                    parent.insert(at, child)
                parent.remove(found)
        for p in list(root.iter(w("p"))):  # a deleted mark joins the paragraph with the next
            mark = p.find(f"{w('pPr')}/{w('rPr')}/{w('del')}")
            following = p.getnext()
            if mark is not None and following is not None and following.tag == w("p"):
                at = 1 if following.find(w("pPr")) is not None else 0
                for child in reversed([c for c in p if c.tag != w("pPr")]):
                    following.insert(at, child)
                p.getparent().remove(p)
        texts = []
        for p in root.iter(w("p")):
            if any(a.tag == w("sdt") for a in p.iterancestors()):
                continue  # the contents
            text = "".join("\ue000" if x.tag in (w("footnoteReference"), w("endnoteReference")) else x.text or ""
                           for x in p.iter(w("t"), w("footnoteReference"), w("endnoteReference")))
            if text.strip():
                texts.append(text)
        out[name] = texts
    notes = [*out.get("word/footnotes.xml", []), *out.get("word/endnotes.xml", [])]
    return out["word/document.xml"], notes


# --- fixtures -------------------------------------------------------------------------------------------


EXTRA = """
Services were counted as follows (see [the UNICEF country page](https://www.unicef.org/kyrgyzstan)):

| Year | Victims identified |
|------|-------------------:|
| 2011 | 38                 |
| 2012 | 11                 |

![Number of identified child victims, 2011-2012](assets/victims.png)
"""


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample report with what it lacks for a review: a link in the text, a table, a figure."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("review") / "kyrgyzstan-2013"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    chapter = folder / "05-protection.md"
    text = chapter.read_text(encoding="utf-8")
    at = text.index("::: recommendation")
    chapter.write_text(text[:at] + EXTRA.lstrip() + "\n" + text[at:], encoding="utf-8")
    (folder / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (120, 60), "#1f4e79").save(folder / "assets" / "victims.png")
    return folder


@pytest.fixture(scope="module")
def built(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DOCX ``build`` sends to reviewers, with its source map."""
    out = tmp_path_factory.mktemp("built")
    build(sources, out, ("docx",), NO_PAGES)
    return out / "kyrgyzstan-2013.docx"


@pytest.fixture(scope="module")
def unmapped(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DOCX built with ``--no-source-map``, as a copy that went through Google Docs is."""
    out = tmp_path_factory.mktemp("unmapped")
    result = CliRunner().invoke(main, ["build", str(sources), "--format", "docx", "--out", str(out),
                                       "--no-source-map"], env={"REPORTKIT_DOCX_PAGES": "0"})
    assert result.exit_code == 0, result.output
    return out / "kyrgyzstan-2013.docx"


@pytest.fixture
def report(sources: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sources, for --apply."""
    target = tmp_path / "kyrgyzstan-2013"
    shutil.copytree(sources, target)
    return target


def review(*args) -> tuple[int, list[str]]:
    result = run("review", *args)
    return result.exit_code, result.output.splitlines()


def reviewed_copy(built: Path, target: Path, note_comment: bool = True) -> Path:
    """A reviewed copy of the sample's DOCX holding every kind of change review applies (and a
    comment inside a note, which LibreOffice 7.4 cannot open, unless ``note_comment`` is False)."""
    doc = WordCopy(built)
    p = doc.paragraph("Kyrgyzstan is party to almost all")
    doc.delete(p, "almost ")
    doc.insert(p, doc.where(p, "Rights of the Child"), " (CRC)")
    doc.delete(p, "in 1994 and its Optional Protocol on the sale of children, child prostitution and child pornography ")
    doc.comment(p, "ratified the ", "Which year exactly?")
    p = doc.paragraph("has not signed or ratified")
    doc.format(p, "has not signed or ratified", bold=True)
    doc.comment(p, "has not signed or ratified", "Still true in 2026?",
                replies=(("Reviewer C", "Checked: signed 2025, not ratified."),))
    p = doc.paragraph("should sign and ratify the Optional Protocol")
    doc.delete(p, "sign and ")
    p = doc.paragraph("The government must allocate sufficient funding")
    doc.insert_paragraph(p, "The government should report yearly on the Plan’s implementation.")
    p = doc.paragraph("raped every year in Kyrgyzstan")
    doc.insert(p, doc.where(p, "every year in Kyrgyzstan"), " alone")
    doc.replace(p, "Universal periodic Review", "Universal Periodic Review")
    doc.delete_paragraph(doc.paragraph("With regard to care and protection for child victims"))
    doc.delete_paragraph(doc.paragraph("However, cooperation between child rights civil society"))
    p = doc.paragraph("implementation of the “New Generation” programme")
    doc.delete(p, NOTE)
    p = doc.paragraph("National Plan of Action and Coordination")
    doc.replace(p, "Coordination", "Coordination of Efforts")
    p = doc.paragraph("For example, OSCE has been training")
    doc.move(p, "For example, OSCE has been training and assisting the Kyrgyz police under the Police Reform Programme. ",
             p, "")
    p = doc.paragraph("Austria, Argentina, Japan and Uruguay.", notes=True)
    doc.insert(p, doc.where(p, "Uruguay"), " (UPR 2010)")
    if note_comment:
        doc.comment(p, "Austria", "Add the other States?", author="Reviewer C")
    p = doc.paragraph("Youth Partnership Programme in Kyrgyzstan")
    doc.insert(p, doc.where(p, "the ECPAT", after=False) + 10, "Global ")
    p = doc.paragraph("Specific research and data collection should be conducted")
    doc.insert(p, doc.where(p, "Specific research"), " (disaggregated by sex and age)")
    p = doc.paragraph("38", exact=True)
    doc.replace(p, "38", "39")
    p = doc.paragraph("Victims identified", exact=True)
    doc.insert(p, 0, "Child ")
    doc.delete(p, "V")
    doc.insert(p, doc.where(p, "Child "), "v")
    p = doc.paragraph("Number of identified child victims")
    doc.replace(p, "Number", "Count")
    p = doc.paragraph("see the UNICEF country page")
    doc.insert(p, doc.where(p, "UNICEF country"), " web")
    doc.insert(p, doc.where(p, "country web page"), " (2013)", outside_link=True)
    p = doc.paragraph("Alternative Report on the implementation")
    doc.replace(p, "in Kyrgyzstan", "in the Kyrgyz Republic")
    return doc.save(target)


def listed(lines: list[str], report: Path) -> list[str]:
    """The lines of a review, with the report folder's path taken out of them."""
    return [line.replace(f"{report}/", "") for line in lines]


ROUND_TRIP = [
    'report.toml:5: Reviewer A replaced "in Kyrgyzstan" by "in the Kyrgyz Republic" in title',
    '01-introduction.md:5: Reviewer A inserted " alone"',
    '01-introduction.md:5: Reviewer A replaced "Universal periodic Review" by "Universal Periodic Review"',
    '01-introduction.md:9: Reviewer A deleted the paragraph "With regard to care and protection for child victims, the …"',
    '01-introduction.md:13: in note 2, Reviewer A inserted " (UPR 2010)"',
    '01-introduction.md:13: in note 2, comment by Reviewer C on "Austria": Add the other States?',
    '02-general-measures.md:5: Reviewer A deleted "almost "',
    '02-general-measures.md:5: Reviewer A inserted " (CRC)"',
    '02-general-measures.md:5: Reviewer A deleted "in 1994 and its Optional Protocol on the sale of children, …"',
    '02-general-measures.md:5: comment by Reviewer B on "ratified the ": Which year exactly?',
    '02-general-measures.md:7: Reviewer A made "has not signed or ratified" bold',
    '02-general-measures.md:7: comment by Reviewer B on "has not signed or ratified": Still true in 2026?',
    '02-general-measures.md:7:   reply by Reviewer C: Checked: signed 2025, not ratified.',
    '02-general-measures.md:11: Reviewer A deleted "sign and "',
    '02-general-measures.md:15: Reviewer A replaced "Coordination" by "Coordination of Efforts"',
    '02-general-measures.md:21: Reviewer A deleted note 5 (its call and its text)',
    'after 02-general-measures.md:31: Reviewer A inserted a paragraph: "The government should report yearly on the Plan’s implemen …"',
    '02-general-measures.md:39: Reviewer A deleted the paragraph "However, cooperation between child rights civil society or …"',
    '02-general-measures.md:49: Reviewer A moved "For example, OSCE has been training and assisting the Kyrg …" here from line 49',
    '02-general-measures.md:49: Reviewer A moved "For example, OSCE has been training and assisting the Kyrg …" to line 49',
    '03-prevention.md:13: Reviewer A inserted "Global "',
    '03-prevention.md:33: Reviewer A inserted " (disaggregated by sex and age)"',
    '05-protection.md:7: Reviewer A inserted " web"',
    '05-protection.md:7: Reviewer A inserted " (2013)"',
    '05-protection.md:9: Reviewer A replaced "V" by "Child v"',
    '05-protection.md:11: Reviewer A replaced "38" by "39"',
    '05-protection.md:14: Reviewer A replaced "Number" by "Count"',
]


def test_every_kind_of_change_is_listed_at_its_line_and_applied(built: Path, report: Path, tmp_path: Path) -> None:
    reviewed = reviewed_copy(built, tmp_path / "reviewed.docx")
    code, lines = review(reviewed, report)
    assert code == 0
    assert listed(lines, report) == [
        *ROUND_TRIP,
        "23 changes (Reviewer A: 23), 3 comments and 1 reply",
        "23 can be applied (--apply), 0 to do by hand, 0 in conflict, 0 not applicable",
    ]
    assert (report / "02-general-measures.md").read_text() == (SAMPLE / "02-general-measures.md").read_text()
    code, lines = review(reviewed, report, "--apply")
    assert code == 0, lines
    assert lines[-1] == "23 applied, 0 to do by hand, 0 in conflict, 0 not applicable"
    assert "+Kyrgyzstan is party to all relevant international legal instruments addressing CSEC. Kyrgyzstan " \
           "ratified the *Convention on the Rights of the Child* (CRC) in 2003." in "\n".join(lines)
    chapter = (report / "02-general-measures.md").read_text()
    assert "the government of Kyrgyzstan **has not signed or ratified** the *Optional Protocol" in chapter
    assert "[^eu-dialogue-2011]" not in chapter and "[^csec-network-members]" not in chapter  # calls and notes gone
    assert "Services were counted as follows (see [the UNICEF country web page](https://www.unicef.org/kyrgyzstan)" \
           " (2013)):" in (report / "05-protection.md").read_text()
    assert 'title = "Alternative Report on the implementation of the Convention on the Rights of the Child ' \
           '(Articles 34 and 35) in the Kyrgyz Republic"' in (report / "report.toml").read_text()
    assert run("check", report).exit_code == 0
    out = tmp_path / "rebuilt"
    build(report, out, ("docx",), NO_PAGES)
    assert accepted_text(out / "kyrgyzstan-2013.docx") == accepted_text(reviewed)


def test_without_the_source_map_paragraphs_are_matched_by_their_text(unmapped: Path, report: Path,
                                                                     tmp_path: Path) -> None:
    """``build --no-source-map`` writes no bookmark and no custom XML part; ``review`` then
    matches the paragraphs by their text, and says so."""
    with zipfile.ZipFile(unmapped) as z:
        assert not [n for n in z.namelist() if n.startswith("customXml/")]
        assert b'w:name="_rk' not in z.read("word/document.xml")
    reviewed = reviewed_copy(unmapped, tmp_path / "reviewed.docx")
    code, lines = review(reviewed, report, "--apply")
    assert code == 0
    summary = [line for line in listed(lines, report) if not line.startswith(("---", "+++", "@@", " ", "+", "-"))]
    assert summary == [
        *ROUND_TRIP,
        "23 changes (Reviewer A: 23), 3 comments and 1 reply",
        "23 applied, 0 to do by hand, 0 in conflict, 0 not applicable",
        "this DOCX has no source map: its paragraphs were matched with the sources by their text",
    ]
    assert run("check", report).exit_code == 0


def test_generated_text_and_what_markdown_cannot_hold_are_listed_not_applied(built: Path, report: Path,
                                                                           tmp_path: Path) -> None:
    doc = WordCopy(built)
    doc.replace(doc.paragraph("2.2 National Plan of Action and Coordination", contents=True),
                "Coordination", "Co-ordination")
    doc.delete(doc.paragraph("2.1 Status of ratification"), "2.1 ")
    p = doc.paragraph("Recommendation", exact=True)
    doc.insert(p, len("Recommendation"), "s")
    doc.restyle(doc.paragraph("Despite the Committee’s recommendation to establish"), "Heading3")
    doc.join(doc.paragraph("Some progress had been made by the government"))
    doc.format(doc.paragraph("The Kyrgyz Constitution states"), "Kyrgyz Constitution", underline=True)
    p = doc.paragraph("ECPAT International", exact=True)
    doc.replace(p, "International", "Intl.")
    p = doc.paragraph("However, none of these plans have a specific focus")
    doc.insert_note(p, doc.where(p, "specific focus"), "As of 2013.")
    doc.delete_paragraph(doc.paragraph("Number of identified child victims").getprevious())
    code, lines = review(doc.save(tmp_path / "reviewed.docx"), report, "--apply")
    assert code == 0
    assert listed(lines, report) == [
        'report.toml:6: Reviewer A replaced "International" by "Intl." in authors (to do by hand: edit authors '
        'in report.toml)',
        '02-general-measures.md:3: Reviewer A deleted "2.1 " (not applicable: heading numbers are generated)',
        '02-general-measures.md:5: Reviewer A changed the formatting of "Kyrgyz Constitution": underline '
        '(not applicable: Markdown has bold and italic only)',
        '02-general-measures.md:9: Reviewer A inserted "s" (not applicable: a box without a title shows this '
        'one; give the box a title in the sources)',
        '02-general-measures.md:19: Reviewer A changed the paragraph\'s style to "Heading 3" (to do by hand: '
        'Markdown has no such change)',
        '02-general-measures.md:23: Reviewer A joined this paragraph with the next one (to do by hand: Markdown '
        'has no such change)',
        '02-general-measures.md:25: Reviewer A inserted a note: "As of 2013." (to do by hand: write the note\'s '
        'call and text in the Markdown)',
        '05-protection.md:14: Reviewer A deleted the picture (to do by hand: change the image in the sources)',
        'contents: Reviewer A replaced "Coordination" by "Co-ordination" (not applicable: the contents are made '
        'from the headings)',
        "9 changes (Reviewer A: 9), 0 comments",
        "0 applied, 5 to do by hand, 0 in conflict, 4 not applicable",
    ]
    for chapter in ("01-introduction.md", "02-general-measures.md", "report.toml"):
        assert (report / chapter).read_bytes() == (SAMPLE / chapter).read_bytes()


def test_a_paragraph_changed_in_the_sources_since_the_build_is_a_conflict(unmapped: Path, report: Path,
                                                                         tmp_path: Path) -> None:
    """Without the map there is no telling a change in the sources from an edit without Track Changes."""
    doc = WordCopy(unmapped)
    doc.delete(doc.paragraph("Kyrgyzstan is party to almost all"), "almost ")
    doc.format(doc.paragraph("has not signed or ratified"), "has not signed or ratified", bold=True)
    reviewed = doc.save(tmp_path / "reviewed.docx")
    chapter = report / "02-general-measures.md"
    chapter.write_text(chapter.read_text().replace("party to almost all", "party to nearly all"))
    code, lines = review(reviewed, report, "--apply")
    assert code == 0
    assert [line for line in listed(lines, report) if not line.startswith(("---", "+++", "@@", " ", "+", "-"))] == [
        "02-general-measures.md:5: conflict: this paragraph differs from the sources (changed since the DOCX was "
        "built, or edited without Track Changes); not applied",
        '02-general-measures.md:5:   Reviewer A deleted "almost "',
        '02-general-measures.md:7: Reviewer A made "has not signed or ratified" bold',
        "2 changes (Reviewer A: 2), 0 comments",
        "1 applied, 0 to do by hand, 1 in conflict, 0 not applicable",
        "this DOCX has no source map: its paragraphs were matched with the sources by their text",
    ]
    text = chapter.read_text()
    assert "party to nearly all" in text and "**has not signed or ratified**" in text


def test_a_docx_built_from_other_sources_applies_nothing(report: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    build(Path(__file__).parent / "reports" / "minimal", other, ("docx",), NO_PAGES)
    doc = WordCopy(other / "minimal.docx")
    paragraphs = [doc.paragraph("The first chapter calls a note."), doc.paragraph("The government should act.")]
    for p in paragraphs:
        doc.insert(p, 0, "Indeed, ")
    code, lines = review(doc.save(tmp_path / "reviewed.docx"), report, "--apply")
    assert code == 0
    assert lines[:4] == [
        'reviewed.docx, paragraph 9: conflict: a paragraph not found in the sources ("The first chapter calls a '
        'note.[note]"); not applied',
        'reviewed.docx, paragraph 9:   Reviewer A inserted "Indeed, "',
        'reviewed.docx, paragraph 14: conflict: a paragraph not found in the sources ("The government should '
        'act."); not applied',
        'reviewed.docx, paragraph 14:   Reviewer A inserted "Indeed, "',
    ]
    assert lines[-1] == "0 applied, 0 to do by hand, 2 in conflict, 0 not applicable"
    assert (report / "01-introduction.md").read_bytes() == (SAMPLE / "01-introduction.md").read_bytes()


def saved_by_libreoffice(docx: Path, tmp_path: Path) -> Path:
    """``docx`` opened and saved again by LibreOffice (with a profile of its own)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "libreoffice"
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--norestore", "--convert-to", "docx", "--outdir", str(out), str(docx)],
                   capture_output=True, timeout=180, check=False)
    saved = out / docx.name
    assert saved.is_file(), "LibreOffice did not save the DOCX"
    return saved


def test_a_copy_saved_again_by_libreoffice_reviews_the_same(built: Path, report: Path, tmp_path: Path) -> None:
    """LibreOffice keeps the source map (bookmarks and custom XML) and the revisions, renumbers
    the notes and comments and drops the comments' threads, which their ranges still tell."""
    reviewed = saved_by_libreoffice(reviewed_copy(built, tmp_path / "reviewed.docx", note_comment=False), tmp_path)
    code, lines = review(reviewed, report)
    assert code == 0
    assert listed(lines, report) == [*(line for line in ROUND_TRIP if "Add the other States?" not in line),
                                     "23 changes (Reviewer A: 23), 2 comments and 1 reply",
                                     "23 can be applied (--apply), 0 to do by hand, 0 in conflict, 0 not applicable"]
    code, lines = review(reviewed, report, "--apply")
    assert code == 0 and lines[-1] == "23 applied, 0 to do by hand, 0 in conflict, 0 not applicable"
    assert run("check", report).exit_code == 0
    out = tmp_path / "rebuilt"
    build(report, out, ("docx",), NO_PAGES)
    assert accepted_text(out / "kyrgyzstan-2013.docx") == accepted_text(reviewed)


def test_comments_inline_travel_with_the_text(built: Path, report: Path, tmp_path: Path) -> None:
    reviewed = reviewed_copy(built, tmp_path / "reviewed.docx")
    code, lines = review(reviewed, report, "--apply", "--comments", "inline")
    assert code == 0
    chapter = (report / "02-general-measures.md").read_text()
    assert "**has not signed or ratified**<!-- review, Reviewer B: Still true in 2026? --><!-- review, " \
           "Reviewer C (reply): Checked: signed 2025, not ratified. --> the *Optional Protocol" in chapter
    assert "[^upr-2010-states]: Austria<!-- review, Reviewer C: Add the other States? -->, Argentina" in \
        (report / "01-introduction.md").read_text()
    assert run("check", report).exit_code == 0
    out = tmp_path / "rebuilt"
    build(report, out, ("docx",), NO_PAGES)
    assert accepted_text(out / "kyrgyzstan-2013.docx") == accepted_text(reviewed)


def test_json_lists_the_same_for_tools(built: Path, report: Path, tmp_path: Path) -> None:
    doc = WordCopy(built)
    p = doc.paragraph("Kyrgyzstan is party to almost all")
    doc.delete(p, "almost ")
    doc.comment(p, "relevant", "Which ones?")
    result = run("review", doc.save(tmp_path / "reviewed.docx"), report, "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    chapter = str(report / "02-general-measures.md")
    assert data["source_map"] is True and data["applied"] is False
    assert [{k: i[k] for k in ("kind", "author", "path", "line", "status", "text")} for i in data["items"]] == [
        {"kind": "change", "author": "Reviewer A", "path": chapter, "line": 5, "status": "apply",
         "text": 'deleted "almost "'},
        {"kind": "comment", "author": "Reviewer B", "path": chapter, "line": 5, "status": "",
         "text": ' on "relevant": Which ones?'},
    ]
    assert data["items"][0]["message"] == f'{chapter}:5: Reviewer A deleted "almost "'
    assert data["diff"].startswith(f"--- {chapter}\n+++ {chapter}\n")


def test_a_file_that_is_not_a_docx_is_one_line_and_exit_1(report: Path, tmp_path: Path) -> None:
    fake = tmp_path / "reviewed.docx"
    fake.write_text("not a zip")
    code, lines = review(fake, report)
    assert (code, lines) == (1, [f"{fake}: not a Word document (File is not a zip file)"])


def test_endnotes_are_matched_by_their_order(sources: Path, tmp_path: Path) -> None:
    report = tmp_path / "kyrgyzstan-2013"
    shutil.copytree(sources, report)
    toml = report / "report.toml"
    toml.write_text(toml.read_text().replace('notes = "footnotes"', 'notes = "endnotes"'))
    build(report, tmp_path / "out", ("docx",), NO_PAGES)
    doc = WordCopy(tmp_path / "out" / "kyrgyzstan-2013.docx")
    p = doc.paragraph("Austria, Argentina, Japan and Uruguay.", notes=True)
    doc.insert(p, doc.where(p, "Uruguay"), " (UPR 2010)")
    code, lines = review(doc.save(tmp_path / "reviewed.docx"), report, "--apply")
    assert code == 0
    assert listed(lines, report)[0] == '01-introduction.md:13: in note 2, Reviewer A inserted " (UPR 2010)"'
    assert "[^upr-2010-states]: Austria, Argentina, Japan and Uruguay (UPR 2010)." in \
        (report / "01-introduction.md").read_text()


# --- with the source map ----------------------------------------------------------------------------


def test_edits_without_track_changes_are_changes_by_unknown(built: Path, report: Path, tmp_path: Path) -> None:
    doc = WordCopy(built)
    p = doc.paragraph("Kyrgyzstan is party to almost all")
    for t in p.iter(w("t")):
        t.text = t.text.replace("almost all", "nearly all")
    doc.format(doc.paragraph("has not signed or ratified"), "has not signed or ratified", bold=True)
    reviewed = doc.save(tmp_path / "reviewed.docx")
    code, lines = review(reviewed, report, "--apply")
    assert [line for line in listed(lines, report) if not line.startswith(("---", "+++", "@@", " ", "+", "-"))] == [
        '02-general-measures.md:5: unknown replaced "almost" by "nearly"',
        '02-general-measures.md:7: Reviewer A made "has not signed or ratified" bold',
        "2 changes (Reviewer A: 1, unknown: 1), 0 comments",
        "2 applied, 0 to do by hand, 0 in conflict, 0 not applicable",
    ]
    assert "Kyrgyzstan is party to nearly all relevant" in (report / "02-general-measures.md").read_text()


def test_with_the_source_map_a_paragraph_changed_since_the_build_is_a_conflict(built: Path, report: Path,
                                                                              tmp_path: Path) -> None:
    doc = WordCopy(built)
    doc.delete(doc.paragraph("Kyrgyzstan is party to almost all"), "almost ")
    doc.insert(doc.paragraph("has not signed or ratified"), 0, "Still, ")
    reviewed = doc.save(tmp_path / "reviewed.docx")
    chapter = report / "02-general-measures.md"
    chapter.write_text("<!-- moved down by two lines -->\n\n" +
                       chapter.read_text().replace("party to almost all", "party to nearly all"))
    code, lines = review(reviewed, report, "--apply")
    assert [line for line in listed(lines, report) if not line.startswith(("---", "+++", "@@", " ", "+", "-"))] == [
        "02-general-measures.md:5: conflict: this paragraph changed in the sources since the DOCX was built; "
        "not applied",
        '02-general-measures.md:5:   Reviewer A deleted "almost "',
        '02-general-measures.md:9: Reviewer A inserted "Still, "',
        "2 changes (Reviewer A: 2), 0 comments",
        "1 applied, 0 to do by hand, 1 in conflict, 0 not applicable",
    ]
    assert "\n\nStill, However, the government of Kyrgyzstan has not signed" in chapter.read_text()


# --- the source map as build writes it ----------------------------------------------------------------


def test_each_paragraph_carries_a_bookmark_the_map_ties_to_its_source_lines(built: Path, sources: Path) -> None:
    """One hidden ``_rk`` bookmark a body paragraph that shows text, in reading order (none in a
    picture's or a spacer's), and the map gives each the kind, file, lines and hash of the
    Markdown ``review`` traces it to (or what generated it); the notes' paragraphs are listed
    by note number, without bookmarks."""
    from reportkit.build import load_report
    from reportkit.review.sources import mapping_parser, slots
    from reportkit.sourcemap import NAMESPACE, Entry, from_xml

    doc = WordCopy(built)
    body, notes = doc.parts["word/document.xml"], doc.parts["word/footnotes.xml"]
    with zipfile.ZipFile(built) as z:
        items = [n for n in z.namelist() if n.startswith("customXml/item") and "Props" not in n]
        assert len(items) == 1 and NAMESPACE.encode() in z.read(items[0].replace("item", "itemProps"))
        data = z.read(items[0])
    source_map = from_xml(data)
    assert b"Kyrgyz" not in data  # file names, lines and hashes: never the text
    paragraphs = list(body.iter(w("p")))
    marks = [[b.get(w("name")) for b in p.iter(w("bookmarkStart")) if b.get(w("name")).startswith("_rk")]
             for p in paragraphs]
    shown = [bool(doc.text(p)) for p in paragraphs]
    names = iter(f"_rk{n}" for n in itertools.count(1))
    assert marks == [[next(names)] if text else [] for text in shown]
    assert not [b for b in notes.iter(w("bookmarkStart")) if b.get(w("name")).startswith("_rk")]

    report = load_report(sources)
    expected = slots(report, sources, mapping_parser(report.meta.language))
    files = dict(zip((c.path for c in report.chapters), report.meta.chapters))

    def traced(slot) -> tuple:
        unit = slot.unit
        if unit is None:
            return slot.kind, "", 0, 0, "", slot.what, -1
        key = next(k for k, u in expected.units[unit.source.path].items() if u is unit)
        return slot.kind, files[unit.source.path], unit.first, unit.last, unit.hash, "", key[3] if unit.kind == "cell" else -1

    def entry(e) -> tuple:
        return e.kind, e.path, e.first, e.last, e.hash, e.what, e.col

    assert [s.kind if s.kind == "figure" else s.what for s, text in zip(expected.body, shown, strict=True)
            if not text] == ["spacer", "figure"]  # the spacer after the table
    assert [entry(source_map.body[m[0]]) for m in marks if m] == [traced(s) for s, m in zip(expected.body, marks) if m]
    assert [[entry(e) for e in note] for note in source_map.notes] == [[traced(s) for s in n] for n in expected.notes]
    assert source_map.body["_rk1"] == Entry("cover", bookmark="_rk1", what="title")


def test_the_map_changes_nothing_a_reader_sees(built: Path, unmapped: Path, sources: Path, tmp_path: Path) -> None:
    """The DOCX with its map is valid (openxml-audit), pandoc reads the same text from it as from
    the one without, LibreOffice lays out the same pages, and a rebuild gives the same bytes."""
    from openxml_audit import OpenXmlValidator

    from reportkit.importer.pandoc import find_pandoc

    assert [str(e) for e in OpenXmlValidator().validate(built).errors] == []
    pandoc = find_pandoc()
    plain = [subprocess.run([pandoc, "-t", "plain", str(f)], capture_output=True, check=True, text=True).stdout
             for f in (built, unmapped)]
    assert plain[0] == plain[1] and "Kyrgyzstan is party to almost all" in plain[0]
    build(sources, tmp_path / "again", ("docx",), NO_PAGES)
    assert (tmp_path / "again" / built.name).read_bytes() == built.read_bytes()
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) or poppler (pdftotext) is not installed")
    pages = []
    for f in (built, unmapped):
        pdf = tmp_path / f"{f.parent.name}.pdf"
        pdf.write_bytes(to_pdf(f))
        pages.append(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                                    text=True).stdout)
    assert pages[0] == pages[1] and pages[0].count("\f") > 10


def test_no_source_map_leaves_the_map_out_and_is_an_option_of_the_build(report_factory, monkeypatch) -> None:
    """``--no-source-map`` is an option like ``--draft``: switching it rebuilds the DOCX, and
    repeating it keeps the file; ``source_map = false`` in report.toml does the same."""
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory()
    docx = folder / "build" / "report.docx"

    def parts() -> list[str]:
        with zipfile.ZipFile(docx) as z:
            return [n for n in z.namelist() if n.startswith("customXml/")] + \
                ["_rk"] * (b'w:name="_rk' in z.read("word/document.xml"))

    assert run("build", folder, "-q", "-f", "docx").exit_code == 0
    assert parts() == ["customXml/_rels/item1.xml.rels", "customXml/item1.xml", "customXml/itemProps1.xml", "_rk"]
    assert run("build", folder, "-f", "docx", "--no-source-map").stdout.startswith(f"wrote {docx} (")
    assert parts() == []
    assert run("build", folder, "-f", "docx", "--no-source-map").stdout.startswith(f"kept {docx} (unchanged)")
    assert run("build", folder, "-f", "docx").stdout.startswith(f"wrote {docx} (") and parts()[-1] == "_rk"
    toml = folder / "report.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "source_map = false\n", encoding="utf-8")
    assert run("build", folder, "-q", "-f", "docx").exit_code == 0 and parts() == []


def test_heading_marks_are_not_read_as_text_a_reviewer_deleted(report_factory, monkeypatch):
    folder = report_factory({"01-intro.md": "# Introduction {.summary}\n\nThe first chapter.\n",
                             "02-findings.md": "# Findings {#found} {.annex}\n\nText.\n\n::: box Facts {#facts}\nA fact.\n:::\n"})
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    build(folder, formats=("docx",))
    code, lines = review(folder / "build" / "report.docx", folder)
    assert (code, lines) == (0, ["0 changes, 0 comments",
                                 "0 can be applied (--apply), 0 to do by hand, 0 in conflict, 0 not applicable"])
