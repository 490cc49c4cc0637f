"""Time section 3's pipeline (`analysis.models.outlook.run`, the code the report runs) with 100,000 draws.

Run from the repo root: `make benchmark`. Two measurements, best of 5 on this machine:
1. the model alone: sampling the forecast inputs and `erosion.evaluate` over 2022-2030 for 100,000 draws;
2. the report's whole section-3 computation for the default parameters with 100,000 draws: central estimate,
   Monte Carlo, threshold probabilities, tornado and Sobol ranking.
"""

import time

from analysis import data
from analysis.data import params
from analysis.models import erosion, erosion_sampling, outlook

N_DRAWS = 100_000
REPEATS = 5


def best_of(label: str, fn) -> None:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    print(f"{label}: best of {REPEATS} = {min(times):.3f} s; all: " + ", ".join(f"{t:.3f}" for t in times))


def main() -> None:
    ds = data.load_dataset()
    schema = params.schema(ds)
    p = params.resolve({"mc_draws": str(N_DRAWS)}, ds)
    model = outlook.build_model(ds, p, schema)
    specs = outlook.input_distributions(ds, p, schema, model)
    best_of(f"model alone ({N_DRAWS:,} draws x {len(model.years)} years x {len(specs)} uncertain inputs)",
            lambda: erosion.evaluate(model, erosion_sampling.sample_inputs(specs, N_DRAWS, p["random_seed"])))
    best_of(f"section 3 pipeline (base, {N_DRAWS:,} draws + thresholds + tornado + Sobol N={p['sobol_base_samples']})",
            lambda: outlook.run(ds, p, schema))


if __name__ == "__main__":
    main()
