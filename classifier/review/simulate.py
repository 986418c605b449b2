"""Replay active learning on fully labelled data (like ASReview's simulation mode).

For every seed the labelled studies are split once into a held-out test part and a pool; every
strategy starts from the same initial labelled sample and takes the same number of studies per
round, so the curves are comparable point by point. After each round the model is refitted on what
is labelled so far and scored on the test part (macro-F1 per task). The labels of a queried study are
revealed as the labels file has them (a task it leaves empty stays unknown, as in real charting).

Stopping signal: Cohen's kappa between the labels the previous and the current model predict for
the studies still unlabelled (pool and held-out part), averaged over the tasks; like small-text's ``KappaAverage``, the
signal says stop at the first round where the mean kappa over the last ``window`` rounds reaches
``kappa``: the model has stopped changing its mind about the rest of the pool.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..schema import charting_task_names, tasks
from .strategies import DEFAULT_BALANCE, STRATEGIES, score



@dataclass
class SimulationConfig:
    strategies: tuple[str, ...] = STRATEGIES
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    initial: int = 20          # studies labelled before the first round
    batch: int = 15            # studies queried per round
    rounds: int = 6            # rounds after the initial fit (fewer if the pool runs out)
    test_size: float = 0.3     # held-out part, stratified by role
    kappa: float = 0.9         # stopping threshold (mean kappa over the window)
    window: int = 3
    balance: float = DEFAULT_BALANCE  # rare-class rebalancing of the uncertainty strategy
    params: dict = field(default_factory=dict)  # ChartingModel parameters

    def __post_init__(self):
        self.strategies = tuple(dict.fromkeys(("random", *self.strategies)))  # random always included
        bad = [s for s in self.strategies if s not in STRATEGIES]
        if bad:
            raise ValueError(f"unknown strategy {bad[0]!r} (choose from {', '.join(STRATEGIES)})")


# ---- model helpers ----------------------------------------------------------------------------------
def fit(documents, labels, params):
    from ..model import ChartingModel

    return ChartingModel(**params).fit(documents, labels)


def prediction_dicts(model, documents) -> list[dict]:
    """Prediction dicts without evidence (probabilities and labels only): fast enough for every round."""
    if not documents:
        return []
    table = model.predict_proba_table(documents)
    out = []
    for doc, (_, row) in zip(documents, table.iterrows()):
        pred = {"id": doc.id}
        pred.update({k: float(v) for k, v in row.items()})
        pred.update(model.decide(row))
        out.append(pred)
    return out


# ---- metrics ----------------------------------------------------------------------------------------
def macro_f1(task: str, truth: list, predicted: list) -> float | None:
    """Macro-F1 on the studies whose ``task`` label is known (None when there are none)."""
    from sklearn.metrics import f1_score

    pairs = [(t, p) for t, p in zip(truth, predicted) if t is not None]
    if not pairs:
        return None
    if tasks()[task].kind == "multi":
        values = tasks()[task].values
        y = np.array([[v in t.split(";") for v in values] for t, _ in pairs], dtype=int)
        z = np.array([[v in str(p).split(";") for v in values] for _, p in pairs], dtype=int)
        return float(f1_score(y, z, average="macro", zero_division=0))
    values = list(tasks()[task].values)
    return float(f1_score([t for t, _ in pairs], [str(p) for _, p in pairs], labels=values, average="macro",
                          zero_division=0))


def agreement(task: str, before: list[dict], after: list[dict]) -> float:
    """Cohen's kappa between two rounds' predicted labels (1.0 when identical)."""
    from sklearn.metrics import cohen_kappa_score

    if not before:
        return 1.0

    def kappa(a, b):
        if list(a) == list(b):
            return 1.0
        k = cohen_kappa_score(a, b)
        return 0.0 if not np.isfinite(k) else float(k)

    if tasks()[task].kind == "multi":
        return float(np.mean([kappa([v in str(p[task]).split(";") for p in before],
                                    [v in str(p[task]).split(";") for p in after]) for v in tasks()[task].values]))
    return kappa([str(p[task]) for p in before], [str(p[task]) for p in after])


def stop_round(kappas: list[float | None], threshold: float, window: int) -> int | None:
    """First round (index) at which the mean of the last ``window`` kappas reaches ``threshold``."""
    for r in range(len(kappas)):
        recent = [k for k in kappas[max(0, r - window + 1): r + 1] if k is not None]
        if len(recent) == window and np.mean(recent) >= threshold:
            return r
    return None


# ---- splitting ------------------------------------------------------------------------------------
def split(ids: list[str], labels, config: SimulationConfig, seed: int):
    """``(test, initial, pool)`` id lists: stratified by role; every role value in the initial sample."""
    from sklearn.model_selection import train_test_split

    strata = [labels.loc[i, "role"] or "unknown" for i in ids]
    counts = {s: strata.count(s) for s in set(strata)}
    common = max(counts, key=counts.get)
    strata = [s if counts[s] >= 2 else common for s in strata]  # a one-off stratum joins the largest
    train, test = train_test_split(ids, test_size=config.test_size, random_state=seed, stratify=strata)
    rng = np.random.default_rng(seed)
    train = list(rng.permutation(train))
    initial = []
    # at least two of each value of every one-of and yes/no task, so the first model knows every class
    for task in (t for t in charting_task_names() if tasks()[t].kind != "multi"):
        for value in tasks()[task].values:
            having = [i for i in train if labels.loc[i, task] == value and i not in initial]
            initial += having[:2]
    initial += [i for i in train if i not in initial][: max(0, config.initial - len(initial))]
    pool = [i for i in train if i not in set(initial)]
    return sorted(test), initial, pool


# ---- one run ---------------------------------------------------------------------------------------
def run_one(strategy: str, seed: int, documents: dict, labels, config: SimulationConfig, rules: dict | None,
            progress=None) -> dict:
    ids = [i for i in labels.index if i in documents]
    test, labelled, pool = split(ids, labels, config, seed)
    test_docs = [documents[i] for i in test]
    truth = {t: [labels.loc[i, t] for i in test] for t in charting_task_names()}
    curve = {t: [] for t in charting_task_names()}
    n_labelled, kappas = [], {t: [] for t in (*charting_task_names(), "mean")}
    previous: dict[str, dict] = {}
    rounds = min(config.rounds, int(np.ceil(len(pool) / config.batch)))
    for r in range(rounds + 1):
        model = fit([documents[i] for i in labelled], labels.loc[labelled], config.params)
        predicted = prediction_dicts(model, test_docs)
        for t in charting_task_names():
            curve[t].append(macro_f1(t, truth[t], [p[t] for p in predicted]))
        n_labelled.append(len(labelled))
        pool_preds = prediction_dicts(model, [documents[i] for i in pool])
        # the stopping signal looks at every study the learner has no label for: the pool and the
        # held-out part (a fixed set, so the signal does not turn trivially to 1 as the pool empties)
        unlabelled = pool_preds + predicted
        if previous:
            before = [previous[p["id"]] for p in unlabelled]
            per = [agreement(t, before, unlabelled) for t in charting_task_names()]
            for t, k in zip(charting_task_names(), per):
                kappas[t].append(k)
            kappas["mean"].append(float(np.mean(per)))
        else:
            for key in kappas:
                kappas[key].append(None)
        previous = {p["id"]: p for p in unlabelled}
        if progress:
            progress(f"{strategy} seed {seed} round {r}: {len(labelled)} labelled, role macro-F1 "
                     f"{curve['role'][-1]:.3f}")
        if r == rounds or not pool:
            break
        scores = score(strategy, pool_preds, seed=seed * 1000 + r,
                       rules=[rules[i] for i in pool] if rules is not None else None, balance=config.balance)
        order = np.argsort(-scores, kind="stable")[: config.batch]
        chosen = [pool[i] for i in order]
        labelled = labelled + chosen
        pool = [i for i in pool if i not in set(chosen)]
    return {"n_labelled": n_labelled, "macro_f1": curve, "kappa": kappas,
            "stop_round": stop_round(kappas["mean"], config.kappa, config.window)}


def summarise(runs: dict[str, list[dict]], config: SimulationConfig, corpus: dict) -> dict:
    """The simulation.json structure (design.md) plus spread, stopping signal and the comparison."""
    out = {"strategies": {}, "config": asdict(config), "corpus": corpus}
    out["config"]["strategies"] = list(config.strategies)
    out["config"]["seeds"] = list(config.seeds)
    for name, per_seed in runs.items():
        n = min(len(r["n_labelled"]) for r in per_seed)
        entry = {"n_labelled": [int(x) for x in per_seed[0]["n_labelled"][:n]]}
        for t in charting_task_names():
            m = np.array([[np.nan if v is None else v for v in r["macro_f1"][t][:n]] for r in per_seed], dtype=float)
            entry[t] = {"macro_f1": _round(np.nanmean(m, axis=0)), "std": _round(np.nanstd(m, axis=0)),
                        "min": _round(np.nanmin(m, axis=0)), "max": _round(np.nanmax(m, axis=0)),
                        "per_seed": [_round(row) for row in m],
                        "mean_over_curve": round(float(np.nanmean(m)), 4),
                        "mean_over_curve_std": round(float(np.nanstd(np.nanmean(m, axis=1))), 4)}
        k = np.array([[np.nan if v is None else v for v in r["kappa"]["mean"][:n]] for r in per_seed], dtype=float)
        with np.errstate(all="ignore"):
            mean_k = [None if np.all(np.isnan(col)) else round(float(np.nanmean(col)), 4) for col in k.T]
        stops = [r["stop_round"] for r in per_seed]
        summary_stop = stop_round(mean_k, config.kappa, config.window)
        entry["stopping"] = {
            "signal": f"mean Cohen's kappa between successive models' labels on the unlabelled pool "
                      f"(averaged over tasks); stop when the mean over the last {config.window} rounds "
                      f">= {config.kappa}",
            "kappa": mean_k,
            "kappa_per_task": {t: [None if all(r['kappa'][t][i] is None for r in per_seed) else
                                   round(float(np.mean([r['kappa'][t][i] for r in per_seed
                                                        if r['kappa'][t][i] is not None])), 4)
                                   for i in range(n)] for t in charting_task_names()},
            "stop_round_per_seed": stops,
            "stop_round": summary_stop,
            "stop_n_labelled": entry["n_labelled"][summary_stop] if summary_stop is not None else None,
        }
        # the same rule per task (a task whose predictions settle early can be trusted sooner)
        entry["stopping"]["stop_round_per_task"] = {
            t: stop_round(entry["stopping"]["kappa_per_task"][t], config.kappa, config.window) for t in charting_task_names()}
        out["strategies"][name] = entry
    out["comparison"] = compare(out["strategies"])
    return out


def compare(strategies: dict) -> dict:
    """Per task: each strategy's mean macro-F1 over the curve and its difference from random."""
    result = {}
    for t in charting_task_names():
        means = {name: e[t]["mean_over_curve"] for name, e in strategies.items()}
        best = max((n for n in means if n != "random"), key=lambda n: means[n], default="random")
        # paired by seed (same split, same initial sample): how often and by how much each beats random
        rnd = np.nanmean(np.array(strategies["random"][t]["per_seed"], dtype=float), axis=1)
        paired = {}
        for n, e in strategies.items():
            if n == "random":
                continue
            d = np.nanmean(np.array(e[t]["per_seed"], dtype=float), axis=1) - rnd
            paired[n] = {"per_seed": [round(float(x), 4) for x in d], "mean": round(float(np.mean(d)), 4),
                         "sd": round(float(np.std(d, ddof=1)), 4) if len(d) > 1 else None,
                         "seeds_better": int((d > 0).sum()), "seeds": int(len(d))}
        result[t] = {"mean_over_curve": means, "random": means.get("random"),
                     "difference_vs_random": {n: round(v - means["random"], 4) for n, v in means.items()
                                              if n != "random"},
                     "paired_difference_vs_random": paired,
                     "best": best}
    role_best = result["role"]["best"]
    result["best_by_role"] = role_best
    result["best_by_role_vs_random"] = {t: round(result[t]["mean_over_curve"][role_best] - result[t]["random"], 4)
                                        for t in charting_task_names()}
    return result


def _round(values) -> list:
    return [None if not np.isfinite(v) else round(float(v), 4) for v in np.asarray(values, dtype=float)]


def simulate(documents: dict, labels, config: SimulationConfig, progress=None, n_jobs: int = 1) -> dict:
    """Run every strategy on every seed; return the simulation.json structure."""
    ids = [i for i in labels.index if i in documents]
    labels = labels.loc[ids]
    rules = None
    if "disagreement" in config.strategies:
        from ..model import ChartingModel

        preds = ChartingModel(**config.params).rules_predict([documents[i] for i in ids])
        rules = {i: p for i, p in zip(ids, preds)}
    jobs = [(s, seed) for seed in config.seeds for s in config.strategies]
    if n_jobs > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(run_one)(s, seed, documents, labels, config, rules)
                                          for s, seed in jobs)
        if progress:
            progress(f"{len(jobs)} runs done")
    else:
        results = [run_one(s, seed, documents, labels, config, rules, progress) for s, seed in jobs]
    runs: dict[str, list[dict]] = {s: [] for s in config.strategies}
    for (s, _), res in zip(jobs, results):
        runs[s].append(res)
    corpus = {"n_studies": len(ids),
              "role_counts": {str(k): int(v) for k, v in labels["role"].value_counts().items()},
              "n_test": len(split(ids, labels, config, config.seeds[0])[0])}
    return summarise(runs, config, corpus)


def plot(result: dict, out_dir) -> list:
    """One learning-curve PNG per task (mean and spread across seeds) plus all tasks in one figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pathlib import Path

    out_dir = Path(out_dir)
    written = []

    def draw(ax, task):
        for name, entry in result["strategies"].items():
            x = entry["n_labelled"]
            y = np.array([np.nan if v is None else v for v in entry[task]["macro_f1"]], dtype=float)
            s = np.array([np.nan if v is None else v for v in entry[task]["std"]], dtype=float)
            ax.plot(x, y, marker="o", ms=3, label=name, linestyle="--" if name == "random" else "-")
            ax.fill_between(x, y - s, y + s, alpha=0.15)
        ax.set_title(f"{task}: macro-F1 on held-out studies")
        ax.set_xlabel("studies labelled")
        ax.set_ylabel("macro-F1 (mean ± sd over seeds)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

    for task in charting_task_names():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        draw(ax, task)
        fig.tight_layout()
        path = out_dir / f"learning_curve_{task}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    for ax, task in zip(axes, charting_task_names()):
        draw(ax, task)
    fig.tight_layout()
    path = out_dir / "learning_curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)
    return written
