"""A chart's takeaway in words, computed from the data it draws: how one line moved, where several lines end and
which is highest, which bars are largest. `analysis.views.charts` puts it in each chart's title."""
from __future__ import annotations

import pandas as pd

def formatted(value: float, y_format: str) -> str:
    """A value in a chart's d3 format (the formats used here are valid Python format specs once '~' is dropped);
    a general ("g") format reads as whole numbers from 100 up and three significant digits below (no exponents)."""
    if y_format.endswith("g"):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return format(value, y_format.replace("~", ""))


def _at(x, x_title: str, x_format: str | None) -> str:
    """Where on the x axis: a calendar year reads as a whole year ("in 2023", never "at 2023.5"), a period as
    itself ("in 2025Q4"), another quantity with its axis title ("at utilization 0.5")."""
    if not isinstance(x, str) and x_title.lower().startswith(("year", "calendar year")):
        return f"in {int(x)}"
    if isinstance(x, str) or x_format is None:
        return f"in {x}"
    return f"at {x_title.split(' (')[0].lower()} {formatted(x, x_format)}"


def _sentence(text: str) -> str:
    """`text` with its first letter capitalised and the rest as it is ("in 2025Q4" -> "In 2025Q4")."""
    return text[:1].upper() + text[1:]


def _ranked(rows: pd.DataFrame, label: str, y: str, y_format: str) -> str:
    """"A at 3.1, B at 2.0 and 2 more" for rows in descending order of `y` (the first three named)."""
    named = [f"{r[label]} at {formatted(r[y], y_format)}" for _, r in rows.head(3).iterrows()]
    more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
    return (", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 and not more else ", ".join(named)) + more


def trend(frame: pd.DataFrame, x: str, y: str, color: str, y_title: str, y_format: str, x_format: str | None = None,
          x_title: str = "", dash: str | None = None) -> str:
    """The takeaway of lines. One series: how it moved from its first to its last point. Several: where they end
    (at the last x that two or more lines reach), the highest line and how it moved, against the lowest line of
    another series; with dashes (a line per series and dash), also the highest line's partner of the other dash."""
    rows = frame.reset_index(drop=True).dropna(subset=[y]).sort_values(x, kind="stable", ignore_index=True)
    rows = rows.assign(line=rows[color].astype(str) + (", " + rows[dash].astype(str) if dash else ""))
    unit = f"({y_title})"
    if rows["line"].nunique() <= 1:
        first, last = rows.iloc[0], rows.iloc[-1]
        verb = "rose" if last[y] > first[y] else "fell" if last[y] < first[y] else "held"
        lead = f"{first['line']}: {verb}" if first["line"] else verb.capitalize()
        return (f"{lead} from {formatted(first[y], y_format)} {_at(first[x], x_title, x_format)} to "
                f"{formatted(last[y], y_format)} {_at(last[x], x_title, x_format)} {unit}")
    reach = rows.groupby(x, sort=True)["line"].nunique()
    series = rows.groupby(x, sort=True)[color].nunique()
    both = series[series >= 2]              # prefer the last x two series reach, so that the title compares them
    end = both.index[-1] if len(both) else reach[reach >= 2].index[-1]
    at_end = rows[rows[x] == end].drop_duplicates("line", keep="last").sort_values(y, ascending=False, kind="stable")
    top = at_end.iloc[0]
    others = at_end.iloc[1:]
    bottom = (others[others[color] != top[color]] if (others[color] != top[color]).any() else others).iloc[-1]
    named = [top["line"], bottom["line"]]
    partner = ""
    if dash:
        other_dash = others[(others[dash] != top[dash]) & ~others["line"].isin(named)]
        same_series = other_dash[other_dash[color] == top[color]]
        if len(other_dash):
            pick = (same_series if len(same_series) else other_dash).iloc[0]
            partner, named = f"; {pick['line']} at {formatted(pick[y], y_format)}", [*named, pick["line"]]
    start = rows[rows["line"] == top["line"]].iloc[0]
    verb = "up" if top[y] > start[y] else "down" if top[y] < start[y] else "unchanged"
    since = ("" if start[x] == end
             else f", {verb} from {formatted(start[y], y_format)} {_at(start[x], x_title, x_format)}")
    rest = f" ({len(at_end) - len(named)} more between)" if len(at_end) > len(named) else ""
    return (f"{_sentence(_at(end, x_title, x_format))}, {top['line']} is highest at "
            f"{formatted(top[y], y_format)}{since}{partner}; {bottom['line']} lowest at "
            f"{formatted(bottom[y], y_format)}{rest} {unit}")


def compared_bars(frame: pd.DataFrame, x: str, group: str, y: str, y_title: str, y_format: str, over_time: bool) -> str:
    """The takeaway of grouped bars. Over time: the last period's bars, largest first. Across categories: of the
    categories with bars of two or more groups, the one with the highest bar, its groups' bars largest first (the
    highest bar of each group when no category has two)."""
    rows = frame.dropna(subset=[y])
    if over_time:
        last = rows[rows[x] == rows[x].max()].sort_values(y, ascending=False, kind="stable")
        return f"{_sentence(_at(last[x].iloc[0], 'year', None))}: {_ranked(last, group, y, y_format)} ({y_title})"
    if rows[group].nunique() <= 1:
        ranked = rows.sort_values(y, ascending=False, kind="stable")
        top = ranked.iloc[0]
        then = f", then {ranked.iloc[1][x]} at {formatted(ranked.iloc[1][y], y_format)}" if len(ranked) > 1 else ""
        return f"{top[x]} is highest at {formatted(top[y], y_format)}{then} ({y_title})"
    shared = rows[rows.groupby(x)[group].transform("nunique") > 1]
    if shared.empty:        # no category has two groups: the highest bar of each group
        tops = rows.sort_values(y, ascending=False, kind="stable").drop_duplicates(group)
        return "; ".join(f"{r[group]}: {r[x]} highest at "
                         f"{formatted(r[y], y_format)}" for _, r in tops.iterrows()) + f" ({y_title})"
    top = rows.iloc[rows[y].to_numpy().argmax()]
    compared = shared.iloc[shared[y].to_numpy().argmax()]
    same = shared[shared[x] == compared[x]].sort_values(y, ascending=False, kind="stable")
    if compared[x] == top[x]:
        return f"{top[x]} is highest: {_ranked(same, group, y, y_format)} ({y_title})"
    return (f"{top[x]} is highest at {formatted(top[y], y_format)} ({top[group]}); side by side at {compared[x]}: "
            f"{_ranked(same, group, y, y_format)} ({y_title})")
