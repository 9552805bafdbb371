"""ALTO and PAGE-XML parsing and line cutting, on pages the tests write and on the real Copiste corpus."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from text_recognizer.data.errors import DataFormatError, MissingDataError
from text_recognizer.data.line_records import LineRecord, bounding_box
from text_recognizer.data.transcription_xml import read_transcription
from text_recognizer.line_crops import cut_line

ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description>
    <MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>{image}</fileName></sourceImageInformation>
  </Description>
  <Layout>
    <Page WIDTH="{width}" HEIGHT="{height}" PHYSICAL_IMG_NR="0" ID="p1">
      <PrintSpace>
        <TextBlock ID="b1">
          <TextLine ID="l1" BASELINE="100 180 900 190" HPOS="100" VPOS="120" WIDTH="800" HEIGHT="80">
            <Shape><Polygon POINTS="100 120 900 120 900 200 100 200"/></Shape>
            <String CONTENT="Bonjour à tous"/>
          </TextLine>
          <TextLine ID="l2" HPOS="100" VPOS="300" WIDTH="600" HEIGHT="60">
            <String CONTENT="deux"/><SP/><String CONTENT="mots"/>
          </TextLine>
          <TextLine ID="l3"><Shape><Polygon POINTS="100 400 500 400 500 450 100 450"/></Shape>
            <String CONTENT=""/>
          </TextLine>
          <TextLine ID="l4"><Shape><Polygon POINTS="5000 5000 5100 5000 5100 5050"/></Shape>
            <String CONTENT="off the page"/>
          </TextLine>
        </TextBlock>
      </PrintSpace>
    </Page>
  </Layout>
</alto>
"""

PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/{version}">
  <Page imageFilename="{image}" imageWidth="{width}" imageHeight="{height}">
    <ReadingOrder><OrderedGroup id="g"><RegionRefIndexed index="0" regionRef="r2"/>
      <RegionRefIndexed index="1" regionRef="r1"/></OrderedGroup></ReadingOrder>
    <TextRegion id="r1"><Coords points="0,0 10,0 10,10"/>
      <TextLine id="second"><Coords points="100,500 900,500 900,580 100,580"/>
        <Baseline points="100,570 900,570"/>
        <TextEquiv index="1"><Unicode>alternative</Unicode></TextEquiv>
        <TextEquiv index="0"><Unicode>read second</Unicode></TextEquiv>
      </TextLine>
    </TextRegion>
    <TextRegion id="r2">
      <TextLine id="first"><Coords points="100,100 900,100 900,180 100,180"/>
        <Word id="w1"><TextEquiv><Unicode>read</Unicode></TextEquiv></Word>
        <Word id="w2"><TextEquiv><Unicode>first</Unicode></TextEquiv></Word>
      </TextLine>
    </TextRegion>
  </Page>
</PcGts>
"""


def write_page(tmp_path: Path, template: str, image_size=(1000, 800), declared=(1000, 800), **fields) -> Path:
    Image.fromarray(np.full(image_size[::-1], 255, dtype=np.uint8)).save(tmp_path / "page.png")
    path = tmp_path / "page.xml"
    path.write_text(template.format(image="page.png", width=declared[0], height=declared[1], **fields))
    return path


def test_alto_lines_text_boxes_and_skips(tmp_path):
    page = read_transcription(write_page(tmp_path, ALTO))
    assert [line.text for line in page.lines] == ["Bonjour à tous", "deux mots"]
    first, second = page.lines
    assert first.box == (100, 120, 900, 200)
    assert first.baseline == ((100, 180), (900, 190))
    assert second.box == (100, 300, 700, 360)  # no Shape: the HPOS/VPOS/WIDTH/HEIGHT rectangle
    assert second.baseline is None
    assert [line.reading_order for line in page.lines] == [0, 1]
    assert first.page_image == tmp_path / "page.png"
    assert page.skipped == {"empty transcription": 1, "outside the page": 1}


def test_alto_coordinates_are_scaled_to_the_image_on_disk(tmp_path):
    page = read_transcription(write_page(tmp_path, ALTO, image_size=(500, 400), declared=(1000, 800)))
    assert page.lines[0].box == (50, 60, 450, 100)
    assert page.lines[0].polygon[1] == (450, 60)
    assert page.lines[0].baseline == ((50, 90), (450, 95))


@pytest.mark.parametrize("version", ["2013-07-15", "2019-07-15"])
def test_page_xml_reading_order_text_equiv_and_words(tmp_path, version):
    page = read_transcription(write_page(tmp_path, PAGE, version=version))
    assert [line.line_id for line in page.lines] == ["first", "second"]  # the ReadingOrder puts r2 first
    assert [line.text for line in page.lines] == ["read first", "read second"]
    assert page.lines[1].baseline == ((100, 570), (900, 570))


def test_page_xml_coordinates_are_scaled(tmp_path):
    page = read_transcription(write_page(tmp_path, PAGE, image_size=(2000, 1600), version="2019-07-15"))
    assert page.lines[0].box == (200, 200, 1800, 360)


def test_truncated_xml_is_a_clear_error(tmp_path):
    path = write_page(tmp_path, ALTO)
    path.write_text(path.read_text()[:700])
    with pytest.raises(DataFormatError, match=r"not well-formed XML.*export or fetch it again"):
        read_transcription(path)


def test_unknown_format_is_a_clear_error(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text("<html><body/></html>")
    with pytest.raises(DataFormatError, match="neither ALTO v4 nor PAGE-XML"):
        read_transcription(path)


def test_a_missing_page_image_is_named(tmp_path):
    path = write_page(tmp_path, ALTO)
    (tmp_path / "page.png").unlink()
    with pytest.raises(MissingDataError, match=r"names the page image page\.png"):
        read_transcription(path)


def test_a_corrupt_page_image_is_a_clear_error(tmp_path):
    path = write_page(tmp_path, ALTO)
    (tmp_path / "page.png").write_bytes(b"not a png")
    with pytest.raises(DataFormatError, match="not a readable image"):
        read_transcription(path)


def test_bad_coordinates_are_a_clear_error(tmp_path):
    path = write_page(tmp_path, ALTO)
    path.write_text(path.read_text().replace("100 120 900 120", "100 abc 900 120"))
    with pytest.raises(DataFormatError, match="bad coordinates"):
        read_transcription(path)


def test_bounding_box_is_clipped_to_the_image():
    assert bounding_box(((-5.5, 10.2), (50.5, 20.7)), (40, 100)) == (0, 10, 40, 21)
    assert bounding_box(((50, 50), (60, 60)), (40, 40)) is None


MIRROR = Path(os.environ.get("TEXT_RECOGNIZER_MIRROR", "/nonexistent")) / "copiste"


@pytest.mark.skipif(not (MIRROR / "alto").is_dir(), reason="the Copiste corpus is not in $TEXT_RECOGNIZER_MIRROR")
def test_the_real_copiste_pages_parse():
    pages = [read_transcription(path, MIRROR / "jpg") for path in sorted((MIRROR / "alto").glob("*.xml"))]
    lines = [line for page in pages for line in page.lines]
    skipped = sum(sum(page.skipped.values()) for page in pages)
    assert len(pages) == 297
    assert len(lines) + skipped == 5686  # every TextLine of the corpus is read or counted
    assert lines[0].text == lines[0].page_id  # each page's first line is its id, not handwriting
    assert all(line.width > 0 and line.height > 0 for line in lines)


def test_cut_line_masks_ink_outside_the_polygon_with_the_paper_tone():
    page = np.full((100, 200), 230, dtype=np.uint8)
    page[40:60, 20:180] = 10  # the line's own ink
    page[20:30, 150:160] = 10  # a descender of the line above, inside the box but outside the polygon
    polygon = ((10, 35), (190, 35), (190, 65), (10, 65), (10, 35))
    line = LineRecord(Path("page.png"), "p", "l", "text", (10, 20, 190, 65), polygon=polygon)
    crop = cut_line(page, line.box, line.polygon, margin=0)
    assert crop.shape == (45, 180)
    assert (crop[20:40, 10:170] == 10).all()  # the line's ink is kept
    assert (crop[0:10, 140:150] == 230).all()  # the intruding stroke is painted with the paper tone


def test_cut_line_keeps_a_margin_and_crops_boxes_as_they_are():
    page = np.arange(100 * 200, dtype=np.uint32).reshape(100, 200).astype(np.uint8)
    line = LineRecord(Path("page.png"), "p", "l", "text", (50, 40, 150, 60))
    crop = cut_line(page, line.box, line.polygon, margin=0.5)
    assert np.array_equal(crop, page[30:70, 40:160])
