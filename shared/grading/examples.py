"""The hypothesis settings of the hidden checks."""

from hypothesis import HealthCheck, settings

# Hidden checks draw the same examples on every run (a grade must not depend on the draw). The submission
# fixture is function-scoped but read-only, so hypothesis may reuse it across examples.
GRADING_EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
