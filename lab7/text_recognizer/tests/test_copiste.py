"""The Copiste corpus: manifest, checked parallel download, what is left out, writer splits, the lines cache."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation.local_file_server import LocalFileServer
from text_recognizer import paths
from text_recognizer.data import copiste
from text_recognizer.data.errors import DownloadError
from text_recognizer.data.handwriting_lines import SPLITS, HandwritingLines
from text_recognizer.data.line_records import LineRecord

PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description><sourceImageInformation><fileName>{page}.jpg</fileName></sourceImageInformation></Description>
  <Layout><Page WIDTH="400" HEIGHT="300"><PrintSpace><TextBlock>
    <TextLine ID="ref"><Shape><Polygon POINTS="10 10 200 10 200 40 10 40"/></Shape>
      <String CONTENT="Nom de référence : {document}"/></TextLine>
    <TextLine ID="a"><Shape><Polygon POINTS="10 50 390 50 390 90 10 90"/></Shape>
      <String CONTENT="Une ligne écrite à la main."/></TextLine>
    <TextLine ID="b"><Shape><Polygon POINTS="10 100 390 100 390 140 10 140"/></Shape>
      <String CONTENT="né le &gt;mai&lt; 2 mai"/></TextLine>
    <TextLine ID="c"><Shape><Polygon POINTS="10 150 390 150 390 190 10 190"/></Shape>
      <String CONTENT="illisible &gt;&lt; ici"/></TextLine>
  </TextBlock></PrintSpace></Page></Layout>
</alto>
"""

PAGES = ["imp_wikitexte_0051_1", "imp_wikitexte_0051_2", "wikitexte_0051", "imp_wikitexte_0172_double"]


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "upstream"
    (root / "alto").mkdir(parents=True)
    (root / "jpg").mkdir()
    for page in PAGES:
        (root / "alto" / f"{page}.xml").write_text(PAGE.format(page=page, document=copiste.document_id(page)))
        image = np.full((300, 400), 250, dtype=np.uint8)
        for top in (15, 60, 110, 160):  # a stroke of ink in each line's polygon
            image[top : top + 20, 30:370:7] = 20
        Image.fromarray(image).save(root / "jpg" / f"{page}.jpg")
    return root


@pytest.fixture
def file_server(corpus):
    with LocalFileServer(root=corpus) as server:
        yield server.base_url


def write_manifest(corpus: Path, base_url: str, path: Path, corrupt: str | None = None) -> Path:
    rows = ["# test corpus: " + base_url + "/<path>", "path\tbytes\tsha256"]
    for file in sorted(p for p in corpus.rglob("*") if p.is_file()):
        relative = file.relative_to(corpus).as_posix()
        digest = "0" * 64 if relative == corrupt else hashlib.sha256(file.read_bytes()).hexdigest()
        rows.append(f"{relative}\t{file.stat().st_size}\t{digest}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_the_committed_manifest_lists_the_whole_corpus_at_a_pinned_commit():
    files = copiste.manifest_files(paths.RAW_DATA_DIR / "copiste" / "UPSTREAM.tsv")
    assert len(files) == 2 * 297
    assert {Path(f.filename).parent.name for f in files} == {"alto", "jpg"}
    assert all(len(f.digest) == 64 for f in files)
    url = files[0].urls[0]
    assert url.startswith("https://raw.githubusercontent.com/banq-dcn/Copiste-d-un-jour/")
    assert len(url.split("/")[5]) == 40  # a commit, not a branch that can move
    assert url.endswith(files[0].filename)


def test_fetch_downloads_every_file_checked(corpus, file_server, tmp_path):
    remote_files = copiste.manifest_files(write_manifest(corpus, file_server, tmp_path / "UPSTREAM.tsv"))
    destination = tmp_path / "raw"
    copiste.fetch_corpus(remote_files, destination)
    for remote in remote_files:
        assert (destination / remote.filename).read_bytes() == (corpus / remote.filename).read_bytes()


def test_a_file_with_the_wrong_checksum_is_not_kept(corpus, file_server, tmp_path):
    bad = "alto/wikitexte_0051.xml"
    remote_files = copiste.manifest_files(write_manifest(corpus, file_server, tmp_path / "M.tsv", corrupt=bad))
    destination = tmp_path / "raw"
    with pytest.raises(DownloadError, match=f"(?s)1 of the corpus's 8 files.*{bad}.*is recorded for it"):
        copiste.fetch_corpus(remote_files, destination)
    assert not (destination / bad).exists()
    assert not [p for p in destination.rglob("*") if p.name.startswith(".")]  # no temporary file left


def test_pages_of_one_document_share_a_writer():
    assert copiste.document_id("imp_wikitexte_0051_2") == "imp_wikitexte_0051"
    assert copiste.document_id("imp_wikitexte_0051") == "imp_wikitexte_0051"
    assert copiste.document_id("imp_wikitexte_0172_double") == "imp_wikitexte_0172_double"  # another writer


def test_reference_lines_and_editorial_marks_are_left_out_and_counted(corpus):
    lines, skipped = copiste.read_lines(corpus)
    assert {line.text for line in lines} == {"Une ligne écrite à la main."}
    assert skipped == {"page reference line": 4, "crossed-out or unreadable passage": 8}
    assert {line.writer for line in lines} == {"imp_wikitexte_0051", "wikitexte_0051", "imp_wikitexte_0172_double"}


@pytest.mark.parametrize(
    "text",
    [
        "imp_wikitexte_0022",
        "WIKITEXTE-0041",
        "wikitexte 0257",
        "imp.wikitexte-0125",
        "wikitexte_009",
        "imp_wikitexte_",
        "Texte 2 - Référence du texte: wikitexte0003",
        "NOM DE RÉFÉRENCE : WIKITEXTE_026",
    ],
)
def test_a_page_reference_is_left_out_however_the_writer_wrote_it(text):
    assert copiste.reason_left_out(text) == "page reference line"


def test_a_line_that_only_mentions_a_reference_is_kept():
    assert copiste.reason_left_out("Son nom fait référence au parasitologue") is None


def record(writer: str, index: int) -> LineRecord:
    return LineRecord(Path("p.jpg"), writer, f"{writer}-{index}", "text", (0, 0, 10, 10), writer=writer)


def test_no_writer_is_in_two_splits_and_the_seed_fixes_them():
    lines = [record(f"w{w:03d}", i) for w in range(100) for i in range(w % 7 + 1)]
    splits = copiste.split_by_writer(lines)
    writers = {name: {line.writer for line in split} for name, split in splits.items()}
    assert not writers["train"] & writers["validation"]
    assert not writers["train"] & writers["test"]
    assert not writers["validation"] & writers["test"]
    assert sum(map(len, splits.values())) == len(lines)
    assert [len(w) for w in writers.values()] == [75, 10, 15]
    assert copiste.split_by_writer(lines) == splits
    assert copiste.split_by_writer(lines, seed=1) != splits


MIRROR = Path(os.environ.get("TEXT_RECOGNIZER_MIRROR", "/nonexistent")) / "copiste"


@pytest.mark.skipif(not (MIRROR / "alto").is_dir(), reason="the Copiste corpus is not in $TEXT_RECOGNIZER_MIRROR")
def test_the_real_corpus_splits_by_writer():
    lines, skipped = copiste.read_lines(MIRROR)
    assert skipped["crossed-out or unreadable passage"] == 152
    assert not any(copiste.PAGE_REFERENCE.search(line.text) for line in lines)
    splits = copiste.split_by_writer(lines)
    train_writers = {line.writer for line in splits["train"]}
    assert not train_writers & {line.writer for line in splits["test"]}
    assert len(splits["test"]) > 500


@pytest.fixture
def lines_dataset(corpus, tmp_path, monkeypatch):
    """HandwritingLines on the generated corpus, its cache in a temporary folder."""
    monkeypatch.setattr(copiste, "corpus_dir", lambda: corpus)
    monkeypatch.setattr(paths, "PROCESSED_DATA_DIR", tmp_path / "processed")
    return HandwritingLines


def test_lines_are_cut_normalized_and_cached(lines_dataset, monkeypatch):
    data = lines_dataset(height=32)
    data.setup()
    assert data.cache_path.is_file()
    images = [image for split in SPLITS for image in data.split(split)[0]]
    assert len(images) == 4  # one line of handwriting per page
    assert all(image.dtype == np.uint8 and image.shape[0] == 32 for image in images)
    assert data.skipped["crossed-out or unreadable passage"] == 8
    writers = [set(data.writers(split)) for split in SPLITS]
    assert sum(map(len, writers)) == len(set().union(*writers))  # no writer in two splits

    monkeypatch.setattr("text_recognizer.data.handwriting_lines.build_arrays", _must_not_rebuild)
    again = lines_dataset(height=32)
    again.setup()  # from the cache
    assert [text for split in SPLITS for text in again.split(split)[1]] == [
        text for split in SPLITS for text in data.split(split)[1]
    ]


def _must_not_rebuild(*args):
    raise AssertionError("the cache was rebuilt although nothing changed")


def test_a_changed_transcription_rebuilds_the_cache(lines_dataset, corpus):
    lines_dataset(height=32).setup()
    page = corpus / "alto" / "wikitexte_0051.xml"
    page.write_text(page.read_text().replace("Une ligne écrite", "Une autre ligne écrite"))
    data = lines_dataset(height=32)
    data.setup()
    assert "Une autre ligne écrite à la main." in [text for split in SPLITS for text in data.split(split)[1]]


def test_a_line_without_ink_is_left_out_and_counted(lines_dataset, corpus):
    blank = corpus / "jpg" / "wikitexte_0051.jpg"
    Image.fromarray(np.full((300, 400), 250, dtype=np.uint8)).save(blank)
    data = lines_dataset(height=32)
    data.setup()
    assert data.skipped["no ink in the line's polygon"] == 1
    assert sum(len(data.split(split)[0]) for split in SPLITS) == 3


@pytest.mark.parametrize("fraction", [0, -0.5, 1.5])
def test_a_bad_subsample_fraction_is_refused(fraction):
    with pytest.raises(ValueError, match="subsample_fraction"):
        HandwritingLines(subsample_fraction=fraction)
