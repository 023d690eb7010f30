"""Demo step: the campaign table through encoders, a scaler and PCA, streamed from parquet."""

from __future__ import annotations

import numpy as np

from .._context import DemoContext


def run(ctx: DemoContext) -> None:
    import dask.dataframe as dd

    from ...compose import make_column_transformer
    from ...decomposition import PCA
    from ...linear_model import LogisticRegression
    from ...preprocessing import OneHotEncoder, StandardScaler

    path = ctx.workdir / "contributions.parquet"
    if not path.exists():
        ctx.say("   (skipped: run the 'campaign' step first, it writes the table)")
        return
    table = dd.read_parquet(str(path), columns=["state", "occupation", "transaction_amt"])
    table = table.assign(log_amount=np.log1p(table.transaction_amt))
    big = (table.transaction_amt > 200).astype(int)
    features = table[["state", "occupation", "log_amount"]]
    with ctx.step(
        "Preprocessing: one-hot encoding, scaling and PCA of the contributions table",
        "OneHotEncoder (the 20 most frequent occupations, the rest one 'infrequent' column) and "
        "StandardScaler through a ColumnTransformer, each fitted in one pass over the parquet "
        "data, then PCA(5) in one more pass",
    ):
        columns = make_column_transformer(
            (
                OneHotEncoder(
                    max_categories=20, handle_unknown="infrequent_if_exist", sparse_output=False
                ),
                ["state", "occupation"],
            ),
            (StandardScaler(), ["log_amount"]),
        )
        encoded = columns.fit(features).transform(features)
        pca = PCA(5, random_state=ctx.random_state).fit(encoded)
        ratios = ", ".join(f"{r:.3f}" for r in pca.explained_variance_ratio_)
        ctx.say(
            f"   {encoded.shape[1]} encoded columns -> 5 components, explained variance ratio "
            f"{ratios}; the output keeps the table's partitions ({encoded.npartitions})"
        )
    with ctx.step(
        "A logistic regression on the components: is a contribution over $200?",
        "the encoded, reduced features stay a lazy dask DataFrame; the model reads them "
        "through the whole chain at each pass",
    ):
        reduced = pca.transform(encoded)
        model = LogisticRegression().fit(reduced, big)
        score = model.score(reduced, big)
        ctx.say(f"   accuracy {score:.4f} in {model.n_passes_} passes ({model.solver_})")
