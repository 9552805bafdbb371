"""Lab 5's geometry: line-body targets, post-processing of body masks, reading order, matching, page stems."""

import dataclasses
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from text_recognizer import page_stems
from text_recognizer.data import line_targets
from text_recognizer.data.line_records import LineRecord
from text_recognizer.line_detection import DetectorSettings, FoundLine, find_lines, reading_order
from text_recognizer.line_matching import box_iou, detection_scores, match_boxes, scored_text
from text_recognizer.projection_line_detection import projection_lines

SETTINGS = DetectorSettings(side=512, above=1.6, below=2.2, thickness=5.0, ink_height=7.0)


def probabilities_from(mask: np.ndarray) -> np.ndarray:
    """(height, width, 2) probabilities of a binary body mask, as the network would give them."""
    body = mask.astype(np.float32) * 0.9 + 0.05
    return np.stack([1 - body, body], axis=-1)


def bands(*rows: tuple[int, int, int, int], shape=(200, 300)) -> np.ndarray:
    """A mask with one band per (top, bottom, left, right)."""
    mask = np.zeros(shape, np.uint8)
    for top, bottom, left, right in rows:
        mask[top:bottom, left:right] = 1
    return mask


def line(box, baseline=None, text="text") -> LineRecord:
    polygon = ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3]))
    return LineRecord(Path("page.png"), "p", f"l{box[1]}", text, box, polygon=polygon, baseline=baseline)


def test_targets_draw_a_band_above_the_baseline_of_each_line():
    record = line((10, 20, 110, 80), baseline=((10, 60), (110, 60)))  # ascent 40: band 16 thick, middle at 46
    target = line_targets.render_targets([record], scale=1.0, shape=(100, 120))
    rows = np.flatnonzero(target[:, 60] == line_targets.LINE_BODY)
    assert rows.min() == pytest.approx(46 - 8, abs=1) and rows.max() == pytest.approx(46 + 8, abs=1)
    columns = np.flatnonzero(target[46] == line_targets.LINE_BODY)
    assert columns.min() == 10 and columns.max() == 110  # no round caps past the line's ends
    assert not target[60:].any() and not target[:37].any()  # descenders and ascenders are not body


def test_targets_scale_with_the_page_and_assume_a_baseline_for_boxes():
    record = line((100, 100, 300, 200))  # no baseline: assumed at 70% of the box's height
    target = line_targets.render_targets([record], scale=0.5, shape=(150, 200))
    rows = np.flatnonzero(target[:, 100])
    middle = (100 + 0.7 * 100 - line_targets.BODY_CENTRE * 70) * 0.5
    assert rows.mean() == pytest.approx(middle, abs=1)
    assert len(rows) == pytest.approx(line_targets.BODY_THICKNESS * 70 * 0.5, abs=1.5)


def test_line_extent_recovers_the_lines_proportions():
    records = [line((0, y, 100, y + 60), baseline=((0, y + 40), (100, y + 40))) for y in (0, 100, 200)]
    extent = line_targets.line_extent(records)
    thickness = line_targets.BODY_THICKNESS * 40
    assert extent["above"] * thickness == pytest.approx(40 - line_targets.BODY_CENTRE * 40)
    assert extent["below"] * thickness == pytest.approx(20 + line_targets.BODY_CENTRE * 40)


def test_separate_bands_become_lines_in_reading_order_with_their_extent():
    mask = bands((100, 106, 20, 280), (40, 46, 20, 250), (160, 166, 30, 200))
    lines = find_lines(probabilities_from(mask), 1.0, mask.shape, SETTINGS)
    assert [line.box[1] < other.box[1] for line, other in itertools.pairwise(lines)] == [True, True]
    first = lines[0]
    assert first.box[0] == pytest.approx(20 - 3, abs=1) and first.box[2] == pytest.approx(250 + 3, abs=1)
    assert first.box[1] == pytest.approx(42.5 - SETTINGS.extent_scale * SETTINGS.above * 6, abs=1.5)
    assert first.box[3] == pytest.approx(42.5 + SETTINGS.extent_scale * SETTINGS.below * 6, abs=1.5)
    assert all(0.8 < line.confidence <= 1 for line in lines)


def test_the_extent_scale_shrinks_outlines_about_the_band_middle_only():
    mask = bands((100, 106, 20, 280))
    full, scaled = (
        find_lines(probabilities_from(mask), 1.0, mask.shape, dataclasses.replace(SETTINGS, extent_scale=scale))[0]
        for scale in (1.0, 0.5)
    )
    assert full.box[1] == pytest.approx(102.5 - SETTINGS.above * 6, abs=1.5)
    assert scaled.box[1] == pytest.approx(102.5 - 0.5 * SETTINGS.above * 6, abs=1.5)
    assert scaled.box[3] == pytest.approx(102.5 + 0.5 * SETTINGS.below * 6, abs=1.5)
    assert (scaled.box[0], scaled.box[2]) == (full.box[0], full.box[2])  # as long as before


def test_specks_are_dropped_and_a_descender_bridging_two_bands_is_cut():
    mask = bands((40, 46, 20, 280), (70, 76, 20, 280), (120, 122, 100, 102))
    mask[46:70, 150:152] = 1  # a thin vertical stroke from one band to the next
    lines = find_lines(probabilities_from(mask), 1.0, mask.shape, SETTINGS)
    assert len(lines) == 2


def test_two_lines_fused_into_one_thick_component_are_split():
    mask = bands((40, 46, 20, 280), (80, 86, 20, 280), (120, 132, 20, 280))  # the third is two lines fused
    lines = find_lines(probabilities_from(mask), 1.0, mask.shape, SETTINGS)
    assert len(lines) == 4
    middles = sorted((line.box[1] + line.box[3]) / 2 for line in lines)
    assert middles[2] < 126 < middles[3]


def test_slanted_lines_are_followed_and_kept_apart():
    mask = np.zeros((300, 400), np.uint8)
    for start in (60, 120, 180):
        cv2.line(mask, (20, start), (380, start + 40), 1, thickness=6)  # about 6 degrees
    lines = find_lines(probabilities_from(mask), 1.0, mask.shape, SETTINGS)
    assert len(lines) == 3
    for found, start in zip(lines, (60, 120, 180), strict=True):
        points = np.array(found.polygon)
        left_top, right_top = points[0], points[len(points) // 2 - 1]
        assert right_top[1] - left_top[1] == pytest.approx(40, abs=6)  # the outline follows the slant
        assert found.box[1] < start < found.box[3]


def test_boxes_are_mapped_back_to_the_original_image():
    mask = bands((40, 46, 20, 280))
    at_half = find_lines(probabilities_from(mask), 0.5, (400, 600), SETTINGS)[0]
    at_full = find_lines(probabilities_from(mask), 1.0, (200, 300), SETTINGS)[0]
    assert at_half.box == pytest.approx([2 * v for v in at_full.box], abs=2)
    assert at_half.thickness == pytest.approx(2 * at_full.thickness)


def test_padding_beyond_the_page_is_ignored_and_an_empty_mask_gives_no_lines():
    mask = bands((40, 46, 20, 280), (150, 156, 20, 280))
    assert len(find_lines(probabilities_from(mask), 1.0, (100, 300), SETTINGS)) == 1
    assert find_lines(probabilities_from(np.zeros((64, 64), np.uint8)), 1.0, (64, 64), SETTINGS) == []


def test_reading_order_reads_columns_left_to_right_then_top_to_bottom():
    def found(left, top, right, bottom):
        polygon = ((left, top), (right, top), (right, bottom), (left, bottom))
        return FoundLine((left, top, right, bottom), polygon, 1.0, 5.0)

    right_column = [found(320, 10, 600, 30), found(320, 50, 600, 70)]
    left_column = [found(10, 60, 300, 80), found(30, 20, 290, 40)]  # an indented first line
    ordered = reading_order(right_column + left_column)
    assert [line.box for line in ordered] == [
        (30, 20, 290, 40),
        (10, 60, 300, 80),
        (320, 10, 600, 30),
        (320, 50, 600, 70),
    ]


def test_box_matching_is_one_to_one_at_the_iou_threshold():
    truth = [(0, 0, 100, 20), (0, 30, 100, 50)]
    found = [(0, 0, 100, 22), (0, 0, 100, 18), (0, 25, 100, 55), (200, 0, 300, 20)]
    assert box_iou([(0, 0, 10, 10)], [(5, 0, 15, 10)])[0, 0] == pytest.approx(1 / 3)
    assert match_boxes(found, truth) == [(1, 0), (2, 1)] or match_boxes(found, truth) == [(0, 0), (2, 1)]
    scores = detection_scores([found], [truth])
    assert (scores.found, scores.true, scores.matched) == (4, 2, 2)
    assert scores.precision == 0.5 and scores.recall == 1.0


def lined_page(lines=6, shape=(600, 500), shadow=True) -> np.ndarray:
    """Dark strokes on light paper in level rows, with a shadow darkening one side."""
    page = np.full(shape, 220, np.float32)
    rng = np.random.default_rng(0)
    for row in range(lines):
        top = 60 + row * 80
        for x in range(40, 460, 12):
            height = int(rng.integers(15, 30))
            page[top + 30 - height : top + 30, x : x + 4] = 40
    if shadow:
        page *= np.linspace(0.45, 1.0, shape[1])[None, :]
    return page.astype(np.uint8)


def test_the_page_stem_flattens_a_shadow_and_makes_ink_bright_whatever_the_polarity():
    page = lined_page()
    ink = page_stems.ink_map(page)
    assert ink[5:55, :].max() < 60  # the paper, shadowed on the left, is background
    assert ink[76:89, 41:43].min() > 150 and ink[76:89, 449:451].min() > 150  # strokes in shadow and in light
    inverted = page_stems.ink_map(255 - page)
    assert np.mean(np.abs(inverted.astype(int) - ink.astype(int))) < 10
    assert not page_stems.ink_map(np.full((100, 100), 200, np.uint8)).any()  # a blank sheet holds no ink


def test_detector_input_is_scaled_and_padded_to_multiples_of_eight():
    prepared = page_stems.detector_input(lined_page(shape=(1001, 703)), side=512)
    assert prepared.size == (512, 360)
    assert prepared.image.shape == (512, 360) and prepared.scale == pytest.approx(512 / 1001)
    with pytest.raises(page_stems.ImageError, match="too small"):
        page_stems.detector_input(np.zeros((4, 100), np.uint8), 512)


def test_skew_angle_undoes_a_rotation():
    ink = page_stems.ink_map(lined_page(shadow=False))
    rotated = cv2.warpAffine(ink, cv2.getRotationMatrix2D((250, 300), -4.0, 1.0), (500, 600))
    assert page_stems.skew_angle(rotated) == pytest.approx(4.0, abs=0.6)
    assert page_stems.skew_angle(ink) == pytest.approx(0.0, abs=0.6)


def test_the_projection_baseline_finds_level_lines():
    found = projection_lines(lined_page())
    assert len(found) == 6
    for index, line in enumerate(found):
        top = 60 + index * 80
        assert line.box[1] <= top + 15 <= line.box[3]
        assert line.box[0] <= 41 and line.box[2] >= 450  # strokes span x 40 to 452


def test_pieces_of_a_line_split_at_a_word_gap_are_joined_but_columns_and_other_lines_are_not():
    mask = bands(
        (40, 46, 20, 120),
        (41, 47, 150, 260),  # the same line after a 30-pixel gap between words
        (80, 86, 20, 120),
        (95, 101, 150, 260),  # a gap as wide, but lower: the next line's start
        shape=(200, 700),
    )
    mask[140:146, 20:200] = 1
    mask[140:146, 500:680] = 1  # a second column, 300 pixels away
    lines = find_lines(probabilities_from(mask), 1.0, mask.shape, SETTINGS)
    boxes = sorted((line.box[0], round((line.box[1] + line.box[3]) / 2)) for line in lines)
    assert len(lines) == 5, boxes
    joined = min(lines, key=lambda line: line.box[1])
    assert joined.box[0] < 20 and joined.box[2] > 260


def test_one_word_on_grainy_paper_is_not_drowned_in_its_grain():
    rng = np.random.default_rng(0)
    page = np.clip(rng.normal(200, 6, (600, 800)), 0, 255).astype(np.uint8)  # paper grain
    page[300:340, 100:104] = 40  # a few strokes: far under 1% of the page
    page[300:340, 120:124] = 40
    ink = page_stems.ink_map(page)
    assert ink[300:340, 100:104].min() > 200
    assert np.mean(ink[:250] > 30) < 0.001  # the grain stays background


def test_writing_height_is_the_pieces_median_height_without_ruled_lines():
    ink = np.zeros((300, 600), np.uint8)
    for x in range(20, 400, 30):
        ink[100:120, x : x + 10] = 255  # 13 letters 20 pixels high
    ink[200:202, :] = 255  # a ruled line across the page
    assert page_stems.writing_height(ink) == 20
    assert page_stems.writing_height(np.zeros((50, 50), np.uint8)) == 0.0


def test_black_and_white_turns_a_shadowed_photo_into_black_ink_on_white():
    page = lined_page()
    for image in (page, 255 - page):  # dark ink on paper, and light ink on a dark board
        bw = page_stems.black_and_white(image)
        assert set(np.unique(bw)) <= {0, 255}
        assert (bw[76:89, 41:43] == 0).all() and (bw[76:89, 449:451] == 0).all()  # strokes in shadow and light
        assert np.mean(bw[5:55] == 255) > 0.99  # the paper, shadowed or not, is white
    assert (page_stems.black_and_white(np.full((80, 80), 200, np.uint8)) == 255).all()


def test_the_scored_text_leaves_out_lines_that_are_not_read():
    truth = [(0, 0, 100, 20), (0, 30, 100, 50), (0, 60, 100, 80)]
    found = [(0, 1, 100, 21), (0, 31, 100, 49), (0, 62, 90, 80), (300, 0, 400, 20)]
    texts = ["page 12", "first  line", "second\tline", "a blot"]
    assert scored_text(found, texts, truth, unread={0}) == "first line second line a blot"
    assert scored_text([], [], truth, unread={0}) == ""


def test_a_page_on_its_side_is_told_from_an_upright_one():
    from text_recognizer.data.synthetic_paragraphs import render_paragraph

    texts = ["Lines of handwriting run across the page", "so its rows alternate between ink and paper"] * 3
    page, _ = render_paragraph(texts, np.random.default_rng(0))
    ink = page_stems.ink_map(page)
    assert not page_stems.is_sideways(ink)
    assert page_stems.is_sideways(np.rot90(ink))
    assert not page_stems.is_sideways(np.zeros((40, 40), np.uint8))


def test_forms_become_pages_cut_to_their_handwriting_with_targets_in_the_cut(tmp_path):
    from text_recognizer.data import iam, line_detection_pages
    from text_recognizer.tests.test_iam import write_form

    write_form(tmp_path, "a01-000", "000")
    write_form(tmp_path, "a02-000", "001")
    splits = iam.split_pages(tmp_path, test_forms={"a02-000"})
    assert [page.page_id for page in splits["test"]] == ["a02-000"]
    page = splits["test"][0]
    # Lines at x 100-260, y 190-260 and x 110-410, y 400-480; median height 80: a margin of 40.
    assert page.region == (60, 150, 450, 520)
    assert page.read_lines == {"a02-000-00", "a02-000-01"}
    image, targets = line_detection_pages.prepare_page(page, side=128)
    assert image.shape == targets.shape == (128, 128)  # the region is 390 x 370: its width becomes 128
    scale = 128 / (450 - 60)
    ascent = line_targets.ASSUMED_BASELINE * 71  # the first line's box is 71 high from y 190; no baseline given
    first_band_middle = (190 + ascent - line_targets.BODY_CENTRE * ascent - 150) * scale  # in the cut, scaled
    assert targets[round(first_band_middle), round((120 - 60) * scale)] == line_targets.LINE_BODY
    assert not targets[: round(first_band_middle) - 4].any()  # above the first line's band: nothing
