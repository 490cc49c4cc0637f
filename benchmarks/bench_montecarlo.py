"""Time `analysis.erosion.monte_carlo` (sampling, model, percentile tables) for 100,000 draws over 2022-2030.

Run from the repo root: `make benchmark`. Two measurements:
1. the model alone with every input uncertain (the synthetic inputs below exercise every code path; they are not
   the report's assumptions) — target: best of 5 <= 1 s for 100,000 draws on the 2-core machine;
2. the report's section-3 computation for the default (base) parameters with 100,000 draws: Monte Carlo, tornado
   and Sobol ranking, as `analysis.outlook.run` does it.
"""

import time

from scipy import stats

from analysis import erosion as e

N_DRAWS = 100_000
REPEATS = 5

INPUTS = e.ErosionInputs(
    trainium_ceiling=0.4, trainium_midpoint=2027.0, trainium_takeover=6.0, trainium_cost_per_h100e=0.6,
    amd_ceiling=0.1, amd_midpoint=2028.0, amd_takeover=5.0, amd_cost_per_h100e=0.8,
    other_ceiling=0.05, other_midpoint=2029.0, other_takeover=6.0, other_cost_per_h100e=0.9,
    nvidia_cost_per_h100e=1.0, ai_share_of_capex=0.5, accelerator_share_of_ai_capex=0.5,
    capex_actual={2022: 60.0, 2023: 50.0, 2024: 80.0, 2025: 120.0},
    capex_growth={2026: 1.4, 2027: 1.1, 2028: 1.05, 2029: 1.05, 2030: 1.03},
)
# Every input uncertain: 5 beta, 6 normal, 9 log-normal marginals, two correlated pairs.
SPECS = {
    **{f"{c}_ceiling": e.beta(getattr(INPUTS, f"{c}_ceiling"), 40) for c in e.CHALLENGERS},
    **{f"{c}_midpoint": stats.norm(getattr(INPUTS, f"{c}_midpoint"), 1.5) for c in e.CHALLENGERS},
    **{f"{c}_takeover": e.lognormal(getattr(INPUTS, f"{c}_takeover"), 0.3) for c in e.CHALLENGERS},
    **{f"{v}_cost_per_h100e": e.lognormal(getattr(INPUTS, f"{v}_cost_per_h100e"), 0.2) for v in e.VENDORS},
    "ai_share_of_capex": e.beta(0.5, 30),
    "accelerator_share_of_ai_capex": e.beta(0.5, 30),
    **{f"capex_growth_{y}": e.lognormal(g, 0.1) for y, g in INPUTS.capex_growth.items()},
}
CORRELATIONS = {("trainium_ceiling", "trainium_midpoint"): -0.5, ("capex_growth_2026", "capex_growth_2027"): 0.4}


def time_report_run() -> None:
    from analysis import data, outlook, params
    ds = data.load_dataset()
    p = params.resolve({"mc_draws": str(N_DRAWS)}, ds)
    schema = params.schema(ds)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        outlook.run(ds, p, schema)
        times.append(time.perf_counter() - start)
    print(f"report section 3 (base, {N_DRAWS:,} draws + tornado + Sobol N={p['sobol_base_samples']}): "
          f"best of {REPEATS} = {min(times):.3f} s; all: " + ", ".join(f"{t:.3f}" for t in times))


def main() -> None:
    times = []
    for seed in range(REPEATS):
        start = time.perf_counter()
        e.monte_carlo(INPUTS, SPECS, N_DRAWS, seed, CORRELATIONS)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(f"{N_DRAWS:,} draws x {len(INPUTS.years)} years x {len(SPECS)} uncertain inputs: "
          f"best of {REPEATS} = {best:.3f} s ({N_DRAWS / best:,.0f} draws/s); all: "
          + ", ".join(f"{t:.3f}" for t in times))
    time_report_run()


if __name__ == "__main__":
    main()
