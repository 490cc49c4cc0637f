"""The parameters of data/parameters.csv with their Python types: the fields of `analysis.data.params.Params`.

Generated from the schema by `python -m analysis params --format python --write` (do not edit; tests/test_params.py
checks that it matches data/parameters.csv). Types only: every default, bound and source lives in
data/parameters.csv.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class ParameterFields:
    """One field per parameter, in the order of data/parameters.csv (comment: its unit)."""

    as_of: str  # date
    focus_quarter: str  # quarter
    ai_share: float  # fraction
    server_overhead_fraction: float  # fraction
    pue: float  # ratio
    utilization: float  # fraction
    tenant_utilization: float  # fraction
    network_share_of_cluster_capex: float  # fraction
    depreciation_life_years: int  # years
    cost_of_capital: float  # fraction
    electricity_usd_per_kwh: float  # USD_per_kWh
    hosting_usd_per_kw_month: float  # USD
    gpu_purchase_quarter: str  # quarter
    on_demand_usage_share: float  # fraction
    capacity_block_usage_share: float  # fraction
    committed_discount: float  # fraction
    server_support_usd_per_year: float  # USD_per_year
    tenant_server_life_years: int  # years
    groq_chips_per_model: int  # count
    groq_chip_price_usd: float  # USD
    groq_chip_power_w: float  # W
    nvaie_usd_per_gpu_year: float  # USD_per_year
    nvaie_run_rate_usd_million: float  # USD_million
    trainium_unit_cost_usd: float  # USD
    h100_server_price_usd: float  # USD
    observed_through: int  # years
    capex_outlook_vintage: str  # text
    owner: str  # text
    capex_growth_scale: float  # ratio
    accelerator_share_change: float  # ratio
    trainium_ceiling: float  # fraction
    trainium_midpoint: float  # years
    trainium_takeover: float  # years
    trainium_cost_ratio: float  # ratio
    amd_ceiling: float  # fraction
    amd_midpoint: float  # years
    amd_takeover: float  # years
    amd_cost_ratio: float  # ratio
    tpu_cost_ratio: float  # ratio
    other_ceiling: float  # fraction
    other_midpoint: float  # years
    other_takeover: float  # years
    other_cost_ratio: float  # ratio
    mc_draws: int  # count
    random_seed: int  # count
    sobol_base_samples: int  # count
    residual_value_fraction: float  # fraction
    rental_price_decline_per_year: float  # fraction
    asic_share_threshold_lower: float  # fraction
    asic_share_threshold_upper: float  # fraction
    revenue_fall_level: float  # fraction
