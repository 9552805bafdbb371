"""Build the handwriting model's character language model and choose its decoder on validation writers.

    python -m training.build_language_model          # after `python -m training.train_handwriting --save`

1. A character n-gram model is counted from the training split's texts (never validation or test text)
   and saved beside the weights as `language_model.json`.
2. The saved model reads the validation lines once (ONNX Runtime, as the predictor does); greedy decoding
   and beam search over a small grid of language-model weights and length bonuses are scored by CER.
3. The config records the best setting, both CERs and the beam's time per line, and names the decoder
   the predictor uses: beam search if it is better and the network plus the beam still read a line of
   median width within the 10 ms latency goal, greedy otherwise.
"""

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

from text_recognizer import atomic_files, paths
from text_recognizer.ctc import beam_search_decode, greedy_decode
from text_recognizer.language_model import CharacterLanguageModel
from text_recognizer.metrics import character_error_rate
from text_recognizer.model_files import CONFIG_FILENAME, read_config, sha256

FILENAME = "language_model.json"
LM_WEIGHTS = (0.3, 0.5, 0.8)
LENGTH_BONUSES = (0.0, 1.0, 2.0)
BEAM_WIDTHS = (4, 8)
LATENCY_GOAL_MS = 10.0  # for one typical line, end to end: the network's time, then the decoder's


def network_milliseconds(predictor, line, repeats: int = 30) -> float:
    """Median time of the network alone on one line."""
    predictor.probabilities([line])  # warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        predictor.probabilities([line])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def choose_decoder(probabilities, texts, mapping, language_model, decode_budget_ms: float) -> dict:
    """Greedy and beam-search CERs on these lines, the best beam setting within budget, and the decoder to use."""
    greedy = character_error_rate([greedy_decode(p, mapping)[0] for p in probabilities], texts)
    print(f"validation CER, greedy: {greedy:.4f}")
    tried = []
    for beam_width, lm_weight, length_bonus in itertools.product(BEAM_WIDTHS, LM_WEIGHTS, LENGTH_BONUSES):
        settings = {"beam_width": beam_width, "lm_weight": lm_weight, "length_bonus": length_bonus}
        started = time.perf_counter()
        predictions = [beam_search_decode(p, mapping, language_model=language_model, **settings) for p in probabilities]
        milliseconds = (time.perf_counter() - started) * 1000 / len(probabilities)
        cer = character_error_rate(predictions, texts)
        print(f"validation CER, beam {settings}: {cer:.4f} ({milliseconds:.1f} ms per line)")
        tried.append({**settings, "validation_cer_beam": cer, "beam_ms_per_line": round(milliseconds, 2)})
    fast_enough = [t for t in tried if t["beam_ms_per_line"] <= decode_budget_ms] or tried
    best = min(fast_enough, key=lambda t: t["validation_cer_beam"])
    within_budget = best["beam_ms_per_line"] <= decode_budget_ms
    decoder = "beam" if best["validation_cer_beam"] < greedy and within_budget else "greedy"
    return {**best, "validation_cer_greedy": greedy, "decode_budget_ms": round(decode_budget_ms, 2), "decoder": decoder}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=paths.ARTIFACTS_DIR / "handwriting")
    parser.add_argument("--order", type=int, default=6, help="characters per n-gram (context + 1)")
    args = parser.parse_args(argv)

    from text_recognizer.data.handwriting_lines import HandwritingLines
    from text_recognizer.predictors.handwriting_predictor import HandwritingPredictor

    config = read_config(args.model_dir)
    data = HandwritingLines(height=config["input_shape"][0])
    data.setup()
    language_model = CharacterLanguageModel.train(data.split("train")[1], order=args.order)
    test_texts = data.split("test")[1]
    print(f"{args.order}-gram model: perplexity {language_model.perplexity(test_texts):.2f} per character on test")
    language_model.save(args.model_dir / FILENAME)

    predictor = HandwritingPredictor(args.model_dir, backend="onnxruntime", decoder="greedy")
    images, texts = data.split("validation")
    probabilities = predictor.probabilities(images)
    typical = sorted(images, key=lambda image: image.shape[1])[len(images) // 2]  # the median width
    budget = LATENCY_GOAL_MS - network_milliseconds(predictor, typical)
    print(f"network: {LATENCY_GOAL_MS - budget:.1f} ms for a {typical.shape[1]}-pixel line; {budget:.1f} ms left")
    choice = choose_decoder(probabilities, texts, tuple(config["mapping"]), language_model, budget)
    config["language_model"] = {"file": FILENAME, "order": args.order, **choice}
    config["sha256"][FILENAME] = sha256(args.model_dir / FILENAME)
    atomic_files.write_text(args.model_dir / CONFIG_FILENAME, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(config["language_model"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
