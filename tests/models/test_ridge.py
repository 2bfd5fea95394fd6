"""The closed-form ridge classifier against explicit refits: coefficients, leave-one-out choice, temperature."""

import numpy as np

from lstmkit.models.ridge import fit_ridge_classifier


def ridge_by_hand(z: np.ndarray, targets: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """``(coef, intercept)`` of ridge on ``z`` with an unpenalised intercept: the normal equations on centred data."""
    zm, tm = z.mean(axis=0), targets.mean(axis=0)
    coef = np.linalg.solve((z - zm).T @ (z - zm) + alpha * np.eye(z.shape[1]), (z - zm).T @ (targets - tm))
    return coef, tm - zm @ coef


def problem(n=30, p=12, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    x = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, p) + 5.0
    x[:, :k] += 1.5 * np.eye(k)[y]  # a little signal in the first columns
    return x, y


def test_scores_match_the_normal_equations_at_the_leave_one_out_best_penalty():
    x, y = problem()
    alphas = (0.01, 1.0, 30.0, 1000.0)
    fit = fit_ridge_classifier(x, y, 3, alphas=alphas)
    z = (x - x.mean(0)) / x.std(0)
    targets = np.where(np.eye(3)[y] > 0, 1.0, -1.0)
    errors = []
    for alpha in alphas:  # leave each case out, refit, score it
        loo = np.zeros_like(targets)
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            coef, intercept = ridge_by_hand(z[keep], targets[keep], alpha)
            loo[i] = z[i] @ coef + intercept
        errors.append(((targets - loo) ** 2).mean())
        if alpha == fit.alpha:
            assert fit.loo_accuracy == (loo.argmax(1) == y).mean()
    assert fit.alpha == alphas[int(np.argmin(errors))]
    coef, intercept = ridge_by_hand(z, targets, fit.alpha)
    expected = (z @ coef + intercept) / fit.temperature
    np.testing.assert_allclose(x @ fit.weight.T.astype(np.float64) + fit.bias, expected, rtol=1e-4, atol=1e-4)


def test_column_scale_weights_blocks_against_each_other():
    x, y = problem(p=6)
    plain = fit_ridge_classifier(x, y, 3, alphas=(10.0,))
    scaled = fit_ridge_classifier(x, y, 3, alphas=(10.0,), column_scales=(np.array([2.0, 1, 1, 1, 1, 1]),))
    z = (x - x.mean(0)) / x.std(0)
    targets = np.where(np.eye(3)[y] > 0, 1.0, -1.0)
    coef, intercept = ridge_by_hand(z * np.array([2.0, 1, 1, 1, 1, 1]), targets, 10.0)
    np.testing.assert_allclose(
        x @ scaled.weight.T.astype(np.float64) + scaled.bias,
        (z * np.array([2.0, 1, 1, 1, 1, 1]) @ coef + intercept) / scaled.temperature,
        rtol=1e-4,
        atol=1e-4,
    )
    assert not np.allclose(plain.weight, scaled.weight)


def test_constant_features_and_more_features_than_cases():
    rng = np.random.default_rng(1)
    y = np.array([0, 1] * 5)
    x = np.hstack(
        [rng.normal(size=(10, 50)) + y[:, None], np.ones((10, 3))]
    )  # 53 features, 10 cases, 3 constant
    fit = fit_ridge_classifier(x, y, 2)
    assert np.isfinite(fit.weight).all() and np.allclose(fit.weight[:, 50:], 0.0)
    assert fit.loo_accuracy == 1.0 and ((x @ fit.weight.T + fit.bias).argmax(1) == y).all()


def test_the_weighting_with_the_smaller_leave_one_out_error_wins():
    x, y = problem(p=6)
    signal, noise = np.array([3.0, 3, 3, 0.1, 0.1, 0.1]), np.array([0.1, 0.1, 0.1, 3, 3, 3])
    targets = np.where(np.eye(3)[y] > 0, 1.0, -1.0)
    z = (x - x.mean(0)) / x.std(0)

    def loo_error(scale):
        loo = np.zeros_like(targets)
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            coef, intercept = ridge_by_hand(z[keep] * scale, targets[keep], 1.0)
            loo[i] = (z[i] * scale) @ coef + intercept
        return ((targets - loo) ** 2).mean()

    fit = fit_ridge_classifier(x, y, 3, alphas=(1.0,), column_scales=(noise, signal))
    expected = signal if loo_error(signal) < loo_error(noise) else noise
    assert fit.column_scale is expected and expected is signal  # the columns with the signal in them
