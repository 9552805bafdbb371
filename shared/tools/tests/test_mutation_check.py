"""The mutation check's bugs still apply to the code as it is (a refactor must update them), and name real tests."""

import pytest

from tools.mutation_check import MUTATIONS, SHARED_DIR, mutated


def test_there_are_at_least_ten_distinct_bugs():
    assert len({m.key for m in MUTATIONS}) == len(MUTATIONS) >= 10


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.key for m in MUTATIONS])
def test_each_bug_applies_once_and_names_existing_test_files(mutation):
    source = (SHARED_DIR / mutation.file).read_text()
    assert mutated(source, mutation) != source
    assert all((SHARED_DIR / test).is_file() for test in mutation.tests)


def test_an_edit_that_no_longer_matches_is_reported():
    with pytest.raises(ValueError, match="occurs 0 times"):
        mutated("nothing to see", MUTATIONS[0])
