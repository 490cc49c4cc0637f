"""Section 2: AWS's rental portfolio, whom Amazon pays, the landlord's and the tenant's economics, tokens and
licences.

The section's declaration and its parts in reading order; the landlord's parts live in
`analysis.sections.portfolio_landlord`, the prose and headline numbers built from the models in
`analysis.sections.portfolio_text`."""
from __future__ import annotations

from typing import cast

import pandas as pd

from analysis.data import Dataset
from analysis.data.params import Params
from analysis.models import fleet, h100, owners, portfolio
from analysis.models import landlord as landlord_model   # `landlord` is this section's part
import analysis.sections.owner_view as owner_view
import analysis.sections.portfolio_text as portfolio_text
from analysis.sections.base import Section
from analysis.sections.portfolio_landlord import (LandlordState, landlord, landlord_drivers, landlord_outcomes,
                                                  landlord_what_if)
from analysis.views import charts
from analysis.views.exhibits import Collector, Headline
from analysis.views.present import fmt, sources_of

PARAMETERS = ("owner", "h100_server_price_usd", "network_share_of_cluster_capex", "depreciation_life_years",
              "residual_value_fraction", "rental_price_decline_per_year", "cost_of_capital", "server_overhead_fraction",
              "pue", "electricity_usd_per_kwh", "hosting_usd_per_kw_month", "gpu_purchase_quarter", "utilization",
              "on_demand_usage_share", "capacity_block_usage_share", "committed_discount", "server_support_usd_per_year",
              "tenant_server_life_years", "tenant_utilization", "groq_chips_per_model", "groq_chip_price_usd", "groq_chip_power_w",
              "nvaie_usd_per_gpu_year", "nvaie_run_rate_usd_million", "trainium_unit_cost_usd", "random_seed")


class PortfolioState(LandlordState):
    """The measured throughput, the portfolio table and p5's rates (`_setup`), the landlord parts' state, and what
    the other parts keep for later parts and the headline part's sources: spec rows, Epoch's additions by measure,
    unit prices and the bundled-software rows."""
    measured: pd.DataFrame
    port: pd.DataFrame
    spec: pd.DataFrame
    added: dict[str, pd.DataFrame]
    prices: pd.DataFrame
    bundle: pd.DataFrame


def _setup(v: PortfolioState) -> None:
    v.measured = v.ds["measured_throughput"]
    v.port = portfolio.portfolio_table(v.ds)
    v.rates = h100.p5_rates(v.ds)


def overview(v: PortfolioState, x: Collector) -> None:
    x.say(f"Data version `{v.ds.version}`. Prices are us-east-1 list prices unless a row says otherwise; measured figures "
          f"are from one {v.measured['gpu'].iloc[0]} and one H200 ({v.measured['software'].iloc[0]}, {v.measured['date'].iloc[0]}).")


def instances(v: PortfolioState, x: Collector) -> None:
    port, kinds = v.port, portfolio.PRICE_KINDS
    v.spec = portfolio.spec_rows(v.ds, port["chip_id"])
    x.table(port[["instance_type", "accelerator", "accelerator_count", *kinds, *[k + "_per_accel" for k in kinds]]],
            {**{k: "USD_per_hour" for k in kinds}, **{k + "_per_accel": "USD_per_hour" for k in kinds}, "accelerator_count": "count"},
            {"instance_type": "Instance", "accelerator": "Accelerator", "accelerator_count": "Count",
             **{k: f"Instance, {portfolio.PRICE_LABELS[k]}" for k in kinds},
             **{k + "_per_accel": f"Per accelerator, {portfolio.PRICE_LABELS[k]}" for k in kinds}})


def value_per_dollar(v: PortfolioState, x: Collector) -> None:
    port = v.port
    value_cols = ["tflops_per_usd_hour", "measured_tflops_per_usd_hour", "memory_gb_per_usd_hour", "bandwidth_per_usd_hour"]
    shown = port[["instance_type", "price_basis", "value_price_per_accel", "bf16_dense_tflops", "measured_tflops",
                  "measured_share_of_spec", *value_cols]].copy()
    rounded = ["bf16_dense_tflops", "measured_tflops", *value_cols[:3]]
    shown[rounded] = shown[rounded].round(1)
    shown[value_cols[3]] = shown[value_cols[3]].round(3)
    x.table(shown, {"value_price_per_accel": "USD_per_hour", "measured_share_of_spec": "fraction"},
            {"instance_type": "Instance", "price_basis": "Price", "value_price_per_accel": "USD per accelerator-hour",
             "bf16_dense_tflops": "Spec BF16 TFLOP/s", "measured_tflops": "Measured sustained TFLOP/s",
             "measured_share_of_spec": "Measured / spec", "tflops_per_usd_hour": "Spec TFLOP/s per USD/h",
             "measured_tflops_per_usd_hour": "Measured TFLOP/s per USD/h", "memory_gb_per_usd_hour": "GB per USD/h",
             "bandwidth_per_usd_hour": "TB/s per USD/h"})
    h100_row = port.set_index("instance_type").loc[h100.LANDLORD_INSTANCE]
    h200 = port[port["chip_id"] == "h200"].iloc[0]
    best = port.loc[cast(int, port["tflops_per_usd_hour"].idxmax())]
    note = v.ds["instances"].set_index(["instance_type", "price_kind"]).loc[(best["instance_type"], "on_demand"), "note"]
    x.say(f"On the spec sheet an H100 delivers {h100_row['bf16_dense_tflops']:,.0f} dense BF16 TFLOP/s; the measured sustained rate "
          f"was {h100_row['measured_tflops']:,.0f}, {fmt(h100_row['measured_share_of_spec'], 'fraction')} of spec "
          f"(H200: {fmt(h200['measured_share_of_spec'], 'fraction')}). So at the post-cut {fmt(h100_row['value_price_per_accel'], 'USD_per_hour')} "
          f"per GPU-hour a dollar-hour rents {h100_row['tflops_per_usd_hour']:,.0f} TFLOP/s on paper but {h100_row['measured_tflops_per_usd_hour']:,.0f} "
          f"in a sustained matrix multiply. Comparisons of spec figures across vendors carry the same caveat: nobody "
          f"achieves the datasheet number. The most spec TFLOP/s per dollar-hour comes from {best['instance_type']} "
          f"({best['tflops_per_usd_hour']:,.0f}; {best['accelerator']}), whose price row notes: \"{note}\"")
    value = port.melt(id_vars="instance_type", value_vars=["tflops_per_usd_hour", "measured_tflops_per_usd_hour"],
                      var_name="basis", value_name="tflops").dropna().replace(
        {"tflops_per_usd_hour": "Spec dense BF16", "measured_tflops_per_usd_hour": "Measured sustained BF16 GEMM"})
    x.chart(charts.grouped_bars(value, "instance_type", "Instance type", "tflops", "BF16 TFLOP/s per USD per accelerator-hour",
                                "basis", "Compute per dollar-hour of rent",
                                "Sources: AWS price lists (instances.csv); vendor specs (accelerator_specs.csv); measured H100/H200 GEMM"))


ADDITION_MEASURES = {"units": ("accelerators", "Accelerators added per quarter (count)", 1.0),
                     "h100e": ("H100-equivalents", "H100-equivalents added per quarter (H100e)", 1.0),
                     "tdp": ("board power (TDP)", "Board power added per quarter (MW)", 1e-6)}


def additions(v: PortfolioState, x: Collector) -> None:
    v.added = {}
    for measure, (name, y_title, factor) in ADDITION_MEASURES.items():
        frame = v.added[measure] = fleet.additions(v.ds, measure)
        shown_frame = frame.assign(**{b: frame[b] * factor for b in fleet.BANDS})
        x.chart(charts.grouped_bars(shown_frame, "quarter", "Calendar quarter", "median", y_title, "vendor",
                                    f"Amazon's accelerator additions by vendor: {name} (median, 5th–95th percentile)",
                                    "Source: Epoch AI ai-chip-counts (MIT licence); complete quarters only", band=("p5", "p95")))


def spend_and_compute(v: PortfolioState, x: Collector) -> None:
    cost, trainium = v.p.trainium_unit_cost_usd, v.schema["trainium_unit_cost_usd"]
    v.prices = fleet.unit_prices(v.ds, cost)
    shares = fleet.spend_and_compute(v.ds, cost)
    x.table(shares.assign(spend_usd=shares["spend_usd"] / 1e6),
            {"spend_usd": "USD_million", "nvidia_spend_share": "fraction", "nvidia_compute_share": "fraction",
             "usd_per_h100e_amazon": "USD", "usd_per_h100e_nvidia": "USD"},
            {"year": "Year", "spend_usd": "Accelerator spend (median)", "nvidia_spend_share": "Nvidia share of spend",
             "nvidia_compute_share": "Nvidia share of compute (H100e)", "usd_per_h100e_amazon": "USD per H100e, Trainium",
             "usd_per_h100e_nvidia": "USD per H100e, Nvidia"})
    last = shares.iloc[-1]
    x.say(f"In {int(last['year'])} Nvidia took {fmt(last['nvidia_spend_share'], 'fraction')} of Amazon's accelerator spend but delivered "
          f"{fmt(last['nvidia_compute_share'], 'fraction')} of the compute added (in H100-equivalents): a Trainium H100e cost "
          f"{fmt(last['usd_per_h100e_amazon'], 'USD')} against {fmt(last['usd_per_h100e_nvidia'], 'USD')} for Nvidia's. The cheaper chip takes "
          f"a larger share of compute than of spend. This rests on `trainium_unit_cost_usd` = {fmt(cost, 'USD')} "
          f"({trainium.confidence}: {trainium.rationale})")
    share_long = shares.melt(id_vars="year", value_vars=["nvidia_spend_share", "nvidia_compute_share"], var_name="share",
                             value_name="value").replace({"nvidia_spend_share": "Share of spend",
                                                          "nvidia_compute_share": "Share of compute (H100e)"})
    x.chart(charts.grouped_bars(share_long, "year", "Calendar year", "value", "Nvidia's share (fraction)", "share",
                                "Nvidia's share of Amazon's accelerator spend and compute",
                                "Sources: Epoch AI ai-chip-counts (units, H100e, prices); Trainium price: parameter", y_format=".0%"))


def tenant(v: PortfolioState, x: Collector) -> None:
    ds, P = v.ds, v.p
    options = portfolio.tenant_rent_vs_buy(ds, P, landlord_model.UTILIZATION_GRID)
    finite = options[options["breakeven_months"] < float("inf")]
    x.chart(charts.xy_lines(finite, "utilization", "Tenant's utilization (share of hours used)", "breakeven_months",
                            "Months until buying beats renting (log)", "option", "Rent versus buy: break-even month by utilization",
                            "Sources: AWS price lists (p5.48xlarge); measured H100 power; parameters", log_y=True,
                            rule_y=P.tenant_server_life_years * 12))
    at_u = portfolio.tenant_rent_vs_buy(ds, P, P.tenant_utilization)
    x.table(at_u, {"utilization": "fraction", "rent_per_hour": "USD_per_hour", "breakeven_months": "months", "months_of_rent_for_price": "months"},
            {"utilization": "Utilization", "option": "Rent option", "rent_per_hour": "Rent per server-hour",
             "breakeven_months": "Buying beats renting after", "months_of_rent_for_price": "Months of rent = server price"})
    t = at_u.set_index("option")
    months = t["months_of_rent_for_price"].astype(float)
    full = portfolio.tenant_rent_vs_buy(ds, P, 1.0).set_index("option")["breakeven_months"]
    use = v.schema["tenant_utilization"]
    low = portfolio.tenant_rent_vs_buy(ds, P, use.low).set_index("option")["breakeven_months"]
    x.say(f"A tenant whose server is busy every hour is better off buying after {fmt(full['on-demand, pre-cut'], 'months', 'never')} "
          f"against pre-cut on-demand prices and after {fmt(full['on-demand, post-cut'], 'months', 'never')} against post-cut "
          f"prices; one whose server is busy {fmt(use.low, 'fraction')} of the hours (the low end of the range) only after "
          f"{fmt(low['on-demand, pre-cut'], 'months', 'never')} and {fmt(low['on-demand, post-cut'], 'months', 'never')} "
          f"(utilization here is the share of hours the tenant's own 8-GPU server is busy; its source and range are in the "
          f"parameter appendix).")
    x.say(f"At {fmt(P['tenant_utilization'], 'fraction')} utilization, buying beats renting on demand after "
          f"{fmt(t.loc['on-demand, pre-cut', 'breakeven_months'], 'months', 'never')} at pre-cut prices, after "
          f"{fmt(t.loc['on-demand, post-cut', 'breakeven_months'], 'months', 'never')} at post-cut prices and after "
          f"{fmt(t.loc['Capacity Blocks', 'breakeven_months'], 'months', 'never')} against Capacity Blocks. Read the other way (try before you buy), "
          f"the server's price pays for {fmt(t.loc['on-demand, pre-cut', 'months_of_rent_for_price'], 'months')} of renting before the cut, "
          f"{fmt(t.loc['on-demand, post-cut', 'months_of_rent_for_price'], 'months')} after it, or "
          f"{fmt(t.loc['Capacity Blocks', 'months_of_rent_for_price'], 'months')} of Capacity Blocks: the cut gives a tenant "
          f"{months['on-demand, post-cut'] / months['on-demand, pre-cut']:.2f} "
          f"times as long to experiment before renting has cost as much as buying.")


GROQ_INPUTS = ("groq_chips_per_model", "groq_chip_price_usd", "groq_chip_power_w")


def system_size(v: PortfolioState, x: Collector) -> None:
    ds, P, schema = v.ds, v.p, v.schema
    systems = portfolio.system_cost_per_useful_hour(ds, P, portfolio.SYSTEM_UTILIZATION_GRID)
    long = systems.melt(id_vars="utilization", value_vars=["gpu_server", "groq_system"], var_name="system", value_name="usd").replace(
        {"gpu_server": f"{fleet.gpus_per_server(ds)}-GPU H100 server", "groq_system": f"Groq system, {P['groq_chips_per_model']} chips"})
    x.chart(charts.xy_lines(long, "utilization", "Utilization (log)", "usd", "USD per useful system-hour (log)", "system",
                            "Cost per useful hour of one model-serving system",
                            "Sources: parameters (Groq chips, price, power; GPU server price); measured H100 power", log_x=True, log_y=True))
    x.table(systems, {"utilization": "fraction", "gpu_server": "USD_per_hour", "groq_system": "USD_per_hour", "groq_advantage_needed": "times"},
            {"utilization": "Utilization", "gpu_server": "GPU server, per useful hour", "groq_system": "Groq system, per useful hour",
             "groq_advantage_needed": "Throughput advantage needed"})
    weak = [n for n in GROQ_INPUTS if schema[n].confidence != "reported"]
    x.say(f"The Groq system costs {fmt(P.groq_chips_per_model * P.groq_chip_price_usd, 'USD')} against "
          f"{fmt(P['h100_server_price_usd'], 'USD')} for the GPU server, so it must produce "
          f"{systems['groq_advantage_needed'].iloc[-1]:.1f} times the GPU server's tokens per hour at full use, and "
          f"{systems['groq_advantage_needed'].iloc[0]:.1f} times at {fmt(systems['utilization'].iloc[0], 'fraction')} utilization, "
          f"to match its cost per token. Both systems are capital-heavy, so the ratio barely moves with utilization; what "
          f"utilization changes is the absolute cost of an idle model. Weakly sourced inputs: "
          + "; ".join(f"`{n}` ({schema[n].confidence}: {schema[n].rationale})" for n in weak)
          + ". Groq's host servers and networking are not included (no sourced figure), which flatters the Groq system.")


def tokens(v: PortfolioState, x: Collector) -> None:
    ds, rates = v.ds, v.rates
    tokens = portfolio.token_costs(ds, portfolio.gpu_hour_prices(ds, v.cut_cost["per_sold_hour"].loc["total"]))
    x.chart(charts.xy_lines(tokens, "batch", "Batch size (log)", "usd_per_million_tokens", "USD per million tokens (log)", "basis",
                            "Cost per million tokens of the decode proxy (dense layers only)",
                            "Sources: measured H100/H200 decode proxy; AWS price lists; AWS cost: this section", log_x=True, log_y=True,
                            dash="chip_id"))
    wide = tokens.pivot_table(index=["chip_id", "basis"], columns="batch", values="usd_per_million_tokens", sort=False)
    wide.columns = [f"batch {b}" for b in wide.columns]
    x.table(wide.round(3).reset_index(), {}, {"chip_id": "Chip", "basis": "Price per GPU-hour (USD per million tokens by batch)"})
    h = tokens[(tokens["chip_id"] == "h100-sxm")].set_index(["basis", "batch"])["usd_per_million_tokens"]
    batches = sorted(tokens["batch"].unique())
    pre, post = (f"on-demand, {k}-cut ({h100.LANDLORD_INSTANCE})" for k in ("pre", "post"))
    x.say(f"On an H100 rented on demand, the proxy costs ${h[(pre, batches[0])]:.2f} per million tokens at batch {batches[0]} and "
          f"${h[(pre, batches[-1])]:.3f} at batch {batches[-1]} before the cut (${h[(post, batches[0])]:.2f} and ${h[(post, batches[-1])]:.3f} "
          f"after). Batching moves cost per token {h[(pre, batches[0])] / h[(pre, batches[-1])]:.0f}-fold over this range; the cut "
          f"moved it {rates['on-demand, pre-cut'] / rates['on-demand, post-cut']:.2f}-fold.")


def licences(v: PortfolioState, x: Collector) -> None:
    P, rates = v.p, v.rates
    lic = portfolio.nvaie(P, {"pre-cut": rates["on-demand, pre-cut"], "post-cut": rates["on-demand, post-cut"]})
    specs = v.ds["accelerator_specs"]
    v.bundle = specs[specs["metric"] == "bundled_software"]
    for row in v.bundle.itertuples():
        x.say(f"Bundled: {row.chip_id} — {row.text} (source `{row.source_id}`: {row.pointer}).")
    x.say(f"{fmt(P['nvaie_run_rate_usd_million'], 'USD_million')} a year at {fmt(P['nvaie_usd_per_gpu_year'], 'USD')} per GPU-year "
          f"is {fmt(lic.licensed_gpus, 'count')} GPUs. Per GPU-hour the licence is {fmt(lic.usd_per_gpu_hour, 'USD_per_hour')}: "
          f"{fmt(lic.share_of_rent['pre-cut'], 'fraction')} of the p5 on-demand rent before the cut and "
          f"{fmt(lic.share_of_rent['post-cut'], 'fraction')} after it. The run rate also includes other software (see the "
          f"parameter's rationale: {v.schema['nvaie_run_rate_usd_million'].rationale}), so the GPU count is an upper bound.")


def headline_results(v: PortfolioState, x: Collector) -> None:
    measured = v.measured
    gemm_rows = measured[measured["metric"].isin([portfolio.SUSTAINED_GEMM, h100.GEMM_POWER])
                         | measured["metric"].str.match(portfolio.DECODE_PROXY)]
    used = (sources_of(v.ds["instances"], v.spec, gemm_rows, *v.added.values(), v.prices, v.bundle, v.history)
            | SECTION.sources(v.ds))
    x.publish("portfolio", portfolio_text.headline_results(v.ds, v.p), used)


def headlines(ds: Dataset, p: Params) -> list[Headline]:
    """The landlord's headline numbers alone (what `compare` and `sweep` read): none for another owner than Amazon."""
    return portfolio_text.headline_results(ds, p) if owners.is_report_owner(ds, p) else []


SECTION = Section("portfolio", "02_portfolio.ipynb", "Portfolio", PARAMETERS, PortfolioState,
                  (overview, instances, value_per_dollar, additions, spend_and_compute, landlord, landlord_drivers,
                   landlord_outcomes, landlord_what_if, tenant, system_size, tokens, licences, headline_results),
                  display_only=("tenant_server_life_years",), headlines=headlines, setup=_setup,
                  other_owner=owner_view.PORTFOLIO_PARTS)
