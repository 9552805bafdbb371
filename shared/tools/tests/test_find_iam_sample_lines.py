"""The IAM sample line boxes: a line's ink extent leaves out specks and a scan's dark edge."""

import numpy as np

from tools.find_iam_sample_lines import ink_extent


def test_edge_and_specks_apart_from_the_line_are_left_out():
    profile = np.zeros(1000, dtype=int)
    profile[2:8] = 50  # the scan's dark edge: narrow, far from the text
    profile[200:420] = 30  # a word
    profile[450:700] = 30  # a word after a space narrower than the line's height
    profile[705:708] = 5  # a full stop right after it
    profile[950:953] = 9  # a speck far to the right
    assert ink_extent(profile, gap=80) == (200, 708)


def test_a_line_of_one_narrow_word_is_kept():
    profile = np.zeros(300, dtype=int)
    profile[100:120] = 10
    assert ink_extent(profile, gap=80) == (100, 120)
