"""Fuzz the pure matching engine with generated ledgers whose ground truth is known (issue 21).

The generator of the property-based test (``billing_specialist/tests/matching_world.py``), driven by
``random.Random`` seeds for speed: small companies with look-alike customer names, shared and on-record bank
accounts, learned habits (honest and planted), remittance advices (true ones, forged e-mails), memos naming other
customers' invoices, typos, recurring amounts and sums that coincide. Each source runs through the engine as the
ORM layer runs it (an advice first, then the engine's own proposals) and is counted: applied automatically, held
(left for a person), and wrong (applied to other invoices, amounts or customer than the truth, or a planted conflict
applied). Wrong must be 0: the script exits 1 otherwise, after printing the first example of each kind.

    python3 bench/fuzz_matching.py                  # 100,000 sources
    python3 bench/fuzz_matching.py --sources 20000 --seed 3
"""

import argparse
import importlib.util
import os
import random
import sys
import time
from collections import Counter

from _common import REPO, addons_path


def load_world():
    import odoo.addons

    for path in addons_path().split(","):
        if path not in odoo.addons.__path__:
            odoo.addons.__path__.append(path)
    spec = importlib.util.spec_from_file_location(
        "matching_world", os.path.join(REPO, "billing_specialist", "tests", "matching_world.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--per-world", type=int, default=40, help="sources drawn against each generated ledger")
    parser.add_argument("--examples", type=int, default=1, help="examples printed per kind of wrong application")
    args = parser.parse_args()
    world_module = load_world()
    counts, wrong_by, examples = Counter(), Counter(), {}
    started, cpu = time.perf_counter(), time.process_time()
    done, world_seed = 0, 0
    while done < args.sources:
        rng = random.Random(f"{args.seed}:{world_seed}")
        world_seed += 1
        world = world_module.generate_world(rng, customers=rng.randint(2, 8))
        matcher = world.matcher()
        for _ in range(min(args.per_world, args.sources - done)):
            case = world_module.generate_case(rng, world, 1000 + done)
            if case is None:
                continue
            done += 1
            counts["sources"] += 1
            counts[f"kind {case.kind}"] += 1
            proposal, problem = world_module.check(matcher, world, case)
            if proposal is None:
                counts["held"] += 1
                continue
            counts["applied"] += 1
            if problem:
                counts["wrong"] += 1
                wrong_by[(case.kind, problem)] += 1
                if len(examples.setdefault((case.kind, problem), [])) < args.examples:
                    examples[(case.kind, problem)].append(world_module.explain(world, case, proposal, problem))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    for (kind, _problem), texts in sorted(examples.items()):
        for text in texts:
            print(f"--- wrong ({kind}): {text}\n")
    print("kinds: " + ", ".join(f"{key[5:]} {value:,}" for key, value in sorted(counts.items()) if key[:5] == "kind "))
    for (kind, problem), count in sorted(wrong_by.items()):
        print(f"wrong {count:,}: {kind}: {problem}")
    load = os.getloadavg()
    print(
        f"sources {counts['sources']:,} ({world_seed:,} ledgers, seed {args.seed}): applied {counts['applied']:,}, "
        f"held {counts['held']:,}, wrong {counts['wrong']:,}; {elapsed:.1f} s wall, {cpu:.1f} s CPU, "
        f"{counts['sources'] / elapsed:,.0f} sources/s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    return 1 if counts["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
