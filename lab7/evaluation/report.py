"""How the evaluation and benchmark scripts print their results: a table for people, one JSON line for scripts."""

import json


def print_results(results: dict[str, float], decimals: int, **labels: str) -> None:
    """Aligned `name: value` lines with `decimals` places, then the same rounded one place further as JSON."""
    width = max(map(len, results))
    for key, value in results.items():
        print(f"{key:>{width}}: {value:,.{decimals}f}")
    print(json.dumps({**labels, **{key: round(value, decimals + 1) for key, value in results.items()}}))
