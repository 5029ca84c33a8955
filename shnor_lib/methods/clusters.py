"""M8: clusters of schools on the standardized risk and result profile.

The profile is one row per school: risk factor values (:mod:`shnor_lib.methods.risk_profile`)
plus ``results_index`` (ИОР) and ``social_index`` (ИСБ) where available. Preparation
(:func:`prepare`), each step reported in ``ClusterResult.notes``:

1. schools with no profile value at all are left out (label <NA>);
2. features missing for more than half of the schools are dropped (imputing them would
   invent structure); remaining gaps are filled with the feature's median;
3. constant features are dropped; the rest are standardized (z, population SD).

Methods: Ward (``scipy.cluster.hierarchy``, exact k by ``cut_tree``; deterministic) or
k-means (scikit-learn ``KMeans``, 10 k-means++ starts, ``random_state`` = the seed).

Choice of k (:func:`cluster`): the silhouette alone rewards splitting off a few outliers
(the demo once got clusters of 3 and 37 schools), so a k is admissible only when its smallest
cluster holds at least ``min_cluster_share`` of the schools and it is stable — the mean
adjusted Rand index between the full clustering and the clusterings of ``bootstrap``
resamples (scikit-learn ``adjusted_rand_score``, resamples from ``numpy.random.default_rng
(seed)``) is at least ``min_stability``. Among admissible k the largest mean silhouette
(scikit-learn ``silhouette_score``) wins, ties: the smaller k.

Numbering: 1 = the lowest mean ИОР (then larger size, then smallest school id); without
ИОР in the profile, by size, then smallest school id. Names and descriptions say what sets
a cluster apart: the features with the largest standardized difference between the
cluster's mean and the mean of the other schools (at least 0.5 SD, up to three), phrased
with the «above/below» words of ``data/risk_factors.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shnor_lib.fmt import fmt_number
from shnor_lib.methods.risk_profile import features as feature_meta

MAX_MISSING_SHARE = 0.5
MIN_ABS_Z = 0.5  # a cluster this far (in SD) from the rest on a feature "sets it apart"
MAX_DESCRIBED = 3
KMEANS_STARTS = 10


@dataclass
class ClusterResult:
    """Cluster labels and their description (see the module docstring)."""

    labels: pd.Series  # school_id → cluster number (Int64; <NA> = not clustered)
    k: int  # 0 when no clustering was possible
    silhouette: pd.Series  # k → mean silhouette
    profiles: pd.DataFrame  # cluster × feature: mean z
    descriptions: pd.DataFrame  # cluster, name, description, size, ...
    notes: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    method: str = "ward"
    choice: pd.DataFrame = field(default_factory=pd.DataFrame)  # k, min_share, stability, …

    def table(self) -> pd.DataFrame:
        """The published ``clusters`` table: descriptions plus ``z_<feature>`` columns."""
        out = self.descriptions.copy()
        for f in self.features:
            out[f"z_{f}"] = out["cluster"].map(self.profiles[f]).astype(float)
        return out


def feature_name(fid: str) -> str:
    """The short neutral label of a profile feature («обучающиеся с ОВЗ, %»)."""
    meta = feature_meta().get(fid)
    return meta.label if meta else fid


def feature_phrase(fid: str, z: float) -> str:
    """«низкий ИОР» / «высокая доля обучающихся с ОВЗ» for a mean z below / above 0."""
    meta = feature_meta().get(fid)
    if meta is None:
        return f"{fid}: {'выше' if z > 0 else 'ниже'} среднего"
    return meta.above if z > 0 else meta.below


def fmt_z(z: float) -> str:
    """«+1,2 ст. откл.» (a signed mean z in Russian format)."""
    text = fmt_number(z, 1)
    return f"{'+' if z > 0 and text != '0,0' else ''}{text} ст. откл."


# ---------------------------------------------------------------------------- preparation


def _features_frame(profile: pd.DataFrame) -> pd.DataFrame:
    df = profile.set_index("school_id") if "school_id" in profile.columns else profile
    cols = [
        c
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])
    ]
    x = df[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    x.index = x.index.astype(str)
    return x.sort_index()


def prepare(profile: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Standardized, imputed profile (school × feature z) and the notes on what was done."""
    x = _features_frame(profile)
    notes: list[str] = []
    empty = x.index[x.isna().all(axis=1)]
    if len(empty):
        notes.append(f"ОО без данных профиля не кластеризованы: {len(empty)}.")
        x = x.drop(index=empty)
    if x.empty:
        return x, notes
    miss = x.isna().mean()
    absent = [c for c in x.columns if miss[c] == 1.0]
    if absent:
        names = ", ".join(feature_name(c) for c in absent)
        notes.append(f"Признаки без данных не использованы: {names}.")
        x = x.drop(columns=absent)
    sparse = [c for c in x.columns if miss[c] > MAX_MISSING_SHARE and c not in absent]
    if sparse:
        names = ", ".join(feature_name(c) for c in sparse)
        notes.append(f"Признаки с пропусками более чем у половины ОО не использованы: {names}.")
        x = x.drop(columns=sparse)
    gaps = x.isna().sum()
    filled = [f"{feature_name(c)} — {int(gaps[c])}" for c in x.columns if gaps[c] > 0]
    if filled:
        notes.append("Пропуски заменены медианой признака (число ОО): " + "; ".join(filled) + ".")
        x = x.fillna(x.median())
    sd = x.std(ddof=0)
    const = [c for c in x.columns if not sd[c] > 1e-12]
    if const:
        names = ", ".join(feature_name(c) for c in const)
        notes.append(f"Признаки без различий между ОО не использованы: {names}.")
        x = x.drop(columns=const)
        sd = sd.drop(const)
    z = (x - x.mean()) / sd
    return z, notes


# ---------------------------------------------------------------------------- methods


def _fit(x: np.ndarray, k: int, method: str, seed: int) -> np.ndarray:
    """Labels 0..k−1 of one clustering: Ward (scipy, exact k) or k-means (scikit-learn,
    ``n_init`` seeded starts, the lowest inertia kept)."""
    if method == "ward":
        from scipy.cluster.hierarchy import cut_tree, linkage

        return cut_tree(linkage(x, method="ward"), n_clusters=[k])[:, 0]
    if method == "kmeans":
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        # one thread: on a few dozen schools OpenMP start-up costs 10× the fit (and a busy
        # machine much more); one thread also keeps the result independent of the machine
        with threadpool_limits(limits=1):
            km = KMeans(n_clusters=k, n_init=KMEANS_STARTS, random_state=seed)
            return km.fit_predict(x)
    raise ValueError("method must be 'ward' or 'kmeans'")


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (scikit-learn, Euclidean)."""
    from sklearn.metrics import silhouette_score

    return float(silhouette_score(x, labels, metric="euclidean"))


def stability(x: np.ndarray, labels: np.ndarray, k: int, method: str, b: int, seed: int) -> float:
    """Mean adjusted Rand index between the clustering of the full data and the clustering of
    ``b`` bootstrap resamples (points drawn with replacement, same method and k), compared on
    the resampled points. 1 = every resample finds the same groups; ≈ 0 = chance agreement."""
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    n, scores = len(x), []
    for _ in range(b):
        idx = rng.integers(0, n, n)
        if len(np.unique(x[idx], axis=0)) <= k:
            continue  # too few distinct points to form k clusters
        scores.append(adjusted_rand_score(labels[idx], _fit(x[idx], k, method, seed)))
    return float(np.mean(scores)) if scores else float("nan")


# ---------------------------------------------------------------------------- result


def _renumber(z: pd.DataFrame, raw: np.ndarray) -> pd.Series:
    """Cluster numbers 1..k: lowest mean ИОР first (see the module docstring)."""
    df = pd.DataFrame({"lab": raw, "sid": z.index}, index=z.index)
    if "results_index" in z:
        df["ri"] = z["results_index"].to_numpy()
    else:
        df["ri"] = 0.0
    g = df.groupby("lab").agg(ri=("ri", "mean"), size=("sid", "size"), first=("sid", "min"))
    g["ri"] = g["ri"].round(9)
    g = g.sort_values(["ri", "size", "first"], ascending=[True, False, True])
    mapping = {lab: i + 1 for i, lab in enumerate(g.index)}
    return pd.Series([mapping[v] for v in raw], index=z.index, dtype="Int64")


def apart(z: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """cluster × feature: the standardized difference of the cluster from the rest — its mean
    z minus the mean z of the other schools (z: SD of the whole population = 1)."""
    lab = labels.to_numpy()
    rows = {}
    for c in sorted(pd.unique(lab)):
        inside = lab == c
        rest = z[~inside].mean() if (~inside).any() else z.mean() * 0
        rows[int(c)] = z[inside].mean() - rest
    out = pd.DataFrame(rows).T
    out.index.name = "cluster"
    return out


def _describe(diff: pd.DataFrame, labels: pd.Series, raw: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for c, drow in diff.iterrows():
        ranked = drow[drow.abs() >= MIN_ABS_Z]
        order = sorted(
            ranked.index, key=lambda f: (-round(abs(ranked[f]), 9), list(drow.index).index(f))
        )
        key = order[:MAX_DESCRIBED]
        phrases = [feature_phrase(f, drow[f]) for f in key]
        if phrases:
            name = phrases[0][0].upper() + phrases[0][1:]
            if len(phrases) > 1:
                name += " и " + phrases[1]
            description = "от остальных ОО отличают: " + ", ".join(
                f"{ph} ({fmt_z(drow[f])})" for ph, f in zip(phrases, key, strict=True)
            )
        else:
            name = "Профиль без выраженных отличий"
            description = (
                "профиль близок к остальным ОО "
                f"(все различия в пределах ±{fmt_number(MIN_ABS_Z, 1)} ст. откл.)"
            )
        members = sorted(labels.index[labels == c])
        rows.append(
            {
                "cluster": int(c),
                "name": name,
                "description": description,
                "size": len(members),
                "schools": "; ".join(members),
                "key_features": "; ".join(key),
                "mean_results_index": _mean(raw, members, "results_index"),
                "mean_social_index": _mean(raw, members, "social_index"),
            }
        )
    return pd.DataFrame(rows, columns=DESCRIPTION_COLUMNS)


DESCRIPTION_COLUMNS = [
    "cluster",
    "name",
    "description",
    "size",
    "schools",
    "key_features",
    "mean_results_index",
    "mean_social_index",
]


def _mean(raw: pd.DataFrame, members: list[str], col: str) -> float:
    if col not in raw:
        return float("nan")
    vals = raw.loc[members, col].dropna()
    return float(vals.mean()) if len(vals) else float("nan")


def _none(z: pd.DataFrame, ids: pd.Index, notes: list[str], method: str) -> ClusterResult:
    return ClusterResult(
        labels=pd.Series(pd.NA, index=ids, dtype="Int64", name="cluster"),
        k=0,
        silhouette=pd.Series(dtype=float, name="silhouette"),
        profiles=pd.DataFrame(columns=list(z.columns), dtype=float),
        descriptions=pd.DataFrame(columns=DESCRIPTION_COLUMNS),
        notes=notes,
        features=list(z.columns),
        method=method,
    )


def _choice_note(table: pd.DataFrame, k: int, min_share: float, min_stab: float) -> str:
    parts = "; ".join(
        f"k = {int(r.k)}: наименьший кластер {fmt_number(100 * r.min_share, 0)} %, "
        f"устойчивость {fmt_number(r.stability, 2)}, силуэт {fmt_number(r.silhouette, 2)}"
        for r in table.itertuples(index=False)
    )
    return (
        f"Выбор числа кластеров ({parts}). Допустимы варианты, где каждый кластер — не менее "
        f"{fmt_number(100 * min_share, 0)} % ОО, а устойчивость (средний скорректированный "
        f"индекс Рэнда по бутстреп-выборкам) не ниже {fmt_number(min_stab, 2)}; из них "
        "берётся вариант с наибольшей шириной силуэта."
    )


def _choose(table: pd.DataFrame, min_share: float, min_stab: float) -> tuple[int, str]:
    """The k: admissible (min share and stability), then the largest silhouette, then the
    smaller k; fallbacks are said in the returned note."""
    t = table.assign(_st=table["stability"].round(9).fillna(-1), _si=table["silhouette"].round(9))
    big = t[t["min_share"] >= min_share - 1e-12]
    ok = big[big["_st"] >= min_stab - 1e-12]
    if not ok.empty:
        k = int(ok.sort_values(["_si", "k"], ascending=[False, True])["k"].iloc[0])
        return k, f"Число кластеров k = {k}."
    if not big.empty:
        k = int(big.sort_values(["_st", "k"], ascending=[False, True])["k"].iloc[0])
        return k, (
            f"Число кластеров k = {k}: ни один вариант не достиг устойчивости "
            f"{fmt_number(min_stab, 2)}, выбран самый устойчивый из вариантов без малых "
            "кластеров; группы условны."
        )
    k = int(t.sort_values(["min_share", "k"], ascending=[False, True])["k"].iloc[0])
    return k, (
        f"Число кластеров k = {k}: ни при одном k каждый кластер не составляет "
        f"{fmt_number(100 * min_share, 0)} % ОО, выбран вариант с наибольшим наименьшим "
        "кластером."
    )


def cluster(
    profile: pd.DataFrame,
    *,
    k_min: int = 2,
    k_max: int = 6,
    method: str = "ward",
    seed: int = 0,
    min_cluster_share: float = 0.1,
    min_stability: float = 0.75,
    bootstrap: int = 50,
) -> ClusterResult:
    """Cluster schools on their standardized profile; k by size, stability and silhouette.

    ``profile``: one row per school (index or column ``school_id``), numeric feature
    columns (risk factor ids, ``results_index``, ``social_index``). For each k in
    ``k_min..min(k_max, n − 1)``: the smallest cluster's share of schools, the stability
    (:func:`stability`, ``bootstrap`` resamples from ``seed``) and the mean silhouette. A k is
    admissible when its smallest cluster holds at least ``min_cluster_share`` of the schools
    and its stability is at least ``min_stability``; the admissible k with the largest
    silhouette wins (ties: the smaller k). With fewer than ``k_min + 1`` usable schools or
    fewer than 2 usable features no clustering is done: every label is <NA>, ``k`` is 0.
    """
    if method not in ("ward", "kmeans"):
        raise ValueError("method must be 'ward' or 'kmeans'")
    raw = _features_frame(profile)
    z, notes = prepare(profile)
    if z.shape[1] < 2:
        notes.append("Кластеризация не проводилась: меньше двух признаков с данными.")
        return _none(z, raw.index, notes, method)
    if len(z) < k_min + 1:
        notes.append(
            f"Кластеризация не проводилась: ОО с данными {len(z)}, нужно не менее {k_min + 1}."
        )
        return _none(z, raw.index, notes, method)
    ks = list(range(k_min, min(k_max, len(z) - 1) + 1))
    x = z.to_numpy()
    labelings = {k: _fit(x, k, method, seed) for k in ks}
    choice = pd.DataFrame(
        [
            {
                "k": k,
                "min_share": np.bincount(lab).min() / len(lab),
                "stability": stability(x, lab, k, method, bootstrap, seed),
                "silhouette": silhouette(x, lab),
            }
            for k, lab in labelings.items()
        ]
    )
    best, fallback = _choose(choice, min_cluster_share, min_stability)
    labels = _renumber(z, labelings[best])
    profiles = z.groupby(labels.to_numpy()).mean()
    profiles.index.name = "cluster"
    notes.append(_choice_note(choice, best, min_cluster_share, min_stability))
    notes.append(fallback)
    names = ", ".join(feature_name(c) for c in z.columns)
    notes.append(f"Признаки профиля (стандартизованы): {names}.")
    return ClusterResult(
        labels=labels.reindex(raw.index).astype("Int64").rename("cluster"),
        k=best,
        silhouette=choice.set_index("k")["silhouette"].rename("silhouette"),
        profiles=profiles,
        descriptions=_describe(apart(z, labels), labels, raw),
        notes=notes,
        features=list(z.columns),
        method=method,
        choice=choice,
    )


def profile_frame(values: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """The clustering profile: risk factor values (index school_id) joined with the
    schools' ``results_index`` and ``social_index`` where those columns exist."""
    out = values.copy()
    out.index = out.index.astype(str)
    s = schools.assign(school_id=schools["school_id"].astype(str)).set_index("school_id")
    for col in ("results_index", "social_index"):
        if col in s:
            out[col] = pd.to_numeric(s[col], errors="coerce").reindex(out.index).astype(float)
    return out
