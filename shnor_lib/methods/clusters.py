"""M8: clusters of schools on the standardized risk and result profile.

The profile is one row per school: risk factor values (:mod:`shnor_lib.methods.risk_profile`)
plus ``results_index`` (ИОР) and ``social_index`` (ИСБ) where available. Preparation
(:func:`prepare`), each step reported in ``ClusterResult.notes``:

1. schools with no profile value at all are left out (label <NA>);
2. features missing for more than half of the schools are dropped (imputing them would
   invent structure); remaining gaps are filled with the feature's median;
3. constant features are dropped; the rest are standardized (z, population SD).

Methods: Ward (``scipy.cluster.hierarchy``, exact k by ``cut_tree``; deterministic) or
k-means (Lloyd, k-means++ starts from ``numpy.random.default_rng(seed)``, 10 starts, the
lowest within-cluster sum of squares kept). k is the one with the largest mean silhouette
over ``k_min..min(k_max, n − 1)`` (ties: the smaller k).

Numbering: 1 = the lowest mean ИОР (then larger size, then smallest school id); without
ИОР in the profile, by size, then smallest school id. Names and descriptions come from
the features with the largest |mean z| (at least 0.5 SD, up to three), phrased with the
«above/below» words of ``data/risk_factors.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shnor_lib.fmt import fmt_number
from shnor_lib.methods.risk_profile import features as feature_meta

MAX_MISSING_SHARE = 0.5
MIN_ABS_Z = 0.5  # a cluster mean this far from the municipal mean "sets the cluster apart"
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


# ---------------------------------------------------------------------------- silhouette


def silhouette_samples(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Silhouette of each point (Euclidean): ``(b − a) / max(a, b)``; 0 in a singleton
    cluster (Rousseeuw 1987; the convention scikit-learn uses)."""
    x = np.asarray(x, dtype=float)
    labels = np.asarray(labels)
    labs = np.unique(labels)
    if len(labs) < 2 or len(labs) >= len(labels):
        raise ValueError("silhouette needs 2 <= number of clusters < number of points")
    from scipy.spatial.distance import pdist, squareform

    d = squareform(pdist(x))
    own = np.searchsorted(labs, labels)
    member = own[:, None] == np.arange(len(labs))[None, :]
    sums = d @ member.astype(float)  # point × cluster: sum of distances
    sizes = member.sum(axis=0)
    rows = np.arange(len(labels))
    own_size = sizes[own]
    a = sums[rows, own] / np.maximum(own_size - 1, 1)
    means = sums / sizes[None, :]
    means[rows, own] = np.inf
    b = means.min(axis=1)
    denom = np.maximum(a, b)
    s = np.zeros(len(labels))
    ok = (own_size > 1) & (denom > 0)
    np.divide(b - a, denom, out=s, where=ok)
    return s


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of a clustering."""
    return float(silhouette_samples(x, labels).mean())


# ---------------------------------------------------------------------------- methods


def cdist(*args, **kwargs):
    """scipy's cdist, imported when first needed (report kernels start faster)."""
    from scipy.spatial.distance import cdist as _cdist

    return _cdist(*args, **kwargs)


def _kmeans_pp(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centers = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d2 = cdist(x, np.array(centers), "sqeuclidean").min(axis=1)
        total = d2.sum()
        p = d2 / total if total > 0 else np.full(len(x), 1 / len(x))
        centers.append(x[rng.choice(len(x), p=p)])
    return np.array(centers)


def _lloyd(x: np.ndarray, centers: np.ndarray, max_iter: int = 300) -> tuple[float, np.ndarray]:
    k = len(centers)
    for _ in range(max_iter):
        d2 = cdist(x, centers, "sqeuclidean")
        lab = d2.argmin(axis=1)
        new = centers.copy()
        for j in range(k):
            members = lab == j
            if members.any():
                new[j] = x[members].mean(axis=0)
            else:  # empty cluster: restart it at the worst-served point
                new[j] = x[d2[np.arange(len(x)), lab].argmax()]
        if np.allclose(new, centers, atol=1e-10, rtol=0):
            centers = new
            break
        centers = new
    d2 = cdist(x, centers, "sqeuclidean")
    lab = d2.argmin(axis=1)
    return float(d2[np.arange(len(x)), lab].sum()), lab


def kmeans(x: np.ndarray, k: int, seed: int = 0, starts: int = KMEANS_STARTS) -> np.ndarray:
    """k-means labels (0..k−1): the best of ``starts`` seeded k-means++ starts."""
    rng = np.random.default_rng(seed)
    best: tuple[float, np.ndarray] | None = None
    for _ in range(starts):
        inertia, lab = _lloyd(x, _kmeans_pp(x, k, rng))
        if best is None or inertia < best[0] - 1e-9:
            best = (inertia, lab)
    assert best is not None
    return best[1]


def _labelings(x: np.ndarray, ks: list[int], method: str, seed: int) -> dict[int, np.ndarray]:
    if method == "ward":
        from scipy.cluster.hierarchy import cut_tree, linkage

        tree = linkage(x, method="ward")
        cut = cut_tree(tree, n_clusters=ks)
        return {k: cut[:, i] for i, k in enumerate(ks)}
    if method == "kmeans":
        return {k: kmeans(x, k, seed) for k in ks}
    raise ValueError("method must be 'ward' or 'kmeans'")


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


def _describe(profiles: pd.DataFrame, labels: pd.Series, raw: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for c, zrow in profiles.iterrows():
        ranked = zrow[zrow.abs() >= MIN_ABS_Z]
        order = sorted(
            ranked.index, key=lambda f: (-round(abs(ranked[f]), 9), list(zrow.index).index(f))
        )
        key = order[:MAX_DESCRIBED]
        phrases = [feature_phrase(f, zrow[f]) for f in key]
        if phrases:
            name = phrases[0][0].upper() + phrases[0][1:]
            if len(phrases) > 1:
                name += " и " + phrases[1]
            description = ", ".join(phrases)
        else:
            name = "Средний профиль"
            description = (
                "профиль близок к среднему по муниципалитету "
                f"(все признаки в пределах ±{fmt_number(MIN_ABS_Z, 1)} ст. откл.)"
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


def _silhouette_note(sil: pd.Series, k: int) -> str:
    parts = "; ".join(f"k = {int(kk)}: {fmt_number(v, 2)}" for kk, v in sil.items())
    return f"Число кластеров k = {k} выбрано по наибольшей средней ширине силуэта ({parts})."


def cluster(
    profile: pd.DataFrame,
    *,
    k_min: int = 2,
    k_max: int = 6,
    method: str = "ward",
    seed: int = 0,
) -> ClusterResult:
    """Cluster schools on their standardized profile; k chosen by the mean silhouette.

    ``profile``: one row per school (index or column ``school_id``), numeric feature
    columns (risk factor ids, ``results_index``, ``social_index``). With fewer than
    ``k_min + 1`` usable schools or fewer than 2 usable features no clustering is done:
    every label is <NA>, ``k`` is 0 and a note says why.
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
    labelings = _labelings(x, ks, method, seed)
    sil = pd.Series({k: silhouette(x, labelings[k]) for k in ks}, name="silhouette", dtype=float)
    best = int(sil.round(12).idxmax())  # idxmax: first (smallest k) of equal maxima
    labels = _renumber(z, labelings[best])
    profiles = z.groupby(labels.to_numpy()).mean()
    profiles.index.name = "cluster"
    notes.append(_silhouette_note(sil, best))
    names = ", ".join(feature_name(c) for c in z.columns)
    notes.append(f"Признаки профиля (стандартизованы): {names}.")
    return ClusterResult(
        labels=labels.reindex(raw.index).astype("Int64").rename("cluster"),
        k=best,
        silhouette=sil,
        profiles=profiles,
        descriptions=_describe(profiles, labels, raw),
        notes=notes,
        features=list(z.columns),
        method=method,
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
